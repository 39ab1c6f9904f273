"""The rate limiter's contract, run on every backend: in this process, and through the real
Redis (two limiters on one prefix standing for two app instances)."""

from __future__ import annotations

import threading
import time

import pytest

from parley.ratelimit import MemoryRateLimiter, RateLimiter, rate_limiter_for
from parley.ratelimit.redis import RedisRateLimiter
from tests.conftest import make_config
from tests.redis_fixtures import REDIS_URL, redis_client, redis_prefix  # noqa: F401 (a fixture)


@pytest.fixture(params=["memory", "redis"])
def make(request, redis_prefix):  # noqa: F811
    """Limiters that share one count, as a backend's instances do."""
    if request.param == "memory":
        shared: dict = {}

        def memory(per_minute: int, window: float = 60.0) -> RateLimiter:
            if (per_minute, window) not in shared:
                shared[(per_minute, window)] = MemoryRateLimiter(per_minute, window=window)
            return shared[(per_minute, window)]
        return memory
    return lambda per_minute, window=60.0: RedisRateLimiter(per_minute, redis_client(), prefix=redis_prefix,
                                                            window=window)


def test_n_pass_then_the_next_waits(make):
    limiter = make(3)
    assert [limiter.check("addr:a") for _ in range(3)] == [None, None, None]
    wait = limiter.check("addr:a")
    assert wait is not None and 1 <= wait <= 60


def test_keys_are_counted_apart_and_a_refusal_counts_nothing(make):
    limiter = make(2)
    assert limiter.check("addr:a", "author:x") is None
    assert limiter.check("addr:a", "author:y") is None
    # addr:a is full: refused, and author:z is not counted for it.
    assert limiter.check("addr:a", "author:z") is not None
    assert limiter.check("addr:b", "author:z") is None
    assert limiter.check("addr:b", "author:z") is None
    assert limiter.check("addr:c", "author:z") is not None


def test_hits_leave_the_window(make):
    limiter = make(1, window=1.0)
    assert limiter.check("k") is None
    assert limiter.check("k") == 1
    time.sleep(1.1)
    assert limiter.check("k") is None


def test_two_instances_share_one_limit(make):
    """Two limiters on one backend (two app instances): the limit is N in all, not N each,
    even when they race for the last slots."""
    first, second = make(10), make(10)
    results: list = []
    lock = threading.Lock()

    def flood(limiter):
        for _ in range(10):
            answer = limiter.check("addr:flood")
            with lock:
                results.append(answer)
    threads = [threading.Thread(target=flood, args=(x,)) for x in (first, second, first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is None for r in results) == 10
    assert len(results) == 40


def test_zero_turns_limits_off(make):
    limiter = make(0)
    assert not limiter.enabled
    assert all(limiter.check("k") is None for _ in range(100))


def test_the_setting_picks_the_backend(redis_prefix):  # noqa: F811
    assert isinstance(rate_limiter_for(make_config(rate_limit=5)), MemoryRateLimiter)
    shared = rate_limiter_for(make_config(rate_limit=5, redis_url=REDIS_URL, redis_prefix=redis_prefix))
    assert isinstance(shared, RedisRateLimiter)
    assert [shared.check("k") for _ in range(6)][-1] is not None
    shared.close()
