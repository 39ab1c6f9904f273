"""Domain events, published once the transaction that made them has committed.

A service publishes after its ``with store.atomic():`` block exits, never inside it, so
a subscriber never sees a change that was rolled back. Subscribers (the audit log's
live view, notifications, live updates, a Redis fan-out) attach to ``EventBus`` without
touching the services: Isso's ``comments.new:after-save`` signal is the shape.

To add a bus (Redis, for several instances), subclass ``EventBus`` and override
``publish``; a subscriber's failure is logged and never fails the request that
published the event.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("parley")


@dataclasses.dataclass(frozen=True)
class Event:
    """Something that happened. ``actor`` is the label of who did it (``Actor.label``)."""

    actor: str


@dataclasses.dataclass(frozen=True)
class CommentPosted(Event):
    comment_id: int
    story_id: int
    state: str


@dataclasses.dataclass(frozen=True)
class CommentEdited(Event):
    comment_id: int
    story_id: int
    state: str


@dataclasses.dataclass(frozen=True)
class CommentDecided(Event):
    """A moderator's (or an automated) decision on a comment or its author."""

    decision_id: int
    kind: str
    comment_id: int | None
    author_id: int | None


@dataclasses.dataclass(frozen=True)
class CommentReported(Event):
    report_id: int
    comment_id: int
    queued: bool  # the report moved the comment into the reported queue


@dataclasses.dataclass(frozen=True)
class AppealFiled(Event):
    appeal_id: int
    comment_id: int


@dataclasses.dataclass(frozen=True)
class CommentRecommended(Event):
    """A reader recommended a comment (``recommended``) or took it back; ``count`` is the
    comment's count as that transaction left it."""

    comment_id: int
    story_id: int
    count: int
    recommended: bool


@dataclasses.dataclass(frozen=True)
class CommentFeatured(Event):
    """Staff featured a comment (``featured``) or unfeatured it."""

    comment_id: int
    story_id: int
    featured: bool
    decision_id: int


@dataclasses.dataclass(frozen=True)
class StoryEdited(Event):
    """A story's own fields changed (title, text, comments open or closed)."""

    story_id: int


Subscriber = Callable[[Event], None]


class EventBus:
    """In-process fan-out: every subscriber of an event's type (or of ``Event``) is called
    in the publishing thread, in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[type[Event], Subscriber]] = []
        self._lock = threading.Lock()

    def subscribe(self, kind: type[Event], subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` for every event of ``kind``; returns a function that unsubscribes."""
        entry = (kind, subscriber)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)
        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [s for kind, s in self._subscribers if isinstance(event, kind)]
        for subscriber in targets:
            try:
                subscriber(event)
            except Exception:
                logger.exception("event subscriber %r failed on %r", subscriber, event)
