"""The BM25 index is saved beside the vector index and loaded at the next start: the same rankings,
and a changed clause, another tokenizer or a damaged file never lets a stale index be used."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from familydesk import Assistant, Settings
from familydesk.lexical import Tokenizer, cached_bm25
from familydesk.settings import PROJECT_ROOT

QUESTIONS = [json.loads(line)["q"] for line in
             (PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()[:40]]


def rankings(assistant: Assistant) -> list:
    return [[(h.clause.id, float(h.score)) for h in assistant.index.search(assistant.reader.read(q), k=10)]
            for q in QUESTIONS]


def test_a_second_start_loads_the_saved_index_and_ranks_the_same(tmp_path):
    settings = Settings(embedding="none", chroma_dir=tmp_path / "chroma", data_dir=tmp_path / "data")
    first = Assistant(settings).load()
    saved = list((tmp_path / "chroma" / "lexical").glob("bm25-*"))
    assert not first.index.bm25_from_cache and len(saved) == 1
    second = Assistant(settings).load()
    assert second.index.bm25_from_cache
    assert second.index.bm25.idf == first.index.bm25.idf
    assert rankings(second) == rankings(first)
    assert [first.ask(q).to_dict() for q in QUESTIONS[:10]] == [second.ask(q).to_dict() for q in QUESTIONS[:10]]


def test_a_changed_clause_or_tokenizer_builds_a_new_index(tmp_path):
    texts = ["生育津贴按照用人单位上年度职工月平均工资计发", "产假延长六十日", "育儿补贴每孩每年三千六百元"]
    tokenizer = Tokenizer(stopwords=("按照",))
    built, from_cache = cached_bm25(texts, tokenizer, tmp_path)
    loaded, again = cached_bm25(texts, tokenizer, tmp_path)
    assert (from_cache, again) == (False, True)
    for term in ("产假", "§津贴"):
        assert np.array_equal(loaded.scores([term]), built.scores([term]))
    changed, hit = cached_bm25([*texts[:2], "育儿补贴每孩每年五千元"], tokenizer, tmp_path)
    assert not hit and "§五千" in changed.idf and "§五千" not in built.idf
    assert len(list(tmp_path.glob("bm25-*"))) == 1  # the stale one is gone
    other, hit = cached_bm25([*texts[:2], "育儿补贴每孩每年五千元"], Tokenizer(stopwords=("产假",)), tmp_path)
    assert not hit and "产假" not in other.idf


def test_a_damaged_saved_index_is_rebuilt(tmp_path, caplog):
    texts, tokenizer = ["产假延长六十日", "育儿补贴每孩每年三千六百元"], Tokenizer()
    built, _ = cached_bm25(texts, tokenizer, tmp_path)
    (next(tmp_path.glob("bm25-*")) / "terms.json").write_text("not json", encoding="utf-8")
    again, hit = cached_bm25(texts, tokenizer, tmp_path)
    assert not hit and again.idf == built.idf and "cannot be read" in caplog.text
    assert cached_bm25(texts, tokenizer, tmp_path)[1]  # saved again, whole


# jieba's dictionary is loaded once per process: each start below is a process of its own.
_CUT = """
import json, sys
import jieba
if sys.argv[2] == "cache only":  # jieba's own loading must not run: the words come from the cache
    jieba.Tokenizer.initialize = lambda *a, **k: sys.exit("jieba's own loading ran")
from familydesk.lexical import Tokenizer
t = Tokenizer(user_words=["生育津贴"], cache_dir=sys.argv[1] or None)
print(json.dumps([t.words(x) + t.query_words(x) for x in json.loads(sys.argv[3])], ensure_ascii=False))
"""


def cut(cache_dir, mode: str = "") -> list:
    run = subprocess.run([sys.executable, "-c", _CUT, str(cache_dir or ""), mode, json.dumps(QUESTIONS)],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def own_words() -> list:
    return cut(None)  # jieba's own loading


def test_jiebas_dictionary_kept_beside_the_index_cuts_the_same_words(tmp_path, own_words):
    assert cut(tmp_path) == own_words  # written from jieba's own loading
    assert [p.name.split("-")[:2] for p in tmp_path.iterdir()] == [["jieba", "dict"]]
    assert cut(tmp_path, "cache only") == own_words  # read back, jieba's own loading never ran


def test_a_damaged_jieba_dictionary_cache_falls_back_to_jiebas_own(tmp_path, own_words):
    import jieba

    source = (Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME).stat()
    damaged = tmp_path / f"jieba-dict-{source.st_size}-{int(source.st_mtime)}.pickle"  # the name a start reads
    damaged.write_bytes(b"not a pickle")
    assert cut(tmp_path) == own_words
    assert not damaged.exists(), "the damaged cache is removed, to be rebuilt at the next start"
