"""Rate limits: at most N comments a minute per key (a client address, an author).

In memory, per process: with several app instances behind a load balancer each
instance counts its own share, so the effective limit is N times the instances.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, per_minute: int, *, clock=time.monotonic, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def check(self, *keys: str) -> int | None:
        """Count one comment against every key, unless one is over its limit:
        then count nothing and return the seconds until it may post again."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            waits = []
            for key in keys:
                hits = self._hits.setdefault(key, deque())
                while hits and hits[0] <= now - self.window:
                    hits.popleft()
                if len(hits) >= self.per_minute:
                    waits.append(hits[0] + self.window - now)
            if waits:
                return max(1, math.ceil(max(waits)))
            for key in keys:
                self._hits[key].append(now)
            if len(self._hits) > 100_000:
                self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
