"""The answer path as a LangChain runnable, used from outside as the README shows (lexical index, no model)."""
from __future__ import annotations

import re

from langchain_core.documents import Document

from familydesk import Assistant, Settings
from familydesk.chain import build_chain
from familydesk.settings import PROJECT_ROOT, get_settings


def _readme_example() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a LangChain component", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_langchain_example_runs(monkeypatch, capsys):
    monkeypatch.setenv("FAMILYDESK_EMBEDDING", "none")  # lexical only: no model to load
    get_settings.cache_clear()
    try:
        scope: dict = {}
        exec(compile(_readme_example(), "README.md", "exec"), scope)
    finally:
        get_settings.cache_clear()
    printed = capsys.readouterr().out
    docs = scope["docs"]
    assert all(isinstance(d, Document) for d in docs) and docs[0].metadata["clause_id"] == "baotou-2025-task-list:2"
    assert docs[0].metadata["region"] == "包头" and docs[0].metadata["score"] >= docs[-1].metadata["score"]
    answer, prompt = printed.split("只依据下列条款回答。", 1)
    assert "25天的护理假" in answer and "25天的护理假" in prompt and "包头陪产假多少天" in prompt


def test_the_chain_streams_what_it_answers(tmp_path):
    desk = Assistant(Settings(embedding="none", chroma_dir=tmp_path / "c", data_dir=tmp_path / "d")).load()
    x = {"question": "包头陪产假多少天"}
    events = list(desk.chain.stream(dict(x)))
    answer = desk.chain.invoke(dict(x))
    assert [e["type"] for e in events][-1] == "answer" and {e["type"] for e in events[:-1]} == {"delta"}
    assert "".join(e["text"] for e in events[:-1]) == answer.answer == events[-1]["answer"].answer
    # the same steps composed by hand give the same answer
    again = build_chain(desk.reader, desk.retriever, desk.answerer).invoke(dict(x))
    assert again.answer == answer.answer and again.citations[0].id == "baotou-2025-task-list:2"
