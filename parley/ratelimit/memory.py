"""Rate limits counted in this process: the default, and right for one process. With
several app instances each would count its own share; set PARLEY_REDIS_URL for those."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from parley.ratelimit.base import RateLimiter


class MemoryRateLimiter(RateLimiter):
    def __init__(self, per_minute: int, *, clock=time.monotonic, window: float = 60.0) -> None:
        super().__init__(per_minute, window=window)
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _check(self, keys: tuple[str, ...]) -> int | None:
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
