"""Cost of adding documents: reading + parsing + metadata per file, and a whole folder through the facade.

    .venv/bin/python bench/ingest.py [DIR]     (default ../shared/corpus-wild)

Works on a private copy of index/ in a temporary folder (the shipped knowledge base is untouched).
Prints a JSON report and a Markdown table for docs/benchmarks.md.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from familydesk import Assistant, Settings  # noqa: E402
from familydesk.ingest import files_in, prepare  # noqa: E402
from familydesk.regions import Divisions  # noqa: E402


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus-wild"
    files, _ = files_in(folder)
    t = time.perf_counter()
    Divisions.load()
    divisions_s = time.perf_counter() - t
    per_file, chars, clauses = [], 0, 0
    for f in files:
        t = time.perf_counter()
        p = prepare(f)
        per_file.append(time.perf_counter() - t)
        chars += len(p.text)
        clauses += len(p.parsed.clauses)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
              "files": len(files), "characters": chars, "clauses": clauses, "divisions_load_s": round(divisions_s, 3),
              "prepare_p50_ms": round(statistics.median(per_file) * 1000, 1),
              "prepare_max_ms": round(max(per_file) * 1000, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        shutil.copytree(ROOT / "index", index, ignore=shutil.ignore_patterns(".chroma"))
        for embedding in ("none", "use"):
            s = Settings(index_dir=index, embedding=embedding, chroma_dir=Path(tmp) / f"chroma-{embedding}",
                         data_dir=Path(tmp) / "data")
            a = Assistant(s).load()
            t = time.perf_counter()
            a.ingest_many(files)
            report[f"folder_{embedding}_s"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            again = a.ingest_many(files)
            report[f"again_{embedding}_s"] = round(time.perf_counter() - t, 1)
            report[f"again_{embedding}_embedded"] = again[0]["index"]["added"] + again[0]["index"]["updated"]
            shutil.rmtree(index)
            shutil.copytree(ROOT / "index", index, ignore=shutil.ignore_patterns(".chroma"))
    print(json.dumps(report, ensure_ascii=False))
    print(f"\n| files | characters | clauses | read + parse + detect p50 / max | folder, lexical only | folder, USE embeddings"
          f" | again (unchanged) |\n|---|---|---|---|---|---|---|\n| {report['files']} | {chars:,} | {clauses} | "
          f"{report['prepare_p50_ms']} / {report['prepare_max_ms']} ms | {report['folder_none_s']} s | "
          f"{report['folder_use_s']} s | {report['again_use_s']} s, {report['again_use_embedded']} embedded |")


if __name__ == "__main__":
    main()
