"""Files derived from a packaged file and kept beside the index, so a start reads them instead of rebuilding
them (USE's parsed tokenizer and inflated weights, jieba's dictionary): one helper for all of them."""
from __future__ import annotations

import os
from pathlib import Path


def cached(cache_dir: Path, stem: str, source: Path, suffix: str, write) -> Path:
    """`<cache_dir>/<stem>-<size>-<mtime><suffix>`, written once by `write(path)` (atomically, replacing older
    copies made from another version of `source`)."""
    stat = source.stat()
    path = cache_dir / f"{stem}-{stat.st_size}-{int(stat.st_mtime)}{suffix}"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        write(tmp)
        for old in cache_dir.glob(f"{stem}-*{suffix}"):
            old.unlink(missing_ok=True)
        os.replace(tmp, path)
    return path
