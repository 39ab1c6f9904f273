"""Reactions: readers recommend comments, staff feature them.

One recommendation per reader per comment: the reader is their account, their browser's
guest cookie (or the embed's token, which yields the same guest identity) or their API
token (``reader_key``), never an address. Recommending again changes nothing; a reader
may take theirs back. Only a comment readers can see is recommended, and never by its
own writer (as Coral has it: a count is what others thought). Each change is counted on
the comment and moves the story's revision in the same transaction, so cached threads
show it; ``CommentRecommended`` goes out after commit.

Staff (and moderators and admins) feature comments readers can see: their picks, shown
first in a tab of their own. Featuring and unfeaturing are decisions in the audit log
(``DecisionKind.FEATURE``/``UNFEATURE``), which never restrict anyone, so no statement
of reasons; ``CommentFeatured`` goes out after commit.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from parley.domain import Actor, Comment, CommentState, DecisionKind, Permission, Role, Story
from parley.errors import Forbidden, InvalidInput, NotFound, RateLimited
from parley.events import CommentFeatured, CommentRecommended
from parley.service.base import Deps
from parley.service.cleaning import decode_cursor, encode_cursor, whole_number
from parley.service.reports import reporter_key
from parley.store import FeaturedPage, to_us

try:  # the in-process limiter, under its name since rate limits became swappable (item 4 of issue 10)
    from parley.ratelimit import MemoryRateLimiter as _Limiter
except ImportError:
    from parley.ratelimit import RateLimiter as _Limiter

if TYPE_CHECKING:
    from parley.service import Services

#: Changes of mind a reader may make a minute (recommend or take back). Every change moves
#: the story's revision and so re-renders its cached thread: a script toggling a
#: recommendation in a loop would otherwise make the server render the thread for it.
RECOMMENDS_PER_MINUTE = 30
#: One address may make this many times as many: several readers may share it.
READERS_PER_ADDRESS = 10
FEATURED = "featured"  # the Featured tab's listing, as its cursors name it
OWN_COMMENT = "you cannot recommend your own comment"
COOKIES_NEEDED = ("We cannot tell your recommendation apart from anyone else's: allow cookies for this site "
                  "(or sign in) and recommend again.")


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """Where a comment's recommendations stand for one reader, after their change."""

    comment_id: int
    count: int
    recommended: bool  # by this reader
    changed: bool  # False when it already stood so (a repeated click)


@dataclasses.dataclass
class FeaturedView:
    story: Story
    comments: list[Comment]  # each on its own, latest picks first
    next_cursor: str | None


