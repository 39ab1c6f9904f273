"""The workspace's revision (migration 0010) on every backend: it moves in the writing
transaction with everything a queue page shows, so a page cached under it is never stale,
and stays put for what no page shows."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import resources

import pytest

from parley.domain import (
    Appeal,
    Author,
    Comment,
    CommentState,
    Decision,
    DecisionKind,
    Report,
    ReportReason,
    Sanction,
    SanctionKind,
    Story,
    utcnow,
)
from parley.store.rows import COMMENT_COLUMNS

#: Comment columns no page of a queue shows, which change often (replies, recommendations,
#: staff picks, the live stream's bookkeeping): writing them leaves the revision alone.
NOT_SHOWN = {"reply_total", "recommend_count", "featured_at", "idempotency_key", "writer_key", "changed_rev",
             "shown"}


def _setup(store) -> tuple[Story, Comment]:
    story = store.add_story(Story(slug="story", title="A story"))
    author = store.find_or_add_author(Author(display_name="Ann"))
    comment = store.add_comment(Comment(story_id=story.id, author=author, body_source="hi", body_html="<p>hi</p>",
                                        state=CommentState.PENDING, created_at=utcnow(), writer_key="guest:g1"))
    return story, comment


def _moves(store, write) -> bool:
    before = store.workspace_revision()
    write()
    return store.workspace_revision() != before


def test_the_revision_moves_with_every_write_a_queue_page_shows(store):
    story, comment = _setup(store)
    now = utcnow()

    def review():
        comment.queue, comment.priority = "held", 700
        store.update_review(comment)

    def decide():
        was = comment.state
        comment.approve()
        store.update_comment(comment, was=was)

    def retitle():
        story.title = "A story, retitled"
        store.update_story(story)

    report = Report(comment_id=comment.id, reason=ReportReason.SPAM, reporter_key="guest:r1")
    sanction = Sanction(author_id=comment.author.id, kind=SanctionKind.PREMODERATE, reason="why",
                        decided_by="account:1:Mo")
    author = comment.author
    writes = {
        "a new comment (its author's history)": lambda: store.add_comment(Comment(
            story_id=story.id, author=author, body_source="again", body_html="<p>again</p>", created_at=now,
            writer_key="guest:g1")),
        "its queue and priority": review,
        "a decision on it": decide,
        "a story's title": retitle,
        "a report": lambda: store.add_report(report),
        "a report resolved": lambda: store.resolve_reports(comment.id, "approved", now),
        "a sanction": lambda: store.add_sanction(sanction),
        "a sanction lifted": lambda: store.lift_sanction(sanction.id, now),
    }
    for what, write in writes.items():
        assert _moves(store, write), what
    decision = store.add_decision(Decision(kind=DecisionKind.REJECT, actor="account:1:Mo", reason="why",
                                           comment_id=comment.id, author_id=author.id))
    appeal = Appeal(comment_id=comment.id, decision_id=decision.id, writer_key="guest:g1", text="please")
    assert _moves(store, lambda: store.add_appeal(appeal)), "an appeal"
    appeal.decided_at, appeal.outcome, appeal.decided_by = now + timedelta(seconds=1), "upheld", "account:2:Al"
    assert _moves(store, lambda: store.update_appeal(appeal)), "an appeal decided"


def test_a_recommendation_leaves_the_revision_alone(store):
    story, comment = _setup(store)
    was = comment.state
    comment.approve()
    store.update_comment(comment, was=was)
    assert not _moves(store, lambda: store.add_recommendation(comment.id, story.id, "guest:r1", utcnow()))


def _update_of_lists(dialect: str) -> list[set[str]]:
    sql = (resources.files("parley.store") / "migrations" / dialect / "0010_workspace_revision.sql").read_text()
    sql = re.sub(r"--[^\n]*", "", sql)
    return [{c.strip() for c in found.split(",")}
            for found in re.findall(r"UPDATE OF ([\w\s,]+?) ON comments", sql, re.S)]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_every_comment_column_a_page_reads_moves_the_revision(dialect):
    """A column added to COMMENT_COLUMNS (what a card is made from) must join the trigger's
    UPDATE OF list, or be named here as one no page shows."""
    read = {m for m in re.findall(r"\bc\.(\w+)", COMMENT_COLUMNS)} - {"id"}
    (watched,) = _update_of_lists(dialect)
    assert read - NOT_SHOWN <= watched, sorted(read - NOT_SHOWN - watched)
    assert not watched & NOT_SHOWN
