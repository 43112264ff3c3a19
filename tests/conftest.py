"""Shared fixtures, built once per session in temporary folders, so tests never touch the developer's
index/.chroma or data.

- `assistant` and `live`: the real thing (USE embeddings, embedded Chroma, uvicorn over HTTP), for the tests
  of retrieval and answer quality and one real-socket test per channel (marked `model`).
- `hashed` and `make_client`: the same knowledge base indexed with the `hash` embedder (no model) and the
  app driven in process (no socket), for the tests of plumbing: contracts, errors, limits, admin, stores.
- Every test runs with FAMILYDESK_EMBEDDING=hash, so an `Assistant(Settings())` a test builds, and every
  `familydesk` process it starts, embeds without a model unless the test asks for one.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from familydesk import Assistant, Settings  # noqa: E402
from familydesk.settings import PROJECT_ROOT  # noqa: E402

from .helpers import LiveServer, free_port, start_chroma, stop  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's FAMILYDESK_* environment or writes outside tmp; no model unless asked."""
    for key in list(os.environ):
        if key.startswith("FAMILYDESK_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FAMILYDESK_CHROMA_DIR", str(tmp_path / "chroma"))
    monkeypatch.setenv("FAMILYDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FAMILYDESK_EMBEDDING", "hash")


@pytest.fixture(scope="session")
def index_copy(tmp_path_factory) -> Path:
    """A private copy of index/ (sources, manifest, glossary) tests may modify."""
    target = tmp_path_factory.mktemp("index") / "index"
    shutil.copytree(PROJECT_ROOT / "index", target, ignore=shutil.ignore_patterns(".chroma"))
    return target


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """The real model's settings (session fixtures are built before the per-test environment: all explicit)."""
    return Settings(embedding="use", chroma_dir=tmp_path_factory.mktemp("chroma"),
                    data_dir=tmp_path_factory.mktemp("data"), rate_limit=0)


@pytest.fixture(scope="session")
def assistant(settings) -> Assistant:
    """The real thing: USE multilingual embeddings, embedded Chroma, the shipped knowledge base."""
    return Assistant(settings).load()


@pytest.fixture(scope="session")
def hashed(tmp_path_factory) -> Assistant:
    """The shipped knowledge base indexed with the `hash` embedder: everything but the model."""
    return Assistant(Settings(embedding="hash", chroma_dir=tmp_path_factory.mktemp("chroma-hash"),
                              data_dir=tmp_path_factory.mktemp("data-hash"), rate_limit=0)).load()


def sharing(base: Assistant, **overrides) -> tuple[Assistant, Settings]:
    """An Assistant on `base`'s index and embedder (nothing embedded again) with other settings."""
    checked = Settings(**overrides)  # validated (a token becomes a SecretStr), then laid over the base's
    settings = base.settings.model_copy(update={name: getattr(checked, name) for name in overrides})
    own = Assistant(settings, embeddings=base.embeddings, embedding_fingerprint=base.embedding_fingerprint)
    return own.load(), settings


@pytest.fixture
def make_client(hashed, tmp_path):
    """make_client(assistant=None, **settings) → a TestClient on the whole app in process (no socket). The app's
    Assistant shares `assistant`'s index and embedder (default: `hashed`) and has a data folder of its own."""
    from fastapi.testclient import TestClient

    from familydesk.app import create_app

    opened = []

    def make(assistant: Assistant | None = None, **overrides) -> TestClient:
        own, settings = sharing(assistant or hashed, **{"rate_limit": 0, "data_dir": tmp_path / f"app{len(opened)}",
                                                        **overrides})
        client = TestClient(create_app(own, settings)).__enter__()
        client.data_dir = settings.data_dir
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def live(assistant, settings):
    """The FastAPI app served by uvicorn on a loopback port, over real HTTP."""
    from familydesk.app import create_app

    with LiveServer(create_app(assistant, settings)) as server:
        yield server


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a loopback port (its URL)."""
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def _postgres_bin() -> Path | None:
    """Debian's PostgreSQL server binaries (package `postgresql`), the newest version installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user Debian's package
    creates (else `nobody`)."""
    if os.geteuid() != 0:
        return args
    import pwd

    try:
        pwd.getpwnam("postgres")
        user = "postgres"
    except KeyError:
        user = "nobody"
    return ["runuser", "-u", user, "--", *args]


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server from Debian's package, in a temp folder, on a free loopback port; the
    tests get a `postgresql+psycopg://` URL. Missing binaries skip the tests, except under CI."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        message = "PostgreSQL is missing: `make setup-servers` installs Debian's postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="familydesk-pg-"))  # under /tmp: the server user can reach it
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam(_as_server_user(["x"])[2])
        os.chown(folder, entry.pw_uid, entry.pw_gid)

    def run(*args: str) -> None:
        r = subprocess.run(_as_server_user([str(bin_dir / args[0]), *args[1:]]), capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        if r.returncode:
            raise RuntimeError(f"{args[0]} failed: {r.stderr or r.stdout}")

    run("initdb", "-D", str(data), "-U", "familydesk", "--auth=trust", "--encoding=UTF8", "--no-sync")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "-t", "60", "start")
    try:
        yield f"postgresql+psycopg://familydesk@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


# Fixtures that load a model or start a server: a test using one is `slow`; `make test-fast` skips them.
SLOW_FIXTURES = {"assistant", "live", "bot", "browser", "open_page", "web", "v1", "mcp_http", "redis_url", "llm",
                 "llm_rewrite", "fake", "index_copy", "settings", "hashed", "make_client", "chroma_server",
                 "postgres_url"}
# Fixtures that load the USE model: `-m "not model"` runs everything else.
MODEL_FIXTURES = {"assistant", "settings"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & used or item.get_closest_marker("slow") or item.get_closest_marker("model"):
            item.add_marker(pytest.mark.slow)
        if MODEL_FIXTURES & used:
            item.add_marker(pytest.mark.model)
