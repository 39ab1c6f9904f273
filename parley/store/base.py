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

from parley.domain import (
    Account,
    ApiToken,
    Appeal,
    Author,
    Comment,
    CommentState,
    Decision,
    Queue,
    Report,
    Sanction,
    Session,
    Story,
)
from parley.domain.suggestions import ScoreSuggestion


class Sort(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"
    REPLIES = "replies"  # most replies first
    TOP = "top"  # most recommended first, ties oldest first


@dataclasses.dataclass(frozen=True)
class RootPage:
    """Which top-level comments to read: a sort, where the last page ended, how many."""

    story_id: int
    sort: Sort = Sort.OLDEST
    after: tuple | None = None  # the sort key of the last root already shown
    limit: int = 50


@dataclasses.dataclass(frozen=True)
class FeaturedPage:
    """Which of a story's featured comments to read: where the last page ended, how many."""

    story_id: int
    after: tuple | None = None  # (featured_at in microseconds, id) of the last one already shown
    limit: int = 50


@dataclasses.dataclass(frozen=True)
class QueuePage:
    """Which comments of a moderators' queue to read, in the queue's order (open queues by
    priority, highest first; approved and rejected by when they were decided, latest
    first), narrowed by story, strongest label, its least score and author."""

    queue: Queue = Queue.HELD
    story_id: int | None = None
    label: str | None = None
    min_score: float | None = None
    author_id: int | None = None
    after: tuple | None = None  # the queue key (``queue_key``) of the last comment already shown
    limit: int = 50


@dataclasses.dataclass(frozen=True)
class AuditQuery:
    """Which decisions of the audit log to read, latest first."""

    text: str | None = None  # matched against actor, reason and kind
    kind: str | None = None
    comment_id: int | None = None
    author_id: int | None = None
    before_id: int | None = None  # the id of the last entry already shown
    limit: int = 100


@dataclasses.dataclass(frozen=True)
class AuthorHistory:
    """What moderators see of an author on a comment card."""

    comments: int
    published: int
    approved: int  # published after a moderator looked
    rejected: int
    held: int
    first_seen: datetime | None


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

    @abc.abstractmethod
    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Several reads on one connection (one checkout from the pool, not one a read), for a
        page that needs many. Not a transaction: write only inside ``atomic()``."""

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
    def stories_by_id(self, story_ids: Sequence[int]) -> dict[int, Story]:
        """The stories with these ids, in one read."""

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
    def comments_by_id(self, comment_ids: Sequence[int]) -> list[Comment]:
        """The comments with these ids that exist, in any state, in one read."""

    @abc.abstractmethod
    def find_by_idempotency_key(self, story_id: int, key: str) -> Comment | None: ...

    @abc.abstractmethod
    def update_comment(self, comment: Comment, was: CommentState) -> Comment:
        """Save body, state, notices, verdict and edit time; ``was`` is the state before,
        so that counts follow a change of visibility."""

    @abc.abstractmethod
    def changes_since(self, story_id: int, revision: int, limit: int) -> list[tuple[int, bool, Comment]]:
        """The story's comments that changed after ``revision``, each once, as
        ``(changed_rev, shown, comment)`` in the order of their last change: ``changed_rev``
        is the story revision of that change, ``shown`` whether readers ever saw it."""

    @abc.abstractmethod
    def list_by_author(self, identity_key: str, limit: int) -> list[Comment]:
        """The latest comments, newest first and in any state but deleted, of the author
        with this ``Author.identity_key``, on any story (moderation's context)."""

    @abc.abstractmethod
    def list_queue(self, page: QueuePage) -> list[Comment]:
        """A page of one moderators' queue (see ``QueuePage``)."""

    @abc.abstractmethod
    def update_review(self, comment: Comment) -> Comment:
        """Save only where the comment stands for moderators (queue, priority, report
        count, reviewed time): the story's revision does not move."""

    @abc.abstractmethod
    def queue_counts(self, story_id: int | None = None) -> dict[Queue, int]:
        """How many comments wait in each open queue (every story's, or one's)."""

    @abc.abstractmethod
    def list_writer_comments(self, writer_key: str, limit: int, *, story_id: int | None = None) -> list[Comment]:
        """This writer's latest comments that moderation restricted, newest first, on any
        story (or on ``story_id``'s): held or rejected now, or ever the subject of a
        decision that restricts (``DecisionKind.restricts``) and was not undone, whatever
        they are now (an appeal may have published them again). Deleted ones are left out.
        What a writer's own page (``/me``) lists with their statements of reasons."""

    @abc.abstractmethod
    def get_author(self, author_id: int) -> Author | None: ...

    @abc.abstractmethod
    def find_author(self, identity_key: str) -> Author | None: ...

    @abc.abstractmethod
    def author_history(self, author_id: int) -> AuthorHistory: ...

    # Several comment cards at once (a page of a queue): one query per kind, keyed by id.
    @abc.abstractmethod
    def author_histories(self, author_ids: Sequence[int]) -> dict[int, AuthorHistory]: ...

    @abc.abstractmethod
    def reports_for(self, comment_ids: Sequence[int]) -> dict[int, list[Report]]:
        """Each comment's reports, oldest first."""

    @abc.abstractmethod
    def sanctions_for(self, author_ids: Sequence[int]) -> dict[int, list[Sanction]]:
        """Each author's sanctions, newest first."""

    @abc.abstractmethod
    def decisions_for(self, comment_ids: Sequence[int]) -> dict[int, list[Decision]]:
        """Each comment's decisions, latest first."""

    @abc.abstractmethod
    def appeals_for(self, comment_ids: Sequence[int]) -> dict[int, Appeal]: ...

    # --- the workspace: reports, decisions, sanctions, appeals ----------------
    @abc.abstractmethod
    def add_report(self, report: Report) -> Report:
        """Insert; raises ``Conflict`` when this reporter already reported this comment."""

    @abc.abstractmethod
    def list_reports(self, comment_id: int) -> list[Report]:
        """A comment's reports, oldest first."""

    @abc.abstractmethod
    def reports_by(self, reporter_key: str, limit: int) -> list[Report]:
        """A reporter's latest reports, newest first."""

    @abc.abstractmethod
    def count_reports_from(self, reporter_addr: str, since: datetime) -> int:
        """Reports filed since ``since`` from one address (``Report.reporter_addr``)."""

    @abc.abstractmethod
    def resolve_reports(self, comment_id: int, outcome: str, at: datetime) -> int:
        """Mark a comment's open reports resolved with ``outcome``; return how many."""

    @abc.abstractmethod
    def reopen_reports(self, comment_id: int, resolved_at: datetime) -> int:
        """Open again the reports resolved at ``resolved_at`` (an undone decision's time)."""

    @abc.abstractmethod
    def add_decision(self, decision: Decision) -> Decision: ...

    @abc.abstractmethod
    def get_decision(self, decision_id: int) -> Decision | None: ...

    @abc.abstractmethod
    def mark_undone(self, decision_id: int, at: datetime) -> None: ...

    @abc.abstractmethod
    def list_decisions(self, query: AuditQuery) -> list[Decision]: ...

    @abc.abstractmethod
    def decisions_since(self, after_id: int, limit: int) -> list[Decision]:
        """Decisions with ids above ``after_id``, oldest first: for exports that page."""

    @abc.abstractmethod
    def add_sanction(self, sanction: Sanction) -> Sanction: ...

    @abc.abstractmethod
    def list_sanctions(self, author_id: int) -> list[Sanction]:
        """Every sanction an author has had, newest first."""

    @abc.abstractmethod
    def active_sanctions(self, author_id: int | None, writer_key: str | None, now: datetime) -> list[Sanction]:
        """The sanctions in force on this author or on this writer key, newest first."""

    @abc.abstractmethod
    def get_sanction(self, sanction_id: int) -> Sanction | None: ...

    @abc.abstractmethod
    def lift_sanction(self, sanction_id: int, at: datetime) -> bool:
        """End a sanction in force; False when it was lifted already."""

    @abc.abstractmethod
    def restore_sanction(self, sanction_id: int) -> None:
        """Put a lifted sanction back in force (its lift was undone)."""

    @abc.abstractmethod
    def add_appeal(self, appeal: Appeal) -> Appeal:
        """Insert; raises ``Conflict`` when the comment was appealed already."""

    @abc.abstractmethod
    def get_appeal(self, appeal_id: int) -> Appeal | None: ...

    @abc.abstractmethod
    def appeal_of(self, comment_id: int) -> Appeal | None: ...

    @abc.abstractmethod
    def update_appeal(self, appeal: Appeal) -> Appeal: ...

    # --- decisions are data: suggested scores -----------------------------------
    @abc.abstractmethod
    def add_suggestion(self, suggestion: ScoreSuggestion) -> ScoreSuggestion: ...

    @abc.abstractmethod
    def suggestions_since(self, after_id: int, limit: int) -> list[ScoreSuggestion]:
        """Suggested scores with ids above ``after_id``, oldest first: for exports that page."""

    # --- accounts, sessions, API tokens, single sign-on ------------------------
    @abc.abstractmethod
    def add_account(self, account: Account) -> Account:
        """Insert; raises ``Conflict`` (field email or sso_id) when either is taken."""

    @abc.abstractmethod
    def get_account(self, account_id: int) -> Account | None: ...

    @abc.abstractmethod
    def find_account(self, *, email: str | None = None, sso_id: str | None = None) -> Account | None:
        """The account with this (casefolded) email, or this single sign-on id."""

    @abc.abstractmethod
    def update_account(self, account: Account) -> Account: ...

    @abc.abstractmethod
    def list_accounts(self, limit: int) -> list[Account]: ...

    @abc.abstractmethod
    def add_session(self, session: Session) -> Session: ...

    @abc.abstractmethod
    def get_session(self, id_hash: str) -> Session | None: ...

    @abc.abstractmethod
    def touch_session(self, id_hash: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_session(self, id_hash: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_sessions_of(self, account_id: int, at: datetime) -> int:
        """End every live session of an account; return how many."""

    @abc.abstractmethod
    def add_api_token(self, token: ApiToken) -> ApiToken:
        """Insert; raises ``Conflict`` (field name) when the name is taken."""

    @abc.abstractmethod
    def find_api_token(self, secret_hash: str) -> ApiToken | None: ...

    @abc.abstractmethod
    def list_api_tokens(self) -> list[ApiToken]: ...

    @abc.abstractmethod
    def touch_api_token(self, token_id: int, at: datetime) -> None:
        """Record when a token was last used (what admins read before revoking one)."""

    @abc.abstractmethod
    def revoke_api_token(self, name: str, at: datetime) -> bool:
        """Revoke the live token with this name; False when there is none."""

    @abc.abstractmethod
    def use_jti(self, jti: str, expires_at: datetime, now: datetime) -> bool:
        """Record a single sign-on token's ``jti``; False when it was seen before (a
        replay). Forgets ids whose tokens expired."""

    @abc.abstractmethod
    def add_password_reset(self, token_hash: str, account_id: int, created_at: datetime,
                           expires_at: datetime) -> None: ...

    @abc.abstractmethod
    def use_password_reset(self, token_hash: str, now: datetime) -> int | None:
        """Spend a reset token: the account id, or None when unknown, used or expired."""

    @abc.abstractmethod
    def count_attempts(self, key: str, since: datetime) -> int: ...

    @abc.abstractmethod
    def add_attempt(self, key: str, at: datetime) -> None:
        """Record a login or reset attempt (and forget ones older than a day)."""

    # --- reactions: readers' recommendations, staff's featured picks -----------------
    @abc.abstractmethod
    def add_recommendation(self, comment_id: int, story_id: int, reader_key: str, at: datetime) -> bool:
        """Record one reader's recommendation, counting it on the comment and moving the
        story's revision in the same transaction; False (and nothing changed) when this
        reader recommended this comment already."""

    @abc.abstractmethod
    def remove_recommendation(self, comment_id: int, story_id: int, reader_key: str) -> bool:
        """Take one reader's recommendation back (count and revision too); False when
        there was none."""

    @abc.abstractmethod
    def recommended_by(self, reader_key: str, comment_ids: Sequence[int]) -> set[int]:
        """Which of these comments this reader recommended."""

    @abc.abstractmethod
    def recommended_on(self, reader_key: str, story_id: int) -> set[int]:
        """Which of a story's comments this reader recommended."""

    @abc.abstractmethod
    def set_featured(self, comment_id: int, story_id: int, at: datetime | None) -> bool:
        """Feature a comment (``at``: when) or unfeature it (None), moving the story's
        revision; False (and nothing changed) when it already stood so."""

    @abc.abstractmethod
    def list_featured(self, page: FeaturedPage) -> list[Comment]:
        """A story's featured comments that readers can see, latest picks first."""

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


def queue_key(comment: Comment, queue: Queue) -> tuple:
    """Where a comment stands in a moderators' queue: what its cursor remembers."""
    if queue.open:
        return (comment.priority, comment.id)
    return (to_us(comment.reviewed_at or comment.created_at), comment.id)


def sort_key(comment: Comment, sort: Sort) -> tuple:
    """Where a root stands in a sort: what a cursor remembers."""
    if sort is Sort.REPLIES:
        return (comment.reply_total, to_us(comment.created_at), comment.id)
    if sort is Sort.TOP:
        return (comment.recommend_count, to_us(comment.created_at), comment.id)
    return (to_us(comment.created_at), comment.id)
