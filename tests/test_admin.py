"""Admin endpoints behind a bearer token, the query log and its report, and personal data kept out
of every file under the data folder and out of the log. The app in process on the session's hash index."""
from __future__ import annotations

import json
import logging
import sqlite3

import pytest


from .helpers import familydesk_cli

SECRETS = ("110101199003071234", "13812345678", "mama@example.com", "6222021234567890123")


@pytest.fixture()
def admin(make_client):
    """The app in process with an admin token and a data folder of its own (the session's hash index)."""
    return make_client(admin_token="s3cret-token")


def test_admin_refused_without_configured_token(make_client):
    client = make_client()
    for method, path in (("GET", "/api/admin/report"), ("POST", "/api/admin/reindex")):
        r = client.request(method, path, headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "FAMILYDESK_ADMIN_TOKEN" in r.json()["detail"]


def test_admin_needs_the_bearer_token(admin):
    assert admin.get("/api/admin/report").status_code == 401
    r = admin.get("/api/admin/report", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    ok = {"Authorization": "Bearer s3cret-token"}
    assert admin.get("/api/admin/report", headers=ok).status_code == 200
    r = admin.post("/api/admin/reindex", headers=ok)
    assert r.status_code == 200 and r.json()["index"]["added"] == 0


def test_report_lists_frequent_unanswered_questions(admin):
    ok = {"Authorization": "Bearer s3cret-token"}
    for q in ("上海的产假有多少天", "上海的产假有多少天", "Tell me a joke about cats", "包头三孩产假多少天"):
        assert admin.post("/api/ask", json={"question": q}).status_code == 200
    report = admin.get("/api/admin/report", headers=ok).json()
    assert report["questions"] >= 4 and report["abstained"] >= 3
    top = report["unanswered"][0]
    assert top["question"] == "上海的产假有多少天" and top["count"] == 2 and top["reason"] == "uncovered_city"
    assert "包头三孩产假多少天" not in [row["question"] for row in report["unanswered"]]
    assert set(report["feedback"]) == {"up", "down"}


def test_personal_data_never_stored_or_logged(make_client, assistant, caplog):
    admin = make_client(assistant, admin_token="s3cret-token")  # the real model: the question is still answered
    caplog.set_level(logging.DEBUG)
    q = f"我的身份证{SECRETS[0]}，手机{SECRETS[1]}，邮箱{SECRETS[2]}，卡号{SECRETS[3]}，包头三孩产假多少天"
    r = admin.post("/api/ask", json={"question": q})
    assert r.status_code == 200 and "188天" in r.json()["answer"]  # still answered
    with admin.stream("POST", "/api/ask/stream", json={"question": q}) as s:
        events = "".join(s.iter_text())
    assert "188天" in events
    aid = next(json.loads(line[5:])["answer_id"] for line in events.splitlines()
               if line.startswith("data:") and "answer_id" in line)
    assert admin.post("/api/feedback", json={"answer_id": aid, "vote": "down"}).status_code == 200
    files = [p for p in admin.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "queries.sqlite3" for p in files) and any(p.name == "feedback.sqlite3" for p in files)
    for path in files:
        blob = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in blob, (path.name, secret)
    for secret in SECRETS:
        assert secret not in caplog.text
    logged = sqlite3.connect(admin.data_dir / "queries.sqlite3").execute(
        "SELECT question FROM queries ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert "[身份证号]" in logged and "[手机号]" in logged and "包头三孩产假多少天" in logged


@pytest.mark.slow  # real processes
def test_report_command(tmp_path):
    env = {"FAMILYDESK_DATA_DIR": str(tmp_path / "data"), "FAMILYDESK_CHROMA_DIR": str(tmp_path / "chroma")}
    assert familydesk_cli("ask", "杭州的育儿补贴", env=env).returncode == 0
    r = familydesk_cli("report", "--json", env=env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["unanswered"][0]["question"] == "杭州的育儿补贴" and data["unanswered"][0]["reason"] == "uncovered_city"
