"""Wake-ups shared by every instance through Redis pub/sub: each process publishes on
``{prefix}live:{topic}`` and one thread a process listens to ``{prefix}live:*``.

Pub/sub keeps nothing: a wake-up sent while a listener was disconnected is gone. So after
reconnecting the listener says ``RESYNC`` and the streams look at the database again."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from parley.bus.base import RESYNC, Broker, Listener, deliver

logger = logging.getLogger("parley")


class RedisBroker(Broker):
    def __init__(self, client, *, prefix: str = "parley:") -> None:
        self._redis = client
        self._channel = f"{prefix}live:"
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._pubsub = None

    def publish(self, topic: str, value: int) -> None:
        try:
            self._redis.publish(self._channel + topic, str(value))
        except Exception:
            # The change is committed; readers see it when their stream next polls.
            logger.exception("could not publish the wake-up %s=%s to Redis", topic, value)

    def listen(self, callback: Listener) -> None:
        with self._lock:
            self._listeners.append(callback)
            if self._thread is None:
                ready = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(ready,), name="parley-redis-bus",
                                                daemon=True)
                self._thread.start()
                ready.wait(5)  # subscribed (or failed once): wake-ups published from now on arrive

    def _deliver(self, topic: str, value: int) -> None:
        with self._lock:
            listeners = list(self._listeners)
        deliver(listeners, topic, value)

    def _run(self, ready: threading.Event) -> None:
        first = True
        while not self._closed.is_set():
            try:
                pubsub = self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(self._channel + "*")
                pubsub.get_message(timeout=1.0)  # the subscription's confirmation
                ready.set()
                if not first:
                    self._deliver(RESYNC, 0)
                first = False
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None or message["type"] != "pmessage":
                        continue
                    topic = message["channel"].decode().removeprefix(self._channel)
                    try:
                        value = int(message["data"])
                    except ValueError:
                        continue
                    self._deliver(topic, value)
            except Exception:
                if self._closed.is_set():
                    return
                ready.set()
                first = False  # whatever was published meanwhile is lost: resync once back
                logger.warning("Redis wake-ups interrupted; reconnecting", exc_info=True)
                time.sleep(1.0)

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(3)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                self._pubsub.close()
        self._redis.close()
