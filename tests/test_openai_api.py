"""The OpenAI-compatible face, driven by the official `openai` client: over real HTTP with the real model,
and in process (the client's HTTP client is a TestClient) with API keys on the session's hash index."""
from __future__ import annotations

import openai
import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def v1(make_client) -> TestClient:
    """The app in process with API keys configured."""
    return make_client(api_keys="sk-local-one,sk-local-two")


def client(app: TestClient, key="sk-local-two") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{app.base_url}/v1", api_key=key, max_retries=0, http_client=app)


def test_models_lists_familydesk(v1):
    assert [m.id for m in client(v1).models.list()] == ["familydesk"]


def test_completion_over_http_answers_in_one_shape_with_the_citations(live):
    real = openai.OpenAI(base_url=live.url + "/v1", api_key="sk-any", max_retries=0)  # no keys configured: open
    r = real.chat.completions.create(model="familydesk", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "how long is paternity leave in Baotou"}])
    text = r.choices[0].message.content
    lead, quote, source = text.split("\n")  # the line that answers, the quote once, one citation line
    assert lead == "Baotou: 25 days of paternity leave (护理假)" and r.choices[0].finish_reason == "stop"
    assert quote.startswith("The official document says: “") and "男职工享受25天的护理假" in quote
    assert text.count("男职工享受25天的护理假") == 1
    assert source.startswith("Source: 《包头市") and "[1]" not in text
    extra = r.model_extra
    assert extra["citations"][0]["id"] == "baotou-2025-task-list:2" and extra["abstained"] is False
    assert [c["used"] for c in extra["citations"]] == [True] + [False] * (len(extra["citations"]) - 1)


def test_streaming_in_openai_chunks_with_history(v1):
    stream = client(v1).chat.completions.create(model="familydesk", stream=True, messages=[
        {"role": "user", "content": "北京有生育补贴吗"}, {"role": "assistant", "content": "……"},
        {"role": "user", "content": "包头呢？"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "【包头】" in text and "出处：《" in text and len(chunks) >= 4
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["standalone_question"] == "包头有生育补贴吗"


def test_keys_and_errors_in_openai_shape(v1):
    with pytest.raises(openai.AuthenticationError):
        client(v1, key="wrong").models.list()
    r = v1.post("/v1/chat/completions", headers={"Authorization": "Bearer sk-local-one"},
                json={"model": "familydesk", "messages": [{"role": "assistant", "content": "hi"}]})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
