"""The query log: what was asked (redacted), where it went, and what the documents could not answer.

Maintainers read it through `familydesk report` / `GET /api/admin/report` to see what the knowledge
base lacks. Questions pass through `privacy.redact` before they are stored; rows older than the
retention period are deleted. SQLite under FAMILYDESK_DATA_DIR by default; FAMILYDESK_DATABASE_URL
points several replicas at one shared SQLite file or at PostgreSQL (database.py).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (Column, Float, Index, Integer, MetaData, String, Table, Text, delete, desc, func, insert,
                        select)
from sqlalchemy.exc import SQLAlchemyError

from .database import engine_for, ensure_schema, resolve_url
from .models import Answer
from .privacy import redact

log = logging.getLogger(__name__)

METADATA = MetaData()
QUERIES = Table(
    "queries", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", String(32), nullable=False),  # UTC, ISO 8601 (sorts as text)
    Column("question", Text, nullable=False),  # redacted: no ID, phone, card numbers or e-mail addresses
    Column("region", Text),
    Column("language", String(8)),
    Column("abstained", Integer, nullable=False),
    Column("reason", Text),
    Column("clause", Text),  # the first cited clause id
    Column("mode", String(32)),
    Column("latency_ms", Float),
    Index("queries_created", "created"),
    sqlite_autoincrement=True,
)
PURGE_EVERY = 500  # rows written between retention sweeps


def database_url(url: str | None, data_dir: Path) -> str:
    """FAMILYDESK_DATABASE_URL, or `<data_dir>/queries.sqlite3`; an unsupported scheme is refused."""
    return resolve_url(url, data_dir, "queries.sqlite3")


class QueryLog:
    """Append-only log with a retention sweep; every write is one short transaction."""

    def __init__(self, url: str, retention_days: int = 90) -> None:
        self.url, self.retention_days = url, retention_days
        self.engine = engine_for(url)
        self._lock = threading.Lock()
        self._writes = 0
        self._schema_ready = False
        self._schema()

    def _schema(self) -> bool:
        """Create or upgrade the table once; a database that is down now is retried on the next write."""
        if not self._schema_ready:
            try:
                ensure_schema(self.engine, METADATA)
                self._schema_ready = True
            except SQLAlchemyError as e:
                log.warning("query log: cannot prepare the database (%s); retrying on the next question",
                            type(e).__name__)
        return self._schema_ready

    def record(self, question: str, answer: Answer, latency_s: float) -> None:
        """Log one answered (or abstained) question; a storage failure never fails the answer."""
        row = {"created": _now(), "question": redact(question)[:1000], "region": answer.region,
               "language": answer.language, "abstained": int(answer.abstained), "reason": answer.reason,
               "clause": answer.citations[0].id if answer.citations else None, "mode": answer.mode,
               "latency_ms": round(latency_s * 1000, 1)}
        try:
            if not self._schema():
                return
            with self._lock:
                self._writes += 1
                sweep = self._writes % PURGE_EVERY == 1
            with self.engine.begin() as con:
                con.execute(insert(QUERIES), row)
                if sweep:
                    self._purge(con)
        except SQLAlchemyError as e:
            log.warning("query log write failed: %s", type(e).__name__)

    def _purge(self, con) -> int:
        if self.retention_days <= 0:
            return 0
        cutoff = _now(datetime.now(timezone.utc) - timedelta(days=self.retention_days))
        return con.execute(delete(QUERIES).where(QUERIES.c.created < cutoff)).rowcount

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many."""
        with self.engine.begin() as con:
            return self._purge(con)

    def count(self) -> int:
        """Rows in the log."""
        with self.engine.connect() as con:
            return con.execute(select(func.count()).select_from(QUERIES)).scalar_one()

    def report(self, limit: int = 20) -> dict:
        """The most frequent unanswered questions, and totals by outcome."""
        t, q = time.perf_counter(), QUERIES.c
        n, last, outcome = func.count().label("n"), func.max(q.created), func.coalesce(q.reason, "answered")
        with self.engine.connect() as con:
            unanswered = con.execute(
                select(q.question, q.reason, func.max(q.region), n, last).where(q.abstained == 1)
                .group_by(q.question, q.reason).order_by(desc(n), desc(last)).limit(limit)).all()
            totals = con.execute(select(func.count(), func.sum(q.abstained), func.avg(q.latency_ms))).one()
            reasons = con.execute(select(outcome, func.count()).group_by(outcome)).all()
        return {
            "questions": totals[0] or 0, "abstained": int(totals[1] or 0),
            "mean_latency_ms": round(float(totals[2] or 0.0), 1),
            "by_outcome": {r: c for r, c in reasons},
            "unanswered": [{"question": qu, "reason": r, "region": reg, "count": c, "last": la}
                           for qu, r, reg, c, la in unanswered],
            "report_ms": round((time.perf_counter() - t) * 1000, 1),
        }


def _now(at: datetime | None = None) -> str:
    return (at or datetime.now(timezone.utc)).isoformat(timespec="seconds")
