"""BM25 over Chinese tokens: jieba words (with the glossary's terms as dictionary words) plus
character bigrams, so a question segmented differently from the clause still matches.

Postings are numpy arrays per term: scoring a query touches only the clauses that share a term,
which keeps 100k clauses fast. Tokenizing every clause is the cost of a start (~0.7 ms a clause), so
`cached_bm25` saves the built index beside the vector index and loads it at the next start; the cache
is keyed by a fingerprint of the clause texts and of the tokenizer (jieba version, glossary words, stop
words), so a stale one is never used.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .filecache import cached_pickle
from .text import CJK_RUN

log = logging.getLogger(__name__)
CACHE_FORMAT = 1  # bump when the tokenizer's rules or the saved layout change

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:\.[0-9]+)?%?")
_jieba_lock = threading.Lock()
RARE_DICTIONARY_COUNT = 3  # jieba's dictionary lists fragments of speech (发不, 再加) with counts this low
_jieba = None


def _get_jieba(user_words: Iterable[str] = (), cache_dir: Path | None = None):
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            _jieba = _load_jieba(cache_dir)
        for w in user_words:
            if len(w) >= 2:
                _jieba.add_word(w, freq=2000)
    return _jieba


def _load_jieba(cache_dir: Path | None):
    """jieba's tokenizer with its dictionary (word → frequency, the prefixes at 0, and the total) loaded: pickled in
    `cache_dir` when given (~0.2 s in a fresh process), else jieba's own way (its marshal cache in the temp folder,
    ~0.6 s: a fresh process reads marshal's half a million words about three times slower than pickled ones)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()

    def own() -> tuple[dict[str, int], int]:
        tk.initialize()
        return tk.FREQ, tk.total

    packaged = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    tk.FREQ, tk.total = cached_pickle(cache_dir, "jieba-dict", packaged, own)
    tk.initialized = True
    return tk


class Tokenizer:
    """Words (jieba search mode) and CJK bigrams, minus stop words."""

    def __init__(self, user_words: Iterable[str] = (), stopwords: Iterable[str] = (),
                 cache_dir: Path | None = None) -> None:
        """`cache_dir`: where jieba's dictionary is kept in a form quicker to read (None: jieba's own cache)."""
        user_words = tuple(user_words)
        self._jieba = _get_jieba(user_words, cache_dir)
        self.stopwords = set(stopwords)
        import jieba

        key = json.dumps([CACHE_FORMAT, jieba.__version__, CJK_RUN.pattern, _ASCII_WORD.pattern,
                          sorted(set(user_words)), sorted(self.stopwords)], ensure_ascii=False)
        self.fingerprint = hashlib.sha256(key.encode("utf-8")).hexdigest()  # what decides the tokens

    def words(self, text: str) -> list[str]:
        out = []
        for run in CJK_RUN.findall(text):
            out.extend(w for w in self._jieba.lcut_for_search(run)
                       if w not in self.stopwords and len(w) > 1)
        out.extend(m.lower() for m in _ASCII_WORD.findall(text))
        return out

    def query_words(self, text: str) -> list[str]:
        """Non-overlapping words (jieba precise mode): one concept of a question counts once."""
        return [w for run in CJK_RUN.findall(text) for w in self._jieba.lcut(run)
                if w not in self.stopwords and len(w) > 1]

    def in_dictionary(self, word: str, min_count: int = RARE_DICTIONARY_COUNT) -> bool:
        """Does jieba's general dictionary know `word` as a word of the language (counted more than its rarest
        entries)? Runs of everyday characters jieba glues together in a chatty question (能报, 加发, 休到) do not."""
        return self._jieba.FREQ.get(word, 0) > min_count

    def bigrams(self, text: str) -> list[str]:
        out = []
        for run in CJK_RUN.findall(text):
            for i in range(len(run) - 1):
                bg = run[i:i + 2]
                if bg not in self.stopwords:
                    out.append("§" + bg)
        return out

    def __call__(self, text: str) -> list[str]:
        return self.words(text) + self.bigrams(text)


