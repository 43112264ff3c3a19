"""The index: idempotent sync by content hash, ingest replacing exactly a document's clauses,
the Chroma server through the same code, and the sentence-transformers provider offline."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from familydesk import Overrides
from familydesk import Assistant, Settings
from familydesk.embeddings import make_embeddings
from familydesk.errors import BadRequest, Unavailable
from familydesk.settings import PROJECT_ROOT

from .helpers import free_port

NEW_DOC = (Path(__file__).parent / "data" / "test-city.txt").read_text(encoding="utf-8")


def _windows_by_doc(assistant: Assistant, doc_id: str | None) -> dict[str, str]:
    """Window id → sha of one document's windows (None: all of them), in one read."""
    got = assistant.store.collection.get(where={"doc_id": doc_id} if doc_id else None, include=["metadatas"])
    return {i: m["sha"] for i, m in zip(got["ids"], got["metadatas"])}


def test_sync_is_idempotent(hashed):
    again = Assistant(hashed.settings).load()
    assert again.sync_report["added"] == again.sync_report["updated"] == again.sync_report["deleted"] == 0
    assert again.store.count() == hashed.store.count() == again.sync_report["total"]


def test_the_windows_are_read_a_page_at_a_time_and_only_without_a_digest(hashed, monkeypatch):
    """Past ~32k windows one read of the whole collection fails in SQLite (too many SQL variables), and every start
    took the store for corrupt and rebuilt it: windows are read in pages (here of 100; the shipped corpus has a few
    hundred), and only when the pointer lacks the digest of the windows it serves (a store built before digests)."""
    import familydesk.store as store

    monkeypatch.setattr(store, "GET_PAGE", 100)
    have = hashed.store._have(hashed.store.collection)
    assert len(have) == hashed.store.count() > 3 * store.GET_PAGE
    assert have == _windows_by_doc(hashed, None)
    reads = []
    monkeypatch.setattr(store.ClauseStore, "_have", staticmethod(lambda c: reads.append(c) or have))
    pointer = hashed.store.client.get_collection(hashed.store.pointer_name)
    recorded = pointer.metadata["windows"]
    pointer.modify(metadata={"active": hashed.store.collection.name, "windows": ""})  # as built before digests
    for _ in range(2):  # the first load reads the windows and records the digest; the second reads nothing
        again = Assistant(hashed.settings).load()
        assert again.sync_report["added"] == again.sync_report["updated"] == again.sync_report["deleted"] == 0
        assert len(reads) == 1 and again.store.count() == len(have)
    assert hashed.store._pointer()["windows"] == recorded


def test_ingest_adds_then_replaces_exactly_its_clauses(index_copy, tmp_path):
    settings = Settings(index_dir=index_copy, chroma_dir=tmp_path / "chroma")
    a = Assistant(settings).load()
    before = {d: _windows_by_doc(a, d) for d in a.corpus.documents}
    src = tmp_path / "test-city.txt"
    src.write_text(NEW_DOC, encoding="utf-8")
    report = a.ingest(src, Overrides(region="赣州", title="关于测试城市托育服务的若干措施", date="2026-01-01", doc_id="test-city"))
    assert report["changed"] and report["clauses"] == 2 and report["index"]["added"] > 0
    assert a.corpus.clause("test-city:1").responsible_units == "市卫生健康委"
    hit = a.search("每个街道普惠托育机构", region="赣州", k=1)[0]
    assert hit.doc_id == "test-city" and hit.clause == "一、"
    assert hit.reference == "《关于测试城市托育服务的若干措施》一、"  # an added text is cited by its path
    # the same text again: nothing changes
    report = a.ingest(src, Overrides(region="赣州", title="关于测试城市托育服务的若干措施", date="2026-01-01", doc_id="test-city"))
    assert not report["changed"]
    assert report["index"]["added"] == report["index"]["updated"] == report["index"]["deleted"] == 0
    # a changed text replaces exactly its own clauses
    first = _windows_by_doc(a, "test-city")
    src.write_text(NEW_DOC.replace("每年发放育儿补贴", "每月发放育儿补贴"), encoding="utf-8")
    report = a.ingest(src, Overrides(region="赣州", title="关于测试城市托育服务的若干措施", date="2026-01-01", doc_id="test-city"))
    assert report["changed"] and 0 < report["index"]["updated"] <= 2 and report["index"]["added"] == 0
    after = _windows_by_doc(a, "test-city")
    assert {k: v for k, v in after.items() if k.startswith("test-city:1#")} == \
        {k: v for k, v in first.items() if k.startswith("test-city:1#")}
    assert {d: _windows_by_doc(a, d) for d in before} == before  # other documents untouched
    with pytest.raises(BadRequest):
        a.ingest(src, Overrides(region="Atlantis", title="x"))


