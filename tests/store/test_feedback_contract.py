"""The store's side of reports by address and of suggested scores, on every backend."""

from __future__ import annotations

from datetime import timedelta

from parley.domain import Author, Comment, Report, ReportReason, Story, utcnow
from parley.domain.suggestions import ScoreSuggestion


def _comment(store) -> Comment:
    story = store.add_story(Story(slug="s", title="T"))
    author = store.find_or_add_author(Author(display_name="Ann"))
    return store.add_comment(Comment(story_id=story.id, author=author, body_source="Hi", body_html="<p>Hi</p>"))


def test_reports_keep_their_address_hash_and_count_by_it(store):
    comment = _comment(store)
    now = utcnow()
    for key, addr, at in (("guest:a", "h1", now - timedelta(hours=2)), ("guest:b", "h1", now),
                          ("guest:c", "", now), ("guest:d", "h2", now)):
        store.add_report(Report(comment_id=comment.id, reason=ReportReason.SPAM, reporter_key=key,
                                reporter_addr=addr, created_at=at))
    assert [r.reporter_addr for r in store.list_reports(comment.id)] == ["h1", "h1", "", "h2"]
    assert store.count_reports_from("h1", now - timedelta(hours=1)) == 1
    assert store.count_reports_from("h1", now - timedelta(hours=3)) == 2
    assert store.count_reports_from("", now - timedelta(hours=3)) == 0  # no address is no one's address


def test_suggestions_are_kept_and_read_back_in_pages(store):
    made = [store.add_suggestion(ScoreSuggestion(text=f"Text {i} — ünïcode", scores={"toxicity": 0.1 * i},
                                                 actor="token:coral", story_text="Story", parent_text="Parent",
                                                 languages=("en",), community_id="news", session_id="s1"))
            for i in range(3)]
    assert [s.id for s in made] == sorted(s.id for s in made)
    first, *rest = store.suggestions_since(0, 10)
    assert (first.text, first.scores, first.languages, first.story_text, first.parent_text) == (
        "Text 0 — ünïcode", {"toxicity": 0.0}, ("en",), "Story", "Parent")
    assert (first.community_id, first.session_id, first.actor) == ("news", "s1", "token:coral")
    assert abs(first.created_at - made[0].created_at) < timedelta(milliseconds=1)
    assert [s.id for s in store.suggestions_since(made[0].id, 1)] == [made[1].id]
    assert store.suggestions_since(made[2].id, 10) == []
