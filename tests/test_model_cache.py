"""USE's parsed tokenizer and uncompressed weights kept beside the index: same vectors, and a damaged cache is
never fatal."""
from __future__ import annotations

import numpy as np
import pytest

from familydesk.embeddings import UniversalSentenceEncoderEmbeddings

pytestmark = pytest.mark.slow  # loads the real model three times

TEXTS = ["包头陪产假多少天", "How long is paternity leave in Baotou?", "育儿补贴按年发放，现阶段标准为每孩每年3600元。"]


def test_cached_model_gives_the_packaged_vectors(tmp_path):
    packaged = np.array(UniversalSentenceEncoderEmbeddings().embed_documents(TEXTS))
    first = UniversalSentenceEncoderEmbeddings(cache_dir=tmp_path)  # writes the cache
    files = sorted(p.name for p in tmp_path.iterdir())
    assert [f.split("-")[1] for f in files] == ["tokenizer", "weights"], files
    again = UniversalSentenceEncoderEmbeddings(cache_dir=tmp_path)  # reads it
    assert np.array_equal(packaged, np.array(first.embed_documents(TEXTS)))
    assert np.array_equal(packaged, np.array(again.embed_documents(TEXTS)))


def test_a_damaged_cache_falls_back_to_the_packaged_model(tmp_path, caplog):
    UniversalSentenceEncoderEmbeddings(cache_dir=tmp_path)
    for f in tmp_path.glob("use-tokenizer-*"):
        f.write_bytes(b"not a pickle")
    emb = UniversalSentenceEncoderEmbeddings(cache_dir=tmp_path)
    assert len(emb.embed_query("包头陪产假")) == 512
    assert "model cache" in caplog.text
    assert not list(tmp_path.glob("use-tokenizer-*")), "the damaged cache is removed, to be rebuilt next time"
