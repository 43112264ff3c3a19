"""The parsed corpus is kept beside the index and read back at the next start: the same clauses, and a changed
source text, manifest entry or parser code, or a damaged file, never lets a stale parse be used."""
from __future__ import annotations

import shutil

import pytest

from familydesk import clauses, corpus, models, text
from familydesk.corpus import PARSER_MODULES, load_corpus
from familydesk.settings import PROJECT_ROOT


@pytest.fixture
def index_dir(tmp_path):
    target = tmp_path / "index"
    shutil.copytree(PROJECT_ROOT / "index", target, ignore=shutil.ignore_patterns(".chroma"))
    return target


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The documents parsed (not read from the cache) since the fixture was made."""
    calls: list[str] = []
    real = corpus.parse_text

    def counting(source, doc_id, **kw):
        calls.append(doc_id)
        return real(source, doc_id, **kw)

    monkeypatch.setattr(corpus, "parse_text", counting)
    return calls


def summary(c: corpus.Corpus) -> list[tuple]:
    return [(cl.id, cl.label, cl.text, cl.path, cl.doc_id) for cl in c.clauses]


def test_a_second_load_reads_the_cached_parse_and_gives_the_same_corpus(index_dir, tmp_path, parses):
    first = load_corpus(index_dir, tmp_path / "cache")
    assert parses and len(list((tmp_path / "cache").glob("corpus-*.pickle"))) == 1
    parses.clear()
    second = load_corpus(index_dir, tmp_path / "cache")
    assert parses == []
    assert second.parsed == first.parsed and second.documents == first.documents
    assert summary(second) == summary(first) == summary(load_corpus(index_dir))
    assert second.fingerprint == first.fingerprint


def test_without_a_cache_dir_nothing_is_kept(index_dir, tmp_path, parses):
    load_corpus(index_dir)
    load_corpus(index_dir)
    assert len(parses) == 2 * len(corpus.read_manifest(index_dir))
    assert not list(tmp_path.rglob("*.pickle"))


def test_a_changed_source_text_is_parsed_again(index_dir, tmp_path, parses):
    load_corpus(index_dir, tmp_path / "cache")
    entry = corpus.read_manifest(index_dir)[0]
    source = index_dir / entry["file"]
    source.write_text(source.read_text(encoding="utf-8").replace("生育", "生養"), encoding="utf-8")
    parses.clear()
    changed = load_corpus(index_dir, tmp_path / "cache")
    assert parses, "the changed text was served from the cache"
    assert any("生養" in c.text for c in changed.clauses if c.doc_id == entry["id"])
    assert summary(changed) == summary(load_corpus(index_dir))
    assert len(list((tmp_path / "cache").glob("corpus-*.pickle"))) == 1  # the old parse is removed


def test_a_changed_manifest_entry_is_parsed_again(index_dir, tmp_path, parses):
    load_corpus(index_dir, tmp_path / "cache")
    entries = corpus.read_manifest(index_dir)
    entries[0]["authority"] = "unofficial" if entries[0].get("authority") == "official" else "official"
    corpus.write_manifest(index_dir, entries)  # official or not changes how paragraphs are split
    parses.clear()
    changed = load_corpus(index_dir, tmp_path / "cache")
    assert parses
    assert summary(changed) == summary(load_corpus(index_dir))


def test_a_changed_parser_is_never_served_an_old_parse(index_dir, tmp_path, parses, monkeypatch):
    load_corpus(index_dir, tmp_path / "cache")
    monkeypatch.setattr(corpus, "parser_version", lambda: "another parser")
    parses.clear()
    load_corpus(index_dir, tmp_path / "cache")
    assert parses, "a parse made by other parser code was served from the cache"


def test_the_parser_version_covers_the_code_of_the_parse():
    shaping = {clauses.parse_text, clauses.align_repost, text.squeeze, models.Clause, corpus.load_corpus}
    assert {f.__module__.rpartition(".")[2] for f in shaping} <= set(PARSER_MODULES)
    assert len(corpus.parser_version()) == 64


def test_a_damaged_cache_is_parsed_again_removed_and_rewritten_at_the_next_load(index_dir, tmp_path, parses, caplog):
    first = load_corpus(index_dir, tmp_path / "cache")
    (kept,) = (tmp_path / "cache").glob("corpus-*.pickle")
    kept.write_bytes(kept.read_bytes()[:1000])
    parses.clear()
    again = load_corpus(index_dir, tmp_path / "cache")
    assert parses and "corpus cache" in caplog.text
    assert summary(again) == summary(first)
    assert not list((tmp_path / "cache").glob("corpus-*"))
    load_corpus(index_dir, tmp_path / "cache")
    parses.clear()
    assert summary(load_corpus(index_dir, tmp_path / "cache")) == summary(first) and parses == []
