"""Clause vectors in Chroma: the embedded PersistentClient by default, a Chroma server when scaled out.

A long clause is stored as sentence windows that point back to it (metadata clause_id), so a
question about one sentence of a 500-character clause is not diluted by the rest. Each window
carries its clause's content hash: syncing re-embeds only clauses whose text changed and deletes
windows of clauses that are gone. The collection name carries the embedding fingerprint, so an
index built with one model is never queried with another.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from .errors import Unavailable
from .filecache import pickled
from .models import Clause

log = logging.getLogger(__name__)
BATCH = 64
CITY_OVERSAMPLE = 4  # windows fetched per window wanted when a city filter applies
OVERSAMPLE_FROM = 5000  # index size (windows) from which filtering in Python beats Chroma's where
GET_PAGE = 10_000  # windows per read of the whole collection (SQLite allows 32,766 variables in one query)


def make_client(chroma_url: str | None, chroma_path):
    """An embedded (persistent) client, or an HTTP client for FAMILYDESK_CHROMA_URL. Telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        u = urlparse(chroma_url)
        if not u.hostname:
            raise Unavailable(f"FAMILYDESK_CHROMA_URL={chroma_url!r} is not a URL like http://127.0.0.1:8001")
        try:
            return chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 80),
                                       ssl=u.scheme == "https", settings=chroma_settings)
        except Exception as e:  # chromadb raises ValueError when the server is not reachable
            raise Unavailable(f"cannot reach the Chroma server at {chroma_url}: {e}. "
                              "Start it (`chroma run --port …`) or unset FAMILYDESK_CHROMA_URL.") from e
    chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_path), settings=chroma_settings)


def windows(clause: Clause) -> list[str]:
    """Sentence windows of a clause, each prefixed with the clause heading for context."""
    out = []
    for sentence in clause.sentences:
        if clause.heading and not sentence.startswith(clause.heading):
            out.append(f"{clause.heading}：{sentence}")
        else:
            out.append(sentence)
    return out or [clause.text]


