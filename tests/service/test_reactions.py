"""ReactionService on every backend: one recommendation per reader per comment (by cookie,
account or token, never twice), taking it back, what may not be recommended, the Top
sort's order and cursors, staff's featured picks in the audit log, revisions and events."""

from __future__ import annotations

import threading

import pytest

from parley.domain import Account, Actor, CommentState, DecisionKind, Role
from parley.errors import Conflict, Forbidden, NotFound, RateLimited
from parley.events import CommentFeatured, CommentRecommended
from parley.service.reactions import OWN_COMMENT, RECOMMENDS_PER_MINUTE
from parley.store import AuditQuery
from tests.service.workspace_helpers import SYSTEM, guest, make_services, moderator, post


def staff(store, name: str = "Ed") -> Actor:
    account = store.add_account(Account(email=f"{name.lower()}@example.org", display_name=name, role=Role.STAFF))
    return account.actor()


def test_one_recommendation_per_reader_counted_in_the_comment_and_the_revision(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    revision = store.get_story("s").revision
    seen = []
    services.events.subscribe(CommentRecommended, seen.append)
    first = services.reactions.recommend(guest("r1"), comment.id)
    again = services.reactions.recommend(guest("r1"), comment.id)
    assert (first.count, first.recommended, first.changed) == (1, True, True)
    assert (again.count, again.recommended, again.changed) == (1, True, False)  # twice counts once
    services.reactions.recommend(guest("r2"), comment.id)
    assert store.get_comment(comment.id).recommend_count == 2
    assert store.get_story("s").revision == revision + 2  # the repeat moved nothing
    assert [(e.comment_id, e.count, e.recommended) for e in seen] == [(comment.id, 1, True), (comment.id, 2, True)]
    assert services.reactions.recommended(guest("r1"), [comment.id]) == {comment.id}
    assert services.reactions.recommended(guest("r3"), [comment.id]) == set()


def test_taking_it_back_and_the_toggle(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    services.reactions.recommend(guest("r1"), comment.id)
    back = services.reactions.recommend(guest("r1"), comment.id, False)
    assert (back.count, back.recommended, back.changed) == (0, False, True)
    assert services.reactions.recommend(guest("r1"), comment.id, False).changed is False
    assert services.reactions.toggle(guest("r1"), comment.id).recommended is True
    assert services.reactions.toggle(guest("r1"), comment.id).recommended is False
    assert store.get_comment(comment.id).recommend_count == 0


def test_an_account_is_one_reader_whatever_its_browser_and_a_token_is_its_own(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    account = store.add_account(Account(email="reader@example.org", display_name="Rea", role=Role.COMMENTER))
    services.reactions.recommend(account.actor(), comment.id)
    services.reactions.recommend(account.actor(client_addr="192.0.2.1"), comment.id)
    _, secret = services.accounts.create_token(SYSTEM, name="bot", role=Role.COMMENTER)
    token_actor = services.accounts.actor_for_token(secret, "")
    services.reactions.recommend(token_actor, comment.id)
    assert store.get_comment(comment.id).recommend_count == 2


def test_writers_may_not_recommend_their_own_and_unknown_readers_may_not_at_all(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    with pytest.raises(Forbidden) as own:
        services.reactions.recommend(guest("writer"), comment.id)
    assert own.value.message == OWN_COMMENT
    with pytest.raises(Forbidden) as fresh:  # a browser that sent no cookie could stack them
        services.reactions.recommend(Actor.guest(guest_key="new", recognised=False), comment.id)
    assert fresh.value.field == "reader"
    with pytest.raises(Forbidden) as system:
        services.reactions.recommend(Actor(Role.GUEST), comment.id)
    assert system.value.field == "reader"
    assert store.get_comment(comment.id).recommend_count == 0


def test_only_comments_readers_see_are_recommended(store):
    services = make_services(store)
    held = post(services, guest("writer"), "This is awful, buy now.")
    assert held.state is CommentState.PENDING
    with pytest.raises(NotFound):
        services.reactions.recommend(guest("r1"), held.id)
    with pytest.raises(NotFound):
        services.reactions.recommend(guest("r1"), 999999)
    shown = post(services, guest("writer"))
    services.reactions.recommend(guest("r1"), shown.id)
    services.decisions.decide(moderator(store), shown.id, "reject", reason="rule 2")
    assert services.reactions.recommend(guest("r1"), shown.id, False).count == 0  # taking back still works
    with pytest.raises(NotFound):
        services.reactions.recommend(guest("r1"), shown.id)


def test_recommending_is_rate_limited_per_reader(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    for _ in range(RECOMMENDS_PER_MINUTE // 2):
        services.reactions.recommend(guest("flip"), comment.id)
        services.reactions.recommend(guest("flip"), comment.id, False)
    with pytest.raises(RateLimited) as limited:
        services.reactions.recommend(guest("flip"), comment.id)
    assert limited.value.retry_after >= 1
    assert store.get_comment(comment.id).recommend_count == 0  # nothing half-written
    services.reactions.recommend(guest("someone-else"), comment.id)  # others are not limited by it


def test_concurrent_recommendations_count_exactly(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    errors = []

    def click(i: int) -> None:
        try:
            for _ in range(3):  # each reader clicks three times: counted once
                services.reactions.recommend(guest(f"r{i}"), comment.id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.get_comment(comment.id).recommend_count == 8


def test_top_sorts_by_recommendations_ties_oldest_first_and_pages_by_cursor(store):
    services = make_services(store, page_size=2)
    clock = services.deps.clock
    comments = []
    for i in range(5):
        clock.advance(seconds=1)
        comments.append(post(services, guest(f"w{i}"), f"Comment number {i} on the library."))
    votes = {0: 1, 1: 3, 2: 0, 3: 3, 4: 2}
    for index, n in votes.items():
        for r in range(n):
            services.reactions.recommend(guest(f"reader{r}"), comments[index].id)
    reply = post(services, guest("w9"), "A reply, not a root.", parent=comments[2].id)
    for r in range(5):
        services.reactions.recommend(guest(f"reader{r}"), reply.id)
    story = services.stories.get("s")
    order, cursor = [], None
    while True:
        page = services.posting.thread_page(story, sort="top", cursor=cursor)
        order += [c.id for c in page.comments if c.parent_id is None]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = [comments[i].id for i in (1, 3, 4, 0, 2)]
    assert order == expected
    assert [c.recommend_count for c in services.posting.thread_page(story, sort="top", limit=5).comments
            if c.parent_id is None] == [3, 3, 2, 1, 0]


def test_staff_feature_and_unfeature_in_the_audit_log_and_the_featured_tab(store):
    services = make_services(store)
    clock = services.deps.clock
    editor = staff(store)
    first = post(services, guest("w1"))
    second = post(services, guest("w2"), "Another good point.")
    reply = post(services, guest("w3"), "A reply worth featuring.", parent=first.id)
    seen = []
    services.events.subscribe(CommentFeatured, seen.append)
    revision = store.get_story("s").revision
    for c in (second, reply, first):
        clock.advance(seconds=1)
        services.reactions.feature(editor, c.id)
    services.reactions.feature(editor, first.id)  # already featured: nothing recorded
    assert store.get_story("s").revision == revision + 3
    story = services.stories.get("s")
    view = services.reactions.featured(story)
    assert [c.id for c in view.comments] == [first.id, reply.id, second.id]  # latest pick first
    assert all(c.featured for c in view.comments)
    paged = services.reactions.featured(story, limit=2)
    rest = services.reactions.featured(story, cursor=paged.next_cursor, limit=2)
    assert [c.id for c in paged.comments + rest.comments] == [first.id, reply.id, second.id]
    assert rest.next_cursor is None
    services.reactions.feature(editor, reply.id, False)
    assert [c.id for c in services.reactions.featured(story).comments] == [first.id, second.id]
    log = store.list_decisions(AuditQuery(comment_id=reply.id))
    assert [(d.kind, d.actor) for d in log] == [(DecisionKind.UNFEATURE, editor.label),
                                                (DecisionKind.FEATURE, editor.label)]
    assert [(e.comment_id, e.featured) for e in seen] == [(second.id, True), (reply.id, True), (first.id, True),
                                                        (reply.id, False)]
    mod = moderator(store)
    services.reactions.feature(mod, second.id, False)
    unpicked = store.list_decisions(AuditQuery(comment_id=second.id, limit=1))[0]
    with pytest.raises(Conflict):  # a pick is featured again, not undone
        services.decisions.undo(mod, unpicked.id)


def test_only_staff_feature_and_only_what_readers_see(store):
    services = make_services(store)
    comment = post(services, guest("writer"))
    account = store.add_account(Account(email="c@example.org", display_name="C", role=Role.COMMENTER))
    for reader in (guest("r1"), account.actor()):
        with pytest.raises(Forbidden) as refused:
            services.reactions.feature(reader, comment.id)
        assert refused.value.field == "authorization"
    held = post(services, guest("writer"), "This is awful, buy now.")
    with pytest.raises(NotFound):
        services.reactions.feature(moderator(store), held.id)
    services.reactions.feature(moderator(store), comment.id)
    services.decisions.decide(moderator(store), comment.id, "reject", reason="rule 2")
    assert services.reactions.featured(services.stories.get("s")).comments == []  # hidden: off the tab


def test_a_pick_after_a_decision_does_not_stand_in_the_way_of_its_undo(store):
    services = make_services(store)
    mod = moderator(store)
    comment = post(services, guest("writer"))
    folded = services.decisions.decide(mod, comment.id, "fold", notice="offensive")
    services.reactions.feature(staff(store), comment.id)
    services.decisions.undo(mod, folded.id)
    stored = store.get_comment(comment.id)
    assert stored.state is CommentState.PUBLISHED and stored.featured  # the pick stays
