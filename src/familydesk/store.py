"""Clause vectors in Chroma: the embedded PersistentClient by default, a Chroma server when scaled out.

A long clause is stored as sentence windows that point back to it (metadata clause_id), so a
question about one sentence of a 500-character clause is not diluted by the rest. Each window
carries its clause's content hash: syncing re-embeds only clauses whose text changed and deletes
windows of clauses that are gone. The collection name carries the embedding fingerprint, so an
index built with one model is never queried with another.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from .errors import Unavailable
from .models import Clause

log = logging.getLogger(__name__)
BATCH = 64


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
    """One Chroma collection of clause windows for one embedding model."""

    def __init__(self, client, embeddings: Embeddings, fingerprint: str, prefix: str = "familydesk") -> None:
        self.client, self.embeddings = client, embeddings
        self.name = re.sub(r"[^A-Za-z0-9._-]", "-", f"{prefix}-{fingerprint}")[:60]
        try:
            self.collection = client.get_or_create_collection(
                self.name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        except Exception as e:
            raise Unavailable(f"the vector store is not available: {e}") from e

    def count(self) -> int:
        return self.collection.count()

    def sync(self, clauses: Iterable[Clause], city_of: dict[str, str], progress: bool = False) -> dict:
        """Make the collection hold exactly these clauses' windows; embed only what changed."""
        wanted: dict[str, tuple[str, dict]] = {}
        for c in clauses:
            for n, text in enumerate(windows(c)):
                wanted[f"{c.id}#{n}"] = (text, {
                    "clause_id": c.id, "doc_id": c.doc_id, "city": city_of[c.doc_id],
                    "maps_to": c.maps_to or c.id, "sha": c.sha256})
        existing = self.collection.get(include=["metadatas"])
        have = {i: (m or {}).get("sha") for i, m in zip(existing["ids"], existing["metadatas"])}
        stale = [i for i, sha in have.items() if i not in wanted or wanted[i][1]["sha"] != sha]
        missing = [i for i in wanted if i not in have or i in stale]
        for start in range(0, len(stale), 500):
            self.collection.delete(ids=stale[start:start + 500])
        bar = None
        if progress and missing:
            from tqdm import tqdm

            bar = tqdm(total=len(missing), desc="embedding clause windows", unit="window")
        for start in range(0, len(missing), BATCH):
            ids = missing[start:start + BATCH]
            docs = [wanted[i][0] for i in ids]
            self.collection.upsert(ids=ids, documents=docs, metadatas=[wanted[i][1] for i in ids],
                                   embeddings=self.embeddings.embed_documents(docs))
            if bar:
                bar.update(len(ids))
        if bar:
            bar.close()
        replaced = len(set(stale) & set(missing))
        return {"added": len(missing) - replaced, "updated": replaced, "deleted": len(stale) - replaced,
                "total": len(wanted)}

    def query(self, vector: list[float], k: int, city: str | None = None) -> list[tuple[str, float]]:
        """(clause id it maps to, cosine similarity) per window, best first."""
        n = self.collection.count()
        if n == 0:
            return []
        try:
            res = self.collection.query(query_embeddings=[vector], n_results=min(k, n),
                                        where={"city": city} if city else None,
                                        include=["metadatas", "distances"])
        except Exception as e:
            raise Unavailable(f"the vector store did not answer: {e}") from e
        return [(m["maps_to"], 1.0 - d) for m, d in zip(res["metadatas"][0], res["distances"][0])]
