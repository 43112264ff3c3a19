"""Scale-out: two `familydesk serve` replicas starting together on one Chroma server build the
index once and both answer; 600 mixed questions at concurrency 8 come back without an error."""
from __future__ import annotations

import pytest

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import yaml

from familydesk.settings import PROJECT_ROOT

from .helpers import free_port, serve_process, start_chroma, stop, wait_until_up

pytestmark = pytest.mark.slow  # real processes or servers (make test-fast skips them)


def test_two_replicas_share_one_chroma_server(tmp_path):
    chroma_port = free_port()
    chroma = start_chroma(tmp_path / "chroma", chroma_port)
    env = {"FAMILYDESK_CHROMA_URL": f"http://127.0.0.1:{chroma_port}", "FAMILYDESK_RATE_LIMIT": "0",
           "FAMILYDESK_DATA_DIR": str(tmp_path / "data")}
    ports = [free_port(), free_port()]
    replicas = [serve_process(p, env, tmp_path / f"replica-{p}.log") for p in ports]  # started together: they race for the build
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url, proc in zip(urls, replicas):
            wait_until_up(url + "/healthz", proc=proc, timeout=120, interval=0.2, what="a replica")
        health = [httpx.get(u + "/healthz").json() for u in urls]
        assert health[0]["vectors"] == health[1]["vectors"] > 400
        import chromadb

        client = chromadb.HttpClient(host="127.0.0.1", port=chroma_port)
        names = sorted(c.name for c in client.list_collections())
        built = [n for n in names if n.rsplit("-", 1)[-1].isdigit()]
        assert len(built) == 1, names  # one index, built once; no half-built leftovers, no lock left
        assert not any(n.endswith("-lock") for n in names)
        questions = [json.loads(line)["q"] for line in
                     (PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()]
        work = (questions * 5)[:600]

        http = httpx.Client(timeout=60)  # one client: a client per request loads the CA bundle each time

        def ask(i_q):
            i, q = i_q
            return http.post(urls[i % 2] + "/api/ask", json={"question": q}).status_code

        with http, ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(ask, enumerate(work)))
        assert codes.count(200) == 600
    finally:
        for proc in [*replicas, chroma]:
            stop(proc)


def test_compose_file_describes_the_deployment():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"chroma", "index", "api", "telegram"} <= set(services)
    assert "/api/v2/heartbeat" in " ".join(services["chroma"]["healthcheck"]["test"])
    for name in ("index", "api", "telegram"):
        assert "FAMILYDESK_CHROMA_URL=http://chroma:8000" in services[name]["environment"], name
    assert services["api"]["depends_on"]["index"]["condition"] == "service_completed_successfully"
    assert "llm" in services and services["llm"]["profiles"] == ["llm"]
    # the multi-replica profile: one PostgreSQL for the query log and votes, one Redis for the rate limits
    assert all(services[n]["profiles"] == ["replicas"] for n in ("postgres", "redis", "replica"))
    env = services["replica"]["environment"]
    assert any(e.startswith("FAMILYDESK_DATABASE_URL=postgresql+psycopg://") and "@postgres:5432/" in e for e in env)
    assert "FAMILYDESK_REDIS_URL=redis://redis:6379/0" in env
    assert {"postgres", "redis", "index"} <= set(services["replica"]["depends_on"])
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "python:3.11-slim" in dockerfile and "USER familydesk" in dockerfile and "HEALTHCHECK" in dockerfile
    # the data folder compose mounts exists and belongs to the user the service runs as (no engine here to build it)
    assert "mkdir -p /data" in dockerfile and "chown -R familydesk /app /data" in dockerfile
    assert dockerfile.index("chown -R familydesk /app /data") < dockerfile.index("USER familydesk")
