"""Latency and throughput of POST /api/ask against a real `familydesk serve` process.

    .venv/bin/python bench/latency.py [--rounds 3] [--concurrency 1,8,32] [--chroma-url URL]

Questions: the hand-written dev set (zh and en mixed, answerable and out of scope). Starts the server
itself (FAMILYDESK_RATE_LIMIT=0), measures cold start to a healthy /healthz, then sequential latency
(p50/p95) and, per concurrency level, throughput. Prints a JSON report and a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import ROOT, free_port, serve_process, stop, wait_until_up

QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"


def ask(url: str, q: str) -> float:
    req = urllib.request.Request(url + "/api/ask", data=json.dumps({"question": q}).encode(),
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()
        if r.status != 200:
            raise RuntimeError(r.status)
    return time.perf_counter() - t


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p * (len(s) - 1)))] * 1000


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--chroma-url", default=None)
    args = ap.parse_args()
    questions = [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    port = free_port()
    env = {"FAMILYDESK_RATE_LIMIT": "0"}
    if args.chroma_url:
        env["FAMILYDESK_CHROMA_URL"] = args.chroma_url
    t0 = time.perf_counter()
    proc = serve_process(port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", proc=proc, timeout=120, interval=0.05, what="familydesk serve")
        cold = time.perf_counter() - t0
        for q in questions[:10]:  # warm the caches of the process, not of the questions
            ask(url, q + " ")
        seq = [ask(url, q) for _ in range(args.rounds) for q in questions]
        report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "mode": "server" if args.chroma_url else "embedded",
                  "cold_start_s": round(cold, 2), "questions": len(questions),
                  "sequential": {"n": len(seq), "p50_ms": round(pct(seq, 0.5), 1), "p95_ms": round(pct(seq, 0.95), 1),
                                 "mean_ms": round(statistics.mean(seq) * 1000, 1)},
                  "concurrency": []}
        for c in [int(x) for x in args.concurrency.split(",")]:
            work = questions * max(1, (600 // len(questions)) + 1)
            work = work[:600]
            errors = 0
            t = time.perf_counter()
            with ThreadPoolExecutor(c) as pool:
                futures = [pool.submit(ask, url, q) for q in work]
                lat = []
                for f in futures:
                    try:
                        lat.append(f.result())
                    except Exception:  # noqa: BLE001
                        errors += 1
            wall = time.perf_counter() - t
            report["concurrency"].append({"c": c, "n": len(work), "errors": errors,
                                          "answers_per_s": round(len(lat) / wall, 1),
                                          "p50_ms": round(pct(lat, 0.5), 1), "p95_ms": round(pct(lat, 0.95), 1)})
        report["peak_rss_mb"] = round(rss_mb(proc.pid), 1)
    finally:
        stop(proc)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print("\n| concurrency | requests | errors | answers/s | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
    for r in report["concurrency"]:
        print(f"| {r['c']} | {r['n']} | {r['errors']} | {r['answers_per_s']} | {r['p50_ms']} | {r['p95_ms']} |")


if __name__ == "__main__":
    main()