def test_sources_change_rebuilds_on_load(index_copy, tmp_path):
    settings = Settings(index_dir=index_copy, chroma_dir=tmp_path / "chroma")
    Assistant(settings).load()
    path = index_copy / "sources" / "ganzhou-2025-measures.txt"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original.replace("鼓励国有平台公司建设运营托育机构", "鼓励国有企业建设运营托育机构"), encoding="utf-8")
        b = Assistant(settings).load()
        assert 0 < b.sync_report["updated"] <= 20
        assert b.sync_report["added"] == b.sync_report["deleted"] == 0
    finally:
        path.write_text(original, encoding="utf-8")


def test_chroma_server_mode(chroma_server, hashed):
    a = Assistant(Settings(chroma_url=chroma_server)).load()
    assert a.health()["vectors"] == hashed.store.count()
    ans = a.ask("how long is paternity leave in Baotou")
    assert not ans.abstained and ans.citations[0].clause == "（二）"
    # a second replica on the same server finds the index built: nothing re-embedded
    b = Assistant(Settings(chroma_url=chroma_server)).load()
    assert b.sync_report["added"] == 0
    assert b.ask("包头三孩产假多少天").citations[0].clause == "（二）"


def test_unreachable_chroma_server_is_a_clear_error():
    with pytest.raises(Unavailable, match="Chroma"):
        Assistant(Settings(chroma_url=f"http://127.0.0.1:{free_port()}")).load()


@pytest.mark.model
def test_sentence_transformers_provider_offline(tmp_path):
    """The packaged all-MiniLM-L6-v2 loads from site-packages through langchain-huggingface (once), and indexes
    a one-document knowledge base (what is tested is the provider, not its ranking of the whole corpus)."""
    emb, fingerprint = make_embeddings("sentence-transformers")
    assert fingerprint.startswith("st-")
    v = emb.embed_query("paternity leave")
    assert len(v) == 384
    index = tmp_path / "index"
    shutil.copytree(PROJECT_ROOT / "index", index, ignore=shutil.ignore_patterns(".chroma"))
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["id"] == "baotou-2025-task-list"]
    (index / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    a = Assistant(Settings(embedding="sentence-transformers", index_dir=index, chroma_dir=tmp_path / "c"),
                  embeddings=emb, embedding_fingerprint=fingerprint).load()
    assert fingerprint in a.store.name and a.store.count() > 0  # one collection per embedding model
    assert a.ask("包头三孩产假多少天").citations[0].clause == "（二）"


def test_lexical_only_mode(tmp_path):
    a = Assistant(Settings(embedding="none", chroma_dir=tmp_path / "c")).load()
    assert a.store is None
    assert a.ask("包头三孩产假多少天").citations[0].clause == "（二）"


def test_a_restart_with_unchanged_sources_splits_no_clause_and_a_changed_source_syncs(tmp_path, monkeypatch):
    """The windows' digest is kept under the corpus's version: a restart with the same sources compares it with
    the pointer's without splitting a clause; a changed source splits them again and syncs the store."""
    import familydesk.store as store

    index = tmp_path / "index"
    shutil.copytree(PROJECT_ROOT / "index", index, ignore=shutil.ignore_patterns(".chroma"))
    settings = Settings(index_dir=index, chroma_dir=tmp_path / "chroma")
    first = Assistant(settings).load()
    splits: list[int] = []
    real = store.ClauseStore._windows
    monkeypatch.setattr(store.ClauseStore, "_windows", lambda self, cl, city: splits.append(1) or real(self, cl, city))
    again = Assistant(settings).load()
    assert splits == [] and again.sync_report == {**first.sync_report, "added": 0}
    assert again.store.count() == first.store.count() == again.sync_report["total"]
    path = index / "sources" / "ganzhou-2025-measures.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("鼓励国有平台公司建设运营托育机构", "鼓励国有企业建设运营托育机构"),
                    encoding="utf-8")
    changed = Assistant(settings).load()
    assert splits and 0 < changed.sync_report["updated"] <= 20
    city_of = {d.id: d.city for d in changed.corpus.documents.values()}
    want = {i: w[1]["sha"] for i, w in real(changed.store, changed.corpus.clauses, city_of).items()}
    assert _windows_by_doc(changed, None) == want
    assert changed.store._pointer()["windows"] == store._digest(want)
    splits.clear()
    Assistant(settings).load()
    assert splits == []


def test_a_window_found_names_its_clause_and_sentence(hashed):
    """The vector search says which sentence of a clause was near: `<clause id>#<sentence number>`."""
    vector = hashed.embeddings.embed_query("包头 护理假 25天")
    rows = hashed.store.query_windows(vector, 5, city="包头")
    assert rows and [(c, s) for c, _, s in rows] == hashed.store.query(vector, 5, city="包头")
    clauses = {c.id: c for c in hashed.corpus.clauses}
    for target, window, _sim in rows:
        own, _, number = window.rpartition("#")
        assert own in clauses and (clauses[own].maps_to or own) == target
        assert int(number) < max(1, len(clauses[own].sentences))
