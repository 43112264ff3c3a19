"""The query log: what was asked (redacted), where it went, and what the documents could not answer.

Maintainers read it through `familydesk report` / `GET /api/admin/report` to see what the knowledge
base lacks. Questions pass through `privacy.redact` before they are stored; rows older than the
retention period are deleted. SQLite under FAMILYDESK_DATA_DIR by default; FAMILYDESK_DATABASE_URL
(`sqlite:////path/to/file.sqlite3`) points several replicas at one shared file.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import BadRequest
from .models import Answer
from .privacy import redact

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,           -- UTC, ISO 8601
    question TEXT NOT NULL,          -- redacted: no ID, phone, card numbers or e-mail addresses
    region TEXT,
    language TEXT,
    abstained INTEGER NOT NULL,
    reason TEXT,
    clause TEXT,                     -- the first cited clause id
    mode TEXT,
    latency_ms REAL
);
CREATE INDEX IF NOT EXISTS queries_created ON queries (created);
"""
PURGE_EVERY = 500  # rows written between retention sweeps


def database_path(url: str | None, data_dir: Path) -> Path:
    """`sqlite:////abs/path`, `sqlite:///rel/path` or unset (→ <data_dir>/queries.sqlite3)."""
    if not url:
        return Path(data_dir) / "queries.sqlite3"
    if not url.startswith("sqlite:///"):
        raise BadRequest(f"FAMILYDESK_DATABASE_URL={url!r}: only sqlite:/// URLs are supported")
    return Path(url[len("sqlite:///"):])


class QueryLog:
    """Append-only log with a retention sweep; every write is one short transaction."""

    def __init__(self, path: Path, retention_days: int = 90) -> None:
        self.path, self.retention_days = Path(path), retention_days
        self._lock = threading.Lock()
        self._writes = 0
        self._con: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        """One connection, opened on first use and shared under the lock (WAL: readers never wait)."""
        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_SCHEMA)
            self._con = con
        return self._con

    def record(self, question: str, answer: Answer, latency_s: float) -> None:
        """Log one answered (or abstained) question; a storage failure never fails the answer."""
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), redact(question)[:1000], answer.region,
               answer.language, int(answer.abstained), answer.reason,
               answer.citations[0].id if answer.citations else None, answer.mode, round(latency_s * 1000, 1))
        try:
            with self._lock:
                con = self._connect()
                with con:
                    con.execute("INSERT INTO queries (created, question, region, language, abstained, reason, "
                                "clause, mode, latency_ms) VALUES (?,?,?,?,?,?,?,?,?)", row)
                    self._writes += 1
                    if self._writes % PURGE_EVERY == 1:
                        self._purge(con)
        except sqlite3.Error as e:
            log.warning("query log write failed: %s", type(e).__name__)

    def _purge(self, con: sqlite3.Connection) -> int:
        if self.retention_days <= 0:
            return 0
        cutoff = (datetime.now(timezone.utc) - timedelta(days=self.retention_days)).isoformat(timespec="seconds")
        return con.execute("DELETE FROM queries WHERE created < ?", (cutoff,)).rowcount

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many."""
        with self._lock:
            con = self._connect()
            with con:
                n = self._purge(con)
        return n

    def report(self, limit: int = 20) -> dict:
        """The most frequent unanswered questions, and totals by outcome."""
        t = time.perf_counter()
        with self._lock:
            con = self._connect()
            unanswered = con.execute(
                "SELECT question, reason, region, COUNT(*) AS n, MAX(created) FROM queries WHERE abstained = 1 "
                "GROUP BY question, reason ORDER BY n DESC, MAX(created) DESC LIMIT ?", (limit,)).fetchall()
            totals = con.execute("SELECT COUNT(*), SUM(abstained), AVG(latency_ms) FROM queries").fetchone()
            reasons = con.execute("SELECT COALESCE(reason, 'answered'), COUNT(*) FROM queries GROUP BY 1").fetchall()
        return {
            "questions": totals[0] or 0, "abstained": int(totals[1] or 0),
            "mean_latency_ms": round(totals[2] or 0.0, 1),
            "by_outcome": dict(reasons),
            "unanswered": [{"question": q, "reason": r, "region": reg, "count": n, "last": last}
                           for q, r, reg, n, last in unanswered],
            "report_ms": round((time.perf_counter() - t) * 1000, 1),
        }
