"""Shared fixtures: real parts (USE embeddings, embedded Chroma, uvicorn over HTTP) built once per
session in temporary folders, so tests never touch the developer's index/.chroma or data."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from familydesk import Assistant, Settings  # noqa: E402
from familydesk.settings import PROJECT_ROOT  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's FAMILYDESK_* environment or writes outside tmp."""
    for key in list(os.environ):
        if key.startswith("FAMILYDESK_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FAMILYDESK_CHROMA_DIR", str(tmp_path / "chroma"))
    monkeypatch.setenv("FAMILYDESK_DATA_DIR", str(tmp_path / "data"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def index_copy(tmp_path_factory) -> Path:
    """A private copy of index/ (sources, manifest, glossary) tests may modify."""
    target = tmp_path_factory.mktemp("index") / "index"
    shutil.copytree(PROJECT_ROOT / "index", target, ignore=shutil.ignore_patterns(".chroma"))
    return target


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(chroma_dir=tmp_path_factory.mktemp("chroma"), data_dir=tmp_path_factory.mktemp("data"),
                    rate_limit=0)


@pytest.fixture(scope="session")
def assistant(settings) -> Assistant:
    """The real thing: USE multilingual embeddings, embedded Chroma, the shipped knowledge base."""
    return Assistant(settings).load()


class LiveServer:
    def __init__(self, app, port: int) -> None:
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the test server did not become healthy")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live(assistant, settings):
    """The FastAPI app served by uvicorn on a loopback port, over real HTTP."""
    from familydesk.app import create_app

    with LiveServer(create_app(assistant, settings), free_port()) as server:
        yield server


def familydesk_cli(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run the installed `familydesk` command in a real process."""
    exe = Path(sys.executable).parent / "familydesk"
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout, env=full_env,
                          stdin=subprocess.DEVNULL)


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
                 "llm_rewrite", "fake", "index_copy", "settings",
                 "postgres_url"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
