"""The deadlines the tests do not assert (timing depends on the machine): measured and reported here.

    .venv/bin/python bench/deadlines.py [--rounds 5] [--browser]

- first byte of POST /api/ask/stream over HTTP (budget 1 s), from the app served by uvicorn on a loopback port;
- with --browser, the chat's time from Enter to the first answer text in Chromium (budget 1 s);
- the generative path's fallback to the extractive answer (budget FAMILYDESK_LLM_TIMEOUT + 2 s) when the model's
  endpoint is down, answers too slowly, streams and then stalls, or is too slow to rewrite the question
  (the stand-in OpenAI-compatible server of tests/fake_openai.py).

Prints one JSON report: the worst of `--rounds` runs per figure, its budget, and whether it was met; the exit
status is 1 when a budget was missed.
"""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import httpx
from _common import LiveServer, free_port

from familydesk import Assistant, Settings
from familydesk.app import create_app
from tests.fake_openai import FakeOpenAI, Reply

QUESTION = "how long is paternity leave in Baotou"
LLM_TIMEOUT = 1.0
CHROMIUM = "/usr/bin/chromium"


def worst(measure, rounds: int) -> float:
    return max(measure() for _ in range(rounds))


def timed(action) -> float:
    t = time.perf_counter()
    action()
    return time.perf_counter() - t


def first_stream_byte(url: str) -> float:
    t = time.perf_counter()
    with httpx.stream("POST", url + "/api/ask/stream", json={"question": QUESTION}, timeout=30) as r:
        next(r.iter_bytes())
        return time.perf_counter() - t


def first_chat_text(url: str, rounds: int) -> float:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(rounds):
            page = browser.new_page()
            page.goto(url + "/")
            page.wait_for_selector("body.ready", state="attached")
            page.fill("#question", QUESTION)
            t = time.perf_counter()
            page.press("#question", "Enter")
            page.wait_for_selector(".msg-bot .answer-text:not(:empty)")
            times.append(time.perf_counter() - t)
            page.close()
        browser.close()
    return max(times)


def fallbacks(base: Assistant, rounds: int) -> dict[str, float]:
    def llm(url: str, **overrides) -> Assistant:
        s = base.settings.model_copy(update={"llm_base_url": url, "llm_timeout": LLM_TIMEOUT,
                                             "llm_model": "stand-in-model", **overrides})
        return Assistant(s, embeddings=base.embeddings, embedding_fingerprint=base.embedding_fingerprint).load()

    with FakeOpenAI() as fake:
        down, slow = llm(f"http://127.0.0.1:{free_port()}/v1"), llm(fake.base_url)
        rewrite = llm(fake.base_url, llm_rewrite=True)
        figures = {"llm_endpoint_down_s": worst(lambda: timed(lambda: down.ask(QUESTION)), rounds)}
        fake.default = Reply("男职工可享受25天护理假[1]。", delay=5)
        figures["llm_too_slow_s"] = worst(lambda: timed(lambda: slow.ask(QUESTION)), rounds)
        figures["llm_rewrite_too_slow_s"] = worst(lambda: timed(lambda: rewrite.ask(QUESTION)), rounds)
        fake.default = Reply("男职工可享受25天护理假[1]。休假期间工资不变[1]。",
                             chunks=["男职工可享受25天护理假[1]。休", "假期间"], chunk_delay=0.8)
        figures["llm_stream_stalls_s"] = worst(lambda: timed(lambda: list(slow.ask_stream(QUESTION))), rounds)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--browser", action="store_true", help="also time the chat page in Chromium")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)  # the fallbacks are expected: no log line per question
    logging.getLogger("familydesk").setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(chroma_dir=tmp / "chroma", data_dir=tmp / "data", rate_limit=0)
    base = Assistant(settings).load()
    budgets = {"stream_first_byte_s": 1.0, "chat_first_text_s": 1.0}
    with LiveServer(create_app(base, settings)) as server:
        first_stream_byte(server.url)  # warm-up
        figures = {"stream_first_byte_s": worst(lambda: first_stream_byte(server.url), args.rounds)}
        if args.browser:
            figures["chat_first_text_s"] = first_chat_text(server.url, args.rounds)
    figures.update(fallbacks(base, args.rounds))
    report = {name: {"worst_s": round(value, 3), "budget_s": budgets.get(name, LLM_TIMEOUT + 2),
                     "met": value <= budgets.get(name, LLM_TIMEOUT + 2)} for name, value in figures.items()}
    print(json.dumps({"rounds": args.rounds, "embedding": base.embedding_fingerprint, "figures": report}, indent=1))
    raise SystemExit(0 if all(r["met"] for r in report.values()) else 1)


if __name__ == "__main__":
    main()
