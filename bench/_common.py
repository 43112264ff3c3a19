"""What the benchmarks share with the tests, implemented once in tests/helpers.py: a free loopback port,
waiting for a server, uvicorn in a thread, `familydesk serve` in a process, the venv's bin folder. Importing this module also puts
the project's src/ first on the path, as every benchmark needs."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from tests.helpers import BIN, LiveServer, free_port, serve_process, stop, wait_until_up  # noqa: E402

__all__ = ["BIN", "ROOT", "LiveServer", "free_port", "serve_process", "stop", "wait_until_up"]
