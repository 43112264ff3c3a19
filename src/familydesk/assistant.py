"""The facade every channel talks to: ask, search, clause, documents, ingest.

Channels (API, web, Telegram, CLI) never touch Chroma or the parser; they hold an Assistant.
The answer path is a LangChain runnable — read the question | retrieve | answer. With
FAMILYDESK_LLM_BASE_URL set, the answer step is the guarded generative answerer (answer_llm.py), which
keeps the extractive answerer as gatekeeper and fallback; the channels do not notice.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from . import metrics
from .answer import ExtractiveAnswerer, Texts
from .chain import build_chain
from .corpus import Corpus, load_corpus
from .dictionary import Dictionary
from .embeddings import make_embeddings
from .errors import BadRequest, FamilydeskError, Unavailable
from .feedback import FeedbackStore
from .lexical import Tokenizer
from .models import Answer, Citation, Overrides
from .privacy import redact
from .text import clean_input
from .query import Places, QueryReader, en_tokens

from .querylog import QueryLog, database_url
from .retrieval import ClauseRetriever, HybridIndex
from .settings import Settings, get_settings
from .store import ClauseStore, make_client

log = logging.getLogger(__name__)
MAX_K = 50
MAX_QUESTION = 1000
COMPARE_DEPTH = 5  # how many of a region's best clauses may stand in for it in a comparison
_TOPIC_SPLIT = re.compile(r"[\s,，、;；/|]+")
SEARCH_K = 30  # clauses the answerer sees: enough for a city's own clause to show under its province's
LLM_K = 10  # clauses retrieved when a model answers (it is given those the extractive answer cites)


def _generative(s: Settings, answerer: ExtractiveAnswerer, texts: Texts):
    """The guarded generative answerer when FAMILYDESK_LLM_BASE_URL is set, else None; answer_llm.py is imported
    only then (LangChain's prompt templates, jinja2 and yaml: time a start without a model need not spend)."""
    if not s.llm_base_url:
        return None
    from .answer_llm import LLMAnswerer

    return LLMAnswerer(s, answerer, texts)


class Assistant:
    """Loads the knowledge base once and answers from it."""

    def __init__(self, settings: Settings | None = None, *, embeddings=None, embedding_fingerprint: str | None = None
                 ) -> None:
        self.settings = settings or get_settings()
        self._embeddings_override = (embeddings, embedding_fingerprint) if embeddings is not None else None
        self._lock = threading.Lock()
        self._ingest_lock = threading.Lock()  # one writer of index/ at a time
        self.ready = False
        self._snap: _Snapshot | None = None
        self.querylog = None
        self._feedback: FeedbackStore | None = None
        self.load_seconds: float | None = None

    # ---- loading -------------------------------------------------------------------------
    def load(self, progress: bool = False) -> "Assistant":
        """Parse the corpus, sync the vector store (embedding only what changed), build BM25.

        Everything is built aside and goes live in one assignment (`self._snap`): a question already
        being answered finishes on the knowledge base it started with, even when a document is
        added or deleted meanwhile."""
        with self._lock:
            t = time.perf_counter()
            s = self.settings
            snap = _Snapshot()
            snap.corpus = load_corpus(s.index_dir, s.chroma_path / "models")
            snap.reader = QueryReader(s.index_dir, partial(Tokenizer, cache_dir=s.chroma_path / "models"),
                                      Places.from_documents(snap.corpus.documents.values()))
            snap.texts = Texts(s.prompts_dir)
            snap.texts.regions = sorted(snap.reader.places.covered, key=snap.reader.places.sort_key)
            snap.texts.english = snap.reader.places.english
            if self._embeddings_override:
                snap.embeddings, fingerprint = self._embeddings_override
            else:
                snap.embeddings, fingerprint = make_embeddings(s.embedding, s.embedding_model, s.embedding_threads,
                                                              cache_dir=s.chroma_path / "models")
            snap.store = None
            snap.sync_report = {"added": 0, "updated": 0, "deleted": 0, "total": 0}
            if snap.embeddings is not None:
                snap.store, snap.sync_report = self._open_store(fingerprint, progress, snap.corpus, snap.embeddings)
                snap.embeddings.embed_query("warm up")  # load the model weights now, not on a user's question
            snap.index = HybridIndex(snap.corpus, snap.reader.tokenizer, snap.store, snap.embeddings, s.dense_weight,
                                     lexical_cache=s.chroma_path / "lexical")
            snap.reader.known = frozenset(t for t in snap.index.bm25.idf if not t.startswith("§"))
            # English words the glossary lacks, read through CC-CEDICT into these words (built in the background)
            snap.reader.dictionary = Dictionary(snap.reader.known, en_tokens, snap.index.term_weight,
                                                s.chroma_path / "models").warm()
            snap.answerer = ExtractiveAnswerer(snap.corpus, snap.texts, snap.reader.units_for, s.min_relevance,
                                               snap.reader.gloss, snap.reader.qualifiers, snap.reader.vocabulary)
            snap.answerer.term_weight = snap.index.term_weight
            snap.llm = _generative(s, snap.answerer, snap.texts)
            snap.retriever = ClauseRetriever(index=snap.index, reader=snap.reader, k=LLM_K if snap.llm else SEARCH_K)
            snap.chain = build_chain(snap.reader, snap.retriever, snap.answerer, snap.llm, s.llm_rewrite)
            if self._snap is None or self.querylog is None:
                self.querylog = QueryLog(database_url(s.database_url, s.data_dir), s.log_retention_days)
            self.embedding_fingerprint = fingerprint
            self._snap = snap  # live from here on
            self.ready = True
            self.load_seconds = time.perf_counter() - t
            metrics.loaded(len(snap.corpus.documents), len(snap.corpus.clauses), self.load_seconds)
            log.info("knowledge base loaded: %d documents, %d clauses, %s, index %s, lexical index %s in %.1fs",
                     len(snap.corpus.documents), len(snap.corpus.clauses), fingerprint, snap.sync_report,
                     "loaded" if snap.index.bm25_from_cache else "built", self.load_seconds)
            return self

    @property
    def generative(self) -> bool:
        """Whether answers are generated by a model (FAMILYDESK_LLM_BASE_URL) rather than extracted."""
        return bool(self._snap and self._snap.llm)

    # what the live snapshot holds, for callers that read one part (tests, the channels' helpers)
    corpus = property(lambda self: self._snap.corpus if self._snap else None)
    reader = property(lambda self: self._snap.reader)
    texts = property(lambda self: self._snap.texts)
    embeddings = property(lambda self: self._snap.embeddings)
    store = property(lambda self: self._snap.store)
    sync_report = property(lambda self: self._snap.sync_report)
    index = property(lambda self: self._snap.index)
    answerer = property(lambda self: self._snap.answerer)
    retriever = property(lambda self: self._snap.retriever)
    llm = property(lambda self: self._snap.llm)
    chain = property(lambda self: self._snap.chain)

    def _open_store(self, fingerprint: str, progress: bool, corpus: Corpus, embeddings):
        """Open (and sync) the vector store; an embedded store that cannot be read is moved aside and
        rebuilt from the sources — the sources, not the store, are the knowledge base."""
        s = self.settings
        for attempt in (1, 2):
            try:
                if not s.chroma_url and not (s.chroma_path / "chroma.sqlite3").exists():
                    log.warning("no index in %s: building it from the sources", s.chroma_path)
                store = ClauseStore(make_client(s.chroma_url, s.chroma_path), embeddings, fingerprint,
                                    s.collection, cache_dir=s.chroma_path / "models")
                return store, store.sync(corpus.clauses, {d.id: d.city for d in corpus.documents.values()},
                                         progress=progress, version=corpus.version)
            except Exception as e:
                if s.chroma_url or attempt == 2:
                    raise
                aside = s.chroma_path.with_name(f"{s.chroma_path.name}.corrupt-{int(time.time())}")
                log.error("the index in %s cannot be read (%s: %s); moved it to %s and rebuilding from the sources",
                          s.chroma_path, type(e).__name__, str(e)[:200], aside)
                _release_chroma(s.chroma_path)
                s.chroma_path.rename(aside)
        raise AssertionError("unreachable")

    def _need(self) -> None:
        if not self.ready:
            raise Unavailable("the knowledge base is still loading; try again in a few seconds")

    # ---- the facade ----------------------------------------------------------------------
    def ask(self, question: str, region: str | None = None, history: list[dict] | None = None) -> Answer:
        """Answer a question from the documents, with citations, or abstain saying why. With `history`
        (earlier messages, oldest first: {"role": "user" | "assistant", "content"}), a follow-up such as
        "包头呢？" is read as the question it stands for; the answer says how it was understood."""
        snap, question, understood, started = self._begin(question, history)
        answer = snap.chain.invoke(_chain_input(understood, region))
        answer.standalone_question = understood.question
        self._log(answer, question, started)
        return answer

    def _begin(self, question: str, history: list[dict] | None):
        """What ask and ask_stream do first: the live snapshot, the cleaned question, how it is understood
        with the conversation, and when it started."""
        self._need()
        question = self._clean(question)
        started = time.perf_counter()
        snap = self._snap
        return snap, question, self._understand(snap, question, history), started

    @staticmethod
    def _clean(question: str) -> str:
        """Every channel's input the same way: NFKC, no control characters, 1 to 1,000 characters."""
        question = clean_input(question or "")
        if not question:
            raise BadRequest("the question is empty: ask something of 1 to 1,000 characters")
        if len(question) > MAX_QUESTION:
            raise BadRequest(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION}")
        return question

    @staticmethod
    def _understand(snap, question: str, history: list[dict] | None):
        from .conversation import MAX_MESSAGE_CHARS, MAX_MESSAGES, standalone

        history = history or []
        if len(history) > MAX_MESSAGES:
            raise BadRequest(f"history has {len(history)} messages; at most {MAX_MESSAGES} are read")
        for m in history:
            if len(m.get("content") or "") > MAX_MESSAGE_CHARS:
                raise BadRequest(f"a history message is over {MAX_MESSAGE_CHARS} characters")
        return standalone(snap.reader, question, history)

    def _log(self, answer, question: str, started: float) -> None:
        """One log line and one query-log row per question, both without personal data."""
        log.info("ask lang=%s region=%s abstained=%s reason=%s mode=%s fallback=%s q=%r", answer.language,
                 answer.region, answer.abstained, answer.reason, answer.mode, answer.fallback_reason,
                 redact(question)[:200])
        seconds = time.perf_counter() - started
        metrics.answered(answer.abstained, answer.reason, answer.mode, answer.fallback_reason, seconds)
        self.querylog.record(question, answer, seconds)

    def calibrate(self) -> dict | None:
        """Score the calibration sets (FAMILYDESK_CALIBRATION_SETS) on the live index, write them to
        <data_dir>/calibration.json beside the previous build's figures, and log any figure that dropped."""
        from datetime import datetime, timezone

        from .evaluation import calibration_report
        from .settings import PROJECT_ROOT

        self._need()
        sets = [PROJECT_ROOT / p.strip() for p in self.settings.calibration_sets.split(",") if p.strip()]
        sets = [p for p in sets if p.exists()]
        if not sets:
            return None
        path = Path(self.settings.data_dir) / "calibration.json"
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        snap = self._snap
        report = calibration_report(lambda q: snap.chain.invoke({"question": q, "region": None}).to_dict(), sets,
                                    previous, self.region_aliases)
        report.update(at=datetime.now(timezone.utc).isoformat(timespec="seconds"), index=self.embedding_fingerprint,
                      documents=len(snap.corpus.documents), clauses=len(snap.corpus.clauses),
                      previous={"at": previous.get("at"), "documents": previous.get("documents")} if previous else None)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        if report["drops"]:
            log.warning("calibration: figures dropped after this build: %s", "; ".join(report["drops"]))
        return report

    def report(self, limit: int = 20) -> dict:
        """What the knowledge base lacks: the most frequent unanswered questions, and the feedback."""
        out = self.querylog.report(limit)
        out["feedback"] = self.feedback.counts()
        return out

    @property
    def feedback(self) -> FeedbackStore:
        """The votes store every channel shares (<data_dir>/feedback.sqlite3, or FAMILYDESK_DATABASE_URL)."""
        if self._feedback is None:
            self._feedback = FeedbackStore.for_settings(self.settings.database_url, self.settings.data_dir)
        return self._feedback

    def remember(self, question: str, answer: Answer) -> str:
        """Note what an answer was (never the question's text) and return the id a vote refers to."""
        return self.feedback.remember(question, answer)

    def vote(self, answer_id: str, vote: str) -> dict:
        """Store 👍 (`up`) or 👎 (`down`) for an answer id; says whether that answer was seen (`known`)."""
        return self.feedback.add(answer_id, vote)

    def ask_stream(self, question: str, region: str | None = None, history: list[dict] | None = None
                   ) -> Iterator[dict]:
        """The answer as events for streaming channels, in this order:

        - {"type": "delta", "text": str} — the next piece of the answer, a whole sentence (with its
          citation marks), shown only after it passed the guards; append it to what is shown;
        - {"type": "reset"} — LLM mode only, when a later sentence failed the guards (or the model
          failed or ran out of time) after deltas were shown: clear everything shown so far; the
          extractive answer's deltas follow;
        - {"type": "answer", "answer": Answer} — always last, exactly once: the final answer (its text is
          the deltas since the last reset, joined and trimmed), with citations, `mode` and `fallback_reason`.

        Without a model (or when the extractive answerer abstains) there is never a reset: the deltas
        are the extractive answer's sentences."""
        snap, question, understood, started = self._begin(question, history)
        for event in snap.chain.stream(_chain_input(understood, region)):
            if event["type"] == "answer":
                event["answer"].standalone_question = understood.question
                self._log(event["answer"], question, started)
            yield event

    def search(self, query: str, region: str | None = None, k: int = 10) -> list[Citation]:
        """Clauses for a query, best first (the staff console's search)."""
        self._need()
        k = max(1, min(MAX_K, int(k)))
        snap = self._snap
        q = snap.reader.read(query, region)
        hits = snap.index.search(q, k=k)
        return [snap.answerer.citation(h.clause, h.score, snap.answerer.pick(q, h).sentence) for h in hits
                if h.relevance > 0 or h.lexical > 0]

    def compare(self, topic: str) -> dict:
        """A topic across the covered regions, one column each: the region's best-ranked clause (of its top
        COMPARE_DEPTH) whose text contains every word of the topic (split on spaces, 、，/), or `stated: false`
        (未规定 / not stated) with the `closest` clause anyway, for a human to judge. Citations as dicts."""
        terms = [t for t in _TOPIC_SPLIT.split(clean_input(topic or "")) if t]
        return {"topic": " ".join(terms), "columns": [self._compare_column(region, terms) for region in self.cities],
                "rule": f"each city's best-ranked clause (of its top {COMPARE_DEPTH}) whose text contains every "
                        "word of the topic; otherwise not stated"}

    def _compare_column(self, region: str, terms: list[str]) -> dict:
        hits = self.search(" ".join(terms), region, COMPARE_DEPTH) if terms else []
        best = next((h for h in hits if all(t.lower() in h.text.lower() for t in terms)), None)
        closest = hits[0].to_dict() if hits and best is None else None
        return {"region": region, "stated": best is not None, "citation": best.to_dict() if best else None,
                "closest": closest}

    def clause(self, clause_id: str) -> Citation:
        """One clause with its full citation."""
        self._need()
        snap = self._snap
        return snap.answerer.citation(snap.corpus.clause(clause_id))

    def documents(self) -> list[dict]:
        """Every document with its clause outline."""
        self._need()
        out, corpus = [], self._snap.corpus
        for doc in corpus.documents.values():
            parsed = corpus.parsed[doc.id]
            out.append({
                "id": doc.id, "title": doc.title, "issuer": doc.issuer, "number": doc.number, "date": doc.date,
                "region": doc.city, "region_level": doc.level, "region_code": doc.region_code, "kind": doc.kind,
                "effective": doc.effective, "supersedes": list(doc.supersedes), "repealed_by": doc.repealed_by,
                "current": doc.current, "authority": doc.authority, "repost_of": doc.repost_of,
                "style": parsed.style, "preamble": parsed.preamble,
                "clauses": [{"id": c.id, "clause": c.label, "path": c.path, "heading": c.heading,
                             "section": c.section, "parents": list(c.parents), "kind": c.kind, "maps_to": c.maps_to}
                            for c in parsed.clauses]})
        levels = {"全国": 0, "省级": 1, "地级": 2, "县级": 3}
        out.sort(key=lambda d: (levels.get(d["region_level"], 2), d["region"], d["date"] or "", d["id"]))
        return out

    @property
    def cities(self) -> list[str]:
        """The covered regions, national first, then provinces, cities and counties."""
        if not self.ready:
            return []
        return sorted(self.reader.places.covered, key=self.reader.places.sort_key)

    @property
    def region_aliases(self) -> dict[str, list[str]]:
        """Covered region → the names it goes by (北京 → 北京市, beijing, peking), from the division data."""
        return dict(self.reader.places.covered) if self.ready else {}

    @property
    def levels(self) -> dict[str, str]:
        """Covered region → 全国 / 省级 / 地级 / 县级."""
        return {c: self.reader.places.label(c) for c in self.cities}

    def english_name(self, region: str) -> str:
        """A covered region's English name (Harbin, Heilongjiang)."""
        return self.texts.city("en", region)

    @staticmethod
    def supported_files(directory: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
        """The files of a folder `ingest` can read (sorted), and the others with why they are skipped."""
        from .ingest import files_in

        return files_in(directory)

    def prepare(self, path: Path, overrides: "Overrides | None" = None):
        """Read and understand a file without adding it: what `ingest` would record."""
        from .ingest import prepare

        return prepare(Path(path), overrides, index_dir=self.settings.index_dir)

    def ingest(self, path: Path, overrides: "Overrides | None" = None, *, progress: bool = False) -> dict:
        """Add (or replace) one document; the rebuilt index goes live at once and only what changed
        is embedded. Returns what was detected and assumed, and whether anything changed."""
        reports = self.ingest_many([Path(path)], overrides, progress=progress)
        if reports[0].get("refused"):
            raise BadRequest(reports[0]["refused"])
        return reports[0]

    def ingest_many(self, paths: list[Path], overrides: "Overrides | None" = None, *, progress: bool = False,
                    on_file=None) -> list[dict]:
        """Add many documents, re-indexing once at the end; a file that cannot be added is reported
        with the reason (`refused`) and the others go on."""
        from .ingest import commit, prepare

        reports, changed = [], False
        with self._ingest_lock:
            for path in paths:
                try:
                    prepared = prepare(path, overrides, index_dir=self.settings.index_dir)
                    this = commit(self.settings.index_dir, prepared)
                    changed |= this
                    reports.append({"file": str(path), **prepared.report(), "changed": this})
                except FamilydeskError as e:
                    reports.append({"file": str(path), "refused": str(e)})
                if on_file:
                    on_file(path)
            if changed or not self.ready:
                self.load(progress=progress)
                index = self.sync_report
            else:  # nothing written: nothing embedded
                index = {**self.sync_report, "added": 0, "updated": 0, "deleted": 0}
        for r in reports:
            r["index"] = index
        return reports

    def delete_document(self, doc_id: str) -> dict:
        """Remove a document and its clauses; the index without it goes live at once."""
        from .corpus import remove_document

        with self._ingest_lock:
            entry = remove_document(self.settings.index_dir, doc_id)
            self.load()
        return {"deleted": entry["id"], "title": entry.get("title"), "index": self.sync_report}

    def health(self) -> dict:
        if not self.ready:
            return {"status": "loading"}
        try:
            vectors = self.store.count() if self.store else 0
        except Exception as e:  # the Chroma server went away
            raise Unavailable(f"the vector store is not reachable: {e}") from e
        return {"status": "ok", "documents": len(self.corpus.documents), "clauses": len(self.corpus.clauses),
                "vectors": vectors, "embedding": self.embedding_fingerprint,
                "load_seconds": round(self.load_seconds or 0, 2)}


class _Snapshot:
    """One loaded knowledge base: corpus, question reader, index, answerer and the chain over them."""

    corpus: Corpus
    reader: QueryReader
    texts: Texts
    index: HybridIndex
    answerer: ExtractiveAnswerer


def _chain_input(understood, region: str | None) -> dict:
    return {"question": understood.question, "region": region, "language": understood.language}


def _release_chroma(path: Path) -> None:
    """Drop chromadb's cached client for a path so a fresh one can open the rebuilt store."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # noqa: BLE001 - older/newer chromadb: nothing cached to drop
        pass


__all__ = ["Assistant", "FamilydeskError"]
