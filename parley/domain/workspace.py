"""The moderators' workspace in the newsroom's words: queues, reports, decisions,
sanctions and appeals. Plain data with the behaviour that belongs to it."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

from parley.domain.comments import utcnow


class Queue(enum.StrEnum):
    """Where a comment waits for (or rests after) a moderator. The first five are open
    queues: a comment sits in at most one of them, the one that asks most urgently."""

    HELD = "held"  # held by the model, or by a rule (pre-moderation, a suspended author)
    REPORTED = "reported"  # readers' reports reached the threshold
    FOLDED = "folded"  # published behind a notice by the model, not yet looked at
    RESUBMITTED = "resubmitted"  # posted again after moderation asked for a rephrase
    APPEALS = "appeals"  # its writer appealed a decision
    APPROVED = "approved"  # decided: shown to readers
    REJECTED = "rejected"  # decided: kept from readers

    @property
    def open(self) -> bool:
        return self not in (Queue.APPROVED, Queue.REJECTED)


OPEN_QUEUES = tuple(q for q in Queue if q.open)


class DecisionKind(enum.StrEnum):
    """What a decision did. On a comment: approve, reject, fold, hold (automated only),
    dismiss (its reports, leaving it as it is). On its author: ban, suspend, premoderate,
    trust, lift (ends a sanction). On an appeal: uphold (the decision stands) or reverse.
    Undo takes back an earlier decision. Feature and unfeature: staff's picks, which change
    what readers are shown first but never who may read a comment."""

    APPROVE = "approve"
    REJECT = "reject"
    FOLD = "fold"
    HOLD = "hold"
    DISMISS = "dismiss"
    BAN = "ban"
    SUSPEND = "suspend"
    PREMODERATE = "premoderate"
    TRUST = "trust"
    LIFT = "lift"
    UPHOLD = "uphold"
    REVERSE = "reverse"
    UNDO = "undo"
    FEATURE = "feature"
    UNFEATURE = "unfeature"

    @property
    def on_author(self) -> bool:
        return self in _ON_AUTHOR

    @property
    def restricts(self) -> bool:
        """Whether the writer is told a statement of reasons (DSA Art. 17): every decision
        that hides, folds or holds their words, or restricts them."""
        return self in _RESTRICTS


_ON_AUTHOR = {DecisionKind.BAN, DecisionKind.SUSPEND, DecisionKind.PREMODERATE, DecisionKind.TRUST,
              DecisionKind.LIFT}
_RESTRICTS = {DecisionKind.REJECT, DecisionKind.FOLD, DecisionKind.HOLD, DecisionKind.BAN, DecisionKind.SUSPEND,
              DecisionKind.PREMODERATE}


class SanctionKind(enum.StrEnum):
    BAN = "ban"  # may not post at all
    SUSPEND = "suspend"  # may not post until a time
    PREMODERATE = "premoderate"  # every comment is held for a moderator
    TRUST = "trust"  # comments publish unless the model would hold or reject them

    @property
    def blocks_posting(self) -> bool:
        return self in (SanctionKind.BAN, SanctionKind.SUSPEND)


class ReportReason(enum.StrEnum):
    ABUSIVE = "abusive"
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    ILLEGAL = "illegal"  # DSA Art. 16 notice: asks for the law and a statement of good faith
    OTHER = "other"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {ReportReason.ABUSIVE: "Abusive or harassing", ReportReason.SPAM: "Spam or advertising",
                  ReportReason.OFF_TOPIC: "Off topic", ReportReason.ILLEGAL: "Illegal content",
                  ReportReason.OTHER: "Something else"}


@dataclasses.dataclass
class Report:
    """A reader's report of a comment. ``reporter_key`` is the reporter's writer key
    (account or guest cookie), so one reader counts once per comment."""

    comment_id: int
    reason: ReportReason
    reporter_key: str
    text: str = ""
    law: str = ""  # illegal content: the law the reporter says it breaks
    good_faith: bool = False  # illegal content: the reporter's statement of good faith
    reporter_name: str = ""
    reporter_email: str = ""
    # A keyed hash of the reporter's address (never the address itself): one machine
    # counts once towards a comment's thresholds, whatever cookies it sheds.
    reporter_addr: str = ""
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    resolved_at: datetime | None = None
    outcome: str | None = None  # the decision kind that resolved it


@dataclasses.dataclass
class Sanction:
    """A restriction (or, for trust, a privilege) on an author."""

    author_id: int
    kind: SanctionKind
    reason: str
    decided_by: str  # the actor's label
    until: datetime | None = None  # suspensions end; the others last until lifted
    writer_key: str | None = None  # the writer's browser or account too (``Actor.writer_key``)
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    lifted_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and (self.until is None or now < self.until)


@dataclasses.dataclass
class Decision:
    """One entry of the audit log, and the statement of reasons its writer is told.

    Every decision on a comment or an author is one of these: a moderator's, or an
    automated one (the models held or folded a comment; ``automated`` is then True and
    ``actor`` is the system). ``prompted_by`` says what led to it: ``verdict`` (the
    models), ``report:<id>``, ``appeal:<id>`` or ``moderator``. ``before`` is what the
    comment was (state and notices) so that an undo can restore it. ``text`` and
    ``verdict`` keep the comment as the moderator saw it: decisions are training data."""

    kind: DecisionKind
    actor: str
    reason: str
    automated: bool = False
    comment_id: int | None = None
    author_id: int | None = None
    account_id: int | None = None  # the deciding moderator's account, for "a different moderator"
    prompted_by: str = "moderator"
    legal_ground: str = ""  # illegal content: the law the decision rests on
    text: str = ""
    context: dict = dataclasses.field(default_factory=dict)  # story title, parent text
    verdict: dict | None = None
    before: dict | None = None
    undoes: int | None = None
    undone_at: datetime | None = None
    until: datetime | None = None  # a suspension's end
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)


@dataclasses.dataclass
class Appeal:
    """A writer's one appeal against a decision on their comment (DSA Art. 20); decided
    by a moderator other than the one who made the decision."""

    comment_id: int
    decision_id: int
    writer_key: str
    text: str
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    decided_at: datetime | None = None
    outcome: str | None = None  # "upheld" or "reversed"
    decided_by: str | None = None
