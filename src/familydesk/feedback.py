"""👍 / 👎 on answers, kept in SQLite under the data folder — and no personal data.

A vote is stored against an answer id (a hash), never against the question: the id is derived from
the question after `privacy.redact`, the city and the answer text, so the same answer to the same
question collects its votes in one place. What the answer was (city, language, abstained, reason,
cited clause ids) is remembered in memory when it is streamed, so a vote can say which clauses
helped or did not, and only that goes to disk.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path

from .models import Answer
from .privacy import redact

VOTES = ("up", "down")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,          -- UTC, ISO 8601, seconds
    answer_id TEXT NOT NULL,        -- hash of (redacted question, city, answer text)
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question_hash TEXT,             -- sha256 of the redacted question, when the answer is known
    region TEXT,
    language TEXT,
    abstained INTEGER,
    reason TEXT,
    mode TEXT,
    citations TEXT                  -- cited clause ids, best first, comma-separated
)
"""


def question_hash(question: str) -> str:
    """A stable hash of the question with ID, phone, card numbers and e-mails redacted first."""
    return hashlib.sha256(redact(question).encode("utf-8")).hexdigest()[:32]


def answer_id(question: str, answer: Answer) -> str:
    """The id a page sends back with its vote: the redacted question, the city and the answer text."""
    key = "\x00".join((redact(question), answer.region or "", answer.answer))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class FeedbackStore:
    """Appends votes to `<data_dir>/feedback.sqlite3` (created on the first vote)."""

    def __init__(self, path: Path, remember: int = 2000) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._known: OrderedDict[str, dict] = OrderedDict()
        self._remember = remember

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "FeedbackStore":
        """The store every channel and the report share: `<data_dir>/feedback.sqlite3`."""
        return cls(Path(data_dir) / "feedback.sqlite3")

    def remember(self, question: str, answer: Answer) -> str:
        """Note what an answer was (no question text) and return its id for the page."""
        aid = answer_id(question, answer)
        meta = {"question_hash": question_hash(question), "region": answer.region, "language": answer.language,
                "abstained": int(answer.abstained), "reason": answer.reason, "mode": answer.mode,
                "citations": ",".join(c.id for c in answer.citations[:8])}
        with self._lock:
            self._known[aid] = meta
            self._known.move_to_end(aid)
            while len(self._known) > self._remember:
                self._known.popitem(last=False)
        return aid

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(_SCHEMA)
        return con

    def add(self, answer_id: str, vote: str) -> dict:
        """Store one vote; returns what was stored (`known` says whether the answer was seen)."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}")
        with self._lock:
            meta = self._known.get(answer_id, {})
        row = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "answer_id": answer_id,
               "vote": vote, **{k: meta.get(k) for k in ("question_hash", "region", "language", "abstained",
                                                          "reason", "mode", "citations")}}
        with self._lock, self._connect() as con:
            con.execute(f"INSERT INTO feedback ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                        tuple(row.values()))
        con.close()
        return {**row, "known": bool(meta)}

    def counts(self) -> dict[str, int]:
        """Votes so far, by kind (0 when nothing has been stored yet)."""
        if not self.path.exists():
            return {v: 0 for v in VOTES}
        with self._lock:
            con = self._connect()
            try:
                found = dict(con.execute("SELECT vote, COUNT(*) FROM feedback GROUP BY vote").fetchall())
            finally:
                con.close()
        return {v: found.get(v, 0) for v in VOTES}
