"""The reactions part of the storage contract, on every backend: one row per (comment,
reader), the count and the revision in the same transaction, featured picks and their page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parley.domain import Author, Comment, CommentState, Story, utcnow
from parley.store import FeaturedPage, to_us


@pytest.fixture
def story(store) -> Story:
    return store.add_story(Story(slug="story", title="A story"))


def _comment(store, story, state=CommentState.PUBLISHED) -> Comment:
    author = store.find_or_add_author(Author(display_name="Ann"))
    return store.add_comment(Comment(story_id=story.id, author=author, body_source="hi", body_html="<p>hi</p>",
                                     state=state))


def test_a_reader_counts_once_and_the_revision_moves_with_each_change(store, story):
    comment = _comment(store, story)
    revision = store.get_story_by_id(story.id).revision
    assert store.add_recommendation(comment.id, story.id, "guest:a", utcnow()) is True
    assert store.add_recommendation(comment.id, story.id, "guest:a", utcnow()) is False
    assert store.add_recommendation(comment.id, story.id, "account:7", utcnow()) is True
    assert store.get_comment(comment.id).recommend_count == 2
    assert store.get_story_by_id(story.id).revision == revision + 2
    assert store.recommended_by("guest:a", [comment.id, 999]) == {comment.id}
    assert store.recommended_by("guest:b", [comment.id]) == set()
    assert store.recommended_by("guest:a", []) == set()
    assert store.remove_recommendation(comment.id, story.id, "guest:a") is True
    assert store.remove_recommendation(comment.id, story.id, "guest:a") is False
    assert store.get_comment(comment.id).recommend_count == 1
    assert store.get_story_by_id(story.id).revision == revision + 3


def test_a_rolled_back_recommendation_leaves_neither_row_nor_count(store, story):
    comment = _comment(store, story)
    with pytest.raises(RuntimeError), store.atomic():
        store.add_recommendation(comment.id, story.id, "guest:a", utcnow())
        raise RuntimeError("half way")
    assert store.get_comment(comment.id).recommend_count == 0
    assert store.recommended_by("guest:a", [comment.id]) == set()


def test_the_unique_constraint_holds_below_the_store(store, story):
    comment = _comment(store, story)
    store.add_recommendation(comment.id, story.id, "guest:a", utcnow())
    with pytest.raises(store.integrity_errors), store._tx() as conn:
        conn.execute(store._sql("INSERT INTO recommendations (comment_id, reader_key, created_at) VALUES (?, ?, ?)"),
                     (comment.id, "guest:a", 0))


def test_featured_comments_latest_pick_first_visible_only_and_paged(store, story):
    t0 = utcnow() - timedelta(hours=1)
    comments = [_comment(store, story) for _ in range(4)]
    for i, c in enumerate(comments):
        assert store.set_featured(c.id, story.id, t0 + timedelta(minutes=i)) is True
    assert store.set_featured(comments[0].id, story.id, utcnow()) is False  # already: its time stays
    hidden = comments[1]
    was = hidden.state
    hidden.reject()
    store.update_comment(hidden, was=was)
    listed = store.list_featured(FeaturedPage(story.id, None, 2))
    assert [c.id for c in listed] == [comments[3].id, comments[2].id]
    assert listed[0].featured_at == t0 + timedelta(minutes=3)
    after = (to_us(listed[-1].featured_at), listed[-1].id)
    assert [c.id for c in store.list_featured(FeaturedPage(story.id, after, 2))] == [comments[0].id]
    revision = store.get_story_by_id(story.id).revision
    assert store.set_featured(comments[3].id, story.id, None) is True
    assert store.set_featured(comments[3].id, story.id, None) is False
    assert store.get_story_by_id(story.id).revision == revision + 1
    assert store.get_comment(comments[3].id).featured_at is None


def test_what_a_reader_recommended_on_one_story(store, story):
    other = store.add_story(Story(slug="other", title="Another"))
    here, there = _comment(store, story), _comment(store, other)
    for c, s in ((here, story), (there, other)):
        store.add_recommendation(c.id, s.id, "guest:a", utcnow())
    assert store.recommended_on("guest:a", story.id) == {here.id}
    assert store.recommended_on("guest:b", story.id) == set()


def test_each_change_is_recorded_on_the_comment_for_live_streams(store, story):
    comment = _comment(store, story)
    revision = store.get_story_by_id(story.id).revision
    store.add_recommendation(comment.id, story.id, "guest:a", utcnow())
    store.set_featured(comment.id, story.id, utcnow())
    changes = store.changes_since(story.id, revision, 10)
    assert [(rev, c.id, c.recommend_count, c.featured) for rev, _, c in changes] == [
        (revision + 2, comment.id, 1, True)]  # once, at its latest change, in the writing transaction
