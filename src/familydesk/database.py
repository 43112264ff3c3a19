"""The one database the query log and the votes live in: SQLite by default, PostgreSQL for many replicas.

Unset FAMILYDESK_DATABASE_URL: one SQLite file per store under the data folder (`queries.sqlite3`,
`feedback.sqlite3`). `sqlite:////path/file.sqlite3`: one shared file for both (replicas on one host).
`postgresql+psycopg://user:password@host/db`: PostgreSQL through psycopg 3, for replicas on many hosts.

Tables are SQLAlchemy Core tables; `ensure_schema` creates them when missing and adds the columns a newer
version declares, idempotently, at start-up — several replicas starting at once included.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import Engine, MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from .errors import BadRequest

log = logging.getLogger(__name__)
SCHEMES = ("sqlite:///", "postgresql+psycopg://", "postgresql://", "postgres://")
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_SCHEMA_LOCK_KEY = 0x66616D69  # pg_advisory_xact_lock key: replicas creating the schema take turns


def resolve_url(url: str | None, data_dir: Path, default_file: str) -> str:
    """The SQLAlchemy URL for a store: FAMILYDESK_DATABASE_URL, or `<data_dir>/<default_file>` (SQLite)."""
    if not url:
        return f"sqlite:///{Path(data_dir) / default_file}"
    if not url.startswith(SCHEMES):
        scheme = url.split(":", 1)[0] if ":" in url else url[:20]
        raise BadRequest(f"FAMILYDESK_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:////path/file.sqlite3 "
                         "or postgresql+psycopg://user:password@host:5432/database")
    for plain in ("postgresql://", "postgres://"):  # psycopg 3 is the driver installed
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite:/// URL (None for a server database)."""
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per URL in this process, shared by the stores that use it."""
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _create(url)
        return _ENGINES[url]


def _create(url: str) -> Engine:
    path = sqlite_path(url)
    if path is None:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _wal(dbapi_connection, _record) -> None:  # readers never wait for the writer; several processes share it
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine


def ensure_schema(engine: Engine, metadata: MetaData) -> None:
    """Create the tables and indexes that are missing and add missing (nullable) columns; safe to run
    at every start and from several replicas at once."""
    for attempt in (1, 2, 3):
        try:
            with engine.begin() as con:
                if engine.dialect.name == "postgresql":
                    con.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
                metadata.create_all(con, checkfirst=True)
                for table in metadata.tables.values():
                    _add_missing_columns(con, table)
            return
        except SQLAlchemyError:  # another process created the same table between our check and our CREATE
            if attempt == 3:
                raise


def _add_missing_columns(con, table: Table) -> None:
    present = {c["name"] for c in inspect(con).get_columns(table.name)}
    for column in table.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=con.dialect)
            con.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            log.info("database: added column %s.%s", table.name, column.name)
