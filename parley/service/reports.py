"""Readers' reports of comments, and what each reporter is told of the outcome.

A report names a reason (abusive, spam, off topic, illegal content, something else) and
may say more. One reader counts once per comment: by their account, their browser's
guest cookie or their API token (``reporter_key``), and by a keyed hash of their address
(``reporter_addr``), so that a script shedding cookies cannot stack reports on a comment.
Reports move a comment into the moderators' Reported queue at
``PARLEY_REPORT_THRESHOLD`` and hide it from readers, pending a moderator, at
``PARLEY_REPORT_HIDE_THRESHOLD`` (never when readers already see replies to it, which
would be stranded, and never for the newsroom's own comments). Hiding is an automated
decision like the models' holds: it goes in the audit log and its writer is told why.

An illegal-content report is a notice under DSA Art. 16: it must name the law the
comment breaks, explain why, and state that the reporter believes it in good faith.
Art. 16(2)(c) asks for the notifier's name and email, save for notices of child sexual
abuse material, where it may not; Parley therefore asks for both and requires neither,
and keeps them only on illegal-content reports (other reports need no personal data).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta
from typing import TYPE_CHECKING

from parley.domain import (
    Actor,
    AuthorKind,
    Comment,
    Decision,
    DecisionKind,
    Permission,
    Queue,
    Report,
    ReportReason,
    Story,
)
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from parley.events import CommentReported
from parley.service import review
from parley.service.base import Deps
from parley.service.cleaning import clean_email, whole_number
from parley.service.posting import descendants

if TYPE_CHECKING:
    from parley.service import Services

MAX_TEXT_CHARS = 2000
MAX_LAW_CHARS = 500  # the DSA Transparency Database's illegal_content_legal_ground holds 500
MAX_NAME_CHARS = 100
WINDOW = timedelta(hours=1)
#: One address may file this many times ``PARLEY_REPORTS_PER_HOUR`` an hour: several
#: readers may share it (an office, a school, a mobile carrier's NAT).
READERS_PER_ADDRESS = 5
#: Who hid a comment on readers' reports, as the audit log records it.
REPORTS = "system:reports"
ALREADY = "You have reported this comment already; a moderator will look at it."
COOKIES_NEEDED = ("We cannot tell your reports apart from anyone else's: allow cookies for this site "
                  "(or sign in) and report again.")


@dataclasses.dataclass
class ReportOutcome:
    """One of a reporter's reports, with what became of it in the reporter's words."""

    report: Report
    status: str  # open, removed, folded, kept, restored
    message: str


class ReportService:
    def __init__(self, deps: Deps, services: Services) -> None:
        self.deps = deps
        self.store = deps.store
        self.config = deps.config
        self.services = services

    # --- reporting ------------------------------------------------------------
    def report(self, actor: Actor, comment_id, *, reason, text="", law="", good_faith=False, name="",
               email="") -> Report:
        """File a reader's report of a comment readers can see (see the module's docstring)."""
        actor.require(Permission.REPORT, "reporting comments")
        reason = clean_reason(reason)
        text = clean_text(text, "text", MAX_TEXT_CHARS)
        if reason is ReportReason.ILLEGAL:
            law = clean_text(law, "law", MAX_LAW_CHARS)
            if not law:
                raise InvalidInput("name the law you believe this comment breaks", field="law")
            if not text:
                raise InvalidInput("explain why you believe this comment is illegal", field="text")
            if good_faith is not True:
                raise InvalidInput("confirm that you believe in good faith that what your report says is accurate "
                                   "and complete", field="good_faith")
            name = clean_text(name, "name", MAX_NAME_CHARS)
            email = clean_email(email) or ""
        else:
            law, good_faith, name, email = "", False, "", ""  # not asked: no personal data kept
        key = reporter_key(actor)
        if key is None:
            raise Forbidden(COOKIES_NEEDED, field="reporter")
        addr = self.deps.sign("report-addr", actor.client_addr) if actor.client_addr else ""
        comment_id = whole_number(comment_id, "comment_id")
        now = self.deps.clock()
        with self.store.atomic():
            comment, thread = self._locked(comment_id)
            earlier = self.store.list_reports(comment.id)
            if any(r.reporter_key == key for r in earlier):
                raise Conflict(ALREADY, field="comment_id")
            self._check_rate(key, addr, now)
            try:
                report = self.store.add_report(Report(
                    comment_id=comment.id, reason=reason, reporter_key=key, text=text, law=law,
                    good_faith=good_faith, reporter_name=name, reporter_email=email, reporter_addr=addr,
                    created_at=now))
            except Conflict:
                raise Conflict(ALREADY, field="comment_id") from None
            counted = not (addr and any(r.reporter_addr == addr for r in earlier))
            queued = self._count(comment, thread, report, counted=counted)
        self.deps.events.publish(CommentReported(actor.label, report.id, comment.id, queued))
        return report

    def _locked(self, comment_id: int) -> tuple[Comment, list[Comment]]:
        """The comment and its thread, locked as every change to what readers see is
        (``DecisionService.lock_thread``); only a comment readers can see is reported."""
        try:
            comment, thread = self.services.decisions.lock_thread(comment_id, "report")
        except (NotFound, Conflict):  # none, or deleted by its writer
            comment = None
        if comment is None or not comment.state.visible:
            raise NotFound("there is no comment readers can see with that id", field="comment_id")
        return comment, thread

    def _check_rate(self, key: str, addr: str, now) -> None:
        limit = self.config.reports_per_hour
        recent = [r for r in self.store.reports_by(key, limit) if r.created_at > now - WINDOW]
        if len(recent) >= limit:
            wait = recent[-1].created_at + WINDOW - now
            raise RateLimited(f"you have filed {limit} reports in the last hour; you can report again in "
                              f"{_minutes(wait)}", retry_after=max(1, math.ceil(wait.total_seconds())))
        if addr and self.store.count_reports_from(addr, now - WINDOW) >= limit * READERS_PER_ADDRESS:
            raise RateLimited("too many reports from your network in the last hour; try again later",
                              retry_after=int(WINDOW.total_seconds()))

    def _count(self, comment: Comment, thread: list[Comment], report: Report, *, counted: bool) -> bool:
        """Count the report on the comment: queue it, hide it, reprioritise it. Whether
        this report moved it into the Reported queue."""
        story = self.store.get_story_by_id(comment.story_id)
        was = comment.state
        if counted:
            comment.report_count += 1
        reported = comment.report_count >= self.config.report_threshold
        queued = reported and comment.queue not in (Queue.REPORTED, Queue.APPEALS)
        hide_at = self.config.report_hide_threshold
        decision = None
        if (hide_at and comment.report_count >= hide_at and comment.state.visible
                and comment.author.kind is not AuthorKind.STAFF
                and not any(c.state.visible for c in descendants(comment, thread))):
            before = {"state": was.value, "notices": [n.to_dict() for n in comment.notices], "queue": comment.queue,
                      "report_count": comment.report_count - int(counted),
                      "reviewed_at": comment.reviewed_at.isoformat() if comment.reviewed_at else None}
            comment.hide_for_review()
            decision = self._hidden(comment, story, report, before)
        review.place(comment, story, appealed=comment.queue == Queue.APPEALS,
                     reported=reported or comment.queue == Queue.REPORTED)
        if decision is None:
            self.store.update_review(comment)  # readers see the same: reader caches stay good
        else:
            self.store.update_comment(comment, was=was)
        if decision is not None:
            self.store.add_decision(decision)
        return queued

    def _hidden(self, comment: Comment, story: Story, report: Report, before: dict) -> Decision:
        count = comment.report_count
        context = {"story_title": story.title}
        if comment.parent_id:
            parent = self.store.get_comment(comment.parent_id)
            if parent is not None:
                context["parent_text"] = parent.body_source
        return Decision(kind=DecisionKind.HOLD, actor=REPORTS, automated=True, comment_id=comment.id,
                        author_id=comment.author.id, prompted_by=f"report:{report.id}",
                        reason=f"{count} readers reported it; it is hidden until a moderator decides",
                        text=comment.body_source, context=context,
                        verdict=comment.verdict.to_dict() if comment.verdict else None, before=before,
                        created_at=report.created_at)

    # --- what a reporter sees --------------------------------------------------
    def reports_of(self, actor: Actor, limit: int = 50) -> list[ReportOutcome]:
        """The actor's own latest reports, newest first, each with its outcome: both
        the writer and the reporter are told what a moderator decided."""
        actor.require(Permission.REPORT, "your reports")
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200", field="limit")
        key = reporter_key(actor)
        if key is None:
            return []
        return [self._outcome(r) for r in self.store.reports_by(key, limit)]

    def _outcome(self, report: Report) -> ReportOutcome:
        outcome = report.outcome
        if outcome is None:
            return ReportOutcome(report, "open", "A moderator has not decided on it yet.")
        if outcome in (DecisionKind.REJECT, DecisionKind.BAN, DecisionKind.SUSPEND, DecisionKind.FOLD):
            appeal = self.store.appeal_of(report.comment_id)
            if appeal is not None and appeal.outcome == "reversed":
                return ReportOutcome(report, "restored", "A moderator acted on it, but its writer appealed and a "
                                                         "second moderator restored the comment.")
        if outcome == DecisionKind.FOLD:
            return ReportOutcome(report, "folded", "A moderator left the comment up behind a notice.")
        if outcome == DecisionKind.REJECT:
            return ReportOutcome(report, "removed", "A moderator removed the comment.")
        if outcome in (DecisionKind.BAN, DecisionKind.SUSPEND):
            return ReportOutcome(report, "removed", "A moderator removed the comment and restricted its writer.")
        return ReportOutcome(report, "kept", "A moderator looked at the comment and left it up.")


def reporter_key(actor: Actor) -> str | None:
    """Who a reporter is, to count them once per comment and show them their own reports:
    their account or guest cookie (``Actor.writer_key``), or their API token. A browser
    that sent no cookie (``Actor.recognised`` is False) is known by nothing yet: a report
    from it could be repeated with a fresh cookie each time."""
    if actor.writer_key is not None and actor.recognised:
        return actor.writer_key
    if actor.token_id is not None:
        return f"token:{actor.token_id}"
    return None


def clean_reason(raw) -> ReportReason:
    try:
        return ReportReason(raw)
    except ValueError:
        raise InvalidInput(f"reason must be one of {', '.join(r.value for r in ReportReason)}",
                           field="reason") from None


def clean_text(raw, field: str, limit: int) -> str:
    """Optional free text: trimmed, at most ``limit`` characters, never a NUL."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or "\x00" in raw:
        raise InvalidInput(f"{field} must be text", field=field)
    text = raw.strip()
    if len(text) > limit:
        raise InvalidInput(f"{field} has at most {limit:,} characters", field=field)
    return text


def _minutes(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"
