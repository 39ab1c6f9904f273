"""The rules, on both real stores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parley.domain import CommentState, utcnow
from parley.errors import CommentsClosed, Forbidden, InvalidInput, NotFound, RateLimited
from parley.service import CommentService, NewComment
from parley.store import Sort
from tests.conftest import make_config


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def svc(store, clock) -> CommentService:
    service = CommentService(store, make_config(), clock=clock)
    service.create_story({"slug": "s", "title": "Story", "body": "Body."})
    return service


def post(svc, body="Hello", name="Ann", **kw):
    return svc.post(NewComment(story_slug="s", author_name=name, body=body, **kw))


def count(svc) -> int:
    return svc.get_story("s").comment_count


@pytest.mark.parametrize("name, field", [("", "author_name"), ("   ", "author_name"), ("\u200b\u200d", "author_name"),
                                         ("x" * 51, "author_name"), (None, "author_name"), (5, "author_name")])
def test_bad_names_are_refused_and_nothing_is_written(svc, name, field):
    with pytest.raises(InvalidInput) as err:
        post(svc, name=name)
    assert err.value.field == field
    assert count(svc) == 0


def test_names_are_cleaned_to_visible_characters(svc):
    assert post(svc, name="  Bob\u200b   Boomhauer ").comment.author.display_name == "Bob Boomhauer"
    assert post(svc, name="é" * 50).comment.author.display_name == "é" * 50


@pytest.mark.parametrize("body", ["", "  \n ", "x" * 5001])
def test_bad_bodies_are_refused(svc, body):
    with pytest.raises(InvalidInput) as err:
        post(svc, body=body)
    assert err.value.field == "body"
    assert count(svc) == 0


def test_body_limit_counts_after_trimming_and_is_configurable(store, clock):
    assert post(_svc(store, clock), body="  " + "x" * 5000 + "  ").created
    small = _svc(store, clock, slug="t", max_body_chars=10)
    with pytest.raises(InvalidInput):
        small.post(NewComment(story_slug="t", author_name="A", body="x" * 11))


def _svc(store, clock, slug="s", **config):
    service = CommentService(store, make_config(**config), clock=clock)
    if store.get_story(slug) is None:
        service.create_story({"slug": slug, "title": "Story"})
    return service


def test_bad_email_is_refused(svc):
    with pytest.raises(InvalidInput) as err:
        post(svc, email="not an address")
    assert err.value.field == "email"


def test_unknown_story_is_not_found(svc):
    with pytest.raises(NotFound):
        svc.post(NewComment(story_slug="nope", author_name="A", body="b"))


def test_parent_must_belong_to_the_same_story(svc):
    svc.create_story({"slug": "other", "title": "Other"})
    elsewhere = svc.post(NewComment(story_slug="other", author_name="A", body="b")).comment
    with pytest.raises(InvalidInput) as err:
        post(svc, parent_id=elsewhere.id)
    assert err.value.field == "parent_id"
    with pytest.raises(InvalidInput):
        post(svc, parent_id=999999)
    with pytest.raises(InvalidInput):
        post(svc, parent_id="abc")


def test_reply_is_threaded_and_mentions_link_to_the_parent(svc):
    root = post(svc, name="Bob Boomhauer").comment
    reply = post(svc, name="John", body="@Bob Boomhauer, right", parent_id=root.id).comment
    assert (reply.parent_id, reply.root_id, reply.depth) == (root.id, root.id, 1)
    assert f'href="#c{root.id}"' in reply.body_html


def test_closed_stories_refuse_comments(svc):
    svc.update_story("s", {"comments_open": False})
    with pytest.raises(CommentsClosed):
        post(svc)
    assert count(svc) == 0


def test_spoiler_folds_behind_its_notice(svc):
    c = post(svc, spoiler=True).comment
    assert c.state is CommentState.FOLDED
    assert [n.text for n in c.notices] == ["This comment contains spoilers. Click here if you want to read."]


def test_idempotency_key_makes_a_retry_return_the_first_comment(svc):
    first = post(svc, idempotency_key="abc")
    again = post(svc, idempotency_key="abc")
    assert first.created and not again.created
    assert first.comment.id == again.comment.id and first.edit_token == again.edit_token
    assert count(svc) == 1


def test_rate_limits_per_address_and_per_author(store, clock):
    svc = _svc(store, clock, rate_limit=2)
    svc.post(NewComment(story_slug="s", author_name="A", body="1", client_addr="10.0.0.1"))
    svc.post(NewComment(story_slug="s", author_name="B", body="2", client_addr="10.0.0.1"))
    with pytest.raises(RateLimited) as err:
        svc.post(NewComment(story_slug="s", author_name="C", body="3", client_addr="10.0.0.1"))
    assert 1 <= err.value.retry_after <= 60
    svc.post(NewComment(story_slug="s", author_name="A", body="4", client_addr="10.0.0.2"))
    with pytest.raises(RateLimited):  # A has now posted twice, from any address
        svc.post(NewComment(story_slug="s", author_name="A", body="5", client_addr="10.0.0.3"))
    assert svc.get_story("s").comment_count == 3


def test_guest_may_edit_and_delete_within_the_window(svc, clock):
    posted = post(svc, body="first")
    edited = svc.edit(posted.comment.id, posted.edit_token, "*second*")
    assert edited.body_html == "<p><em>second</em></p>\n" and edited.edited_at == clock.now
    with pytest.raises(Forbidden):
        svc.edit(posted.comment.id, "wrong-token", "third")
    other = post(svc)
    with pytest.raises(Forbidden):
        svc.edit(posted.comment.id, other.edit_token, "third")
    clock.now += timedelta(minutes=15, seconds=1)
    with pytest.raises(Forbidden):
        svc.edit(posted.comment.id, posted.edit_token, "late")
    with pytest.raises(Forbidden):
        svc.delete(posted.comment.id, posted.edit_token)
    assert svc.get_comment(posted.comment.id).body_source == "*second*"


def test_deleting_a_comment_with_replies_leaves_a_tombstone(svc):
    root = post(svc)
    reply = post(svc, parent_id=root.comment.id)
    leaf = post(svc)
    svc.delete(root.comment.id, root.edit_token)
    svc.delete(leaf.comment.id, leaf.edit_token)
    page = svc.thread_page(svc.get_story("s"))
    assert [(c.id, c.state) for c in page.comments] == [(root.comment.id, CommentState.DELETED),
                                                       (reply.comment.id, CommentState.PUBLISHED)]
    assert page.comments[0].body_source == "" and "deleted" in page.comments[0].body_html
    assert count(svc) == 1
    with pytest.raises(NotFound):
        svc.edit(root.comment.id, root.edit_token, "back")


def test_thread_pages_by_cursor_with_replies_attached(svc, clock):
    roots = []
    for i in range(5):
        clock.now += timedelta(seconds=1)
        roots.append(post(svc, body=f"root {i}").comment)
    clock.now += timedelta(seconds=1)
    reply = post(svc, parent_id=roots[1].id).comment
    story = svc.get_story("s")
    first = svc.thread_page(story, limit=2)
    assert [c.id for c in first.comments] == [roots[0].id, roots[1].id, reply.id]
    second = svc.thread_page(story, limit=2, cursor=first.next_cursor)
    third = svc.thread_page(story, limit=2, cursor=second.next_cursor)
    assert [c.id for c in second.comments + third.comments] == [r.id for r in roots[2:]]
    assert third.next_cursor is None
    assert svc.thread_page(story, sort=Sort.REPLIES, limit=1).comments[0].id == roots[1].id


@pytest.mark.parametrize("kw, field", [({"sort": "best"}, "sort"), ({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                                       ({"cursor": "garbage"}, "cursor")])
def test_bad_page_requests_name_their_field(svc, kw, field):
    with pytest.raises(InvalidInput) as err:
        svc.thread_page(svc.get_story("s"), **kw)
    assert err.value.field == field


def test_a_cursor_from_another_sort_is_refused(svc, clock):
    for _ in range(3):
        clock.now += timedelta(seconds=1)
        post(svc)
    cursor = svc.thread_page(svc.get_story("s"), limit=1).next_cursor
    with pytest.raises(InvalidInput):
        svc.thread_page(svc.get_story("s"), sort="replies", cursor=cursor)


@pytest.mark.parametrize("fields, field", [({"slug": "Bad Slug", "title": "t"}, "slug"), ({"slug": "ok"}, "title"),
                                           ({"slug": "ok", "title": "t", "url": "javascript:x"}, "url"),
                                           ({"slug": "ok", "title": "t", "published_at": "yesterday"}, "published_at")])
def test_story_fields_are_checked(svc, fields, field):
    with pytest.raises(InvalidInput) as err:
        svc.create_story(fields)
    assert err.value.field == field
    with pytest.raises(NotFound):
        svc.get_story("ok")


def test_counts_for_many_stories(svc):
    svc.create_story({"slug": "t", "title": "T"})
    post(svc)
    post(svc)
    assert svc.comment_counts(["s", "t", "missing"]) == {"s": 2, "t": 0}
    with pytest.raises(InvalidInput):
        svc.comment_counts(["s"] * 201)


def test_a_reused_idempotency_key_for_another_comment_is_refused_without_the_token(svc):
    from parley.errors import Conflict

    first = post(svc, name="Alice", body="mine", idempotency_key="1")
    for other in ({"name": "Mallory", "body": "mine"}, {"name": "Alice", "body": "other"},
                  {"name": "Alice", "body": "mine", "parent_id": first.comment.id}):
        with pytest.raises(Conflict) as err:
            post(svc, idempotency_key="1", **other)
        assert err.value.field == "idempotency_key"
    assert count(svc) == 1


def test_concurrent_deletes_and_edits_keep_counts_right(svc):
    import contextlib
    import threading

    from parley.errors import ParleyError

    def race(barrier, change):
        barrier.wait()
        with contextlib.suppress(ParleyError):  # the losers find the comment gone
            change()

    root = post(svc)
    for _ in range(5):
        reply = post(svc, parent_id=root.comment.id)
        barrier = threading.Barrier(6)
        changes = [lambda r=reply: svc.delete(r.comment.id, r.edit_token)] * 4 + \
                  [lambda r=reply: svc.edit(r.comment.id, r.edit_token, "changed")] * 2
        threads = [threading.Thread(target=race, args=(barrier, change)) for change in changes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert svc.get_comment(reply.comment.id).state is CommentState.DELETED
    assert count(svc) == 1
    assert svc.store.get_comment(root.comment.id).reply_total == 0


def test_a_body_of_invisible_characters_is_empty(svc):
    with pytest.raises(InvalidInput) as err:
        post(svc, body="\u200b\u200d \u2060")
    assert err.value.field == "body"
