"""Generative answers from any OpenAI-compatible model (langchain-openai's ChatOpenAI), behind guards.

The extractive answerer runs first and stays in charge: when it abstains (a city we do not cover, an
injection, no matching clause, a figure the documents do not state) the model is never called. Otherwise
the model gets the clauses the extractive answer would cite, numbered ([1] 《title》（number）第（二）条：text),
and the prompt from prompts/llm_zh.txt or prompts/llm_en.txt. Its text reaches the user one sentence at a
time, and only after the sentence passes the guards:

- every [n] points to a clause that was given to the model (1..len);
- every figure (Arabic or Chinese numerals, English number words; see answer.figures_in) is a value of a
  clause cited in that sentence — or, for a sentence without a citation, of the next cited sentence in the
  same paragraph, which holds it back until then; only the 12345 hotline of prompts/answers.json is free;
- the answer cites at least one clause (nothing is released before the first citation).

A failing sentence, a model error or the time limit (FAMILYDESK_LLM_TIMEOUT, for the whole question) →
the extractive answer, with `fallback_reason` set and one log line (reason, redacted question; never the
key, never the model's raw text). Citation markers are renumbered in the order cited, so [1] is always
the first citation of the answer.
"""
from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig

from .answer import ExtractiveAnswerer, Texts, answer_events, figures_in
from .models import Answer, Citation
from .privacy import redact
from .query import Query
from .settings import Settings
from .text import CITATION_MARK, split_sentences, take_sentences

log = logging.getLogger(__name__)

_MARKER = re.compile(CITATION_MARK)
_SECTION = re.compile(r"^\[(\w+)\][ \t]*$", re.M)
_CJK_TERM = re.compile(r"[\u4e00-\u9fff]{2,12}")
_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.S)
MAX_REWRITE_TERMS = 8


# ---- prompts -------------------------------------------------------------------------------
def read_prompt(path: Path) -> tuple[ChatPromptTemplate, PromptTemplate | None]:
    """A prompt file of prompts/ as LangChain templates: its [system] and [user] sections make the chat
    prompt, its [clause] section (one numbered clause of {context}), when it has one, a prompt of its
    own. Lines starting with # are comments."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    parts = _SECTION.split(text)
    sections = {name: body.strip("\n") for name, body in zip(parts[1::2], parts[2::2])}
    chat = ChatPromptTemplate.from_messages([("system", sections["system"]), ("human", sections["user"])])
    return chat, PromptTemplate.from_template(sections["clause"]) if "clause" in sections else None


# ---- sentences and guards --------------------------------------------------------------------
class Rejected(Exception):
    """Why a generated answer is not shown; `reason` ends up in Answer.fallback_reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def markers(sentence: str) -> list[int]:
    return [int(n) for m in _MARKER.findall(sentence) for n in re.findall(r"\d+", m)]


class Guard:
    """Checks generated sentences in order and says which may be shown; raises Rejected otherwise."""

    def __init__(self, context: list[Citation], constants: list[str]) -> None:
        self.context = context
        self.free = {v for c in constants for v in figures_in(c).values()}
        self.order: list[int] = []  # context positions (0-based) in the order first cited
        self.citing: dict[int, list[str]] = {}  # context position → the sentences citing it
        self.queue: list[tuple[str, bool]] = []  # (sentence, needs its figures checked) not yet shown

    def _sources(self, refs: list[int]) -> set[str]:
        values = set(self.free)
        for n in refs:
            c = self.context[n - 1]
            values |= set(figures_in(c.text).values()) | set(figures_in(c.reference + c.date + c.effective).values())
        return values

    def _unverified(self, sentence: str, values: set[str]) -> list[str]:
        return sorted(w for w, v in figures_in(_MARKER.sub(" ", sentence)).items() if v not in values)

    def feed(self, sentence: str) -> list[str]:
        """The sentences that may be shown now (renumbered), possibly none yet."""
        refs = markers(sentence)
        wrong = [n for n in refs if not 1 <= n <= len(self.context)]
        if wrong:
            raise Rejected("citation_out_of_range", f"cited {wrong}, {len(self.context)} clauses given")
        if not refs:
            self.queue.append((sentence, bool(self._unverified(sentence, self.free))))
            held = [s for s, check in self.queue if check]
            if held and "\n" in sentence:  # the paragraph ends and nothing vouched for its figures
                raise Rejected("uncited_number", ",".join(self._unverified(held[0], self.free)))
            if self.order and not any(check for _, check in self.queue):
                return self._release()
            return []
        values = self._sources(refs)
        for s in [s for s, check in self.queue if check] + [sentence]:
            leaked = self._unverified(s, values)
            if leaked:
                raise Rejected("number_not_in_cited_clause", ",".join(leaked))
        for n in refs:
            if n - 1 not in self.order:
                self.order.append(n - 1)
            self.citing.setdefault(n - 1, []).append(sentence)
        self.queue = [(s, False) for s, _ in self.queue] + [(self._renumber(sentence), False)]
        return self._release()

    def finish(self) -> list[str]:
        """The rest of the answer once the model is done; raises if it cannot be shown."""
        held = [s for s, check in self.queue if check]
        if held:
            raise Rejected("uncited_number", ",".join(self._unverified(held[0], self.free)))
        if not self.order:
            raise Rejected("no_citation")
        return self._release()

    def _release(self) -> list[str]:
        out = [s for s, _ in self.queue]
        self.queue = []
        return out

    def _renumber(self, sentence: str) -> str:
        return _MARKER.sub(lambda m: "".join(f"[{self.order.index(int(n) - 1) + 1}]"
                                             for n in re.findall(r"\d+", m.group(0))), sentence)


