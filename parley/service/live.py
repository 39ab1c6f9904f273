"""What readers' live streams may carry: the changes to a story's thread since a revision,
as readers see them. Every comment write records the story revision it made on the
comment (migration 0008), so this is one indexed read, the same on every instance.

A comment readers can see, or its tombstone, comes as itself; one readers saw and can no
longer see (held after reports, rejected) comes as removed, by id alone; one readers never
saw (held or rejected from the start) does not come at all, not even its id."""

from __future__ import annotations

import dataclasses

from parley.domain import Comment, CommentState, Story
from parley.service.base import Deps

#: Changed comments read at a time; a stream further behind reads again.
PAGE = 200


@dataclasses.dataclass(frozen=True)
class Change:
    revision: int
    comment: Comment
    removed: bool  # readers can no longer see it: only its id may be told


@dataclasses.dataclass(frozen=True)
class Changes:
    changes: list[Change]
    revision: int  # the revision a reader who has these is at
    more: bool  # a full page: read again from ``revision``


class LiveService:
    def __init__(self, deps: Deps) -> None:
        self.store = deps.store

    def changes(self, story: Story, since: int) -> Changes:
        """What changed on the story that readers may be told, after revision ``since``."""
        rows = self.store.changes_since(story.id, since, PAGE)
        out, revision = [], since
        for changed_rev, shown, comment in rows:
            revision = changed_rev
            if not shown:
                continue
            readable = comment.state.visible or comment.state is CommentState.DELETED
            out.append(Change(changed_rev, comment, removed=not readable))
        return Changes(out, revision, more=len(rows) == PAGE)
