"""The index survives crashes and outages: kill -9 mid-rebuild, a Chroma server that goes away."""
from __future__ import annotations

import pytest

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from familydesk import Assistant, Settings
from familydesk.app import create_app

from .helpers import LiveServer, free_port, start_chroma, stop, wait_until, wait_until_up

NEW_DOC = (Path(__file__).parent / "data" / "test-city.txt").read_text(encoding="utf-8")

pytestmark = pytest.mark.slow  # real processes or servers (make test-fast skips them)

SLOW_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from familydesk import Assistant, Settings
    from familydesk.embeddings import make_embeddings

    inner, fingerprint = make_embeddings(Settings().embedding)  # the test's (hash), as the parent's
    class Slow:
        def embed_documents(self, texts):
            Path(sys.argv[2]).touch()  # tell the test the rebuild has started
            time.sleep(0.5)
            return inner.embed_documents(texts)
        def embed_query(self, text):
            return inner.embed_query(text)
    Assistant(Settings(index_dir=Path(sys.argv[1]), chroma_dir=Path(sys.argv[3])),
              embeddings=Slow(), embedding_fingerprint=fingerprint).load()
""")


def test_kill_9_during_reindex_keeps_the_previous_index(index_copy, tmp_path):
    chroma = tmp_path / "chroma"
    settings = Settings(index_dir=index_copy, chroma_dir=chroma)
    before = Assistant(settings).load()
    n_before = before.store.count()
    del before
    # a new document makes the next load rebuild; kill that process while it embeds
    manifest_backup = (index_copy / "manifest.json").read_text(encoding="utf-8")
    from familydesk.corpus import put_document

    entry = {"id": "kill-test", "title": "测试", "issuer": "赣州", "number": None, "date": "", "city": "赣州",
             "authority": "official", "repost_of": None}
    put_document(index_copy, entry, NEW_DOC)
    marker = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(index_copy), str(marker), str(chroma)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(marker.exists, proc=proc, interval=0.05, what="the rebuild")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    # put the manifest back: the previous index must still be there, complete, and serve at once
    (index_copy / "manifest.json").write_text(manifest_backup, encoding="utf-8")
    (index_copy / "sources" / "kill-test.txt").unlink()
    after = Assistant(settings).load()
    assert after.sync_report == {"added": 0, "updated": 0, "deleted": 0, "total": n_before}
    assert after.ask("how long is paternity leave in Baotou").citations[0].clause == "（二）"
    # and a rebuild after the crash takes over the dead process's lock and completes
    put_document(index_copy, entry, NEW_DOC)
    try:
        rebuilt = Assistant(settings).load()
        assert rebuilt.sync_report["added"] > 0 and rebuilt.store.count() > n_before
    finally:
        (index_copy / "manifest.json").write_text(manifest_backup, encoding="utf-8")
        (index_copy / "sources" / "kill-test.txt").unlink()


def test_chroma_server_outage_503_then_recovery(tmp_path):
    port, path = free_port(), tmp_path / "chroma-data"
    chroma = start_chroma(path, port)
    try:
        a = Assistant(Settings(chroma_url=f"http://127.0.0.1:{port}", rate_limit=0)).load()
        with LiveServer(create_app(a, Settings(rate_limit=0))) as server:
            ok = httpx.post(server.url + "/api/ask", json={"question": "包头三孩产假多少天"}, timeout=30)
            assert ok.status_code == 200
            stop(chroma)
            assert httpx.get(server.url + "/healthz", timeout=30).status_code == 503
            r = httpx.post(server.url + "/api/ask", json={"question": "赣州长幼随学是什么"}, timeout=30)
            assert r.status_code == 503 and "vector store" in r.json()["detail"]
            chroma = start_chroma(path, port)  # same data, same port: recovery without a restart
            wait_until_up(server.url + "/healthz", timeout=30, interval=0.5)
            r = httpx.post(server.url + "/api/ask", json={"question": "赣州长幼随学是什么"}, timeout=30)
            assert r.status_code == 200 and r.json()["citations"][0]["region"] == "赣州"
    finally:
        stop(chroma)


def test_corrupted_or_missing_local_index_is_rebuilt(tmp_path, caplog):
    import logging

    caplog.set_level(logging.WARNING)
    settings = Settings(chroma_dir=tmp_path / "chroma")
    fresh = Assistant(settings).load()
    assert "no index in" in caplog.text and fresh.sync_report["added"] > 400
    del fresh
    from familydesk.assistant import _release_chroma

    _release_chroma(tmp_path / "chroma")
    (tmp_path / "chroma" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    caplog.clear()
    again = Assistant(settings).load()
    assert "cannot be read" in caplog.text and "rebuilding from the sources" in caplog.text
    assert again.sync_report["added"] > 400
    assert again.ask("包头三孩产假多少天").citations[0].clause == "（二）"
    assert any(p.name.startswith("chroma.corrupt-") for p in tmp_path.iterdir())
