"""DecisionService on every backend: decisions on comments and sanctions on their authors,
undo within its window and by its maker only, bulk all-or-nothing, and the audit log."""

from __future__ import annotations

import csv
import io

import pytest

from parley.domain import CommentState, DecisionKind, Queue, SanctionKind
from parley.errors import Conflict, Forbidden, InvalidInput
from parley.service import QueueQuery
from parley.store import AuditQuery
from tests.service.workspace_helpers import Clock, guest, make_services, moderator, post

WRITER = guest("writer")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(store, clock):
    services = make_services(store, clock, undo_seconds=60)
    return services, moderator(store, "First"), moderator(store, "Second")


def test_a_ban_rejects_the_comment_and_stops_the_writer_by_name_and_by_browser(store, desk):
    services, first, _ = desk
    comment = post(services, WRITER, "You are all idiots.")
    made = services.decisions.sanction(first, comment.id, "ban", reason="Personal attacks")
    assert made.kind is DecisionKind.BAN and store.get_comment(comment.id).state is CommentState.REJECTED
    with pytest.raises(Forbidden) as by_name:
        services.posting.post(guest("another-browser"), _new("Ann"))
    assert "banned" in by_name.value.message and "Personal attacks" in by_name.value.message
    with pytest.raises(Forbidden):  # a new name from the same browser is the same writer
        services.posting.post(WRITER, _new("Someone Else"))
    services.posting.post(guest("a-stranger"), _new("Bea"))  # anyone else still posts


def _new(name: str):
    from parley.service import NewComment

    return NewComment("s", name, "Another thought about the library.")


def test_a_suspension_ends_on_its_own_and_premoderation_holds_every_comment(store, desk, clock):
    services, first, _ = desk
    comment = post(services, WRITER)
    services.decisions.sanction(first, comment.id, "suspend", reason="Cool off", days=1)
    with pytest.raises(Forbidden) as err:
        services.posting.post(WRITER, _new("Ann"))
    assert "until" in err.value.message
    clock.advance(days=1, seconds=1)
    assert services.posting.post(WRITER, _new("Ann")).comment.state is CommentState.PUBLISHED
    services.decisions.sanction(first, comment.id, "premoderate", reason="Watch")
    held = services.posting.post(WRITER, _new("Ann")).comment
    assert held.state is CommentState.PENDING and held.queue == Queue.HELD
    statement = services.decisions.audit(first, AuditQuery(comment_id=held.id))[0]
    assert (statement.kind, statement.automated, statement.prompted_by) == (DecisionKind.HOLD, True, "rule")


def test_a_sanction_needs_a_known_kind_and_a_suspension_its_days(store, desk):
    services, first, _ = desk
    comment = post(services, WRITER)
    with pytest.raises(InvalidInput) as unknown:
        services.decisions.sanction(first, comment.id, "exile", reason="x")
    assert unknown.value.field == "sanction"
    for days in (None, 0, -1, True, 4000):
        with pytest.raises(InvalidInput) as bad:
            services.decisions.sanction(first, comment.id, "suspend", reason="x", days=days)
        assert bad.value.field == "days"
    with pytest.raises(InvalidInput) as why:
        services.decisions.sanction(first, comment.id, "ban")
    assert why.value.field == "reason"
    assert store.list_sanctions(comment.author.id) == []


def test_undo_restores_the_comment_its_queue_and_reports_and_only_for_its_maker_in_time(store, desk, clock):
    services, first, second = desk
    comment = post(services, WRITER)
    services.reports.report(guest("reader"), comment.id, reason="spam")
    assert store.get_comment(comment.id).queue == Queue.REPORTED
    rejected = services.decisions.decide(first, comment.id, "reject", reason="Spam")
    assert store.list_reports(comment.id)[0].outcome == "reject"
    with pytest.raises(Conflict):
        services.decisions.undo(second, rejected.id)  # not theirs
    services.decisions.undo(first, rejected.id)
    back = store.get_comment(comment.id)
    assert (back.state, back.queue, back.report_count) == (CommentState.PUBLISHED, Queue.REPORTED, 1)
    assert store.list_reports(comment.id)[0].resolved_at is None
    with pytest.raises(Conflict):
        services.decisions.undo(first, rejected.id)  # once
    late = services.decisions.decide(first, comment.id, "approve")
    clock.advance(seconds=61)
    with pytest.raises(Conflict) as err:
        services.decisions.undo(first, late.id)
    assert "60 seconds" in err.value.message


