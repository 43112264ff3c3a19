"""Rate limits on the `limits` library: the moving window, proxies, and one budget for replicas sharing a
real Redis server (started here in a temp dir)."""
from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from familydesk import Settings
from familydesk.app import create_app
from familydesk.ratelimit import SlidingWindow, client_address

from .helpers import accepts_connections, free_port, stop, wait_until


def test_moving_window_allows_then_says_how_long_to_wait():
    w = SlidingWindow(3)
    assert [w.check("a") for _ in range(3)] == [None, None, None]
    wait = w.check("a")
    assert wait is not None and 1 <= wait <= 60
    assert w.check("b") is None  # another client has its own budget
    assert all(SlidingWindow(0).check("a") is None for _ in range(100))  # 0 turns it off


def test_the_client_behind_a_trusted_proxy_is_the_forwarded_address():
    assert client_address("203.0.113.9", "1.2.3.4", None) == "203.0.113.9"  # no proxy trusted: the peer
    assert client_address("203.0.113.9", "1.2.3.4", "10.0.0.0/8") == "203.0.113.9"  # an untrusted peer
    assert client_address("10.0.0.5", "1.2.3.4", "10.0.0.0/8") == "1.2.3.4"
    # a client cannot pick its own key by sending a forged header: the proxy appends the real one
    assert client_address("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.7", "10.0.0.0/8") == "1.2.3.4"


def test_api_budgets_per_forwarded_client(hashed, tmp_path):
    settings = Settings(rate_limit=2, trusted_proxies="127.0.0.1", data_dir=tmp_path,
                        chroma_dir=hashed.settings.chroma_dir)
    app = create_app(hashed, settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))

    async def run():
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            a = {"X-Forwarded-For": "198.51.100.1"}
            codes = [(await c.get("/api/search", params={"q": "产假"}, headers=a)).status_code for _ in range(3)]
            codes += [(await c.post("/api/ask", json={"question": "产假"}, headers=a)).status_code for _ in range(3)]
            other = await c.post("/api/ask", json={"question": "产假"}, headers={"X-Forwarded-For": "198.51.100.2"})
            return codes, other.status_code

    import asyncio

    codes, other = asyncio.run(run())
    assert codes[3:] == [200, 200, 429] and other == 200


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: `make setup-servers` installs Debian's redis-server")
    port, folder = free_port(), tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: accepts_connections(port), proc=proc, timeout=10, interval=0.05, what="redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    stop(proc)


def test_replicas_sharing_redis_share_one_budget(redis_url):
    first, second = SlidingWindow(3, redis_url, "t-share"), SlidingWindow(3, redis_url, "t-share")
    assert [first.check("c"), second.check("c"), first.check("c")] == [None, None, None]
    assert second.check("c") is not None and first.check("c") is not None
    assert SlidingWindow(3, redis_url, "t-other").check("c") is None  # another namespace, another budget


def test_api_and_bot_limits_use_redis_when_configured(redis_url, hashed, tmp_path):
    from familydesk.telegram_bot import UserLimit

    bot = UserLimit(1, redis_url)
    assert bot.check(42) is None and bot.check(42).first and not bot.check(42).first
    settings = Settings(rate_limit=1, redis_url=redis_url, data_dir=tmp_path, chroma_dir=hashed.settings.chroma_dir)
    one, two = create_app(hashed, settings), create_app(hashed, settings)  # two replicas

    async def run():
        codes = []
        for app in (one, two):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                codes.append((await c.post("/api/ask", json={"question": "产假"})).status_code)
        return codes

    import asyncio

    assert asyncio.run(run()) == [200, 429]
