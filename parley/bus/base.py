"""Wake-ups between processes: "story 12 is at revision 340", "the queues moved".

A broker carries no data that readers need: that is in the database, which every
instance shares. A wake-up only says where to look, so a lost one costs latency, not
correctness (the live streams also poll, see ``parley.web.live``).

To add a backend, subclass ``Broker`` and implement both methods:

- ``publish(topic, value)``: deliver ``(topic, value)`` to every callback registered with
  ``listen`` in every process that shares the backend, this one included, soon, at most
  once each. Called from worker threads after a transaction commits; it must not block
  for long, and must not raise for a backend that is down (log instead).
- ``listen(callback)``: call ``callback(topic, value)`` for every wake-up from now on, from
  any thread; the callback must not block. After a gap in which wake-ups may have been
  lost (a dropped connection), call it once with ``(RESYNC, 0)``.

``tests/test_bus.py`` holds the contract every backend passes.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Iterable

#: The topic of a wake-up that says "anything may have changed": look everywhere.
RESYNC = "*"

Listener = Callable[[str, int], None]

logger = logging.getLogger("parley")


def deliver(listeners: Iterable[Listener], topic: str, value: int) -> None:
    """Call each listener with one wake-up; one that fails is logged, the rest still hear it."""
    for callback in listeners:
        try:
            callback(topic, value)
        except Exception:
            logger.exception("wake-up listener %r failed on %s=%s", callback, topic, value)


class Broker(abc.ABC):
    @abc.abstractmethod
    def publish(self, topic: str, value: int) -> None: ...

    @abc.abstractmethod
    def listen(self, callback: Listener) -> None: ...

    def close(self) -> None:  # noqa: B027 (nothing to let go of unless a backend holds connections)
        """Stop delivering and let go of connections."""
