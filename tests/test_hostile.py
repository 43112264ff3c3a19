"""Hostile input: a fuzz of the API from its own OpenAPI spec, and a soak with flat memory (the app in
process on the session's hash index)."""
from __future__ import annotations

import random
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from familydesk import Settings
from familydesk.app import create_app


def test_fuzz_api_never_5xx(hashed, tmp_path):
    """Every operation of the OpenAPI spec, with generated (valid and invalid) inputs: never a 5xx,
    never a stack trace."""
    from hypothesis import given

    app = create_app(hashed, Settings(rate_limit=0, data_dir=tmp_path))  # schemathesis runs its start-up once
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path == "/api/ask" for op in operations)
    seen = []

    for op in operations:
        @given(case=op.as_strategy())
        @hsettings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call()
            seen.append(response.status_code)
            assert response.status_code < 500, (case.path, case.body, case.query, response.text[:300])
            assert "Traceback" not in response.text

        check()
    assert len(seen) >= 3 * len(operations) and any(code >= 400 for code in seen)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_soak_2000_requests_no_errors_flat_memory(make_client):
    rng = random.Random(3)
    questions = ["包头三孩产假多少天", "how long is paternity leave in Baotou", "北京托育机构水电价格",
                 "Ganzhou childcare subsidy", "Tell me a joke about cats", "上海产假", "赣州长幼随学"]
    errors = 0
    client = make_client()
    for i in range(300):  # warm-up: caches fill, allocator settles
        client.post("/api/ask", json={"question": rng.choice(questions) + str(i % 50)})
    before = _rss_mb()
    for i in range(2000):
        q = rng.choice(questions) + ("" if i % 3 else f" {i}")
        r = client.post("/api/ask", json={"question": q}) if i % 4 else client.get("/api/search", params={"q": q})
        errors += r.status_code != 200
    after = _rss_mb()
    assert errors == 0
    assert after - before < 60, f"memory grew from {before:.0f} MB to {after:.0f} MB over 2,000 requests"
