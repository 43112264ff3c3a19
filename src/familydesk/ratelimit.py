"""Rate limits on the maintained `limits` library: a moving one-minute window per key, for API clients
and bot users alike. In process by default (its memory storage expires idle keys by itself, so memory
stays bounded however many clients come); in Redis when FAMILYDESK_REDIS_URL is set, so every replica
counts against one budget. Behind a reverse proxy listed in FAMILYDESK_TRUSTED_PROXIES, the client is the
first untrusted address of X-Forwarded-For, not the proxy.
"""
from __future__ import annotations

import ipaddress
import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .metrics import RATE_LIMITED


class SlidingWindow:
    """At most `per_minute` events per key in any 60 s; 0 turns it off. `storage_url`: memory:// (default)
    or redis://host:port/db; `namespace` keeps the API's and the bot's budgets apart in a shared store."""

    def __init__(self, per_minute: int, storage_url: str | None = None, namespace: str = "familydesk") -> None:
        self.per_minute = per_minute
        self.namespace = namespace
        self._item = RateLimitItemPerMinute(max(per_minute, 1))
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url or "memory://"))

    def check(self, key: object) -> int | None:
        """None when allowed (and counted), else the whole seconds to wait."""
        if self.per_minute <= 0:
            return None
        if self._limiter.hit(self._item, self.namespace, str(key)):
            return None
        RATE_LIMITED.labels(self.namespace).inc()
        stats = self._limiter.get_window_stats(self._item, self.namespace, str(key))
        return max(1, math.ceil(stats.reset_time - time.time()))


def client_address(peer: str | None, forwarded_for: str | None, trusted: str | None) -> str:
    """The client a request is counted for: the socket peer, or — when the peer is a trusted proxy — the
    right-most address of X-Forwarded-For that is not itself a trusted proxy."""
    networks = _networks(trusted)
    if not peer or not networks or not _inside(peer, networks) or not forwarded_for:
        return peer or "?"
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _inside(hop, networks):
            return hop
    return hops[0] if hops else peer


def _networks(trusted: str | None) -> list:
    out = []
    for part in (trusted or "").split(","):
        part = part.strip()
        if part:
            out.append(ipaddress.ip_network(part, strict=False))
    return out


def _inside(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)
