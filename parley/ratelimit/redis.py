"""Rate limits shared by every instance through Redis: one sorted set of hit times per
key, checked and counted by one Lua script, so two instances racing for a key's last slot
cannot both win. Times are Redis's own clock (``TIME``), the same for every instance."""

from __future__ import annotations

import math
import uuid

from parley.ratelimit.base import RateLimiter

# KEYS: the sorted sets. ARGV: limit, window in microseconds, a member unique to this hit.
# Answers 0 when counted, else the microseconds until the fullest key has room again.
_CHECK = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', t - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - t)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, t, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
end
return 0
"""


class RedisRateLimiter(RateLimiter):
    def __init__(self, per_minute: int, client, *, prefix: str = "parley:", window: float = 60.0) -> None:
        super().__init__(per_minute, window=window)
        self._redis = client
        self._prefix = f"{prefix}rate:"
        self._script = client.register_script(_CHECK)

    def _check(self, keys: tuple[str, ...]) -> int | None:
        wait_us = int(self._script(keys=[self._prefix + k for k in keys],
                                   args=[self.per_minute, int(self.window * 1_000_000), uuid.uuid4().hex]))
        if wait_us <= 0:
            return None
        return max(1, math.ceil(wait_us / 1_000_000))

    def close(self) -> None:
        self._redis.close()