class BM25:
    """Okapi BM25 with per-term numpy postings."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.n = len(docs)
        self.k1, self.b = k1, b
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avgdl = float(lengths.mean()) if self.n else 1.0
        postings: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for i, d in enumerate(docs):
            for term, tf in Counter(d).items():
                p = postings[term]
                p[0].append(i)
                p[1].append(tf)
        norm = self.k1 * (1 - self.b + self.b * lengths / max(self.avgdl, 1e-9))
        self.idf: dict[str, float] = {}
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (ids, tfs) in postings.items():
            ids_a = np.array(ids, dtype=np.int64)
            tf_a = np.array(tfs, dtype=np.float32)
            self.idf[term] = math.log(1 + (self.n - len(ids) + 0.5) / (len(ids) + 0.5))
            self.postings[term] = (ids_a, tf_a * (self.k1 + 1) / (tf_a + norm[ids_a]))

    def scores(self, query: Iterable[str], weights: dict[str, float] | None = None) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(query):
            post = self.postings.get(term)
            if post is None:
                continue
            w = self.idf[term] * (weights.get(term, 1.0) if weights else 1.0)
            out[post[0]] += w * post[1]
        return out

    def idf_of(self, term: str) -> float:
        return self.idf.get(term, math.log(1 + (self.n + 0.5) / 0.5))

    def save(self, folder: Path) -> None:
        """Write the index as flat arrays (terms in order, their postings concatenated)."""
        folder.mkdir(parents=True)
        terms = list(self.postings)
        sizes = np.array([len(self.postings[t][0]) for t in terms], dtype=np.int64)
        np.save(folder / "offsets.npy", np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float32)
        np.save(folder / "ids.npy", np.concatenate([self.postings[t][0] for t in terms]) if terms else empty_i)
        np.save(folder / "weights.npy", np.concatenate([self.postings[t][1] for t in terms]) if terms else empty_f)
        np.save(folder / "idf.npy", np.array([self.idf[t] for t in terms], dtype=np.float64))
        (folder / "terms.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        (folder / "meta.json").write_text(json.dumps({"n": self.n, "k1": self.k1, "b": self.b, "avgdl": self.avgdl}),
                                          encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "BM25":
        """An index saved by `save`; the postings are memory-mapped views, read as queries touch them."""
        self = cls.__new__(cls)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.n, self.k1, self.b, self.avgdl = meta["n"], meta["k1"], meta["b"], meta["avgdl"]
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        offsets = np.load(folder / "offsets.npy").tolist()
        ids, weights = np.load(folder / "ids.npy", mmap_mode="r"), np.load(folder / "weights.npy", mmap_mode="r")
        self.idf = dict(zip(terms, np.load(folder / "idf.npy").tolist()))
        self.postings = _Postings(terms, offsets, ids, weights)
        return self


class _Postings:
    """term → (clause indexes, weights), sliced from the saved arrays when a query asks for the term."""

    def __init__(self, terms: list[str], offsets: list[int], ids: np.ndarray, weights: np.ndarray) -> None:
        self._where = {t: i for i, t in enumerate(terms)}
        self._offsets, self._ids, self._weights = offsets, ids, weights

    def get(self, term: str, default=None):
        i = self._where.get(term)
        if i is None:
            return default
        a, b = self._offsets[i], self._offsets[i + 1]
        return self._ids[a:b], self._weights[a:b]

    def __contains__(self, term) -> bool:
        return term in self._where

    def __iter__(self):
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def index_fingerprint(texts: Sequence[str], tokenizer: Tokenizer, k1: float = 1.2, b: float = 0.75) -> str:
    """What a saved index was built from: the texts in order, the tokenizer and the BM25 parameters."""
    h = hashlib.sha256(f"{tokenizer.fingerprint}|{k1}|{b}|{len(texts)}".encode())
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def cached_bm25(texts: Sequence[str], tokenizer: Tokenizer, cache_dir: Path | None) -> tuple[BM25, bool]:
    """BM25 over `texts`, loaded from `cache_dir` when it holds one built from the same texts and
    tokenizer, else built (and saved there). Returns the index and whether it came from the cache."""
    if cache_dir is None:
        return BM25([tokenizer(t) for t in texts]), False
    key = index_fingerprint(texts, tokenizer)[:32]
    folder = Path(cache_dir) / f"bm25-{key}"
    if (folder / "meta.json").exists():
        try:
            return BM25.load(folder), True
        except (OSError, ValueError, KeyError) as e:
            log.warning("the saved lexical index in %s cannot be read (%s): rebuilding it", folder, type(e).__name__)
            shutil.rmtree(folder, ignore_errors=True)
    bm25 = BM25([tokenizer(t) for t in texts])
    _save(bm25, Path(cache_dir), folder)
    return bm25, False


def _save(bm25: BM25, cache_dir: Path, folder: Path) -> None:
    """Write aside, then rename into place (another process may be writing the same index); older
    indexes go. A cache that cannot be written only costs the next start its build."""
    aside = cache_dir / f".{folder.name}.{os.getpid()}.{threading.get_ident()}"
    try:
        bm25.save(aside)
        try:
            aside.rename(folder)
        except OSError:  # another replica saved the same index first
            shutil.rmtree(aside, ignore_errors=True)
        for old in cache_dir.glob("bm25-*"):
            if old.name != folder.name:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        shutil.rmtree(aside, ignore_errors=True)
        log.warning("cannot save the lexical index in %s (%s); it will be rebuilt at the next start", cache_dir, e)
