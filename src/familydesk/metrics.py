"""Prometheus metrics, served at `/metrics` (docs/operations.md lists them).

Every metric lives here; the facade counts answers and times retrieval, the web app counts requests
by route template, the rate limiter counts refusals, a load sets the index gauges. Counters are per
process: `familydesk serve` runs one process, so scrape every replica (docs/operations.md).
"""
from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter("familydesk_http_requests", "HTTP requests by route template, method and status",
                   ["route", "method", "status"])
ANSWERS = Counter("familydesk_answers", "Questions answered or abstained (reason: why it abstained; '' when answered)",
                  ["outcome", "reason", "mode"])
LLM_FALLBACKS = Counter("familydesk_llm_fallbacks", "Generative answers replaced by the extractive answer, by reason",
                        ["reason"])
RETRIEVAL_SECONDS = Histogram("familydesk_retrieval_seconds", "Time to rank the clauses for one question",
                              buckets=_LATENCY)
ANSWER_SECONDS = Histogram("familydesk_answer_seconds", "Time to answer one question (reading, retrieval, answer)",
                           ["mode"], buckets=_LATENCY)
CLAUSES = Gauge("familydesk_clauses_indexed", "Clauses in the live index")
DOCUMENTS = Gauge("familydesk_documents_indexed", "Documents in the live index")
LAST_RELOAD = Gauge("familydesk_last_reindex_timestamp_seconds", "Unix time the live index was (re)loaded")
LOAD_SECONDS = Gauge("familydesk_load_seconds", "Seconds the last (re)load of the knowledge base took")
RATE_LIMITED = Counter("familydesk_rate_limited", "Requests refused by a rate limit, by limiter", ["limiter"])


def answered(abstained: bool, reason: str | None, mode: str, fallback_reason: str | None, seconds: float) -> None:
    """Count one answer (any channel) and its latency."""
    ANSWERS.labels("abstained" if abstained else "answered", (reason or "") if abstained else "", mode).inc()
    ANSWER_SECONDS.labels(mode).observe(seconds)
    if fallback_reason:
        LLM_FALLBACKS.labels(fallback_reason).inc()


def loaded(documents: int, clauses: int, seconds: float) -> None:
    """A knowledge base went live."""
    DOCUMENTS.set(documents)
    CLAUSES.set(clauses)
    LOAD_SECONDS.set(seconds)
    LAST_RELOAD.set(time.time())


def exposition() -> tuple[bytes, str]:
    """The text format and its content type, for the /metrics route."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
