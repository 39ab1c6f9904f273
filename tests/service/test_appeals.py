"""AppealService on every backend: a writer appeals once, from their own comment, against
the decision that stands; a second moderator decides (never the first, DSA Art. 20(6));
reversing restores the comment and lifts a sanction; writer and reporter see the outcome."""

from __future__ import annotations

import pytest

from parley.domain import Actor, CommentState, DecisionKind, Queue, Role, SanctionKind
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound
from parley.events import AppealFiled, CommentDecided
from parley.store import AuditQuery
from tests.service.workspace_helpers import Clock, guest, make_services, moderator, post

WRITER = guest("writer")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def rejected(store, clock):
    """A comment a reader reported and a moderator (``first``) rejected."""
    services = make_services(store, clock)
    comment = post(services, WRITER)
    services.reports.report(guest("reader"), comment.id, reason="abusive")
    first = moderator(store, "First")
    decision = services.decisions.decide(first, comment.id, "reject", reason="A personal attack")
    return services, comment, first, decision


def test_the_writer_appeals_once_and_it_lands_in_the_appeals_queue(store, rejected):
    services, comment, _, decision = rejected
    filed = []
    services.events.subscribe(AppealFiled, filed.append)
    appeal = services.appeals.appeal(WRITER, comment.id, "  I was quoting the article.  ")
    assert (appeal.decision_id, appeal.writer_key, appeal.text) == (decision.id, "guest:writer",
                                                                     "I was quoting the article.")
    stored = store.get_comment(comment.id)
    assert stored.queue == Queue.APPEALS and stored.state is CommentState.REJECTED
    assert services.decisions.counts(moderator(store))[Queue.APPEALS] == 1
    assert [(e.appeal_id, e.comment_id) for e in filed] == [(appeal.id, comment.id)]
    with pytest.raises(Conflict) as again:
        services.appeals.appeal(WRITER, comment.id, "Please?")
    assert "once" in again.value.message


def test_only_the_writer_and_only_a_standing_restriction(store, rejected, clock):
    services, comment, _, _ = rejected
    for someone in (guest("reader"), Actor.guest(), Actor(Role.COMMENTER, name="app", token_id=3)):
        with pytest.raises(NotFound):
            services.appeals.appeal(someone, comment.id, "Let it stand.")
    fine = post(services, WRITER, "Nothing wrong with this one.")
    with pytest.raises(Conflict) as nothing:
        services.appeals.appeal(WRITER, fine.id, "")
    assert "nothing to appeal" in nothing.value.message
    with pytest.raises(InvalidInput):
        services.appeals.appeal(WRITER, comment.id, "x" * 2001)
    clock.advance(days=185)
    with pytest.raises(Conflict) as late:
        services.appeals.appeal(WRITER, comment.id, "Sorry I am late.")
    assert "ended on" in late.value.message


def test_an_approval_after_a_restriction_leaves_nothing_to_appeal(store):
    services = make_services(store)
    held = post(services, WRITER, "This is awful and so are you.")
    assert held.state is CommentState.PENDING  # the models held it
    assert services.appeals.appealable(store.get_comment(held.id)).kind is DecisionKind.HOLD
    services.decisions.decide(moderator(store), held.id, "approve")
    assert services.appeals.appealable(store.get_comment(held.id)) is None


def test_the_moderator_who_decided_may_not_decide_the_appeal(store, rejected):
    services, comment, first, _ = rejected
    appeal = services.appeals.appeal(WRITER, comment.id, "I was quoting.")
    with pytest.raises(Forbidden) as refused:
        services.appeals.decide(first, appeal.id, "reverse", "")
    assert "Art. 20(6)" in refused.value.message
    # the same person through an API token of theirs is the same moderator
    token = Actor(Role.MODERATOR, name="mo-script", account_id=first.account_id, token_id=9)
    with pytest.raises(Forbidden):
        services.appeals.decide(token, appeal.id, "uphold", "Stands.")
    assert store.get_appeal(appeal.id).decided_at is None


def test_a_second_moderator_reverses_and_writer_and_reporter_see_it(store, rejected):
    services, comment, _, _ = rejected
    appeal = services.appeals.appeal(WRITER, comment.id, "I was quoting the article.")
    decided = []
    services.events.subscribe(CommentDecided, decided.append)
    second = moderator(store, "Second")
    with pytest.raises(InvalidInput):
        services.appeals.decide(second, appeal.id, "overturn", "")
    result = services.appeals.decide(second, appeal.id, "reverse", "It quotes the story.")
    assert (result.appeal.outcome, result.appeal.decided_by) == ("reversed", second.label)
    assert (result.decision.kind, result.decision.prompted_by) == (DecisionKind.REVERSE, f"appeal:{appeal.id}")
    stored = store.get_comment(comment.id)
    assert stored.state is CommentState.PUBLISHED and stored.queue is None
    [latest, *_] = store.list_decisions(AuditQuery(comment_id=comment.id))
    assert latest.id == result.decision.id and latest.account_id == second.account_id
    assert [e.kind for e in decided] == ["reverse"]
    view = services.appeals.statements_for(WRITER, comment.id)
    assert view.appeal.outcome == "reversed" and not view.can_appeal
    assert "reversed" in view.outcome and "It quotes the story" in view.outcome
    assert view.statement.kind is DecisionKind.REJECT  # the decision appealed, as told
    [outcome] = services.reports.reports_of(guest("reader"))
    assert outcome.status == "restored"
    with pytest.raises(Conflict):
        services.appeals.decide(moderator(store, "Third"), appeal.id, "uphold", "Late.")


