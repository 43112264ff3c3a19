"""Hybrid retrieval: BM25 over Chinese tokens + dense vectors in Chroma, routed by city.

Scores, per official clause:
- lexical: BM25 (jieba words + character bigrams) of the question's terms, max-normalised over
  the candidates; a repost paragraph's score counts for the official clause it paraphrases,
  so the repost adds wording but is never what we cite;
- coverage: the idf-weighted share of the question's concepts the clause contains (absolute,
  comparable across questions: this is what abstention is calibrated on);
- dense: cosine similarity of the question to the clause's best sentence window;
- sentence: the coverage of the clause's best single sentence (not in the score: the answerer reads it
  to choose between two documents of a region that cover the question equally).
fused = (1 - w) * lexical + w * dense_rescaled; relevance = (1 - w) * coverage + w * dense_rescaled.
The weight w and the abstention threshold are settings, chosen by measurement (docs/retrieval.md).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .corpus import Corpus
from .lexical import Tokenizer, cached_bm25
from .metrics import RETRIEVAL_SECONDS
from .models import Clause
from .query import Query
from .store import ClauseStore
from .text import nospace, split_sentences

# Cosine similarities of USE between a question and an unrelated sentence sit around 0.05-0.15,
# and a paraphrase around 0.45-0.7: rescale that band to 0..1 so it can be fused with coverage.
DENSE_FLOOR, DENSE_CEIL = 0.15, 0.60
REPOST_DISCOUNT = 0.9
# a rule outranks a guide or an interpretation that says the same thing
KIND_WEIGHT = {"rule": 1.0, "guide": 0.92, "interpretation": 0.92}
DENSE_WINDOWS = 80
CANDIDATES = 50
COVERAGE_IN_RANK = 0.3  # share of the lexical part given to coverage when ranking
UNKNOWN_WORD_WEIGHT = 0.5  # relative to the corpus's median word idf
READ_AS_K = 50  # clauses whose relevance a rewritten question keeps from the question as read


@dataclass
class Hit:
    clause: Clause
    score: float  # fused ranking score
    relevance: float  # absolute relevance used for abstention
    lexical: float = 0.0
    coverage: float = 0.0
    dense: float = 0.0
    sentence: float = 0.0  # the share of the question the clause's best single sentence holds
    matched: list[str] = field(default_factory=list)  # corpus terms of the question found in the clause
    near: dict[int, float] = field(default_factory=dict)  # sentence number → its window's similarity, when fetched

    def to_document(self, region: str = "") -> LCDocument:
        """The clause as a LangChain Document: its text, and the scores in the metadata."""
        c = self.clause
        return LCDocument(page_content=c.text, id=c.id,
                          metadata={"clause_id": c.id, "doc_id": c.doc_id, "label": c.label, "path": c.path,
                                    "region": region, "score": self.score, "relevance": self.relevance,
                                    "lexical": self.lexical, "coverage": self.coverage, "dense": self.dense,
                                    "sentence": self.sentence, "matched": list(self.matched),
                                    "near": dict(self.near)})

    @classmethod
    def from_document(cls, doc: LCDocument, clause: Clause) -> "Hit":
        m = doc.metadata
        return cls(clause=clause, score=m["score"], relevance=m["relevance"], lexical=m["lexical"],
                   coverage=m["coverage"], dense=m["dense"], sentence=m.get("sentence", 0.0), matched=list(m["matched"]),
                   near=dict(m.get("near", {})))


class HybridIndex:
    """Lexical index over every unit (official and repost) + the dense store."""

    def __init__(self, corpus: Corpus, tokenizer: Tokenizer, store: ClauseStore | None,
                 embeddings: Embeddings | None, dense_weight: float, lexical_cache: Path | None = None,
                 unknown_word_weight: float = UNKNOWN_WORD_WEIGHT) -> None:
        """`lexical_cache`: the folder the BM25 index is saved in and loaded from (None: built every time);
        `unknown_word_weight`: what an English word the glossary lacks weighs, relative to the median word."""
        self.corpus, self.tokenizer, self.store, self.embeddings = corpus, tokenizer, store, embeddings
        self.dense_weight = dense_weight if store is not None else 0.0
        self.unknown_word_weight = unknown_word_weight
        self.units = corpus.clauses
        self.official = {c.id: c for c in corpus.official_clauses()}
        # unit index → the official clause id it counts for
        self.target = [u.id if u.id in self.official else (u.maps_to or u.id) for u in self.units]
        self.city = {u.id: corpus.documents[u.doc_id].city for u in self.units}
        self.bm25, self.bm25_from_cache = cached_bm25([self._index_text(u) for u in self.units], tokenizer,
                                                      lexical_cache)
        word_idfs = sorted(v for t, v in self.bm25.idf.items() if not t.startswith("§"))
        self.typical_idf = word_idfs[len(word_idfs) // 2] if word_idfs else 1.0  # the median word
        self.weight = np.array([(1.0 if u.id in self.official else REPOST_DISCOUNT)
                                * KIND_WEIGHT.get(corpus.documents[u.doc_id].kind, 1.0) for u in self.units],
                               dtype=np.float32)
        self.related: dict[str, list[str]] = {}  # official clause id → its text and its reposts'
        for u, tid in zip(self.units, self.target):
            if tid in self.official or u.id in self.official:
                self.related.setdefault(tid, []).append(nospace(self._index_text(u)))
        for cid, c in self.official.items():  # a clause of 《…育儿补贴制度实施方案》 is about 育儿补贴 when it says 补贴
            self.related.setdefault(cid, []).append(nospace(corpus.documents[c.doc_id].title))
        # official clause id → its sentences, for how much of a question one sentence holds (Hit.sentence)
        self.sentences = {cid: [nospace(s) for s in split_sentences(c.text)] for cid, c in self.official.items()}
        self._order: dict[str, int] = {}  # official clause id → position in the folded score array
        for tid in self.target:
            self._order.setdefault(tid, len(self._order))
        self._target_arr = np.array([self._order[t] for t in self.target], dtype=np.int64)
        self._city_arr = np.array([self.city.get(t, "") for t in self.target])

    def _index_text(self, c: Clause) -> str:
        return f"{c.section}\n{c.text}" if c.section else c.text

    def term_weight(self, term: str) -> float:
        words = self.tokenizer.words(term) or [term]
        return max(self.bm25.idf_of(w) for w in words)

    def group_weight(self, g) -> float:
        """A concept weighs its rarest name's idf."""
        return max(self.term_weight(t) for t in g.terms)

    def search(self, q: Query, k: int = 10, city: str | list[str] | None = None) -> list[Hit]:
        """The best clauses for a question, within `city` (a region, or a list: the place and the regions
        above it), else within the question's scope."""
        if city is None:
            city = q.scope or q.city
        if isinstance(city, list) and len(city) == 1:
            city = city[0]
        raw = np.zeros(len(self.units), np.float32)
        for g in q.groups:  # synonyms of one concept compete (max), concepts add up
            per_term = [self.bm25.scores(self.tokenizer(t)) for t in g.searched]
            raw += np.max(per_term, axis=0) if len(per_term) > 1 else per_term[0]
        raw *= self.weight
        if city:
            inside = np.isin(self._city_arr, city) if isinstance(city, list) else self._city_arr == city
            raw = np.where(inside, raw, 0.0)
        # fold repost paragraphs onto their official clause: max per target
        folded = np.zeros(len(self._order), dtype=np.float32)
        np.maximum.at(folded, self._target_arr, raw)
        ids = list(self._order)
        lexical: dict[str, float] = {}
        top_n = min(CANDIDATES, len(folded))
        best = np.argpartition(-folded, top_n - 1)[:top_n] if top_n else []
        for pos in best:
            if folded[pos] > 0 and ids[pos] in self.official:
                lexical[ids[pos]] = float(folded[pos])
        top = max(lexical.values(), default=0.0)
        dense, near = self._dense(q, city)
        for cid in dense:
            lexical.setdefault(cid, float(folded[self._order[cid]]))
        w = self.dense_weight if dense else 0.0
        dense_floor = min(dense.values()) if dense else 0.0
        # English words the glossary does not know still count against coverage: "minimum wage"
        # must not be fully covered by 工资 alone.
        unknown = self.unknown_word_weight * self.typical_idf
        # a concept read through the dictionary weighs what the unknown word it was weighs, so coverage (and with
        # it abstention) is what it would be without the dictionary
        group_weights = [unknown if g.weak else self.group_weight(g) for g in q.groups]
        # how a figure is counted (每年, per child) is not what the question is about: outside the coverage's total
        total_weight = (sum(gw for gw, g in zip(group_weights, q.groups) if not g.measure)
                        + unknown * len(q.unknown_words)) or 1.0
        terms = [[nospace(t) for t in g.searched] for g in q.groups]
        hits = []
        for cid, lex in lexical.items():
            related = self.related.get(cid, [])
            matched, covered = [], 0.0
            weak_covered = 0.0
            for g, gw, group in zip(terms, group_weights, q.groups):
                found = [t for t in g if any(t in r for r in related)]
                if found:
                    matched.extend(found)
                    if group.weak or group.measure:
                        weak_covered += unknown if group.measure else gw
                    else:
                        covered += gw
            coverage = covered / total_weight if q.groups else 0.0
            # dictionary words help rank the clauses that share a reviewed concept; they never make a clause
            # relevant (abstention reads `coverage`, which they do not raise)
            ranked = coverage + (weak_covered / total_weight if covered else 0.0)
            # a clause outside the nearest windows is at most as near as the farthest one fetched
            d = _rescale(dense.get(cid, dense_floor)) if dense else 0.0
            lex_norm = lex / top if top > 0 else 0.0
            hits.append(Hit(clause=self.official[cid], score=(1 - w) * ((1 - COVERAGE_IN_RANK) * lex_norm + COVERAGE_IN_RANK * ranked) + w * d,
                            relevance=(1 - w) * coverage + w * d, lexical=lex_norm, coverage=coverage,
                            dense=dense.get(cid, 0.0), matched=matched, near=near.get(cid, {})))
        hits.sort(key=lambda h: (h.score, h.relevance, h.clause.id), reverse=True)  # exact ties: the same order every run
        for h in hits[:k]:  # only the clauses returned are compared sentence by sentence
            if h.coverage:
                h.sentence = self._sentence_coverage(h.clause.id, terms, group_weights, q.groups, unknown, total_weight)
        return hits[:k]

    def _sentence_coverage(self, cid: str, terms: list[list[str]], weights: list[float], groups, unknown: float,
                           total: float) -> float:
        """The share of the question the clause's best single sentence holds (weighed as `ranked` is)."""
        best = 0.0
        for sentence in self.sentences.get(cid, ()):
            got = 0.0
            for g, gw, group in zip(terms, weights, groups):
                if any(t in sentence for t in g):
                    got += unknown if group.measure else gw
            best = max(best, got)
        return best / total

    def _dense(self, q: Query, city: str | None) -> tuple[dict[str, float], dict[str, dict[int, float]]]:
        """Official clause id → its nearest window's similarity; and → {sentence number: similarity} for its own
        windows fetched (the answer's tie-break between sentences)."""
        if self.store is None or self.embeddings is None:
            return {}, {}
        vector = self.embeddings.embed_query(q.text)
        best: dict[str, float] = {}
        near: dict[str, dict[int, float]] = {}
        for cid, window, sim in self.store.query_windows(vector, DENSE_WINDOWS, city=city):
            if cid not in self.official:
                continue
            if sim > best.get(cid, -1.0):
                best[cid] = sim
            own, _, number = window.rpartition("#")
            if own == cid and number.isdigit():
                near.setdefault(cid, {})[int(number)] = sim
        return best, near


