"""The storage interface. Everything that persists goes through a ``Store``.

To add a backend, subclass ``Store`` and implement every abstract method; then add it
to the contract suite in ``tests/store/test_contract.py``, which every backend passes.
A store keeps data consistent (counts, revisions, uniqueness) but knows no rules:
who may post what, and when, is ``parley.service``'s business.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import enum
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from parley.domain import Author, Comment, CommentState, Story


class Sort(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"
    REPLIES = "replies"  # most replies first


@dataclasses.dataclass(frozen=True)
class RootPage:
    """Which top-level comments to read: a sort, where the last page ended, how many."""

    story_id: int
    sort: Sort = Sort.OLDEST
    after: tuple | None = None  # the sort key of the last root already shown
    limit: int = 50


@dataclasses.dataclass(frozen=True)
class QueuePage:
    """Which held comments to read, oldest first: one story's or every story's, where the
    last page ended, how many."""

    story_id: int | None = None
    after: tuple | None = None  # the queue key (``queue_key``) of the last comment already shown
    limit: int = 50


class Store(abc.ABC):
    #: True when a point read costs microseconds and never waits on a network (SQLite):
    #: the web layer may then run it on the event loop instead of a worker thread.
    inline_reads: bool = False

    # --- lifecycle -----------------------------------------------------------
    @abc.abstractmethod
    def migrate(self) -> list[int]:
        """Apply pending migrations in order; return the versions applied."""

    @abc.abstractmethod
    def schema_version(self) -> int: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def atomic(self) -> contextlib.AbstractContextManager[None]:
        """One transaction: every store write inside it commits together or not at all."""

    # --- meta ----------------------------------------------------------------
    @abc.abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def set_meta_default(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless one is there; return what is stored."""

    # --- stories -------------------------------------------------------------
    @abc.abstractmethod
    def add_story(self, story: Story) -> Story:
        """Insert; raises ``Conflict`` when the slug is taken."""

    @abc.abstractmethod
    def get_story(self, slug: str) -> Story | None: ...

    @abc.abstractmethod
    def get_story_by_id(self, story_id: int) -> Story | None: ...

    @abc.abstractmethod
    def update_story(self, story: Story) -> Story: ...

    @abc.abstractmethod
    def list_stories(self, limit: int) -> list[Story]:
        """The newest stories first."""

    @abc.abstractmethod
    def story_revision(self, story_id: int) -> int:
        """A number that changes whenever the story's visible thread may have."""

    @abc.abstractmethod
    def comment_counts(self, slugs: Sequence[str]) -> dict[str, int]:
        """Visible comments per story, for the slugs that exist."""

    # --- authors -------------------------------------------------------------
    @abc.abstractmethod
    def find_or_add_author(self, author: Author) -> Author:
        """The stored author with ``author.identity_key``, created if new."""

    # --- comments ------------------------------------------------------------
    @abc.abstractmethod
    def add_comment(self, comment: Comment) -> Comment:
        """Insert; keeps the story's count, the root's reply total and the revision.
        Raises ``Conflict`` when the idempotency key was used on this story."""

    @abc.abstractmethod
    def get_comment(self, comment_id: int, *, for_update: bool = False) -> Comment | None:
        """``for_update`` inside ``atomic()``: hold the row until the transaction ends, so
        that a change computed from what was read cannot race another."""

    @abc.abstractmethod
    def find_by_idempotency_key(self, story_id: int, key: str) -> Comment | None: ...

    @abc.abstractmethod
    def update_comment(self, comment: Comment, was: CommentState) -> Comment:
        """Save body, state, notices, verdict and edit time; ``was`` is the state before,
        so that counts follow a change of visibility."""

    @abc.abstractmethod
    def list_by_author(self, identity_key: str, limit: int) -> list[Comment]:
        """The latest comments, newest first and in any state but deleted, of the author
        with this ``Author.identity_key``, on any story (moderation's context)."""

    @abc.abstractmethod
    def list_queue(self, page: QueuePage) -> list[Comment]:
        """Comments waiting for a moderator (pending), oldest first, on any story or on
        ``page.story_id``'s."""

    @abc.abstractmethod
    def list_roots(self, page: RootPage) -> list[Comment]:
        """Top-level comments a reader can see something of (visible, or tombstones
        with visible replies), in page order."""

    @abc.abstractmethod
    def list_replies(self, root_ids: Sequence[int]) -> list[Comment]:
        """Every reply under the given roots, oldest first, in any state."""


def to_us(moment: datetime) -> int:
    """A time as integer microseconds since the epoch: how every backend stores it."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def queue_key(comment: Comment) -> tuple:
    """Where a held comment stands in the moderators' queue: what its cursor remembers."""
    return (to_us(comment.created_at), comment.id)


def sort_key(comment: Comment, sort: Sort) -> tuple:
    """Where a root stands in a sort: what a cursor remembers."""
    if sort is Sort.REPLIES:
        return (comment.reply_total, to_us(comment.created_at), comment.id)
    return (to_us(comment.created_at), comment.id)
