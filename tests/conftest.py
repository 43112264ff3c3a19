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


# Fixtures that load a model or start a server: a test using one is `slow`; `make test-fast` skips them.
SLOW_FIXTURES = {"assistant", "live", "bot", "browser", "open_page", "web", "v1", "mcp_http", "redis_url", "llm",
                 "llm_rewrite", "fake", "index_copy", "settings"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
