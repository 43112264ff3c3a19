"""BM25 over Chinese tokens: jieba words (with the glossary's terms as dictionary words) plus
character bigrams, so a question segmented differently from the clause still matches.

Postings are numpy arrays per term: scoring a query touches only the clauses that share a term,
which keeps 100k clauses fast.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

from .text import CJK_RUN

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:\.[0-9]+)?%?")
_jieba_lock = threading.Lock()
_jieba = None


def _get_jieba(user_words: Iterable[str] = ()):
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            _jieba = tk
        for w in user_words:
            if len(w) >= 2:
                _jieba.add_word(w, freq=2000)
    return _jieba


class Tokenizer:
    """Words (jieba search mode) and CJK bigrams, minus stop words."""

    def __init__(self, user_words: Iterable[str] = (), stopwords: Iterable[str] = ()) -> None:
        self._jieba = _get_jieba(user_words)
        self.stopwords = set(stopwords)

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
