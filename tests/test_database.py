"""The query log and the votes through SQLAlchemy Core, on SQLite and on a real PostgreSQL (started in a
temp folder by the `postgres_url` fixture): the same tests on both, two `familydesk serve` replicas writing
to one database under concurrent load included."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import (
    Column,
    MetaData,
    Table,
    create_engine,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)

from familydesk.errors import BadRequest
from familydesk.feedback import FEEDBACK, FeedbackStore
from familydesk.models import Answer
from familydesk.querylog import QUERIES, QueryLog, database_url

from .helpers import free_port, serve_process, stop, wait_until_up

pytestmark = pytest.mark.slow  # real servers and processes


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    server = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def _answer(abstained: bool = True, reason: str | None = "figure_not_stated") -> Answer:
    return Answer("x", abstained, "北京", [], "zh", reason)


def _rows(url: str, table) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as con:
        rows = [dict(r._mapping) for r in con.execute(select(table).order_by(table.c.id))]
    engine.dispose()
    return rows


def test_questions_are_stored_redacted_and_reported(db_url):
    log = QueryLog(db_url)
    log.record("我的手机13812345678，北京产假多少天", _answer(), 0.01)
    log.record("北京产假多少天", _answer(), 0.02)
    log.record("包头三孩产假", _answer(False, None), 0.03)
    stored = [r["question"] for r in _rows(db_url, QUERIES)]
    assert "13812345678" not in "".join(stored) and "[手机号]" in stored[0]
    report = log.report()
    assert report["questions"] == 3 and report["abstained"] == 2
    assert report["by_outcome"] == {"answered": 1, "figure_not_stated": 2}
    assert report["unanswered"][0]["region"] == "北京" and report["mean_latency_ms"] == 20.0


def test_retention_deletes_old_rows(db_url):
    log = QueryLog(db_url, retention_days=30)
    log.record("北京产假", _answer(), 0.01)
    old = (datetime.now(timezone.utc) - timedelta(days=31)).isoformat(timespec="seconds")
    with log.engine.begin() as con:
        con.execute(update(QUERIES).values(created=old))
    log.record("北京产假", _answer(), 0.01)
    assert log.purge() == 1 and log.count() == 1


def test_schema_is_created_and_upgraded_idempotently(db_url):
    engine = create_engine(db_url)
    keep = [Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in QUERIES.columns
            if c.name not in ("mode", "latency_ms")]
    older = Table("queries", MetaData(), *keep)  # a log written by a version without these two columns
    older.create(engine)
    with engine.begin() as con:
        con.execute(insert(older), {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                    "question": "旧问题", "abstained": 1})
    QueryLog(db_url)
    log = QueryLog(db_url)  # a second start changes nothing
    columns = {c["name"] for c in inspect(engine).get_columns("queries")}
    engine.dispose()
    assert {"mode", "latency_ms"} <= columns
    log.record("北京产假", _answer(), 0.01)
    assert [r["question"] for r in _rows(db_url, QUERIES)] == ["旧问题", "北京产假"]


def test_votes_go_to_the_same_database(db_url):
    votes = FeedbackStore(db_url)
    aid = votes.remember("我的手机13812345678，包头产假", _answer(False, None))
    assert votes.add(aid, "up")["known"] and not votes.add("unknown", "down")["known"]
    assert votes.counts() == {"up": 1, "down": 1}
    assert [r["vote"] for r in _rows(db_url, FEEDBACK)] == ["up", "down"]
    assert "13812345678" not in repr(_rows(db_url, FEEDBACK))


def test_unsupported_database_urls_are_refused_clearly(tmp_path):
    for url in ("mysql://db/familydesk", "queries.sqlite3"):
        with pytest.raises(BadRequest, match="unsupported scheme.*postgresql\\+psycopg://"):
            database_url(url, tmp_path)
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'queries.sqlite3'}"
    assert database_url("postgresql://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"


def test_two_replicas_lose_no_row_under_concurrent_load(db_url, tmp_path):
    env = {"FAMILYDESK_EMBEDDING": "none", "FAMILYDESK_RATE_LIMIT": "0", "FAMILYDESK_DATABASE_URL": db_url,
           "FAMILYDESK_CHROMA_DIR": str(tmp_path / "chroma"), "FAMILYDESK_LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    replicas = [serve_process(p, {**env, "FAMILYDESK_DATA_DIR": str(tmp_path / f"data-{p}")}, tmp_path / f"replica-{p}.log")
                for p in ports]
    questions = ["包头三孩产假多少天", "北京的育儿补贴怎么领", "What is the maternity leave in Harbin?", "上海产假"] * 15
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base, proc in zip(bases, replicas):
            wait_until_up(base + "/healthz", proc=proc, timeout=120, interval=0.2, what="a replica")

        http = httpx.Client(timeout=60)  # one client: a client per request loads the CA bundle each time

        def ask(i: int) -> int:
            return http.post(bases[i % 2] + "/api/ask", json={"question": questions[i]}).status_code

        with http, ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(ask, range(len(questions))))
    finally:
        for proc in replicas:
            stop(proc)
    assert codes == [200] * len(questions)
    engine = create_engine(db_url)
    with engine.connect() as con:
        stored = con.execute(select(func.count()).select_from(QUERIES)).scalar_one()
    engine.dispose()
    assert stored == len(questions)
