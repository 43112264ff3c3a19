"""The answer path as one LangChain runnable: read the question → retrieve the clauses → answer.

    read | RunnablePassthrough.assign(documents=itemgetter("query") | retriever) | answerer

Each step is a Runnable built with what it needs (no step reaches into the Assistant): `ReadQuestion`
(query.py's reader), the `ClauseRetriever` (retrieval.py, a LangChain BaseRetriever), and the extractive
answerer (answer.py). With a model (answer_llm.py), `RewriteQuestion` starts the question's time budget
and may add the model's Chinese search terms, and the answer step is the generative answerer
`.with_fallbacks([extractive])`: whatever makes the model's answer unusable gives the extractive answer,
with `fallback_reason`.

`chain.invoke({"question", "region"?, "language"?})` → an Answer; `chain.stream(...)` → the same answer as
events: {"type": "delta", "text"} …, {"type": "reset"} (a generated answer withdrawn), last
{"type": "answer", "answer": Answer}.
"""
from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from langchain_core.runnables import Runnable, RunnableConfig, RunnablePassthrough

from .answer import ExtractiveAnswerer
from .query import QueryReader
from .retrieval import ClauseRetriever

if TYPE_CHECKING:  # imported by the Assistant only when a model answers
    from .answer_llm import LLMAnswerer


class ReadQuestion(Runnable[dict, dict]):
    """{"question", "region"?, "language"?} → {"query": the question as read (places, figures, terms)}."""

    def __init__(self, reader: QueryReader) -> None:
        self.reader = reader

    def invoke(self, x: dict, config: RunnableConfig | None = None, **kwargs) -> dict:
        return self._call_with_config(
            lambda x: {"query": self.reader.read(x["question"], x.get("region"), x.get("language"))}, x, config)


class RewriteQuestion(Runnable[dict, dict]):
    """With a model: the question's time budget starts here, and (FAMILYDESK_LLM_REWRITE) an English
    question gets the model's Chinese search terms (`read_as` keeps the question as read)."""

    def __init__(self, llm: LLMAnswerer, reader: QueryReader, rewrite: bool) -> None:
        self.llm, self.reader, self.rewrite = llm, reader, rewrite

    def invoke(self, state: dict, config: RunnableConfig | None = None, **kwargs) -> dict:
        return self._call_with_config(self._rewritten, state, config)

    def _rewritten(self, state: dict) -> dict:
        budget = self.llm.budget()
        q = self.llm.rewrite(state["query"], self.reader, budget) if self.rewrite else state["query"]
        return {**state, "query": q, "budget": budget}


def build_chain(reader: QueryReader, retriever: ClauseRetriever, extractive: ExtractiveAnswerer,
                llm: LLMAnswerer | None = None, rewrite: bool = False) -> Runnable:
    """question → Answer (invoke) or answer events (stream), over one loaded knowledge base."""
    read: Runnable = ReadQuestion(reader)
    if llm is not None:
        read = read | RewriteQuestion(llm, reader, rewrite)
    retrieve = RunnablePassthrough.assign(documents=itemgetter("query") | retriever)
    answer = llm.with_fallbacks([extractive], exception_key="error") if llm is not None else extractive
    return (read | retrieve | answer).with_config(run_name="familydesk")
