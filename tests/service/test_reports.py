"""ReportService on every backend: one report per reader and per address, the hourly
limit, thresholds that queue and hide, DSA Art. 16 notices, and what the reporter is told."""

from __future__ import annotations

import pytest

from parley.domain import Actor, CommentState, DecisionKind, Queue, ReportReason, Role
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from parley.events import CommentReported
from parley.service.reports import ALREADY, REPORTS
from parley.store import AuditQuery
from tests.service.workspace_helpers import Clock, guest, make_services, moderator, post


@pytest.fixture
def clock():
    return Clock()


def test_a_report_counts_queues_and_is_published_after_commit(store, clock):
    services = make_services(store, clock)
    comment = post(services, guest("writer"))
    seen = []
    services.events.subscribe(CommentReported, seen.append)
    report = services.reports.report(guest("r1"), comment.id, reason="abusive", text="  Name-calling.  ")
    assert report.id and report.reason is ReportReason.ABUSIVE and report.text == "Name-calling."
    assert report.reporter_key == "guest:r1"
    stored = store.get_comment(comment.id)
    assert stored.report_count == 1 and stored.queue == Queue.REPORTED  # PARLEY_REPORT_THRESHOLD is 1
    assert stored.state is CommentState.PUBLISHED  # hidden only at 3
    assert [(e.report_id, e.comment_id, e.queued) for e in seen] == [(report.id, comment.id, True)]


