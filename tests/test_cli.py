"""The `familydesk` command in real processes: ask, search, eval, help, errors."""
from __future__ import annotations

import pytest

import json
import re

from familydesk.settings import PROJECT_ROOT

from .helpers import familydesk_cli

pytestmark = pytest.mark.slow  # real processes or servers (make test-fast skips them)


def test_ask_paternity_leave_english(tmp_path):
    r = familydesk_cli("ask", "how long is paternity leave in Baotou", env={"FAMILYDESK_CHROMA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "25 days" in r.stdout and "男职工享受25天的护理假" in r.stdout
    assert "包府办发〔2025〕49号" in r.stdout and "（二）" in r.stdout


def test_ask_json_and_figure_not_stated(tmp_path):
    r = familydesk_cli("ask", "北京产假一共多少天", "--json", env={"FAMILYDESK_CHROMA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["abstained"] is True and body["reason"] == "figure_not_stated"
    assert "产假" in body["citations"][0]["text"] and not re.search(r"\d+\s*天", body["answer"])


def test_search_region_and_k(tmp_path):
    r = familydesk_cli("search", "托育", "--region", "Ganzhou", "-k", "2", env={"FAMILYDESK_CHROMA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line and not line.startswith(" ")]
    assert len(lines) == 2 and all("赣州" in line for line in lines)


def test_eval_command(tmp_path):
    r = familydesk_cli("eval", str(PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl"), "--json",
                       env={"FAMILYDESK_CHROMA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    figures = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"hit@1", "hit@3", "mrr", "quote@1", "abstain_ok", "leaks", "p50_ms"} <= set(figures)
    assert figures["leaks"] == 0


def test_clear_errors():
    r = familydesk_cli("ask", "产假", "--region", "Hangzhou")
    assert r.returncode == 1 and "北京" in r.stderr and "Traceback" not in r.stderr
    r = familydesk_cli("ask", "产假", env={"FAMILYDESK_EMBEDDING": "word2vec"})
    assert r.returncode != 0 and "FAMILYDESK_EMBEDDING" in r.stderr and "Traceback" not in r.stderr


def test_help_is_complete_and_documented():
    r = familydesk_cli("--help")
    for command in ("serve", "ask", "search", "ingest", "eval", "index", "settings"):
        assert command in r.stdout
    r = familydesk_cli("ingest", "--help")
    for option in ("--city", "--title", "--number", "--date"):
        assert option in r.stdout
    doc = (PROJECT_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert familydesk_cli("help-doc").stdout == doc, "docs/cli.md is stale: run `make docs`"


def test_ingest_command_is_idempotent(tmp_path):
    import shutil

    index = tmp_path / "index"
    shutil.copytree(PROJECT_ROOT / "index", index, ignore=shutil.ignore_patterns(".chroma"))
    doc = tmp_path / "notice.txt"
    doc.write_text("关于测试的通知\n\n一、发放育儿补贴。对三孩家庭每年发放育儿补贴。〔责任单位：市财政局〕\n", encoding="utf-8")
    env = {"FAMILYDESK_INDEX_DIR": str(index), "FAMILYDESK_CHROMA_DIR": str(tmp_path / "chroma")}
    args = ("ingest", str(doc), "--region", "Ganzhou", "--title", "关于测试的通知", "--date", "2026-01-01", "--json")
    first = familydesk_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout.strip().splitlines()[-1])
    assert report["changed"] and report["clauses"] == 1 and report["id"] == "notice"
    assert report["region"] == "赣州" and report["level"] == "地级"  # the name the knowledge base already uses
    again = json.loads(familydesk_cli(*args, env=env).stdout.strip().splitlines()[-1])
    assert not again["changed"] and again["index"] == {"added": 0, "updated": 0, "deleted": 0,
                                                       "total": again["index"]["total"]}
    r = familydesk_cli("ingest", str(doc), "--region", "Atlantis", "--title", "x", env=env)
    assert r.returncode == 1 and "unknown region" in r.stderr
    shown = familydesk_cli("ingest", str(doc), "--region", "杭州", "--id", "hz", "--dry-run", env=env)
    assert shown.returncode == 0 and "杭州市 (地级)" in shown.stdout and "would add" in shown.stdout
