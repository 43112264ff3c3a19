"""Files derived from a packaged file and kept beside the index, so a start reads them instead of rebuilding
them (USE's parsed tokenizer and inflated weights, jieba's dictionary, CC-CEDICT's senses): one helper for all."""
from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def cached(cache_dir: Path, stem: str, source: Path, suffix: str, write) -> Path:
    """`<cache_dir>/<stem>-<size>-<mtime><suffix>`, written once by `write(path)` (atomically, replacing older
    copies made from another version of `source`)."""
    return cached_as(cache_dir, stem, _stat_key(source), suffix, write)


def cached_as(cache_dir: Path, stem: str, key: str, suffix: str, write) -> Path:
    """`<cache_dir>/<stem>-<key><suffix>`, written once by `write(path)` (atomically, replacing the copies kept
    under other keys)."""
    path = cache_dir / f"{stem}-{key}{suffix}"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        write(tmp)
        for old in cache_dir.glob(f"{stem}-*{suffix}"):
            old.unlink(missing_ok=True)
        os.replace(tmp, path)
    return path


def _stat_key(source: Path) -> str:
    stat = Path(source).stat()
    return f"{stat.st_size}-{int(stat.st_mtime)}"


def cached_pickle(cache_dir: Path | None, stem: str, source: Path, build: Callable[[], T]) -> T:
    """What `build()` makes from `source`, pickled in `cache_dir` (keyed as `cached`): read back when it is there,
    built and written when not. The cache only saves time: one that cannot be read or written is logged and
    removed (rebuilt at the next start) and `build()` is used; no `cache_dir`, no cache."""
    return pickled(cache_dir, stem, lambda: _stat_key(source), build)


def pickled(cache_dir: Path | None, stem: str, key: Callable[[], str], build: Callable[[], T]) -> T:
    """What `build()` makes, pickled in `cache_dir` as `<stem>-<key()>.pickle`: read back when it is there, built
    and written when not (the copies under other keys removed). `key()` must name everything `build()` depends
    on. The cache only saves time: one that cannot be read or written is logged and removed (rebuilt at the next
    start) and `build()` is used; no `cache_dir`, no cache."""
    if cache_dir is None:
        return build()
    built: list[T] = []

    def write(path: Path) -> None:
        built.append(build())
        path.write_bytes(pickle.dumps(built[0], pickle.HIGHEST_PROTOCOL))

    try:
        path = cached_as(Path(cache_dir), stem, key(), ".pickle", write)
        return built[0] if built else pickle.loads(path.read_bytes())
    except Exception as e:  # noqa: BLE001 - the cache only saves time: building still works
        log.warning("%s cache in %s not used (%s): built afresh; it is rebuilt at the next start", stem, cache_dir,
                    type(e).__name__)
        for damaged in Path(cache_dir).glob(f"{stem}-*"):
            damaged.unlink(missing_ok=True)
        return built[0] if built else build()
