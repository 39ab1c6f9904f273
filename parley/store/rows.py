"""How rows become domain objects and back: the columns both backends select, shared by
every aggregate's SQL."""

from __future__ import annotations

import json

from parley.domain import Author, AuthorKind, Comment, CommentState, Notice, Story, verdict_from_dict
from parley.store.base import from_us, to_us

VISIBLE = "('published', 'folded')"

COMMENT_COLUMNS = """
    c.id, c.story_id, c.parent_id, c.root_id, c.depth, c.body_source, c.body_html, c.state,
    c.notices, c.created_at, c.edited_at, c.reply_total, c.idempotency_key, c.verdict,
    c.writer_key, c.queue, c.priority, c.report_count, c.resubmitted, c.reviewed_at,
    c.recommend_count, c.featured_at, a.id, a.kind, a.display_name, a.email, a.account_id
"""
COMMENT_SELECT = f"SELECT {COMMENT_COLUMNS} FROM comments c JOIN authors a ON a.id = c.author_id"

STORY_COLUMNS = """id, slug, url, title, dateline, body, credit, published_at, comments_open,
    comment_count, revision, created_at, moderation_thresholds, section, external_id"""


def comment_from_row(row) -> Comment:
    (cid, story_id, parent_id, root_id, depth, source, body_html, state, notices, created,
     edited, reply_total, key, verdict, writer_key, queue, priority, report_count, resubmitted, reviewed,
     recommend_count, featured, author_id, kind, name, email, account_id) = row
    return Comment(
        id=cid, story_id=story_id, parent_id=parent_id, root_id=root_id, depth=depth,
        body_source=source, body_html=body_html, state=CommentState(state),
        notices=tuple(Notice(n["kind"], n["text"]) for n in json.loads(notices)),
        created_at=from_us(created), edited_at=from_us(edited) if edited is not None else None,
        reply_total=reply_total, idempotency_key=key,
        verdict=verdict_from_dict(json.loads(verdict)) if verdict is not None else None,
        writer_key=writer_key, queue=queue, priority=priority, report_count=report_count,
        resubmitted=bool(resubmitted), reviewed_at=from_us(reviewed) if reviewed is not None else None,
        recommend_count=recommend_count, featured_at=from_us(featured) if featured is not None else None,
        author=Author(id=author_id, kind=AuthorKind(kind), display_name=name, email=email, account_id=account_id),
    )


def story_from_row(row) -> Story:
    (sid, slug, url, title, dateline, body, credit, published, is_open, count, revision, created,
     thresholds, section, external_id) = row
    return Story(
        id=sid, slug=slug, url=url, title=title, dateline=dateline, body=body, credit=credit,
        published_at=from_us(published) if published is not None else None,
        comments_open=bool(is_open), comment_count=count, revision=revision,
        created_at=from_us(created), moderation_thresholds=json.loads(thresholds) if thresholds else None,
        section=section, external_id=external_id,
    )


AUTHOR_COLUMNS = "id, kind, display_name, email, account_id"


def author_from_row(row) -> Author:
    return Author(id=row[0], kind=AuthorKind(row[1]), display_name=row[2], email=row[3], account_id=row[4])


def notices_json(comment: Comment) -> str:
    return json.dumps([n.to_dict() for n in comment.notices], ensure_ascii=False)


def verdict_json(comment: Comment) -> str | None:
    return json.dumps(comment.verdict.to_dict(), ensure_ascii=False) if comment.verdict is not None else None


def review_columns(comment: Comment) -> tuple:
    """writer_key, queue, priority, report_count, resubmitted, reviewed_at, top_label, top_score."""
    label, score = comment.strongest
    return (comment.writer_key, comment.queue, comment.priority, comment.report_count, comment.resubmitted,
            to_us(comment.reviewed_at) if comment.reviewed_at else None, label, score)


def thresholds_json(story: Story) -> str | None:
    return json.dumps(story.moderation_thresholds) if story.moderation_thresholds else None
