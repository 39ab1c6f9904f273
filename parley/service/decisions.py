"""Moderators' decisions: the queues, the comment card, decisions on comments and
sanctions on their authors, undo, bulk decisions, and the audit log.

Every decision is one transaction that changes the comment (or the author's
sanctions), resolves the reports it answers, and writes one ``Decision`` to the audit
log; the ``CommentDecided`` event goes out after it commits. A decision that hides,
folds or restricts tells its writer why (``parley.service.statements``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from parley.domain import (
    Actor,
    Appeal,
    Author,
    Comment,
    CommentState,
    Decision,
    DecisionKind,
    Notice,
    Permission,
    Queue,
    Report,
    Sanction,
    SanctionKind,
    Story,
)
from parley.domain.comments import MODERATION_NOTICE_KINDS
from parley.errors import Conflict, InvalidInput, NotFound
from parley.events import CommentDecided
from parley.service import review
from parley.service.base import Deps
from parley.service.cleaning import decode_cursor, encode_cursor, whole_number
from parley.service.posting import ancestors, descendants
from parley.service.stories import StoryService
from parley.store import AuditQuery, AuthorHistory, QueuePage, queue_key

MAX_REASON_CHARS = 1000
MAX_BULK = 200
#: Decisions a moderator takes on one comment.
ON_COMMENT = (DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.FOLD, DecisionKind.DISMISS)
#: Sanctions a moderator puts on an author, and the decision kind that records each.
SANCTIONS = {DecisionKind.BAN: SanctionKind.BAN, DecisionKind.SUSPEND: SanctionKind.SUSPEND,
             DecisionKind.PREMODERATE: SanctionKind.PREMODERATE, DecisionKind.TRUST: SanctionKind.TRUST}
FOLD_KINDS = sorted(MODERATION_NOTICE_KINDS)


@dataclasses.dataclass(frozen=True)
class QueueQuery:
    """A queue as a moderator asks for it: which one, narrowed how, which page."""

    queue: str = Queue.HELD.value
    story: str | None = None
    label: str | None = None
    min_score: float | None = None
    author_id: int | None = None
    cursor: str | None = None
    limit: int | None = None


@dataclasses.dataclass
class QueueItem:
    comment: Comment
    story: Story


@dataclasses.dataclass
class QueueView:
    queue: Queue
    items: list[QueueItem]
    next_cursor: str | None
    counts: dict[Queue, int]


@dataclasses.dataclass
class Card:
    """Everything a moderator weighs about one comment."""

    comment: Comment
    story: Story
    thread: list[Comment]  # its thread in every state, parents before children (on a queue page: itself)
    history: AuthorHistory
    sanctions: list[Sanction]
    reports: list[Report]
    decisions: list[Decision]  # on this comment, latest first
    appeal: Appeal | None


class DecisionService:
    def __init__(self, deps: Deps, stories: StoryService) -> None:
        self.deps = deps
        self.store = deps.store
        self.stories = stories

    # --- reading the queues ---------------------------------------------------
    def queue(self, actor: Actor, query: QueueQuery) -> QueueView:
        actor.require(Permission.MODERATE, "the moderators' queues")
        queue = clean_queue(query.queue)
        limit = self.deps.config.page_size if query.limit is None else query.limit
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        story = self._story_filter(query.story)
        if query.min_score is not None and not 0 <= query.min_score <= 1:
            raise InvalidInput("min_score is between 0 and 1", field="min_score")
        after = decode_cursor(query.cursor, f"queue:{queue.value}") if query.cursor else None
        page = QueuePage(queue, story.id if story else None, query.label or None, query.min_score,
                         query.author_id, after, limit + 1)
        found = self.store.list_queue(page)
        more = len(found) > limit
        found = found[:limit]
        stories = {story.id: story} if story else self.store.stories_by_id({c.story_id for c in found})
        cursor = encode_cursor(f"queue:{queue.value}", queue_key(found[-1], queue)) if more else None
        return QueueView(queue, [QueueItem(c, stories[c.story_id]) for c in found], cursor,
                         self.store.queue_counts(story.id if story else None))

    def counts(self, actor: Actor, story_slug: str | None = None) -> dict[Queue, int]:
        actor.require(Permission.MODERATE, "the moderators' queues")
        story = self._story_filter(story_slug)
        return self.store.queue_counts(story.id if story else None)

    def _story_filter(self, slug: str | None) -> Story | None:
        if not slug:
            return None
        try:
            return self.stories.get(slug)
        except NotFound:
            raise NotFound(f"no story with slug {slug!r}", field="story") from None

    def card(self, actor: Actor, comment_id) -> Card:
        """One comment's card, with the whole thread around it in every state."""
        actor.require(Permission.MODERATE, "a comment card")
        comment = self._comment(comment_id)
        story = self.store.get_story_by_id(comment.story_id)
        root = self.store.get_comment(comment.root_id) if comment.root_id else comment
        return self._cards([comment], {story.id: story}, {comment.id: thread_order(
            root, self.store.list_replies([root.id]))})[0]

    def queue_cards(self, actor: Actor, query: QueueQuery) -> tuple[QueueView, list[Card]]:
        """A page of a queue with a card for each comment (its thread and the decisions
        on it left out: a page shows neither): a few queries for the page, whatever its
        length."""
        with self.store.reading():
            view = self.queue(actor, query)
            stories = {i.story.id: i.story for i in view.items}
            return view, self._cards([i.comment for i in view.items], stories, {}, with_decisions=False)

    def queue_revision(self, actor: Actor) -> int:
        """A number that moves whenever anything a page of a queue shows may have changed
        (a comment, a report, a sanction, an appeal, a story's title, an author), on any
        instance: a page made after reading it is good for as long as it stays."""
        actor.require(Permission.MODERATE, "the moderators' queues")
        return self.store.workspace_revision()

    def _cards(self, comments: list[Comment], stories: dict[int, Story],
               threads: dict[int, list[Comment]], *, with_decisions: bool = True) -> list[Card]:
        ids, authors = [c.id for c in comments], [c.author.id for c in comments]
        histories, sanctions = self.store.author_histories(authors), self.store.sanctions_for(authors)
        reports, appeals = self.store.reports_for(ids), self.store.appeals_for(ids)
        decisions = self.store.decisions_for(ids) if with_decisions else {}
        return [Card(c, stories[c.story_id], threads.get(c.id, [c]), histories[c.author.id],
                     sanctions[c.author.id], reports[c.id], decisions.get(c.id, [])[:50], appeals.get(c.id))
                for c in comments]

    def verdict_of(self, actor: Actor, comment_id) -> Comment:
        """Any comment in any state, with the verdict moderation gave it."""
        actor.require(Permission.MODERATE, "a comment's verdict")
        return self._comment(comment_id)

    def _comment(self, comment_id) -> Comment:
        comment = self.store.get_comment(whole_number(comment_id, "comment_id"))
        if comment is None:
            raise NotFound("no such comment", field="comment_id")
        return comment

    # --- deciding on a comment ------------------------------------------------
    def decide(self, actor: Actor, comment_id, kind: str, *, reason: str = "", notice: str | None = None,
               legal_ground: str = "") -> Decision:
        """Approve, reject (with a reason), fold (behind a notice) or dismiss its reports."""
        actor.require(Permission.MODERATE, "deciding on comments")
        kind = clean_kind(kind, ON_COMMENT)
        reason, legal_ground = clean_reason(reason, required=kind is DecisionKind.REJECT), clean_text(
            legal_ground, "legal_ground", 500)
        notice = clean_notice(notice) if kind is DecisionKind.FOLD else None
        with self.store.atomic():
            decision = self._decide_locked(actor, comment_id, kind, reason=reason, notice=notice,
                                           legal_ground=legal_ground)
        self.announce(actor, decision)
        return decision

    def bulk(self, actor: Actor, comment_ids: Sequence, kind: str, *, reason: str = "",
             notice: str | None = None) -> list[Decision]:
        """One decision on a selection, all together or none: a comment that cannot take
        it stops the whole selection, named in the error."""
        actor.require(Permission.MODERATE, "deciding on comments")
        kind = clean_kind(kind, ON_COMMENT)
        reason = clean_reason(reason, required=kind is DecisionKind.REJECT)
        notice = clean_notice(notice) if kind is DecisionKind.FOLD else None
        if not isinstance(comment_ids, Sequence) or isinstance(comment_ids, str) or not comment_ids:
            raise InvalidInput("choose at least one comment", field="comment_ids")
        if len(comment_ids) > MAX_BULK:
            raise InvalidInput(f"at most {MAX_BULK} comments at once", field="comment_ids")
        ids = list(dict.fromkeys(whole_number(i, "comment_ids") for i in comment_ids))
        made = []
        with self.store.atomic():
            for comment_id in self._in_lock_order(ids, deepest_first=kind is DecisionKind.REJECT):
                try:
                    made.append(self._decide_locked(actor, comment_id, kind, reason=reason, notice=notice))
                except (Conflict, NotFound) as exc:
                    raise type(exc)(f"comment {comment_id}: {exc.message}; nothing was decided",
                                    field="comment_ids") from None
        for decision in made:
            self.announce(actor, decision)
        return made

    def _in_lock_order(self, ids: list[int], *, deepest_first: bool) -> list[int]:
        """A selection thread by thread, in the order of their roots, so that two bulk
        decisions running together take their threads' locks in one order. Within a thread,
        parents before replies (an approval needs its parent shown), or replies first for a
        rejection (a parent cannot be hidden from under its replies)."""
        found = {c.id: c for c in self.store.comments_by_id(ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"comment {missing[0]}: no such comment; nothing was decided", field="comment_ids")
        sign = -1 if deepest_first else 1
        return sorted(ids, key=lambda i: (found[i].root_id or i, sign * found[i].depth, i))

    def _decide_locked(self, actor: Actor, comment_id, kind: DecisionKind, *, reason: str, notice: str | None,
                       legal_ground: str = "", prompted_by: str | None = None) -> Decision:
        comment, thread = self.lock_thread(comment_id, kind.value)
        self._no_open_appeal(comment)
        story = self.store.get_story_by_id(comment.story_id)
        before = _snapshot(comment)
        reports = self.store.list_reports(comment.id)
        now = self.deps.clock()
        if kind is DecisionKind.APPROVE:
            self.check_approvable(comment, thread)
            comment.approve()
        elif kind is DecisionKind.REJECT:
            self.check_rejectable(comment, thread)
            comment.reject()
        elif kind is DecisionKind.FOLD:
            comment.fold_for_moderator(Notice.of(notice or "offensive"))
        elif kind is DecisionKind.DISMISS and comment.state is CommentState.PENDING and comment.queue == "reported":
            comment.approve()  # hidden only by reports, which are now dismissed
        self.settle(comment, story, before, kind, now)
        open_reports = [r for r in reports if r.resolved_at is None]
        if prompted_by is None:
            prompted_by = f"report:{open_reports[0].id}" if open_reports else (
                "verdict" if comment.verdict is not None else "moderator")
        return self.record(actor, kind, comment, story, reason=reason, prompted_by=prompted_by, before=before,
                           legal_ground=legal_ground, at=now)

    # --- how a decision lands (appeals land the same way) ----------------------------
    def settle(self, comment: Comment, story: Story, before: dict, kind: DecisionKind, now: datetime) -> None:
        """After a decision changed ``comment``: a moderator has looked (it leaves its open
        queue, its reports count again from nought and are resolved by ``kind``, which for an
        appeal's outcome is what it did to the comment) and the change is written."""
        comment.reviewed_at = now
        comment.report_count = 0
        review.place(comment, story)
        self._save(comment, before)
        if kind in (DecisionKind.UPHOLD, DecisionKind.REVERSE):  # reporters are told what became of it
            kind = (DecisionKind.REJECT if comment.state is CommentState.REJECTED else
                    DecisionKind.FOLD if comment.state is CommentState.FOLDED else DecisionKind.APPROVE)
        self.store.resolve_reports(comment.id, kind.value, now)

    def _no_open_appeal(self, comment: Comment) -> None:
        """An appealed comment is decided through its appeal, by another moderator (DSA
        Art. 20(6)): a plain decision would leave the appeal waiting for ever."""
        appeal = self.store.appeal_of(comment.id)
        if appeal is not None and appeal.decided_at is None:
            raise Conflict(f"its writer has appealed (appeal {appeal.id}): decide the appeal instead",
                           field="comment_id")

    def check_approvable(self, comment: Comment, thread: list[Comment]) -> None:
        hidden = [a for a in ancestors(comment, thread) if not (a.state.visible or a.state is CommentState.DELETED)]
        if hidden:
            raise Conflict(f"the comment it replies to ({hidden[0].id}) is {hidden[0].state.value}, "
                           "so readers could not reach it; approve that one first", field="parent_id")

    def _save(self, comment: Comment, before: dict) -> None:
        """Write the decision's change: what readers see when it changed (which moves the
        story's revision and so its cached pages), else only where it stands for moderators."""
        if (comment.state.value, [n.to_dict() for n in comment.notices]) == (before["state"], before["notices"]):
            self.store.update_review(comment)
        else:
            self.store.update_comment(comment, was=before["state_enum"])

    def check_rejectable(self, comment: Comment, thread: list[Comment]) -> None:
        if any(c.state.visible for c in descendants(comment, thread)):
            raise Conflict("this comment has replies readers see; it cannot be hidden from under them",
                           field="comment_id")

    def lock_thread(self, comment_id, action: str) -> tuple[Comment, list[Comment]]:
        """The comment and its whole thread, locked (the comment, then its root) for this
        transaction: every change to what readers see of a thread takes the same locks in the
        same order (a reply's post and an edit too: the comment, then its root's reply
        total), so none reads a thread another is changing."""
        comment = self.store.get_comment(whole_number(comment_id, "comment_id"), for_update=True)
        if comment is None:
            raise NotFound("no such comment", field="comment_id")
        if comment.state is CommentState.DELETED:
            raise Conflict(f"a deleted comment cannot be {action}d: its writer removed it", field="state")
        root = self.store.get_comment(comment.root_id, for_update=True) if comment.root_id else comment
        return comment, [root, *self.store.list_replies([root.id])]

    def record(self, actor: Actor, kind: DecisionKind, comment: Comment | None, story: Story | None, *,
                  reason: str, prompted_by: str = "moderator", before: dict | None = None, legal_ground: str = "",
                  author: Author | None = None, until=None, undoes: int | None = None,
                  at: datetime | None = None) -> Decision:
        """Write the decision to the audit log (the statement of reasons its writer reads),
        with the comment as the moderator saw it: text, context and verdict are training data."""
        context = {"story_title": story.title} if story else {}
        if comment is not None and comment.parent_id:
            parent = self.store.get_comment(comment.parent_id)
            if parent is not None:
                context["parent_text"] = parent.body_source
        stored_before = None if before is None else {k: v for k, v in before.items() if k != "state_enum"}
        return self.store.add_decision(Decision(
            kind=kind, actor=actor.label, account_id=actor.account_id, reason=reason, automated=False,
            comment_id=comment.id if comment else None,
            author_id=(comment.author.id if comment else author.id if author else None),
            prompted_by=prompted_by, legal_ground=legal_ground, text=comment.body_source if comment else "",
            context=context, verdict=comment.verdict.to_dict() if comment and comment.verdict else None,
            before=stored_before, undoes=undoes, until=until, created_at=at or self.deps.clock()))

    def announce(self, actor: Actor, decision: Decision) -> None:
        self.deps.events.publish(CommentDecided(actor.label, decision.id, decision.kind.value, decision.comment_id,
                                                decision.author_id))

    # --- sanctions on the author ---------------------------------------------
    def sanction(self, actor: Actor, comment_id, kind: str, *, reason: str = "", days: float | None = None,
                 reject: bool | None = None) -> Decision:
        """Ban, suspend (for ``days``), pre-moderate or trust the author of a comment. A ban
        or suspension also rejects the comment it was decided on (unless ``reject`` is
        False), so that one key takes an abuser's words and voice together."""
        actor.require(Permission.SANCTION, "sanctioning authors")
        kind = clean_kind(kind, tuple(SANCTIONS), "sanction")
        reason = clean_reason(reason, required=kind in (DecisionKind.BAN, DecisionKind.SUSPEND))
        until = None
        if kind is DecisionKind.SUSPEND:
            if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= 3650:
                raise InvalidInput("a suspension lasts between a moment and 3,650 days", field="days")
            until = self.deps.clock() + timedelta(days=days)
        if reject is None:
            reject = kind in (DecisionKind.BAN, DecisionKind.SUSPEND)
        elif not isinstance(reject, bool):
            raise InvalidInput("reject must be true or false", field="reject")
        with self.store.atomic():
            comment, thread = self.lock_thread(comment_id, kind.value)
            if reject:
                self._no_open_appeal(comment)
            story = self.store.get_story_by_id(comment.story_id)
            before = _snapshot(comment)
            now = self.deps.clock()
            if reject and comment.state is not CommentState.REJECTED:
                self.check_rejectable(comment, thread)
                comment.reject()
                self.settle(comment, story, before, kind, now)
            sanction = self.store.add_sanction(Sanction(
                author_id=comment.author.id, kind=SANCTIONS[kind], reason=reason, decided_by=actor.label,
                until=until, writer_key=comment.writer_key, created_at=now))
            before["sanction_id"] = sanction.id
            decision = self.record(actor, kind, comment, story, reason=reason, before=before, until=until, at=now)
        self.announce(actor, decision)
        return decision

    def lift(self, actor: Actor, sanction_id, *, reason: str = "") -> Decision:
        """End a sanction before its time."""
        actor.require(Permission.SANCTION, "lifting sanctions")
        sanction_id = whole_number(sanction_id, "sanction_id")
        reason = clean_reason(reason, required=False)
        with self.store.atomic():
            sanction = self.store.get_sanction(sanction_id)
            if sanction is None or not sanction.active(self.deps.clock()):
                raise NotFound("no sanction in force with that id", field="sanction_id")
            if not self.store.lift_sanction(sanction.id, self.deps.clock()):
                raise Conflict("this sanction was lifted already", field="sanction_id")
            author = self.store.get_author(sanction.author_id)
            decision = self.record(actor, DecisionKind.LIFT, None, None, author=author,
                                   before={"sanction_id": sanction.id},
                                   reason=reason or f"lifted {sanction.kind.value}")
        self.announce(actor, decision)
        return decision

    # --- undo -------------------------------------------------------------------
    def undo(self, actor: Actor, decision_id, *, also: Sequence = ()) -> list[Decision]:
        """Take back one's own latest decision on a comment within ``PARLEY_UNDO_SECONDS``:
        the comment returns to what it was (its queue too), a sanction it made ends and one it
        lifted is back. ``also``: the other decisions of a bulk decision, undone with it in the
        same transaction, all or none. Returns the undo entries, latest decision's first."""
        actor.require(Permission.MODERATE, "undoing decisions")
        ids = list(dict.fromkeys(whole_number(d, "decision_id") for d in [decision_id, *also]))
        if len(ids) > MAX_BULK:
            raise InvalidInput(f"at most {MAX_BULK} decisions at once", field="decision_id")
        with self.store.atomic():
            made = [self._undo_locked(actor, d) for d in sorted(ids, reverse=True)]
        for entry in made:
            self.announce(actor, entry)
        return made

    def _undo_locked(self, actor: Actor, decision_id: int) -> Decision:
        decision = self.store.get_decision(decision_id)
        if decision is None:
            raise NotFound("no such decision", field="decision_id")
        if not _made_by(actor, decision):
            raise Conflict("only the moderator who made a decision can undo it", field="decision_id")
        if decision.undone_at is not None or decision.kind is DecisionKind.UNDO:
            raise Conflict("this decision was undone already", field="decision_id")
        if decision.kind in (DecisionKind.UPHOLD, DecisionKind.REVERSE):
            raise Conflict("an appeal's outcome is final: its writer has been told it", field="decision_id")
        if decision.kind in (DecisionKind.FEATURE, DecisionKind.UNFEATURE):  # parley.service.reactions
            raise Conflict("a pick is taken back by unfeaturing the comment (or featuring it again)",
                           field="decision_id")
        window = timedelta(seconds=self.deps.config.undo_seconds)
        if self.deps.clock() > decision.created_at + window:
            raise Conflict(f"decisions can be undone for {self.deps.config.undo_seconds} seconds; "
                           "this one is older", field="decision_id")
        comment = story = None
        before = decision.before or {}
        if decision.comment_id is not None:
            comment, thread = self.lock_thread(decision.comment_id, "restore")
            # Staff's picks (feature, unfeature) change who sees nothing: they do not stand in undo's way.
            latest = [d for d in self.store.list_decisions(AuditQuery(comment_id=comment.id, limit=50))
                      if d.kind not in (DecisionKind.FEATURE, DecisionKind.UNFEATURE)][:1]
            if latest and latest[0].id != decision.id:
                raise Conflict("a later decision was made on this comment; undo that one first",
                               field="decision_id")
            appeal = self.store.appeal_of(comment.id)
            if appeal is not None and appeal.decision_id == decision.id and appeal.decided_at is None:
                raise Conflict("its writer has appealed this decision: decide the appeal instead",
                               field="decision_id")
            story = self.store.get_story_by_id(comment.story_id)
            if "state" in before:
                was = comment.state
                comment.state = CommentState(before["state"])
                # The thread may have moved since: what was shown must still hang where readers
                # reach it, and what was hidden must not have replies readers see.
                if comment.state.visible and not was.visible:
                    self.check_approvable(comment, thread)
                elif was.visible and not comment.state.visible:
                    self.check_rejectable(comment, thread)
                comment.notices = tuple(Notice(n["kind"], n["text"]) for n in before["notices"])
                reviewed = before.get("reviewed_at")
                comment.reviewed_at = datetime.fromisoformat(reviewed) if reviewed else None
                comment.report_count = before.get("report_count", 0)
                comment.queue = before.get("queue")
                comment.priority = review.priority(comment, story) if comment.queue else 0
                self.store.update_comment(comment, was=was)
                self.store.reopen_reports(comment.id, decision.created_at)  # those this decision resolved
        if before.get("sanction_id") and decision.kind is DecisionKind.LIFT:
            self.store.restore_sanction(before["sanction_id"])  # lifted by it: in force again
        elif before.get("sanction_id"):
            self.store.lift_sanction(before["sanction_id"], self.deps.clock())  # made by it: ended
        self.store.mark_undone(decision.id, self.deps.clock())
        author = self.store.get_author(decision.author_id) if decision.author_id else None
        return self.record(actor, DecisionKind.UNDO, comment, story, reason=f"undid {decision.kind.value}",
                           author=author, undoes=decision.id)

    # --- the audit log -----------------------------------------------------------
    def audit(self, actor: Actor, query: AuditQuery) -> list[Decision]:
        actor.require(Permission.AUDIT, "the audit log")
        if not 1 <= query.limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1,000", field="limit")
        return self.store.list_decisions(query)

    def audit_csv(self, actor: Actor, query: AuditQuery) -> Iterator[str]:
        """The audit log as CSV, every matching entry, latest first, in pages."""
        actor.require(Permission.AUDIT, "the audit log")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(AUDIT_COLUMNS)
        before_id = query.before_id
        while True:
            page = self.store.list_decisions(dataclasses.replace(query, before_id=before_id, limit=500))
            for d in page:
                writer.writerow([d.id, d.created_at.isoformat(), d.actor, d.kind.value, d.comment_id or "",
                                 d.author_id or "", _csv_safe(d.reason), d.prompted_by,
                                 "yes" if d.automated else "no", _csv_safe(d.legal_ground), d.undoes or "",
                                 d.undone_at.isoformat() if d.undone_at else ""])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if len(page) < 500:
                return
            before_id = page[-1].id


AUDIT_COLUMNS = ["id", "at", "actor", "decision", "comment_id", "author_id", "reason", "prompted_by", "automated",
                 "legal_ground", "undoes", "undone_at"]


def thread_order(root: Comment, replies: Sequence[Comment]) -> list[Comment]:
    """A whole thread as moderators see it: every comment in any state, each followed
    depth-first by its replies, oldest first (readers' ``arrange`` leaves hidden ones out)."""
    children: dict[int, list[Comment]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    out, stack = [], [root]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(reversed(children.get(c.id, ())))
    return out


def _made_by(actor: Actor, decision: Decision) -> bool:
    """Whether the actor made the decision (and so may undo it): the same token, or the same
    account whatever it is called now."""
    if actor.is_account and decision.account_id is not None and not decision.actor.startswith("token:"):
        return decision.account_id == actor.account_id
    return decision.actor == actor.label


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _snapshot(comment: Comment) -> dict:
    """What an undo restores."""
    return {"state": comment.state.value, "state_enum": comment.state,
            "notices": [n.to_dict() for n in comment.notices], "queue": comment.queue,
            "report_count": comment.report_count,
            "reviewed_at": comment.reviewed_at.isoformat() if comment.reviewed_at else None}


def clean_queue(raw) -> Queue:
    try:
        return Queue(raw)
    except ValueError:
        raise InvalidInput(f"queue must be one of {', '.join(q.value for q in Queue)}", field="queue") from None


def clean_kind(raw, allowed: Sequence[DecisionKind], field: str = "decision") -> DecisionKind:
    try:
        kind = DecisionKind(raw)
    except ValueError:
        kind = None
    if kind not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(k.value for k in allowed)}", field=field)
    return kind


def clean_reason(raw, *, required: bool) -> str:
    reason = clean_text(raw, "reason", MAX_REASON_CHARS)
    if required and not reason:
        raise InvalidInput("say why: the writer is told the reason", field="reason")
    return reason


def clean_text(raw, field: str, limit: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or "\x00" in raw:
        raise InvalidInput(f"{field} must be text", field=field)
    text = " ".join(raw.split())
    if len(text) > limit:
        raise InvalidInput(f"{field} has at most {limit} characters", field=field)
    return text


def clean_notice(raw) -> str:
    notice = raw or "offensive"
    if not isinstance(notice, str) or notice not in MODERATION_NOTICE_KINDS:
        raise InvalidInput(f"notice must be one of {', '.join(FOLD_KINDS)}", field="notice")
    return notice
