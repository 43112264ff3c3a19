"""Helpers the fixtures (tests/conftest.py), the tests and the benchmarks (bench/_common.py) share: a free
loopback port, waiting for a server to answer, uvicorn in a thread, and real processes (`familydesk`,
`chroma run`). One implementation of each."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready, *, proc: subprocess.Popen | None = None, timeout: float = 60.0, interval: float = 0.1,
               what: str = "the server") -> float:
    """Call `ready()` until it is true; fail early when `proc` has exited. Returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            log = getattr(proc, "log", None)
            raise RuntimeError(f"{what} exited ({proc.returncode})" + (f": {log.read_text()[-2000:]}" if log else ""))
        if ready():
            return time.monotonic() - start
        time.sleep(interval)
    raise RuntimeError(f"{what} was not ready within {timeout:.0f} s")


def answers_200(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_until_up(url: str, **options) -> float:
    """Wait until `url` answers 200 (options as `wait_until`). One client for all the polls: a client of its own
    per poll would load the CA bundle each time (tens of ms of CPU the starting server needs)."""
    with httpx.Client() as client:
        return wait_until(lambda: answers_200(client, url), **options)


class LiveServer:
    """An ASGI app served by uvicorn on a loopback port in a thread: real HTTP."""

    def __init__(self, app, port: int | None = None, timeout: float = 30) -> None:
        import uvicorn

        self.timeout = timeout
        self.url = f"http://127.0.0.1:{port or free_port()}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=int(self.url.rsplit(":", 1)[1]),
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        wait_until_up(self.url + "/healthz", timeout=self.timeout, what="the server")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def familydesk_cli(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run the installed `familydesk` command in a real process."""
    return subprocess.run([str(BIN / "familydesk"), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def serve_process(port: int, env: dict, log: Path | None = None) -> subprocess.Popen:
    """`familydesk serve --port PORT` in a process of its own; stderr to `log` (a pipe would fill and block)."""
    proc = subprocess.Popen([str(BIN / "familydesk"), "serve", "--port", str(port)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=log.open("w") if log else subprocess.DEVNULL)
    proc.log = log
    return proc


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """A real `chroma run` server on a loopback port, answering its heartbeat."""
    proc = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc=proc, interval=0.2, what="chroma run")
    except RuntimeError:
        proc.kill()
        raise
    return proc


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a process started here and wait for it."""
    proc.terminate()
    proc.wait(timeout=timeout)
