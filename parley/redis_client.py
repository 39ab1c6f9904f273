"""The one place that imports the Redis driver: a client for PARLEY_REDIS_URL."""

from __future__ import annotations


def connect(url: str):
    import redis

    # Short timeouts: a Redis that stops answering fails a request (or a wake-up) quickly
    # instead of holding a worker thread; health checks notice a connection that died.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
