"""The wake-up broker's contract, run on every backend: in this process, and through the
real Redis (two brokers on one prefix standing for two app instances)."""

from __future__ import annotations

import queue
import time

import pytest

from parley.bus import RESYNC, MemoryBroker, broker_for
from parley.bus.redis import RedisBroker
from tests.conftest import make_config
from tests.redis_fixtures import REDIS_URL, redis_client, redis_prefix  # noqa: F401 (a fixture)


@pytest.fixture(params=["memory", "redis"])
def pair(request, redis_prefix):  # noqa: F811
    """Two brokers that share a backend (for memory: one broker, as one process has)."""
    if request.param == "memory":
        one = MemoryBroker()
        yield one, one
        return
    a, b = RedisBroker(redis_client(), prefix=redis_prefix), RedisBroker(redis_client(), prefix=redis_prefix)
    yield a, b
    a.close()
    b.close()


def _listener(broker) -> queue.Queue:
    got: queue.Queue = queue.Queue()
    broker.listen(lambda topic, value: got.put((topic, value)))
    return got


def test_a_wake_up_reaches_listeners_everywhere_this_process_too(pair):
    a, b = pair
    on_a, on_b = _listener(a), _listener(b)
    a.publish("story:12", 340)
    assert on_b.get(timeout=5) == ("story:12", 340)
    assert on_a.get(timeout=5) == ("story:12", 340)


def test_wake_ups_arrive_in_the_order_sent(pair):
    a, b = pair
    on_b = _listener(b)
    for value in range(1, 21):
        a.publish("story:1", value)
    assert [on_b.get(timeout=5)[1] for _ in range(20)] == list(range(1, 21))


def test_a_failing_listener_does_not_stop_the_others(pair):
    a, b = pair

    def broken(topic, value):
        raise RuntimeError("a bug in one listener")
    b.listen(broken)
    on_b = _listener(b)
    a.publish("queues", 0)
    assert on_b.get(timeout=5) == ("queues", 0)


def test_other_prefixes_are_not_heard(redis_prefix):  # noqa: F811
    a = RedisBroker(redis_client(), prefix=redis_prefix)
    other = RedisBroker(redis_client(), prefix=redis_prefix + "other-site:")
    on_a = _listener(a)
    on_other = _listener(other)
    other.publish("story:1", 1)
    assert on_other.get(timeout=5) == ("story:1", 1)
    a.publish("story:2", 2)
    assert on_a.get(timeout=5) == ("story:2", 2)
    time.sleep(0.3)
    assert on_a.empty() or on_a.get_nowait() != ("story:1", 1)
    a.close()
    other.close()


def test_a_redis_listener_resyncs_after_its_connection_drops(redis_prefix):  # noqa: F811
    import redis

    name = redis_prefix.rstrip(":")  # this test's connections alone: the Redis is shared
    broker = RedisBroker(redis.Redis.from_url(REDIS_URL, client_name=name), prefix=redis_prefix)
    got = _listener(broker)
    admin = redis_client()
    # Drop the listener's connection from the server side, as a Redis restart would.
    killed = [admin.client_kill_filter(_id=c["id"]) for c in admin.client_list(_type="pubsub") if c["name"] == name]
    assert killed
    assert got.get(timeout=10) == (RESYNC, 0)
    broker.publish("story:3", 3)
    assert got.get(timeout=5) == ("story:3", 3)
    broker.close()
    admin.close()


def test_the_setting_picks_the_backend(redis_prefix):  # noqa: F811
    assert isinstance(broker_for(make_config()), MemoryBroker)
    shared = broker_for(make_config(redis_url=REDIS_URL, redis_prefix=redis_prefix))
    assert isinstance(shared, RedisBroker)
    shared.close()
