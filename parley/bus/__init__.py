"""Wake-ups for live updates: in this process, or across instances through Redis."""

from __future__ import annotations

from parley.bus.base import RESYNC, Broker
from parley.bus.memory import MemoryBroker

__all__ = ["RESYNC", "Broker", "MemoryBroker", "broker_for"]


def broker_for(config) -> Broker:
    """Redis's when PARLEY_REDIS_URL is set, else this process's own."""
    if config.redis_url:
        from parley.bus.redis import RedisBroker
        from parley.redis_client import connect

        return RedisBroker(connect(config.redis_url), prefix=config.redis_prefix)
    return MemoryBroker()
