"""A reindex that adds (and removes) a document while 4 threads keep asking: no question fails and none
gets an empty answer, because each question finishes on the snapshot it started with.

The load lasts RELOAD_TEST_SECONDS (default 8 s here; `make bench-reload` runs the issue's full 30 s)."""
from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from familydesk import Assistant, Overrides, Settings
from familydesk.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # the real embedding model

SECONDS = float(os.environ.get("RELOAD_TEST_SECONDS", "8"))
DOCUMENT = Path(__file__).parent / "data" / "reload" / "大同市托育服务补贴试行办法.txt"
QUESTION = "大同托育服务补贴每月多少钱"


def test_reindex_under_load_gives_no_error_and_no_empty_answer(assistant, tmp_path):
    kb = tmp_path / "index"
    shutil.copytree(PROJECT_ROOT / "index", kb, ignore=shutil.ignore_patterns(".chroma"))
    # a copy of the session's index of the same sources: the model loaded once, nothing embedded again
    shutil.copytree(assistant.settings.chroma_path, tmp_path / "chroma")
    settings = Settings(index_dir=kb, chroma_dir=tmp_path / "chroma", data_dir=tmp_path / "data", rate_limit=0)
    desk = Assistant(settings, embeddings=assistant.embeddings, embedding_fingerprint=assistant.embedding_fingerprint).load()
    assert desk.sync_report["added"] == 0  # the copy was taken as it is
    questions = [json.loads(line)["q"] for line in
                 (PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()]
    stop, errors, empty, asked = threading.Event(), [], [], itertools.count()

    def ask(offset: int) -> None:
        for q in itertools.cycle(questions[offset::4] + [QUESTION]):
            if stop.is_set():
                return
            try:
                answer = desk.ask(q) if next(asked) % 2 else _streamed(desk, q)
                if not answer.answer.strip():
                    empty.append(q)
            except Exception as e:  # noqa: BLE001 - every failure is what this test counts
                errors.append(f"{q}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    reloads, deadline = 0, time.time() + SECONDS
    try:
        while time.time() < deadline or reloads < 2:
            report = desk.ingest(DOCUMENT, Overrides(region="大同", title="大同市托育服务补贴试行办法"))
            assert report["changed"]
            reloads += 1
            added = desk.ask(QUESTION)
            assert not added.abstained and "400元" in added.answer, added.answer
            desk.delete_document(report["id"])
            reloads += 1
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    total = next(asked)
    print(f"{reloads} reloads in {SECONDS:.0f} s under {total} questions: {len(errors)} errors, {len(empty)} empty")
    assert errors == [] and empty == []
    assert total > 4 * reloads  # the questions really ran alongside the reloads


def _streamed(desk: Assistant, question: str):
    return [e for e in desk.ask_stream(question) if e["type"] == "answer"][0]["answer"]