def _rescale(sim: float) -> float:
    return float(min(1.0, max(0.0, (sim - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR))))


class ClauseRetriever(BaseRetriever):
    """The hybrid index behind LangChain's retriever interface: a question (text, read by the question
    reader, or a Query already read) → its `k` best clauses as Documents, best first; the metadata carries
    the clause id, label, path, region and the scores. The answer chain's retrieval step."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: HybridIndex
    reader: object
    k: int = 10

    def _get_relevant_documents(self, query: str | Query, *, run_manager: CallbackManagerForRetrieverRun
                                ) -> list[LCDocument]:
        q = self.reader.read(query) if isinstance(query, str) else query
        return [h.to_document(self.index.city[h.clause.id]) for h in self.hits(q)]

    def hits(self, q: Query) -> list[Hit]:
        """A question rewritten by a model (`read_as` set): its terms rank the clauses, but each clause's
        relevance — what abstention is decided on — stays that of the question as read (glossary only): a
        model's search terms can reorder the answer, never turn an off-topic question into one."""
        with RETRIEVAL_SECONDS.time():
            hits = self.index.search(q, k=self.k)
        if q.read_as is None:
            return hits
        relevance = {h.clause.id: h.relevance for h in self.index.search(q.read_as, k=READ_AS_K)}
        return [dataclasses.replace(h, relevance=relevance.get(h.clause.id, 0.0)) for h in hits]
