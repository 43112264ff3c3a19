"""A sliding one-minute window per key: the API limits clients with it, the bot limits users."""
from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindow:
    """At most `per_minute` events per key in any 60 s; 0 turns it off."""

    def __init__(self, per_minute: int, forget_after: int = 10000) -> None:
        self.per_minute, self.forget_after = per_minute, forget_after
        self._hits: dict[object, deque] = {}
        self._lock = threading.Lock()

    def check(self, key: object) -> int | None:
        """None when allowed (and counted), else the whole seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return int(60 - (now - hits[0])) + 1
            hits.append(now)
            if len(self._hits) > self.forget_after:  # forget idle keys
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
        return None