def test_one_report_per_reader_per_comment(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    services.reports.report(guest("r1"), comment.id, reason="spam")
    with pytest.raises(Conflict) as refused:
        services.reports.report(guest("r1"), comment.id, reason="abusive")
    assert refused.value.message == ALREADY and refused.value.status == 409
    services.reports.report(guest("r2"), comment.id, reason="spam")
    assert store.get_comment(comment.id).report_count == 2


def test_one_address_counts_once_however_many_cookies_it_sheds(store):
    services = make_services(store, report_hide_threshold=2)
    comment = post(services, guest("writer"))
    for cookie in ("fresh-1", "fresh-2", "fresh-3"):
        services.reports.report(guest(cookie, addr="192.0.2.9"), comment.id, reason="abusive")
    stored = store.get_comment(comment.id)
    assert stored.report_count == 1 and stored.state is CommentState.PUBLISHED
    assert len(store.list_reports(comment.id)) == 3  # all kept for the moderator to read
    assert all(r.reporter_addr and "192.0.2.9" not in r.reporter_addr for r in store.list_reports(comment.id))
    services.reports.report(guest("other", addr="192.0.2.10"), comment.id, reason="abusive")
    assert store.get_comment(comment.id).state is CommentState.PENDING


def test_reports_per_hour_then_again_after_the_hour(store, clock):
    services = make_services(store, clock, reports_per_hour=2)
    comments = [post(services, guest("writer"), f"Comment number {i}.") for i in range(3)]
    reader = guest("busy")
    services.reports.report(reader, comments[0].id, reason="spam")
    clock.advance(minutes=10)
    services.reports.report(reader, comments[1].id, reason="spam")
    with pytest.raises(RateLimited) as limited:
        services.reports.report(reader, comments[2].id, reason="spam")
    assert limited.value.retry_after == 3000 and "50 minutes" in limited.value.message
    clock.advance(minutes=51)
    services.reports.report(reader, comments[2].id, reason="spam")


def test_an_address_has_its_own_wider_limit(store):
    services = make_services(store, reports_per_hour=1)
    comments = [post(services, guest("writer"), f"Comment number {i}.") for i in range(6)]
    for i in range(5):  # five readers behind one address, one report each
        services.reports.report(guest(f"office-{i}", addr="192.0.2.50"), comments[i].id, reason="spam")
    with pytest.raises(RateLimited):
        services.reports.report(guest("office-5", addr="192.0.2.50"), comments[5].id, reason="spam")


def test_thresholds_queue_then_hide_with_an_automated_decision(store):
    services = make_services(store, report_threshold=2, report_hide_threshold=3)
    comment = post(services, guest("writer"))
    first = services.reports.report(guest("r1"), comment.id, reason="abusive")
    assert store.get_comment(comment.id).queue is None
    services.reports.report(guest("r2"), comment.id, reason="abusive")
    stored = store.get_comment(comment.id)
    assert stored.queue == Queue.REPORTED and stored.state is CommentState.PUBLISHED
    third = services.reports.report(guest("r3"), comment.id, reason="off_topic")
    stored = store.get_comment(comment.id)
    assert stored.state is CommentState.PENDING and stored.queue == Queue.REPORTED
    assert stored.priority > 0
    [held] = store.list_decisions(AuditQuery(comment_id=comment.id))
    assert (held.kind, held.actor, held.automated, held.prompted_by) == (DecisionKind.HOLD, REPORTS, True,
                                                                          f"report:{third.id}")
    assert held.before["state"] == "published" and held.text == comment.body_source
    assert first.id < third.id
    # hidden from readers, shown to its writer alone
    assert [c.id for c in services.posting.own_hidden(guest("writer"), services.stories.get("s"))] == [comment.id]
    with pytest.raises(NotFound):
        services.reports.report(guest("r4"), comment.id, reason="abusive")


def test_hiding_is_off_at_zero_and_spares_replied_to_and_staff_comments(store):
    services = make_services(store, report_hide_threshold=1)
    parent = post(services, guest("writer"))
    post(services, guest("replier"), "I agree with this.", parent=parent.id)
    services.reports.report(guest("r1"), parent.id, reason="abusive")
    assert store.get_comment(parent.id).state is CommentState.PUBLISHED  # its reply would be stranded
    assert store.get_comment(parent.id).queue == Queue.REPORTED
    staff = Actor(Role.STAFF, name="Editor", token_id=None)
    from parley.service import NewComment

    mine = services.posting.post(staff, NewComment("s", "Editor", "From the newsroom.", staff=True)).comment
    services.reports.report(guest("r1"), mine.id, reason="abusive")
    assert store.get_comment(mine.id).state is CommentState.PUBLISHED

    never = make_services(store, report_hide_threshold=0)
    lone = post(never, guest("writer"), "Another comment entirely.")
    for i in range(5):
        never.reports.report(guest(f"n{i}"), lone.id, reason="spam")
    assert store.get_comment(lone.id).state is CommentState.PUBLISHED


def test_illegal_content_asks_for_the_law_an_explanation_and_good_faith(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    reader = guest("notifier")
    for fields, field in (({}, "law"), ({"law": "§ 130 StGB"}, "text"),
                          ({"law": "§ 130 StGB", "text": "Incites hatred."}, "good_faith"),
                          ({"law": "§ 130 StGB", "text": "Incites hatred.", "good_faith": "yes"}, "good_faith")):
        with pytest.raises(InvalidInput) as refused:
            services.reports.report(reader, comment.id, reason="illegal", **fields)
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as refused:
        services.reports.report(reader, comment.id, reason="illegal", law="x", text="y", good_faith=True,
                                email="not an address")
    assert refused.value.field == "email"
    report = services.reports.report(reader, comment.id, reason="illegal", law="§ 130 StGB",
                                     text="Incites hatred against a group.", good_faith=True, name="A. Reader",
                                     email="reader@example.org")
    assert (report.law, report.good_faith, report.reporter_name, report.reporter_email) == (
        "§ 130 StGB", True, "A. Reader", "reader@example.org")
    # name and email are optional (Art. 16(2)(c) exempts some notices), and never kept on other reports
    other = make_services(store)
    second = post(other, guest("writer"), "Something else to report.")
    anonymous = other.reports.report(guest("n2"), second.id, reason="illegal", law="Art. 5", text="Why.",
                                     good_faith=True)
    assert anonymous.reporter_email == ""
    plain = other.reports.report(guest("n3"), second.id, reason="spam", law="ignored", name="Me",
                                 email="me@example.org", good_faith=True)
    assert (plain.law, plain.good_faith, plain.reporter_name, plain.reporter_email) == ("", False, "", "")


def test_fields_are_checked(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    for kwargs, field in (({"reason": "rude"}, "reason"), ({"reason": "other", "text": "x" * 2001}, "text"),
                          ({"reason": "other", "text": 5}, "text")):
        with pytest.raises(InvalidInput) as refused:
            services.reports.report(guest("r"), comment.id, **kwargs)
        assert refused.value.field == field
    services.reports.report(guest("r"), comment.id, reason="other", text="x" * 2000)
    with pytest.raises(NotFound):
        services.reports.report(guest("r"), 999_999, reason="spam")


def test_a_reader_we_cannot_recognise_is_told_to_allow_cookies(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    with pytest.raises(Forbidden) as refused:
        services.reports.report(Actor.guest(), comment.id, reason="spam")
    assert refused.value.field == "reporter" and "cookies" in refused.value.message
    assert services.reports.reports_of(Actor.guest()) == []
    token = Actor(Role.COMMENTER, name="app", token_id=7)
    assert services.reports.report(token, comment.id, reason="spam").reporter_key == "token:7"


def test_the_reporter_sees_the_outcome(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    kept = post(services, guest("writer"), "A perfectly fine remark.")
    reader = guest("reader")
    services.reports.report(reader, comment.id, reason="abusive")
    services.reports.report(reader, kept.id, reason="spam")
    [second, first] = services.reports.reports_of(reader)
    assert (first.status, second.status) == ("open", "open")
    mo = moderator(store)
    services.decisions.decide(mo, comment.id, "reject", reason="Personal attack")
    services.decisions.decide(mo, kept.id, "dismiss")
    outcomes = {o.report.comment_id: o for o in services.reports.reports_of(reader)}
    assert (outcomes[comment.id].status, outcomes[comment.id].report.outcome) == ("removed", "reject")
    assert outcomes[kept.id].status == "kept" and "left it up" in outcomes[kept.id].message
    assert services.reports.reports_of(guest("someone else")) == []


def test_a_report_moves_the_story_revision_only_when_readers_see_a_change(store):
    services = make_services(store, report_hide_threshold=2)
    comment = post(services, guest("writer"))
    revision = store.story_revision(comment.story_id)
    services.reports.report(guest("r1"), comment.id, reason="spam")
    assert store.story_revision(comment.story_id) == revision  # cached pages stay good
    services.reports.report(guest("r2"), comment.id, reason="spam")
    assert store.story_revision(comment.story_id) != revision  # hidden: the thread changed