# ---- the answerer ----------------------------------------------------------------------------
@dataclass
class Budget:
    """The time one question may spend with the model (rewrite and answer together)."""

    deadline: float
    failed: str | None = None  # set when the endpoint already failed on this question (no second try)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class LLMAnswerer(Runnable[dict, Answer]):
    """Generative answers with the extractive answerer as gatekeeper; the chain gives it the extractive
    answerer as its fallback (`.with_fallbacks([extractive], exception_key="error")`)."""

    def __init__(self, settings: Settings, extractive: ExtractiveAnswerer, texts: Texts, chat=None) -> None:
        self.settings, self.extractive = settings, extractive
        # the only figures a sentence may carry without a citation: the hotline of the referral texts
        self.constants = [texts.data[lang][name] for lang in ("zh", "en")
                          for name in ("no_match", "uncovered_city", "not_stated_tail")]
        prompts = settings.prompts_dir
        self.prompts = {"zh": read_prompt(prompts / "llm_zh.txt"), "en": read_prompt(prompts / "llm_en.txt")}
        self.rewrite_prompt, _ = read_prompt(prompts / "llm_rewrite.txt")
        self._chat = chat  # any LangChain chat model; built from the settings on first use when None
        self._lock = threading.Lock()
        # openai/httpx log request bodies (the question) at DEBUG: keep them quiet whatever the root level
        for name in ("openai", "httpx", "httpcore"):
            logger = logging.getLogger(name)
            if logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)

    def budget(self) -> Budget:
        return Budget(time.monotonic() + self.settings.llm_timeout)

    # ---- the model -------------------------------------------------------------------------
    def _client(self, budget: Budget):
        with self._lock:
            if self._chat is None:
                from langchain_openai import ChatOpenAI
                from pydantic import SecretStr

                key = self.settings.llm_api_key or SecretStr("not-needed")
                model = self.settings.llm_model or self._first_model(key, budget)
                self._chat = ChatOpenAI(model=model, base_url=self.settings.llm_base_url, api_key=key,
                                        timeout=self.settings.llm_timeout, max_retries=0, temperature=0)
            return self._chat

    def _first_model(self, key, budget: Budget) -> str:
        import openai

        client = openai.OpenAI(base_url=self.settings.llm_base_url, api_key=key.get_secret_value(),
                               timeout=max(0.1, budget.remaining()), max_retries=0)
        models = [m.id for m in client.models.list()]
        if not models:
            raise Rejected("model_error", "the endpoint lists no model")
        log.info("FAMILYDESK_LLM_MODEL unset: using %s, the first model the endpoint lists", models[0])
        return models[0]

    def _pieces(self, messages: list, budget: Budget, stream: bool) -> Iterator[str]:
        """The model's text as it comes, within the budget. The call runs in a worker thread so the
        deadline holds however the endpoint misbehaves (connect, first byte, a trickling stream)."""
        if budget.failed:
            raise Rejected(budget.failed, "endpoint already failed on this question")
        box: queue.Queue = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                chat = self._client(budget)
                timeout = max(0.1, budget.remaining())
                if stream:
                    gen = chat.stream(messages, timeout=timeout)
                    try:
                        for chunk in gen:
                            if stop.is_set():
                                break
                            box.put(("piece", _text(chunk.content)))
                    finally:
                        gen.close()
                else:
                    box.put(("piece", _text(chat.invoke(messages, timeout=timeout).content)))
                box.put(("end", None))
            except Exception as e:  # noqa: BLE001 - every failure becomes a fallback reason
                box.put(("error", e))

        threading.Thread(target=work, daemon=True, name="familydesk-llm").start()
        try:
            while True:
                try:
                    kind, value = box.get(timeout=max(0.0, budget.remaining()))
                except queue.Empty:
                    raise Rejected("timeout", f"no answer within {self.settings.llm_timeout:g}s") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise _classify(value)
                if value:
                    yield value
        except Rejected as r:
            if r.reason in ("timeout", "model_unreachable"):
                budget.failed = r.reason
            raise
        finally:
            stop.set()

    # ---- the answer ------------------------------------------------------------------------
    def _messages(self, q: Query, context: list[Citation]) -> list:
        chat, clause = self.prompts.get(q.language, self.prompts["zh"])
        lines = [clause.format(n=i, reference=c.reference, text=re.sub(r"\s*\n\s*", " ", c.text))
                 for i, c in enumerate(context, 1)]
        return chat.invoke({"context": "\n".join(lines), "question": redact(q.text)}).to_messages()

    def _sentences(self, pieces: Iterator[str], guard: Guard) -> Iterator[str]:
        """Sentences that passed the guard, as soon as they may be shown."""
        buffer, thinking = "", True
        try:
            for piece in pieces:
                buffer += piece
                if thinking:  # a reasoning model's <think>…</think> preamble is never shown
                    stripped = buffer.lstrip()
                    if "<think>".startswith(stripped[:7]) and "</think>" not in stripped:
                        continue
                    buffer, thinking = _THINK.sub("", buffer), False
                sentences, buffer = take_sentences(buffer)
                for s in sentences:
                    yield from guard.feed(s)
        finally:
            pieces.close()  # a rejected sentence ends the model's stream now
        if thinking:
            buffer = _THINK.sub("", buffer)
        for s in take_sentences(buffer, final=True)[0]:
            yield from guard.feed(s)
        yield from guard.finish()

    def _result(self, q: Query, ext: Answer, guard: Guard, shown: list[str]) -> Answer:
        text = "".join(shown).strip()
        if not text:
            raise Rejected("empty_answer")
        cited = [self._cite(guard.context[i], guard.citing[i]) for i in guard.order]
        rest = [dataclasses.replace(c, used=False) for i, c in enumerate(guard.context) if i not in guard.order]
        return Answer(text, False, ext.region, cited + rest, q.language, None, mode="llm")

    def _cite(self, c: Citation, sentences: list[str]) -> Citation:
        """The cited clause, quoting its sentence closest to what the answer said about it."""
        said = "".join(sentences)
        values = set(figures_in(_MARKER.sub(" ", said)).values())
        grams = {said[i:i + 2] for i in range(len(said) - 1)}

        def score(s: str) -> float:
            return 3 * len(values & set(figures_in(s).values())) + sum(1 for i in range(len(s) - 1) if s[i:i + 2] in grams)

        best = max(split_sentences(c.text), key=score, default="")
        quote = best if best and score(best) > 0 else c.quote
        return self.extractive.citation(self.extractive.corpus.clause(c.id), c.score, quote, used=True)

    @staticmethod
    def _rejected(q: Query, error: Exception) -> Rejected:
        """Why the generated answer is not shown, logged once (reason, redacted question; never the model's text)."""
        r = error if isinstance(error, Rejected) else Rejected("internal_error", type(error).__name__)
        log.warning("llm answer not used, extractive instead: reason=%s detail=%s q=%r", r.reason,
                    redact(r.detail)[:200], redact(q.text)[:200])
        return r

    def _start(self, state: dict) -> tuple[Query, Answer, Guard | None]:
        """The question, the extractive answer, and the guard the model's sentences must pass (None when
        the extractive answer abstains: then the model is not asked)."""
        q = state["query"]
        ext = self.extractive(q, self.extractive.hits(state["documents"]))
        return q, ext, None if ext.abstained else Guard(ext.citations, self.constants)

    def _generated(self, state: dict, guard: Guard, stream: bool) -> Iterator[str]:
        """The model's sentences that passed the guard, as they may be shown."""
        budget = state.get("budget") or self.budget()
        return self._sentences(self._pieces(self._messages(state["query"], guard.context), budget, stream), guard)

    def invoke(self, state: dict, config: RunnableConfig | None = None, **kwargs) -> Answer:
        """The chain's answer step, {"query", "documents", "budget"?} → the guarded generative answer, or
        the extractive one when that abstains (its abstentions are final: the model is not asked). Raises
        Rejected when the generated answer cannot be shown: the chain's fallback answers then."""
        return self._call_with_config(self._answer, state, config)

    def _answer(self, state: dict) -> Answer:
        q, ext, guard = self._start(state)
        if guard is None:
            return ext
        try:
            return self._result(q, ext, guard, list(self._generated(state, guard, False)))
        except Exception as e:  # noqa: BLE001 - Rejected, or a bug: either costs fluency, never the answer
            r = self._rejected(q, e)
            raise r from (None if r is e else e)

    def stream(self, state: dict, config: RunnableConfig | None = None, **kwargs) -> Iterator[dict]:
        """Events: {"type": "delta", "text"} per checked sentence, then {"type": "answer", "answer"}.
        A failure before anything was shown raises (the chain's fallback streams the extractive answer);
        after, it is {"type": "reset"} and the extractive answer's events."""
        q, ext, guard = self._start(state)
        if guard is None:
            yield from answer_events(ext)
            return
        shown: list[str] = []
        try:
            for sentence in self._generated(state, guard, True):
                shown.append(sentence)
                yield {"type": "delta", "text": sentence}
            answer = self._result(q, ext, guard, shown)
        except Exception as e:  # noqa: BLE001 - Rejected, or a bug: either way the extractive answer
            r = self._rejected(q, e)
            if not shown:
                raise r from (None if r is e else e)
            yield {"type": "reset"}
            yield from self.extractive.stream({**state, "error": r})
            return
        yield {"type": "answer", "answer": answer}

    # ---- English questions: Chinese search terms -------------------------------------------
    def rewrite(self, q: Query, reader, budget: Budget) -> Query:
        """Add the model's Chinese search terms to an English question's concepts (lexical search only;
        the Assistant ranks with them but decides abstention on the question as read, so a model that
        answers "Tell me a joke about cats" with policy terms cannot make it answerable). Skipped when the
        extractive path will abstain anyway (injection, only uncovered places)."""
        if q.language != "en" or q.injection or (q.uncovered and not q.cities):
            return q
        try:
            messages = self.rewrite_prompt.invoke({"question": redact(q.text)}).to_messages()
            reply = "".join(self._pieces(messages, budget, False))
        except Rejected as r:
            log.warning("question rewrite failed: reason=%s q=%r", r.reason, redact(q.text)[:200])
            return q
        terms = list(dict.fromkeys(_CJK_TERM.findall(_THINK.sub("", reply))))[:MAX_REWRITE_TERMS]
        if not terms:
            return q
        known = {t for g in q.groups for t in g.terms}
        extra = [g for g in reader.read(" ".join(terms)).groups if not set(g.terms) & known]
        log.info("question rewrite: %d Chinese terms, %d new concepts", len(terms), len(extra))
        return dataclasses.replace(q, groups=q.groups + extra, read_as=q) if extra else q


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content or [])


def _classify(error: BaseException) -> Rejected:
    """A fallback reason from a client error; only its type and status go to the log, never its message."""
    if isinstance(error, Rejected):
        return error
    import httpx
    import openai

    if isinstance(error, (openai.APITimeoutError, httpx.TimeoutException)):
        return Rejected("timeout", type(error).__name__)
    if isinstance(error, (openai.APIConnectionError, httpx.TransportError)):
        return Rejected("model_unreachable", type(error).__name__)
    if isinstance(error, openai.APIStatusError):
        return Rejected("model_error", f"HTTP {error.status_code}")
    return Rejected("model_error", type(error).__name__)