def test_undoing_a_ban_lifts_it_and_undoing_a_lift_puts_it_back(store, desk):
    services, first, _ = desk
    comment = post(services, WRITER)
    ban = services.decisions.sanction(first, comment.id, "ban", reason="Abuse")
    services.decisions.undo(first, ban.id)
    assert store.active_sanctions(comment.author.id, None, services.deps.clock()) == []
    assert store.get_comment(comment.id).state is CommentState.PUBLISHED
    services.decisions.sanction(first, comment.id, "premoderate", reason="Watch", reject=False)
    (sanction,) = store.active_sanctions(comment.author.id, None, services.deps.clock())
    lifted = services.decisions.lift(first, sanction.id)
    assert store.active_sanctions(comment.author.id, None, services.deps.clock()) == []
    services.decisions.undo(first, lifted.id)
    assert [s.kind for s in store.active_sanctions(comment.author.id, None, services.deps.clock())] == [
        SanctionKind.PREMODERATE]


def test_bulk_decides_all_or_nothing(store, desk):
    services, first, _ = desk
    root = post(services, WRITER, "The root.")
    reply = post(services, guest("b"), "A reply.", parent=root.id)
    lone = post(services, guest("c"), "Alone.")
    with pytest.raises(Conflict) as err:  # the root has a visible reply: it cannot be rejected
        services.decisions.bulk(first, [lone.id, root.id], "reject", reason="Off topic")
    assert f"comment {root.id}" in err.value.message
    assert store.get_comment(lone.id).state is CommentState.PUBLISHED  # nothing was decided
    made = services.decisions.bulk(first, [reply.id, root.id, lone.id], "reject", reason="Off topic")
    assert [d.comment_id for d in made] == [reply.id, root.id, lone.id]
    assert {store.get_comment(i).state for i in (reply.id, root.id, lone.id)} == {CommentState.REJECTED}
    view = services.decisions.queue(first, QueueQuery(queue="rejected"))
    assert {i.comment.id for i in view.items} == {reply.id, root.id, lone.id}


def test_the_audit_log_searches_and_exports_csv_a_spreadsheet_cannot_run(store, desk):
    services, first, _ = desk
    comment = post(services, WRITER)
    services.decisions.decide(first, comment.id, "reject", reason="=HYPERLINK(\"http://evil\")")
    found = services.decisions.audit(first, AuditQuery(text="hyperlink"))
    assert [d.kind for d in found] == [DecisionKind.REJECT]
    assert services.decisions.audit(first, AuditQuery(text="100%_")) == []
    rows = list(csv.reader(io.StringIO("".join(services.decisions.audit_csv(first, AuditQuery())))))
    assert rows[0][:4] == ["id", "at", "actor", "decision"]
    assert rows[1][3] == "reject" and rows[1][6].startswith("'=")
    with pytest.raises(Forbidden):
        list(services.decisions.audit_csv(WRITER, AuditQuery()))


def test_undo_keeps_the_thread_whole_and_a_bulk_undo_is_all_or_none(store, desk):
    services, first, _ = desk
    parent = post(services, WRITER, "The parent.")
    services.decisions.decide(first, parent.id, "reject", reason="Off topic")
    reply_ok = post(services, guest("b"), "Another root.")
    # A reply rejected, then its root: undoing the reply's reject would show it under a
    # comment readers cannot see.
    root = post(services, WRITER, "A root.")
    reply = post(services, guest("b"), "A reply.", parent=root.id)
    reply_rejected = services.decisions.decide(first, reply.id, "reject", reason="Rude")
    services.decisions.decide(first, root.id, "reject", reason="Rude too")
    with pytest.raises(Conflict):  # the reply would be shown under a rejected root
        services.decisions.undo(first, reply_rejected.id)
    assert store.get_comment(reply.id).state is CommentState.REJECTED
    made = services.decisions.bulk(first, [reply_ok.id], "fold", notice="spam")
    late = services.decisions.decide(first, parent.id, "approve")
    with pytest.raises(Conflict):  # one of the two cannot be undone (not its latest): neither is
        services.decisions.undo(first, made[0].id, also=[reply_rejected.id])
    assert store.get_comment(reply_ok.id).state is CommentState.FOLDED
    undone = services.decisions.undo(first, made[0].id, also=[late.id])
    assert {d.undoes for d in undone} == {made[0].id, late.id}
    assert store.get_comment(reply_ok.id).state is CommentState.PUBLISHED
    assert store.get_comment(parent.id).state is CommentState.REJECTED
