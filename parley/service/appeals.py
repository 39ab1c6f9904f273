"""Writers' appeals (DSA Art. 20), what a writer sees of the decisions on their comment,
and the statements of reasons exported for the DSA Transparency Database.

A writer appeals once per comment, from the comment, against the latest decision that
restricts it (or them) and still stands, within ``APPEAL_WINDOW``. The appeal puts the
comment in the Appeals queue; a moderator other than the one who made the decision
(Art. 20(6)) upholds or reverses it. Reversing undoes its effect: the comment is shown
again and a sanction the decision made is lifted. Upholding leaves the comment as it is,
except that a comment held for a moderator is then rejected: the review it waited for
has been made. Either way the audit log gets an ``uphold`` or ``reverse`` decision
prompted by ``appeal:<id>``, and the writer (and each reporter) sees the outcome.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

import orjson

from parley.domain import (
    Actor,
    Appeal,
    Comment,
    CommentState,
    Decision,
    DecisionKind,
    Permission,
    Report,
)
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound
from parley.events import AppealFiled
from parley.service import review
from parley.service.base import Deps
from parley.service.cleaning import whole_number
from parley.service.decisions import _snapshot, clean_reason
from parley.service.reports import clean_text
from parley.service.statements import APPEAL_WINDOW, Statement, plain_date, statement, transparency_record
from parley.store import AuditQuery

if TYPE_CHECKING:
    from parley.service import Services

MAX_APPEAL_CHARS = 2000
OUTCOMES = {"uphold": (DecisionKind.UPHOLD, "upheld"), "reverse": (DecisionKind.REVERSE, "reversed")}
EXPORT_PAGE = 500
SAME_MODERATOR = ("a decision is appealed to a moderator other than the one who made it (DSA Art. 20(6)); "
                  "ask another moderator to decide this appeal")


@dataclasses.dataclass
class AppealDecided:
    appeal: Appeal
    decision: Decision  # the uphold or reverse entry in the audit log


@dataclasses.dataclass
class WriterView:
    """What the writer (or a moderator) sees of the decisions on one comment."""

    comment_id: int
    statement: Statement | None  # the decision appealed, else the latest that restricts and stands
    appeal: Appeal | None
    can_appeal: bool
    why_not: str | None  # why the writer cannot appeal, when they cannot
    outcome: str | None  # the appeal's outcome, in the writer's words, once decided


class AppealService:
    def __init__(self, deps: Deps, services: Services) -> None:
        self.deps = deps
        self.store = deps.store
        self.services = services

    # --- the writer's appeal ---------------------------------------------------
    def appeal(self, actor: Actor, comment_id, text="") -> Appeal:
        """Appeal the decision that restricts one's own comment (see the module's docstring)."""
        actor.require(Permission.APPEAL, "appealing decisions")
        text = clean_text(text, "text", MAX_APPEAL_CHARS)
        comment_id = whole_number(comment_id, "comment_id")
        with self.store.atomic():
            comment = self.store.get_comment(comment_id, for_update=True)
            self._check_writer(actor, comment)
            if comment.state is CommentState.DELETED:
                raise Conflict("you deleted this comment; there is nothing left to appeal", field="comment_id")
            if self.store.appeal_of(comment.id) is not None:
                raise Conflict("you appealed the decision on this comment already: a decision can be appealed "
                               "once", field="comment_id")
            decision = self.appealable(comment)
            if decision is None:
                raise Conflict("no decision restricts this comment, so there is nothing to appeal",
                               field="comment_id")
            now = self.deps.clock()
            closed = decision.created_at + APPEAL_WINDOW
            if now > closed:
                raise Conflict(f"the time to appeal this decision ended on {plain_date(closed)}", field="comment_id")
            appeal = self.store.add_appeal(Appeal(comment_id=comment.id, decision_id=decision.id,
                                                  writer_key=actor.writer_key, text=text, created_at=now))
            story = self.store.get_story_by_id(comment.story_id)
            review.place(comment, story, appealed=True)
            self.store.update_review(comment)  # nothing readers see changes
        self.deps.events.publish(AppealFiled(actor.label, appeal.id, comment.id))
        return appeal

    def _check_writer(self, actor: Actor, comment: Comment | None) -> None:
        """Only a comment's writer appeals it; to anyone else it is as if it did not exist."""
        if comment is None or comment.writer_key is None or comment.writer_key != actor.writer_key:
            raise NotFound("no comment of yours has that id", field="comment_id")

    def appealable(self, comment: Comment) -> Decision | None:
        """The latest decision on the comment that restricts it (or its writer) and still
        stands: not undone, and not taken back by a later approval or reversal."""
        for d in self.store.list_decisions(AuditQuery(comment_id=comment.id, limit=100)):
            if d.undone_at is not None or d.kind is DecisionKind.UNDO:
                continue
            if d.kind in (DecisionKind.APPROVE, DecisionKind.REVERSE):
                return None
            if d.kind is DecisionKind.DISMISS and comment.state.visible and comment.state is CommentState.PUBLISHED:
                return None  # its reports were dismissed and it is shown as it was written
            if d.kind.restricts:
                return d
        return None

    # --- a moderator decides ---------------------------------------------------
    def decide(self, actor: Actor, appeal_id, outcome: str, reason: str = "") -> AppealDecided:
        """Uphold or reverse the decision an appeal is against; never by its own moderator."""
        actor.require(Permission.MODERATE, "deciding appeals")
        if not isinstance(outcome, str) or outcome not in OUTCOMES:
            raise InvalidInput("outcome is uphold or reverse", field="outcome")
        kind, result = OUTCOMES[outcome]
        reason = clean_reason(reason, required=kind is DecisionKind.UPHOLD)
        appeal_id = whole_number(appeal_id, "appeal_id")
        decisions = self.services.decisions
        with self.store.atomic():
            found = self.store.get_appeal(appeal_id)
            if found is None:
                raise NotFound("no such appeal", field="appeal_id")
            comment, thread = decisions.lock_thread(found.comment_id, "decide")
            appeal = self.store.get_appeal(appeal_id)  # again, under the comment's lock: one decision wins
            if appeal.decided_at is not None:
                raise Conflict(f"this appeal was {appeal.outcome} already", field="appeal_id")
            appealed = self.store.get_decision(appeal.decision_id)
            if not appealed.automated and _same_moderator(actor, appealed):
                raise Forbidden(SAME_MODERATOR, field="appeal_id")
            story = self.store.get_story_by_id(comment.story_id)
            before = _snapshot(comment)
            now = self.deps.clock()
            if kind is DecisionKind.REVERSE:
                if _restricted_by(appealed, comment):
                    decisions.check_approvable(comment, thread)
                    comment.approve()
                sanction_id = (appealed.before or {}).get("sanction_id")
                if sanction_id:
                    self.store.lift_sanction(sanction_id, now)
            elif comment.state is CommentState.PENDING:
                decisions.check_rejectable(comment, thread)
                comment.reject()
            decisions.settle(comment, story, before, kind, now)
            made = decisions.record(actor, kind, comment, story, reason=reason, prompted_by=f"appeal:{appeal.id}",
                                    before=before, at=now,
                                    legal_ground=appealed.legal_ground if kind is DecisionKind.UPHOLD else "")
            appeal.decided_at, appeal.outcome, appeal.decided_by = now, result, actor.label
            self.store.update_appeal(appeal)
        decisions.announce(actor, made)
        return AppealDecided(appeal, made)

    # --- what the writer sees ---------------------------------------------------
    def statements_for(self, actor: Actor, comment) -> WriterView:
        """The writer's view of the decisions on their own comment (a moderator sees the
        same): the statement of reasons, whether they can still appeal, and the outcome."""
        if not isinstance(comment, Comment):
            found = self.store.get_comment(whole_number(comment, "comment_id"))
            if found is None:
                raise NotFound("no such comment", field="comment_id")
            comment = found
        if not actor.can(Permission.MODERATE):
            self._check_writer(actor, comment)
        appeal = self.store.appeal_of(comment.id)
        if appeal is not None:
            decided = self.store.get_decision(appeal.decision_id)
            return WriterView(comment.id, statement(decided), appeal, False,
                              "you appealed the decision on this comment already", self._outcome(appeal))
        decided = self.appealable(comment)
        if decided is None:
            return WriterView(comment.id, None, None, False, "no decision restricts this comment", None)
        told = statement(decided)
        if comment.state is CommentState.DELETED:
            return WriterView(comment.id, told, None, False, "you deleted this comment", None)
        if self.deps.clock() > told.appeal_until:
            return WriterView(comment.id, told, None, False,
                              f"the time to appeal ended on {plain_date(told.appeal_until)}", None)
        return WriterView(comment.id, told, None, True, None, None)

    def _outcome(self, appeal: Appeal) -> str | None:
        if appeal.decided_at is None:
            return "Your appeal is waiting for a moderator."
        made = next((d for d in self.store.list_decisions(AuditQuery(comment_id=appeal.comment_id, limit=100))
                     if d.prompted_by == f"appeal:{appeal.id}"), None)
        reason = f" Their reason: {made.reason.rstrip('.')}." if made is not None and made.reason else ""
        if appeal.outcome == "reversed":
            return f"A second moderator reversed the decision: your comment is shown again.{reason}"
        return f"A second moderator looked again and the decision stands.{reason}"

    # --- the DSA Transparency Database ------------------------------------------------
    def export_statements(self, actor: Actor, after_id: int = 0, *, platform_name: str = "Parley") -> Iterator[str]:
        """Every decision that restricts (and was not undone), oldest first, after the
        decision ``after_id``, as JSON Lines of Transparency Database statements
        (``parley.service.statements.transparency_record``). Written in pages of 500."""
        actor.require(Permission.AUDIT, "the statements of reasons")
        after_id = whole_number(after_id, "after_id") if after_id else 0
        while True:
            page = self.store.decisions_since(after_id, EXPORT_PAGE)
            lines = []
            for d in page:
                if d.kind.restricts and d.undone_at is None:
                    comment = self.store.get_comment(d.comment_id) if d.comment_id is not None else None
                    record = transparency_record(d, platform_name, comment=comment, report=self._report(d))
                    lines.append(orjson.dumps(record).decode() + "\n")
            yield "".join(lines)
            if len(page) < EXPORT_PAGE:
                return
            after_id = page[-1].id

    def _report(self, decision: Decision) -> Report | None:
        if not decision.prompted_by.startswith("report:") or decision.comment_id is None:
            return None
        report_id = int(decision.prompted_by.removeprefix("report:"))
        return next((r for r in self.store.list_reports(decision.comment_id) if r.id == report_id), None)


def _same_moderator(actor: Actor, decided: Decision) -> bool:
    """Whether the actor may be the one who made the decision, counted broadly (DSA Art.
    20(6) wants another person): the same account whatever it is called now, a token and
    the account that issued it, or the same token."""
    if decided.account_id is not None and actor.account_id is not None:
        return decided.account_id == actor.account_id
    return decided.actor == actor.label


def _restricted_by(decided: Decision, comment: Comment) -> bool:
    """Whether the comment is still kept from readers, or folded, by the decision appealed."""
    if decided.kind in (DecisionKind.REJECT, DecisionKind.HOLD, DecisionKind.FOLD):
        return True
    return decided.kind in (DecisionKind.BAN, DecisionKind.SUSPEND) and comment.state is CommentState.REJECTED
