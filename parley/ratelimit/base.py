"""The rate limiter's interface: at most N comments a minute per key (a client address,
an author).

To add a backend, subclass ``RateLimiter`` and implement ``_check(keys)``: count one hit
against every key unless one of them already has ``per_minute`` hits in the last
``window`` seconds; then count nothing and return the seconds until the oldest of that
key's hits leaves the window (rounded up, at least 1). It must be atomic across every
process that shares the backend (two instances racing for the last slot: one wins), and
it must forget a key's hits once they are older than the window. ``tests/test_ratelimit.py``
holds the contract every backend passes.
"""

from __future__ import annotations

import abc


class RateLimiter(abc.ABC):
    def __init__(self, per_minute: int, *, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def check(self, *keys: str) -> int | None:
        """Count one comment against every key, unless one is over its limit:
        then count nothing and return the seconds until it may post again."""
        if not self.enabled or not keys:
            return None
        return self._check(keys)

    @abc.abstractmethod
    def _check(self, keys: tuple[str, ...]) -> int | None: ...

    def close(self) -> None:  # noqa: B027 (nothing to let go of unless a backend holds connections)
        """Let go of connections; the limiter is not used afterwards."""