def test_upholding_keeps_the_comment_hidden_and_a_held_one_is_then_rejected(store, rejected):
    services, comment, _, _ = rejected
    appeal = services.appeals.appeal(WRITER, comment.id, "Please.")
    second = moderator(store, "Second")
    with pytest.raises(InvalidInput) as why:
        services.appeals.decide(second, appeal.id, "uphold", "")
    assert why.value.field == "reason"
    result = services.appeals.decide(second, appeal.id, "uphold", "Still a personal attack.")
    assert result.decision.kind is DecisionKind.UPHOLD
    stored = store.get_comment(comment.id)
    assert stored.state is CommentState.REJECTED and stored.queue is None
    assert "stands" in services.appeals.statements_for(WRITER, comment.id).outcome
    # an automated hold: any moderator decides its appeal, and upholding it rejects the comment
    held = post(services, WRITER, "This is awful.")
    held_appeal = services.appeals.appeal(WRITER, held.id, "It is not.")
    services.appeals.decide(second, held_appeal.id, "uphold", "It is.")
    assert store.get_comment(held.id).state is CommentState.REJECTED


def test_reversing_a_ban_lifts_it(store, clock):
    services = make_services(store, clock)
    comment = post(services, WRITER, "Buy now at my shop.")  # held as spam
    first, second = moderator(store, "First"), moderator(store, "Second")
    services.decisions.sanction(first, comment.id, "ban", reason="Spam account")
    assert store.get_comment(comment.id).state is CommentState.REJECTED
    author = store.get_comment(comment.id).author.id
    assert [s.kind for s in store.active_sanctions(author, None, clock())] == [SanctionKind.BAN]
    appeal = services.appeals.appeal(WRITER, comment.id, "I am a real reader.")
    assert store.get_decision(appeal.decision_id).kind is DecisionKind.BAN
    services.appeals.decide(second, appeal.id, "reverse", "")
    assert store.active_sanctions(author, None, clock()) == []
    assert store.get_comment(comment.id).state is CommentState.PUBLISHED


def test_what_the_writer_sees_before_appealing(store, rejected, clock):
    services, comment, first, decision = rejected
    view = services.appeals.statements_for(WRITER, comment.id)
    assert view.can_appeal and view.appeal is None and view.why_not is None
    assert view.statement.decision_id == decision.id and "A personal attack" in view.statement.why
    assert services.appeals.statements_for(first, comment.id).can_appeal  # a moderator sees the same
    with pytest.raises(NotFound):
        services.appeals.statements_for(guest("reader"), comment.id)
    clock.advance(days=200)
    late = services.appeals.statements_for(WRITER, comment.id)
    assert not late.can_appeal and "ended" in late.why_not
    fine = post(services, WRITER, "A calm remark.")
    assert services.appeals.statements_for(WRITER, fine.id).statement is None


def test_an_appealed_decision_cannot_be_undone_under_the_appeal(store, rejected):
    services, comment, first, decision = rejected
    services.appeals.appeal(WRITER, comment.id, "I was quoting the article.")
    with pytest.raises(Conflict) as err:
        services.decisions.undo(first, decision.id)
    assert "appealed" in err.value.message
    stored = store.get_comment(comment.id)
    assert stored.queue == Queue.APPEALS and stored.state is CommentState.REJECTED


def test_an_appealed_comment_is_decided_through_its_appeal_and_its_outcome_stands(store, rejected):
    services, comment, first, decision = rejected
    appeal = services.appeals.appeal(WRITER, comment.id, "I was quoting the article.")
    for decide in (lambda: services.decisions.decide(first, comment.id, "approve"),
                   lambda: services.decisions.sanction(first, comment.id, "ban", reason="Abuse")):
        with pytest.raises(Conflict) as err:
            decide()
        assert "appeal" in err.value.message
    second = moderator(store, "Second")
    outcome = services.appeals.decide(second, appeal.id, "uphold", "It attacks a person.")
    with pytest.raises(Conflict) as final:
        services.decisions.undo(second, outcome.decision.id)
    assert "final" in final.value.message
    assert store.get_appeal(appeal.id).outcome == "upheld"
    assert store.get_comment(comment.id).state is CommentState.REJECTED
