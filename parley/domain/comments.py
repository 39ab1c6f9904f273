"""The newsroom's words as types: stories, authors, comments, notices, verdicts.

Everything here is plain data with the behaviour that belongs to it; nothing
knows about HTTP or a database. A comment's verdict is moderation's own ``Verdict``
(``parley.moderation.policy``, plain Python: no models are loaded from here).
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime, timezone

from parley.moderation.base import Span
from parley.moderation.policy import FOLD_NOTICES, Action, Verdict


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AuthorKind(enum.StrEnum):
    GUEST = "guest"
    REGISTERED = "registered"
    STAFF = "staff"


class CommentState(enum.StrEnum):
    """Where a comment stands. Only PUBLISHED and FOLDED are shown to readers."""

    PUBLISHED = "published"
    FOLDED = "folded"  # published behind one or more notices a reader opens
    PENDING = "pending"  # waiting for a moderator
    REJECTED = "rejected"
    DELETED = "deleted"

    @property
    def visible(self) -> bool:
        return self in (CommentState.PUBLISHED, CommentState.FOLDED)


# What the writer of a comment readers cannot see is told.
WRITER_MESSAGES = {
    CommentState.PENDING: "Your comment is waiting for a moderator. Until one approves it, only you can see it.",
    CommentState.REJECTED: "Your comment was not published: it appears to break the rules of this discussion.",
}

# The notice texts read exactly as the pages Parley serves and imports do. Moderation's
# fold notices are among them: "offensive" and one per label it names (spam, off_topic).
NOTICE_TEXTS = {
    "spoiler": "This comment contains spoilers. Click here if you want to read.",
    **FOLD_NOTICES,
}
# The notices moderation gives; a writer's own (a spoiler) are not among them.
MODERATION_NOTICE_KINDS = frozenset(FOLD_NOTICES)


@dataclasses.dataclass(frozen=True)
class Notice:
    """A labelled reason a comment is folded, e.g. a spoiler warning."""

    kind: str
    text: str

    @classmethod
    def of(cls, kind: str) -> Notice:
        return cls(kind, NOTICE_TEXTS.get(kind, f"This comment is folded ({kind}). Click here if you want to read."))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclasses.dataclass
class Story:
    slug: str
    title: str
    body: str = ""
    url: str = ""
    dateline: str = ""
    credit: str = ""
    published_at: datetime | None = None
    comments_open: bool = True
    # This story's own moderation thresholds, {label: {action: threshold}}: a label named here
    # takes these actions instead of the site's; the other labels keep the site's.
    moderation_thresholds: dict[str, dict[str, float]] | None = None
    id: int | None = None
    comment_count: int = 0
    # Bumped by every change to the story's comments; caches key on it.
    revision: int = 0
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    # What an embedding page said of it (parley.web.embed): its section, its own id for it.
    section: str = ""
    external_id: str = ""

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


@dataclasses.dataclass
class Author:
    display_name: str
    kind: AuthorKind = AuthorKind.GUEST
    email: str | None = None
    id: int | None = None
    account_id: int | None = None  # set for an account's comments: one author, whatever its name

    @property
    def guest(self) -> bool:
        return self.kind is AuthorKind.GUEST

    @property
    def badge(self) -> str:
        return {AuthorKind.GUEST: "Guest", AuthorKind.STAFF: "Staff"}.get(self.kind, "")

    @property
    def identity_key(self) -> str:
        """Guests are one author per (name, email): what they typed is all we know.
        The name counts as typed, so that every comment shows its writer's own spelling.
        An account is one author whatever it is called: two staff named "Editor" are two."""
        if self.account_id is not None:
            return f"account:{self.account_id}"
        if self.kind is AuthorKind.GUEST:
            return f"guest:{self.display_name}:{(self.email or '').casefold()}"
        return f"{self.kind.value}:{self.display_name}"


TOMBSTONE_HTML = "<p><em>This comment was deleted.</em></p>"


@dataclasses.dataclass
class Comment:
    story_id: int
    author: Author
    body_source: str
    body_html: str
    parent_id: int | None = None
    root_id: int | None = None
    depth: int = 0
    state: CommentState = CommentState.PUBLISHED
    notices: tuple[Notice, ...] = ()
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    edited_at: datetime | None = None
    id: int | None = None
    # Counted on roots only: visible replies anywhere below them.
    reply_total: int = 0
    idempotency_key: str | None = None
    # What moderation made of the text as it stands; None when it was not scored
    # (imported, written by staff, or posted with moderation off).
    verdict: Verdict | None = None
    # Who wrote it, to show it to them alone while readers cannot see it: ``Actor.writer_key``.
    writer_key: str | None = None
    # The moderators' side: the open queue it waits in (a ``Queue`` value) and its place
    # there, how many readers reported it, whether it was sent again after a rephrase,
    # when a moderator last decided on it, and the label that scored highest.
    queue: str | None = None
    priority: int = 0
    report_count: int = 0
    resubmitted: bool = False
    reviewed_at: datetime | None = None
    # Readers' recommendations (one each), and when staff featured it (None: not featured).
    recommend_count: int = 0
    featured_at: datetime | None = None

    @property
    def featured(self) -> bool:
        return self.featured_at is not None

    @property
    def strongest(self) -> tuple[str | None, float]:
        """The label moderation scored highest, and its score; (None, 0) when unscored."""
        if self.verdict is None or not self.verdict.scores:
            return None, 0.0
        label = max(self.verdict.scores, key=self.verdict.scores.get)
        return label, float(self.verdict.scores[label])

    def attach_to(self, parent: Comment) -> None:
        """Place this comment under ``parent`` in its thread."""
        self.parent_id = parent.id
        self.root_id = parent.root_id or parent.id
        self.depth = parent.depth + 1

    def fold(self, notice: Notice) -> None:
        if notice not in self.notices:
            self.notices = (*self.notices, notice)
        if self.state is CommentState.PUBLISHED:
            self.state = CommentState.FOLDED

    def moderate(self, verdict: Verdict) -> None:
        """Take moderation's verdict on the current text: publish, fold behind its notice,
        hold for a moderator or reject. An earlier verdict's notice goes; the writer's own
        (a spoiler) stays. A verdict to rephrase is the writer's to act on, never stored."""
        if verdict.action is Action.REPHRASE:
            raise ValueError("a comment to rephrase goes back to its writer, not into a thread")
        self.verdict = verdict
        self._publish()
        if verdict.action is Action.FOLD:
            self.fold(Notice.of(verdict.notice_kind or "offensive"))
        elif verdict.action is Action.HOLD:
            self.state = CommentState.PENDING
        elif verdict.action is Action.REJECT:
            self.state = CommentState.REJECTED

    def moderate_edit(self, verdict: Verdict | None) -> None:
        """Take moderation's verdict on edited text, or None when it was not scored. An
        edit never changes who may read a comment: a held one keeps waiting for its
        moderator; a published or folded one takes a verdict to publish or fold as a new
        comment would, and unscored text loses the notices moderation gave the old text.
        A verdict that would hide the comment goes back to the writer, never stored."""
        if verdict is not None and verdict.action not in (Action.PUBLISH, Action.FOLD):
            raise ValueError("an edit moderation would hide goes back to its writer")
        if self.state is CommentState.PENDING:
            self.verdict = verdict
        elif verdict is None:
            self.verdict = None
            self._publish()
        else:
            self.moderate(verdict)

    def approve(self) -> None:
        """A moderator's release: shown to readers without moderation's notices; the
        writer's own (a spoiler) stay. The verdict is kept: it is what the models said."""
        if self.state is CommentState.DELETED:
            raise ValueError("a deleted comment has nothing to approve")
        self._publish()

    def fold_for_moderator(self, notice: Notice) -> None:
        """A moderator's fold: shown to readers behind ``notice`` alone among moderation's
        notices (the writer's own stay)."""
        if self.state is CommentState.DELETED:
            raise ValueError("a deleted comment has nothing to fold")
        self._publish()
        self.fold(notice)

    def hide_for_review(self) -> None:
        """Readers' reports hide it until a moderator decides."""
        if self.state.visible:
            self.state = CommentState.PENDING

    def reject(self) -> None:
        """A moderator's refusal: kept for moderators only."""
        if self.state is CommentState.DELETED:
            raise ValueError("a deleted comment has nothing to reject")
        self.state = CommentState.REJECTED

    def _publish(self) -> None:
        """Shown to readers, behind the writer's own notices only."""
        self.notices = tuple(n for n in self.notices if n.kind not in MODERATION_NOTICE_KINDS)
        self.state = CommentState.FOLDED if self.notices else CommentState.PUBLISHED

    def delete(self) -> None:
        """Become a tombstone: the thread keeps its shape, the words go."""
        self.state = CommentState.DELETED
        self.body_source = ""
        self.body_html = TOMBSTONE_HTML
        self.notices = ()

    def editable_until(self, window_seconds: int) -> datetime:
        from datetime import timedelta

        return self.created_at + timedelta(seconds=window_seconds)


def verdict_from_dict(data: dict) -> Verdict:
    """A verdict as ``Verdict.to_dict`` wrote it (how stores keep it)."""
    return Verdict(scores=dict(data["scores"]), spans=[Span(s["start"], s["end"], s["label"]) for s in data["spans"]],
                   action=Action(data["action"]), reasons=list(data["reasons"]), model=data["model"])
