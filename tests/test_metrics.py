"""/metrics in Prometheus' text format, parsed with prometheus-client's own parser after real requests, and
JSON log lines carrying the request id (FAMILYDESK_LOG_FORMAT=json). The knowledge base is read in lexical
mode (FAMILYDESK_EMBEDDING=none) to keep the server quick to start."""
from __future__ import annotations

import io
import json
import logging
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from familydesk import Assistant, Settings
from familydesk.app import create_app
from familydesk.logs import handler

from .helpers import LiveServer, free_port

pytestmark = pytest.mark.slow  # a real server

QUESTIONS = ("包头三孩产假多少天", "北京的育儿补贴怎么领", "Tell me a joke about cats", "What is the maternity leave in Harbin?")


@pytest.fixture(scope="module")
def lexical(tmp_path_factory):
    folder = tmp_path_factory.mktemp("metrics")
    settings = Settings(embedding="none", rate_limit=len(QUESTIONS) + 2, trusted_proxies="127.0.0.1",
                        chroma_dir=folder / "chroma", data_dir=folder / "data")
    with LiveServer(create_app(Assistant(settings), settings), free_port()) as server:
        yield server


def scrape(url: str) -> dict[str, list]:
    """Family name → its samples."""
    r = httpx.get(url + "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


def value(families: dict, sample: str, **labels) -> float:
    """Sum of the samples named `sample` whose labels include `labels` (0 when none)."""
    family = next(name for name in families if sample.startswith(name))
    return sum(s.value for s in families[family]
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()))


def test_metrics_count_requests_answers_latency_index_and_limits(lexical):
    before = scrape(lexical.url)
    answers = [httpx.post(lexical.url + "/api/ask", json={"question": q}, timeout=60).json() for q in QUESTIONS]
    clause = answers[0]["citations"][0]["id"]
    assert httpx.get(f"{lexical.url}/api/clauses/{clause}").status_code == 200
    codes = [httpx.post(lexical.url + "/api/ask", json={"question": "上海产假"}).status_code for _ in range(3)]
    assert 429 in codes
    after = scrape(lexical.url)

    def delta(sample, **labels):
        return value(after, sample, **labels) - value(before, sample, **labels)

    asked = len(QUESTIONS) + codes.count(200)
    answered = sum(not a["abstained"] for a in answers)  # 上海 is not covered: those abstain
    assert delta("familydesk_answers_total") == asked
    assert delta("familydesk_answers_total", outcome="answered") == answered >= 1
    assert delta("familydesk_answers_total", outcome="abstained") == asked - answered
    uncovered = sum(a["reason"] == "uncovered_city" for a in answers) + codes.count(200)
    assert delta("familydesk_answers_total", outcome="abstained", reason="uncovered_city") == uncovered
    assert delta("familydesk_http_requests_total", route="/api/ask", method="POST", status="200") == asked
    assert delta("familydesk_http_requests_total", route="/api/ask", status="429") == codes.count(429)
    assert delta("familydesk_http_requests_total", route="/api/clauses/{clause_id}", status="200") == 1
    assert not any(clause in s.labels.get("route", "") for s in after["familydesk_http_requests"])
    assert delta("familydesk_rate_limited_total", limiter="familydesk-api") == codes.count(429)
    assert delta("familydesk_retrieval_seconds_count") >= asked and delta("familydesk_retrieval_seconds_sum") > 0
    assert delta("familydesk_answer_seconds_count") == asked
    assert "familydesk_llm_fallbacks" in after  # declared; counts only in LLM mode
    health = httpx.get(lexical.url + "/healthz").json()
    assert value(after, "familydesk_clauses_indexed") == health["clauses"] > 50
    assert value(after, "familydesk_documents_indexed") == health["documents"]
    assert time.time() - 3600 < value(after, "familydesk_last_reindex_timestamp_seconds") <= time.time()


def test_json_log_lines_carry_the_request_id_and_no_personal_data(lexical):
    buffer = io.StringIO()
    out, logger = handler("json", buffer), logging.getLogger("familydesk")
    logger.addHandler(out)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        question = "我的手机13812345678，包头三孩产假多少天"
        r = httpx.post(lexical.url + "/api/ask", json={"question": question},
                       headers={"X-Request-ID": "req-42", "X-Forwarded-For": "198.51.100.7"})  # a budget of its own
        generated = httpx.get(lexical.url + "/healthz").headers["X-Request-ID"]
    finally:
        logger.removeHandler(out)
        logger.setLevel(level)
    assert r.headers["X-Request-ID"] == "req-42" and len(generated) == 32
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    mine = [x for x in lines if x["request_id"] == "req-42"]
    assert {x["logger"] for x in mine} == {"familydesk.assistant", "familydesk.access"}  # the facade's line too
    access = [x for x in mine if x["logger"] == "familydesk.access"]
    assert len(access) == 1 and "route=/api/ask" in access[0]["message"] and "status=200" in access[0]["message"]
    assert "包头" not in access[0]["message"]  # the access line never carries the question
    assert "13812345678" not in buffer.getvalue()
