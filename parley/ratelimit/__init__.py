"""Rate limits: in this process, or shared by every instance through Redis."""

from __future__ import annotations

from parley.ratelimit.base import RateLimiter
from parley.ratelimit.memory import MemoryRateLimiter

__all__ = ["MemoryRateLimiter", "RateLimiter", "rate_limiter_for"]


def rate_limiter_for(config) -> RateLimiter:
    """Redis's when PARLEY_REDIS_URL is set, else this process's own."""
    if config.redis_url:
        from parley.ratelimit.redis import RedisRateLimiter
        from parley.redis_client import connect

        return RedisRateLimiter(config.rate_limit, connect(config.redis_url), prefix=config.redis_prefix)
    return MemoryRateLimiter(config.rate_limit)
