"""Cold start of `familydesk serve`: seconds from launching the process to a healthy /healthz, with the
index already built (a first, unmeasured run builds it in a temporary Chroma folder).

    .venv/bin/python bench/coldstart.py [--runs 3] [--embedding use]

Prints one JSON line per run ({"cold_start_s", "load_seconds"}: the whole start, and the knowledge-base
load inside it as /healthz reports it), then the median.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, free_port, serve_process, stop, wait_until_up  # noqa: E402


def start(env: dict) -> dict:
    """Launch a server, wait for /healthz, stop it; its start-up figures."""
    port = free_port()
    t0 = time.perf_counter()
    proc = serve_process(port, env)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", proc=proc, timeout=300, interval=0.05)
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
        return {"cold_start_s": round(time.perf_counter() - t0, 2), "load_seconds": health["load_seconds"]}
    finally:
        stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="measured starts after the one that builds the index")
    ap.add_argument("--embedding", default="use", help="FAMILYDESK_EMBEDDING of the server")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="familydesk-coldstart-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "FAMILYDESK_RATE_LIMIT": "0",
           "FAMILYDESK_EMBEDDING": args.embedding, "FAMILYDESK_CHROMA_DIR": str(folder / "chroma"),
           "FAMILYDESK_DATA_DIR": str(folder / "data"), "FAMILYDESK_LOG_LEVEL": "WARNING"}
    print(json.dumps({"build_run": start(env)}), flush=True)
    runs = [start(env) for _ in range(args.runs)]
    for r in runs:
        print(json.dumps(r), flush=True)
    print(json.dumps({"median_cold_start_s": statistics.median(r["cold_start_s"] for r in runs),
                      "median_load_seconds": statistics.median(r["load_seconds"] for r in runs)}))


if __name__ == "__main__":
    main()
