"""👍 / 👎 on answers, kept in the database (database.py) — and no personal data.

A vote is stored against an answer id (a hash), never against the question: the id is derived from
the question after `privacy.redact`, the city and the answer text, so the same answer to the same
question collects its votes in one place. What the answer was (city, language, abstained, reason,
cited clause ids) is remembered in memory when it is streamed, so a vote can say which clauses
helped or did not, and only that goes to disk.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table, Text, func, insert, select

from .database import engine_for, ensure_schema, resolve_url
from .models import Answer
from .privacy import redact

VOTES = ("up", "down")
METADATA = MetaData()
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", String(32), nullable=False),  # UTC, ISO 8601, seconds
    Column("answer_id", String(64), nullable=False),  # hash of (redacted question, city, answer text)
    Column("vote", String(8), CheckConstraint("vote IN ('up', 'down')"), nullable=False),
    Column("question_hash", String(64)),  # sha256 of the redacted question, when the answer is known
    Column("region", Text),
    Column("language", String(8)),
    Column("abstained", Integer),
    Column("reason", Text),
    Column("mode", String(32)),
    Column("citations", Text),  # cited clause ids, best first, comma-separated
    sqlite_autoincrement=True,
)


def question_hash(question: str) -> str:
    """A stable hash of the question with ID, phone, card numbers and e-mails redacted first."""
    return hashlib.sha256(redact(question).encode("utf-8")).hexdigest()[:32]


def answer_id(question: str, answer: Answer) -> str:
    """The id a page sends back with its vote: the redacted question, the city and the answer text."""
    key = "\x00".join((redact(question), answer.region or "", answer.answer))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class FeedbackStore:
    """Appends votes to the database: `<data_dir>/feedback.sqlite3` by default, or the query log's
    database when FAMILYDESK_DATABASE_URL is set (the table is created on first use)."""

    def __init__(self, url: str, remember: int = 2000) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._known: OrderedDict[str, dict] = OrderedDict()
        self._remember = remember
        self._engine = None

    @classmethod
    def for_settings(cls, database_url: str | None, data_dir: Path) -> "FeedbackStore":
        """The store every channel and the report share."""
        return cls(resolve_url(database_url, data_dir, "feedback.sqlite3"))

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

    @property
    def engine(self):
        if self._engine is None:
            engine = engine_for(self.url)
            ensure_schema(engine, METADATA)
            self._engine = engine
        return self._engine

    def add(self, answer_id: str, vote: str) -> dict:
        """Store one vote; returns what was stored (`known` says whether the answer was seen)."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}")
        with self._lock:
            meta = self._known.get(answer_id, {})
        row = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "answer_id": answer_id,
               "vote": vote, **{k: meta.get(k) for k in ("question_hash", "region", "language", "abstained",
                                                          "reason", "mode", "citations")}}
        with self.engine.begin() as con:
            con.execute(insert(FEEDBACK), row)
        return {**row, "known": bool(meta)}

    def counts(self) -> dict[str, int]:
        """Votes so far, by kind (0 when nothing has been stored yet)."""
        with self.engine.connect() as con:
            found = dict(con.execute(select(FEEDBACK.c.vote, func.count()).group_by(FEEDBACK.c.vote)).all())
        return {v: found.get(v, 0) for v in VOTES}