class ClauseStore:
    """Clause windows for one embedding model, in a Chroma collection that is swapped, never edited.

    A sync that has anything to change builds a new collection (copying unchanged vectors, embedding
    only changed windows) and then flips a pointer (the metadata of `<base>-active`): a process killed
    mid-build leaves the previous index serving, and replicas on one Chroma server take a lock
    collection (`<base>-lock`, created atomically by the server) so only one of them builds.
    """

    def __init__(self, client, embeddings: Embeddings, fingerprint: str, prefix: str = "familydesk",
                 splitter=None, cache_dir: Path | None = None) -> None:
        """`splitter`: clause → the texts embedded for it (default `windows`; bench/growth.py passes another).
        `cache_dir`: where the digest of the sources' windows is kept (see `sync`)."""
        self.client, self.embeddings, self.cache_dir = client, embeddings, cache_dir
        self.windows = splitter or windows
        self.base = re.sub(r"[^A-Za-z0-9._-]", "-", f"{prefix}-{fingerprint}")[:50]
        self.pointer_name, self.lock_name = f"{self.base}-active", f"{self.base}-lock"
        try:
            client.get_or_create_collection(self.pointer_name, embedding_function=None)
            self.collection = self._active()
        except Unavailable:
            raise
        except Exception as e:
            raise Unavailable(f"the vector store is not available: {e}") from e
        self._size = self.count()

    @property
    def name(self) -> str:
        return self.collection.name if self.collection is not None else self.base

    def _pointer(self) -> dict:
        """The pointer's metadata: `active`, the collection served, and `windows`, the digest of what it holds."""
        return self.client.get_collection(self.pointer_name, embedding_function=None).metadata or {}

    def _active(self):
        name = self._pointer().get("active")
        if not name:
            return None
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception:  # the pointer names a collection that is gone: treat as no index
            return None

    def count(self) -> int:
        return self.collection.count() if self.collection is not None else 0

    @contextmanager
    def _lock(self, wait_s: float = 600, stale_s: float = 900):
        """Hold `<base>-lock` while building; a lock whose holder died (same host) or that is older
        than stale_s is taken over."""
        deadline = time.time() + wait_s
        me = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}
        while True:
            try:
                self.client.create_collection(self.lock_name, metadata=me, embedding_function=None)
                break
            except Exception:  # it exists: someone else builds, or a builder died
                try:
                    held = self.client.get_collection(self.lock_name, embedding_function=None).metadata or {}
                except Exception:
                    continue
                dead = held.get("host") == me["host"] and not _alive(int(held.get("pid", 0)))
                if dead or time.time() - float(held.get("since", 0)) > stale_s:
                    log.warning("taking over a stale index-build lock (holder pid %s)", held.get("pid"))
                    _quiet(self.client.delete_collection, self.lock_name)
                    continue
                if time.time() > deadline:
                    raise Unavailable("another process has been building the index for too long; retry later")
                time.sleep(0.3)
        try:
            yield
        finally:
            _quiet(self.client.delete_collection, self.lock_name)

    @staticmethod
    def _have(collection) -> dict[str, str]:
        """Window id → the `sha` it was built from, read a page at a time: one `get` of the whole collection
        asks SQLite for more variables than it allows (32,766) past ~32k windows, and fails."""
        have: dict[str, str] = {}
        while collection is not None:
            got = collection.get(include=["metadatas"], limit=GET_PAGE, offset=len(have))
            have.update((i, (m or {}).get("sha")) for i, m in zip(got["ids"], got["metadatas"]))
            if len(got["ids"]) < GET_PAGE:
                break
        return have

    def sync(self, clauses: Sequence[Clause], city_of: dict[str, str], progress: bool = False,
             version: str = "") -> dict:
        """Make the active collection hold exactly these clauses' windows; embed only what changed.

        `version` (the corpus's): changes whenever the clauses may. With it and a `cache_dir`, the digest of the
        windows is kept under it, the cities and this module's code, and a start whose digest is kept and equals
        the pointer's splits no clause into windows."""
        split: list[dict] = []

        def digest_of() -> tuple[str, int]:
            split.append(self._windows(clauses, city_of))
            return _digest({i: w[1]["sha"] for i, w in split[0].items()}), len(split[0])

        memo = self.cache_dir if version and self.windows is windows else None
        digest, total = pickled(memo, "windows", lambda: _windows_key(version, city_of), digest_of)
        self.collection = self._active()
        self._size = total
        if self.collection is not None and self._pointer().get("windows") == digest:
            return {"added": 0, "updated": 0, "deleted": 0, "total": total}  # the build recorded these windows
        wanted = split[0] if split else self._windows(clauses, city_of)
        want = {i: w[1]["sha"] for i, w in wanted.items()}
        digest = _digest(want)  # what is written is always computed from the windows written
        report = {"added": 0, "updated": 0, "deleted": 0, "total": len(wanted)}
        with self._lock():
            active = self._active()  # another replica may have built it while we waited
            have = self._have(active)
            if have == want:  # built before digests were recorded: record it, the next start reads nothing
                self.collection = active
                if active is not None:
                    self._switch(active, digest)
                return report
            todo = [i for i in wanted if have.get(i) != want[i]]
            staging = self.client.create_collection(f"{self.base}-{time.time_ns()}",
                                                    metadata={"hnsw:space": "cosine"}, embedding_function=None)
            self._copy(active, staging, [i for i in wanted if have.get(i) == want[i]])
            self._embed(staging, {i: wanted[i] for i in todo}, progress)
            self._switch(staging, digest)
        updated = sum(1 for i in todo if i in have)
        report.update(added=len(todo) - updated, updated=updated,
                      deleted=sum(1 for i in have if i not in wanted))
        return report

    def _windows(self, clauses: Sequence[Clause], city_of: dict[str, str]) -> dict[str, tuple[str, dict]]:
        """Window id → (text, metadata) for every sentence window of the clauses; `sha` says what it was built from."""
        wanted: dict[str, tuple[str, dict]] = {}
        for c in clauses:
            city, target = city_of[c.doc_id], c.maps_to or c.id
            for n, text in enumerate(self.windows(c)):
                wanted[f"{c.id}#{n}"] = (text, {"clause_id": c.id, "doc_id": c.doc_id, "city": city,
                                                "maps_to": target, "sha": f"{c.sha256}:{city}:{target}"})
        return wanted

    @staticmethod
    def _copy(active, staging, keep: list[str]) -> None:
        """Unchanged vectors are copied, not re-embedded."""
        for start in range(0, len(keep), 500):
            got = active.get(ids=keep[start:start + 500], include=["embeddings", "documents", "metadatas"])
            staging.add(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"],
                        metadatas=got["metadatas"])

    def _embed(self, staging, todo: dict[str, tuple[str, dict]], progress: bool) -> None:
        """Embed the new and changed windows in batches, with a progress bar when asked."""
        bar = None
        if progress and todo:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="embedding clause windows", unit="window")
        ids_all = list(todo)
        for start in range(0, len(ids_all), BATCH):
            ids = ids_all[start:start + BATCH]
            docs = [todo[i][0] for i in ids]
            staging.add(ids=ids, documents=docs, metadatas=[todo[i][1] for i in ids],
                        embeddings=self.embeddings.embed_documents(docs))
            if bar:
                bar.update(len(ids))
        if bar:
            bar.close()

    def _switch(self, staging, digest: str) -> None:
        """The switch: one metadata write (the collection and the digest of its windows); before it, the previous
        index is what everyone serves. Then the old index and any half-built orphans go."""
        self.client.get_collection(self.pointer_name, embedding_function=None).modify(
            metadata={"active": staging.name, "windows": digest})
        self.collection = staging
        for c in self.client.list_collections():
            name = getattr(c, "name", c)
            if name.startswith(self.base + "-") and name[len(self.base) + 1:].isdigit() and name != staging.name:
                _quiet(self.client.delete_collection, name)

    def query(self, vector: list[float], k: int, city: str | list[str] | None = None) -> list[tuple[str, float]]:
        """(clause id it maps to, cosine similarity) per window, best first (see `query_windows`)."""
        return [(target, sim) for target, _window, sim in self.query_windows(vector, k, city)]

    def query_windows(self, vector: list[float], k: int, city: str | list[str] | None = None
                      ) -> list[tuple[str, str, float]]:
        """(clause id it maps to, window id `<clause id>#<sentence number>`, cosine similarity) per window, best first.

        On a large index a city is filtered here, not in Chroma: Chroma's `where` filter makes the
        search scan (120 ms at 100k windows against 15 ms unfiltered), so we over-fetch and filter,
        and only ask Chroma to filter when the city is too rare among the nearest windows. On a small
        index the filtered search is the cheaper one (2 ms). `city` may be a list: a place and the
        regions above it (哈尔滨市, 黑龙江省, 全国)."""
        cities = [city] if isinstance(city, str) else list(city or [])
        where = None if not cities else {"city": cities[0]} if len(cities) == 1 else {"city": {"$in": cities}}
        if cities and self._size < OVERSAMPLE_FROM:
            return [(m["maps_to"], i, 1.0 - d) for i, m, d in self._query(vector, k, where)]
        fetch = k * CITY_OVERSAMPLE if cities else k
        rows = self._query(vector, fetch, None)
        if cities:
            rows = [(i, m, d) for i, m, d in rows if m.get("city") in cities]
            if len(rows) < k // CITY_OVERSAMPLE:
                rows = self._query(vector, k, where)
        return [(m["maps_to"], i, 1.0 - d) for i, m, d in rows[:k]]

    def _query(self, vector: list[float], k: int, where: dict | None) -> list[tuple[str, dict, float]]:
        for attempt in (1, 2):
            if self.collection is None:
                return []
            try:
                res = self.collection.query(query_embeddings=[vector], n_results=k, where=where,
                                            include=["metadatas", "distances"])
                return list(zip(res["ids"][0], res["metadatas"][0], res["distances"][0]))
            except Exception as e:
                if attempt == 1:  # another replica may have switched the index: follow the pointer
                    try:
                        self.collection = self._active()
                        continue
                    except Exception:
                        pass
                raise Unavailable(f"the vector store did not answer: {e}") from e
        return []


def _digest(want: dict[str, str]) -> str:
    """One hash of every window id and what it was built from: equal digests, equal windows. Reading a
    100k-clause store's 530k windows back to compare them took ~24 s of every start."""
    return hashlib.sha256("\n".join(f"{i}\t{sha}" for i, sha in want.items()).encode("utf-8")).hexdigest()


def _windows_key(version: str, city_of: dict[str, str]) -> str:
    """Everything the windows' digest depends on: the clauses (their corpus's version), their cities, and the
    code that splits and names the windows (this module)."""
    code = Path(__file__).read_bytes()
    return hashlib.sha256(code + json.dumps([version, sorted(city_of.items())]).encode()).hexdigest()[:32]


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _quiet(fn, *args) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - best-effort clean-up
        pass
