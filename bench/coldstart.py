"""Cold start of `familydesk serve`: seconds from launching the process to a healthy /healthz, with the
index already built.

    .venv/bin/python bench/coldstart.py [--runs 3] [--embedding use]
    .venv/bin/python bench/coldstart.py --clauses 100000 --embedding hash [--runs 3] [--seed 7] [--per-doc 50]
                                [--folder DIR]

Without --clauses: the shipped knowledge base (index/); a first, unmeasured start builds the index in a
temporary Chroma folder. With --clauses N: a synthetic knowledge base of N clauses is written to a temporary
index folder (FAMILYDESK_INDEX_DIR) — the manifest, one source file per document of --per-doc clauses (one
`第N条` line per clause), and index/'s other files (glossaries, place names) — from bench/growth.py's seeded
recipe; `familydesk index` builds it (timed: `build_s`), then the starts are measured on it. That start is a
whole one: parsing every source file, the manifest, opening the Chroma store (one window per sentence, as
served) and checking it against the sources, loading the saved BM25, the warm-up. `--embedding hash` (no
model, 256 dimensions) keeps a 100k build to minutes on two cores; `use` (512 dimensions) embeds ~7 ms per
window here, `none` skips the dense store.

Prints one JSON line per start ({"cold_start_s", "load_seconds"}: the whole start, and the knowledge-base
load inside it as /healthz reports it); the first start after the build is printed apart (`first_start`,
not in the median; it may still write the dictionaries' caches). Then the median. The temporary folder is
deleted at the end; with --folder it is kept, and a later run with the same --folder and --clauses measures the
same built knowledge base again.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import BIN, ROOT, free_port, serve_process, stop, wait_until_up  # noqa: E402

DIGITS = "零一二三四五六七八九"


def start(env: dict) -> dict:
    """Launch a server, wait for /healthz, stop it; its start-up figures."""
    port = free_port()
    t0 = time.perf_counter()
    proc = serve_process(port, env)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", proc=proc, timeout=600, interval=0.05)
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
        return {"cold_start_s": round(time.perf_counter() - t0, 2), "load_seconds": health["load_seconds"],
                "clauses": health["clauses"], "vectors": health["vectors"]}
    finally:
        stop(proc)


def chinese_numeral(n: int) -> str:
    """1–99 as an article number is written: 一, 十, 十一, 二十, 二十一."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else DIGITS[tens]) + "十" if tens else "") + (DIGITS[ones] if ones else "")


def write_knowledge_base(index_dir: Path, clauses: int, seed: int, per_doc: int) -> None:
    """index/ without its documents, then bench/growth.py's synthetic corpus as source files and a manifest."""
    from growth import synthetic_corpus

    from familydesk.corpus import write_manifest

    shutil.copytree(ROOT / "index", index_dir, ignore=shutil.ignore_patterns("sources", "manifest.json", ".*"))
    corpus = synthetic_corpus(clauses, seed, per_doc)
    (index_dir / "sources").mkdir()
    entries = []
    for doc_id, doc in corpus.documents.items():
        lines = [f"第{chinese_numeral(c.ordinal)}条　" + c.text.replace("\n", "") for c in corpus.parsed[doc_id].clauses]
        (index_dir / "sources" / f"{doc_id}.txt").write_text(f"# {doc.title}\n\n" + "\n\n".join(lines) + "\n",
                                                             encoding="utf-8")
        entries.append({"id": doc_id, "file": f"sources/{doc_id}.txt", "title": doc.title, "issuer": doc.issuer,
                        "number": None, "date": doc.date, "city": doc.city, "authority": "official"})
    write_manifest(index_dir, entries)


def build(env: dict) -> float:
    """`familydesk index` on the synthetic knowledge base; its seconds."""
    t = time.perf_counter()
    subprocess.run([str(BIN / "familydesk"), "index"], env=env, check=True, stdin=subprocess.DEVNULL)
    return round(time.perf_counter() - t, 1)


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def measure(folder: Path, args) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "FAMILYDESK_RATE_LIMIT": "0",
           "FAMILYDESK_EMBEDDING": args.embedding, "FAMILYDESK_CHROMA_DIR": str(folder / "chroma"),
           "FAMILYDESK_DATA_DIR": str(folder / "data"), "FAMILYDESK_LOG_LEVEL": "WARNING"}
    if args.clauses:
        env.update(FAMILYDESK_INDEX_DIR=str(folder / "index"), FAMILYDESK_CALIBRATION_SETS="")
    if args.clauses and not (folder / "index").exists():
        t = time.perf_counter()
        write_knowledge_base(folder / "index", args.clauses, args.seed, args.per_doc)
        print(json.dumps({"written_s": round(time.perf_counter() - t, 1), "sources_mb": dir_mb(folder / "index")}),
              flush=True)
        print(json.dumps({"build_s": build(env), "chroma_mb": dir_mb(folder / "chroma")}), flush=True)
    print(json.dumps({"first_start": start(env)}), flush=True)
    runs = [start(env) for _ in range(args.runs)]
    for r in runs:
        print(json.dumps(r), flush=True)
    print(json.dumps({"median_cold_start_s": statistics.median(r["cold_start_s"] for r in runs),
                      "median_load_seconds": statistics.median(r["load_seconds"] for r in runs)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="measured starts after the first one")
    ap.add_argument("--embedding", default="use", help="FAMILYDESK_EMBEDDING of the build and the server "
                                                       "(use, hash, none, sentence-transformers)")
    ap.add_argument("--clauses", type=int, default=0,
                    help="a synthetic knowledge base of this many clauses instead of the shipped one (0: shipped)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the synthetic corpus (with --clauses)")
    ap.add_argument("--per-doc", type=int, default=50, choices=range(1, 100), metavar="1-99",
                    help="clauses per synthetic document (with --clauses)")
    ap.add_argument("--folder", type=Path, default=None,
                    help="work in this folder and keep it (a knowledge base already written and built there is "
                         "reused: measure again without building); default a temporary folder, deleted at the end")
    args = ap.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="familydesk-coldstart-"))
    try:
        measure(folder, args)
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