class ReactionService:
    def __init__(self, deps: Deps, services: Services) -> None:
        self.deps = deps
        self.store = deps.store
        self.services = services
        # In this process: a reader flipping through two instances gets twice the changes,
        # which costs renders, not correctness (one row per reader whatever the instance).
        self.limiter = _Limiter(RECOMMENDS_PER_MINUTE)
        self.address_limiter = _Limiter(RECOMMENDS_PER_MINUTE * READERS_PER_ADDRESS)

    # --- recommending -------------------------------------------------------------
    def recommend(self, actor: Actor, comment_id, on: bool = True) -> Recommendation:
        """Recommend a comment (``on``) or take the recommendation back. Idempotent both ways."""
        actor.require(Permission.RECOMMEND, "recommending comments")
        if not isinstance(on, bool):
            raise InvalidInput("recommended must be true or false", field="recommended")
        key = reader_key(actor)
        if key is None:
            raise Forbidden(COOKIES_NEEDED, field="reader")
        comment_id = whole_number(comment_id, "comment_id")
        with self.store.atomic():
            comment = self.store.get_comment(comment_id, for_update=True)
            # Taking one back stays possible while a moderator holds the comment.
            if comment is None or not (comment.state.visible or (not on and comment.state is not CommentState.DELETED)):
                raise NotFound("there is no comment readers can see with that id", field="comment_id")
            if on and comment.writer_key is not None and comment.writer_key == actor.writer_key:
                raise Forbidden(OWN_COMMENT, field="comment_id")
            already = bool(self.store.recommended_by(key, [comment.id]))
            changed = already != on
            if changed:
                self._check_rate(key, actor)
                if on:
                    self.store.add_recommendation(comment.id, comment.story_id, key, self.deps.clock())
                else:
                    self.store.remove_recommendation(comment.id, comment.story_id, key)
            count = self.store.get_comment(comment.id).recommend_count
        if changed:
            self.deps.events.publish(CommentRecommended(actor.label, comment.id, comment.story_id, count, on))
        return Recommendation(comment.id, count, on, changed)

    def toggle(self, actor: Actor, comment_id) -> Recommendation:
        """Recommend, or take back a recommendation this reader made: the form without
        JavaScript, which is the same for every reader (the thread is cached), sends this."""
        actor.require(Permission.RECOMMEND, "recommending comments")
        key = reader_key(actor)
        if key is None:
            raise Forbidden(COOKIES_NEEDED, field="reader")
        comment_id = whole_number(comment_id, "comment_id")
        return self.recommend(actor, comment_id, not self.store.recommended_by(key, [comment_id]))

    def _check_rate(self, key: str, actor: Actor) -> None:
        wait = self.limiter.check(f"recommend:{key}")
        if wait is None and actor.client_addr:
            wait = self.address_limiter.check(f"recommend-addr:{actor.client_addr}")
        if wait is not None:
            raise RateLimited(f"you have changed {RECOMMENDS_PER_MINUTE} recommendations in the last minute; "
                              f"try again in {wait} seconds", retry_after=wait)

    def recommended(self, actor: Actor, comment_ids) -> set[int]:
        """Which of these comments this reader recommended (what their page marks)."""
        key = reader_key(actor)
        if key is None or not actor.can(Permission.RECOMMEND):
            return set()
        if len(comment_ids) > 1000:
            raise InvalidInput("at most 1,000 comments at once", field="comment_ids")
        return self.store.recommended_by(key, [whole_number(i, "comment_ids") for i in comment_ids])

    def recommended_on(self, actor: Actor, story: Story) -> set[int]:
        """Which of a story's comments this reader recommended: what their page marks, outside
        the thread every reader shares. Nothing for a reader we cannot recognise."""
        key = reader_key(actor)
        if key is None or not actor.can(Permission.RECOMMEND) or not actor.recognised:
            return set()
        return self.store.recommended_on(key, story.id)

    # --- featuring --------------------------------------------------------------------
    def may_feature(self, actor: Actor) -> bool:
        """Whether pages should offer this actor Feature buttons (``feature`` decides)."""
        return actor.can(Permission.FEATURE)

    def for_featuring(self, actor: Actor, comment_id) -> Comment:
        """The comment staff are about to feature or unfeature (the form's page)."""
        actor.require(Permission.FEATURE, "featuring comments")
        comment = self.store.get_comment(whole_number(comment_id, "comment_id"))
        if comment is None or not (comment.state.visible or comment.featured):
            raise NotFound("there is no comment readers can see with that id", field="comment_id")
        return comment

    def feature(self, actor: Actor, comment_id, on: bool = True) -> Comment:
        """Feature a comment readers can see (``on``), or unfeature it; recorded in the audit
        log. Featuring one already featured (or unfeaturing one that is not) changes nothing
        and records nothing."""
        actor.require(Permission.FEATURE, "featuring comments")
        if not isinstance(on, bool):
            raise InvalidInput("featured must be true or false", field="featured")
        comment_id = whole_number(comment_id, "comment_id")
        decisions = self.services.decisions
        decision = None
        with self.store.atomic():
            comment = self.store.get_comment(comment_id, for_update=True)
            if comment is None or (on and not comment.state.visible):
                raise NotFound("there is no comment readers can see with that id", field="comment_id")
            now = self.deps.clock()
            if self.store.set_featured(comment.id, comment.story_id, now if on else None):
                before = {"featured_at": comment.featured_at.isoformat() if comment.featured_at else None}
                comment.featured_at = now if on else None
                story = self.store.get_story_by_id(comment.story_id)
                kind = DecisionKind.FEATURE if on else DecisionKind.UNFEATURE
                decision = decisions.record(actor, kind, comment, story, reason="staff pick" if on else
                                            "no longer a staff pick", prompted_by="staff", before=before, at=now)
        if decision is not None:
            self.deps.events.publish(CommentFeatured(actor.label, comment.id, comment.story_id, on, decision.id))
        return comment

    def featured(self, story: Story, *, cursor: str | None = None, limit: int | None = None) -> FeaturedView:
        """A story's featured comments readers can see, latest picks first."""
        limit = self.deps.config.page_size if limit is None else limit
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        after = decode_cursor(cursor, FEATURED) if cursor else None
        found = self.store.list_featured(FeaturedPage(story.id, after, limit + 1))
        more = len(found) > limit
        found = found[:limit]
        next_cursor = encode_cursor(FEATURED, (to_us(found[-1].featured_at), found[-1].id)) if more else None
        return FeaturedView(story, found, next_cursor)


def reader_key(actor: Actor) -> str | None:
    """Who a reader is, to count them once per comment: as a reporter is known
    (``reports.reporter_key``: their account, a recognised guest cookie, or their token);
    Parley itself (an importer bringing an archive's recommendations) by its label."""
    if actor.role is Role.SYSTEM:
        return actor.label
    return reporter_key(actor)
