"""The JSON API: the answer contract over real HTTP with the real model (uvicorn on a loopback port); client
errors, search, clauses, limits and logs in process (TestClient) on the session's hash index."""
from __future__ import annotations

import httpx

CITATION_KEYS = {"id", "doc_id", "title", "doc_number", "issuer", "date", "region", "clause", "text", "score"}


def test_ask_contract(live):
    r = httpx.post(live.url + "/api/ask", json={"question": "how long is paternity leave in Baotou"})
    assert r.status_code == 200
    body = r.json()
    assert {"answer", "abstained", "region", "citations"} <= set(body)
    assert body["abstained"] is False and body["region"] == "包头"
    top = body["citations"][0]
    assert CITATION_KEYS <= set(top)
    assert top["clause"] == "（二）" and top["region"] == "包头" and "男职工享受25天的护理假" in top["text"]
    scores = [c["score"] for c in body["citations"]]
    assert scores[0] == max(scores)


def test_citations_say_which_clauses_the_answer_used(live):
    schema = httpx.get(live.url + "/openapi.json").json()["components"]["schemas"]
    assert schema["Citation"]["properties"]["used"]["type"] == "boolean"
    assert "lead" in schema["AnswerPublic"]["properties"] and "used" in schema["AnswerPublic"]["properties"][
        "citations"]["description"]
    body = httpx.post(live.url + "/api/ask", json={"question": "包头陪产假多少天"}).json()
    used = [c for c in body["citations"] if c["used"]]
    assert [c["id"] for c in used] == ["baotou-2025-task-list:2"] and used[0]["quote"] in body["answer"]
    related = [c for c in body["citations"] if not c["used"]]
    assert related and all(c["quote"] == "" and c["reference"] not in body["answer"] for c in related)
    assert body["lead"] == "【包头】男职工护理假（陪产假）25天" and body["answer"].startswith(body["lead"] + "\n")
    # not stated: the closest clause is used, and the lead says what is not stated
    body = httpx.post(live.url + "/api/ask", json={"question": "赣州育儿补贴有多少"}).json()
    assert body["abstained"] is True and body["reason"] == "figure_not_stated"
    assert [c["used"] for c in body["citations"]][:2] == [True, False]
    assert body["lead"].startswith("【赣州】文件没有写明育儿补贴的具体金额")
    # several regions: one used clause each, in the order answered
    body = httpx.post(live.url + "/api/ask", json={"question": "产假多少天"}).json()
    assert len({c["region"] for c in body["citations"] if c["used"]}) == len(body["lead"].split("\n")) - 1 >= 2
    # a search has no answer: nothing in it is used
    hits = httpx.get(live.url + "/api/search", params={"q": "护理假"}).json()["hits"]
    assert hits and not any(h["used"] for h in hits)


def test_ask_with_region_and_abstain(make_client):
    client = make_client()
    r = client.post("/api/ask", json={"question": "产假多少天", "region": "Beijing"})
    body = r.json()
    assert r.status_code == 200 and body["abstained"] is True and body["region"] == "北京"
    r = client.post("/api/ask", json={"question": "Tell me a joke about cats", "region": None})
    assert r.json()["abstained"] is True


def test_client_errors_are_4xx_with_a_message(make_client):
    client = make_client()
    cases = [
        ({"question": ""}, 422), ({"question": "   "}, 422), ({"question": "x" * 1001}, 422),
        ({"question": 42}, 422), ({}, 422), ({"question": "产假", "region": "Hangzhou"}, 422),
    ]
    for payload, status in cases:
        r = client.post("/api/ask", json=payload)
        assert r.status_code == status, payload
        assert "detail" in r.json() and "Traceback" not in r.text
    r = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/ask", content=b"x" * (401 * 1024), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/ask", json={"question": "产假", "region": "Hangzhou"})
    assert "北京" in r.text  # the error lists the cities covered


def test_search_clause_documents_health(make_client):
    client = make_client()
    r = client.get("/api/search", params={"q": "护理假", "region": "包头", "k": 3})
    hits = r.json()["hits"]
    assert r.status_code == 200 and 1 <= len(hits) <= 3 and hits[0]["clause"] == "（二）"
    assert all(h["region"] == "包头" for h in hits)
    assert len(client.get("/api/search", params={"q": "托育", "k": 999}).json()["hits"]) <= 50
    assert client.get("/api/search", params={"q": "托育", "k": "many"}).status_code == 422
    r = client.get("/api/clauses/baotou-2025-task-list:2")
    assert r.status_code == 200 and r.json()["clause"] == "（二）"
    assert client.get("/api/clauses/nope:1").status_code == 404
    assert client.get("/api/clauses/..%2F..%2Fetc%2Fpasswd").status_code == 404
    docs = client.get("/api/documents").json()
    assert {d["id"] for d in docs} >= {"baotou-2025-task-list", "ganzhou-2025-measures"}
    assert all("clauses" in d for d in docs)
    h = client.get("/healthz")
    assert h.status_code == 200 and h.json()["status"] == "ok"
    assert client.get("/openapi.json").json()["paths"]["/api/ask"]["post"]


def test_rate_limit_429(make_client):
    client = make_client(rate_limit=3)
    codes = [client.post("/api/ask", json={"question": "产假"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    r = client.get("/api/documents")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert client.get("/healthz").status_code == 200  # health is never limited
    # search-as-you-type has ten times the budget, counted apart
    codes = [client.get("/api/search", params={"q": "产假"}).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_personal_data_not_logged(make_client, caplog):
    client = make_client()
    import logging

    caplog.set_level(logging.INFO)
    q = "我的身份证110101199003071234，手机13812345678，mama@example.com，包头三孩产假多少天"
    r = client.post("/api/ask", json={"question": q})
    assert r.status_code == 200 and "188天" in r.json()["answer"]  # still answered
    logged = caplog.text
    assert "ask" in logged
    for secret in ("110101199003071234", "13812345678", "mama@example.com"):
        assert secret not in logged
