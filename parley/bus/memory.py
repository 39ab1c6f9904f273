"""Wake-ups within one process: the default, right when one process serves."""

from __future__ import annotations

import threading

from parley.bus.base import Broker, Listener, deliver


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def publish(self, topic: str, value: int) -> None:
        with self._lock:
            listeners = list(self._listeners)
        deliver(listeners, topic, value)

    def listen(self, callback: Listener) -> None:
        with self._lock:
            self._listeners.append(callback)
