"""Posting: what a writer may write, edit and delete, and what readers are shown.

Every way in (API, reader page, importer, CLI) posts through here. This layer decides
names and bodies, threading, closed stories, edit windows, rate limits, idempotent
retries, sanctions on the writer, and what moderation's verdict does to a reader's
comment (publish, fold, rephrase, hold, reject). Moderators' decisions are
``parley.service.decisions``.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Sequence
from datetime import datetime

from parley.domain import (
    Actor,
    Author,
    AuthorKind,
    Comment,
    CommentState,
    Notice,
    Permission,
    Role,
    Sanction,
    SanctionKind,
    Story,
)
from parley.errors import CommentsClosed, Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Rephrase
from parley.events import CommentEdited, CommentPosted
from parley.moderation.base import Context
from parley.moderation.policy import Action, Verdict
from parley.render import render_body
from parley.service import review
from parley.service.base import Deps
from parley.service.cleaning import (
    clean_body,
    clean_email,
    clean_idempotency_key,
    clean_name,
    clean_sort,
    decode_cursor,
    encode_cursor,
    whole_number,
)
from parley.service.stories import StoryService
from parley.store import RootPage, Sort, sort_key
from parley.thread import MAX_NESTING, arrange

# How many of an author's latest comments moderation reads as context (to see flooding).
RECENT_BY_AUTHOR = 5
REPHRASE_MESSAGE = ("Your comment was not posted: some of it may break the rules of this discussion. "
                    "Please rephrase the marked words and send it again.")
EDIT_REPHRASE_MESSAGE = ("Your edit was not saved: some of it may break the rules of this discussion. "
                         "Please rephrase the marked words and save it again.")
PREMODERATION = "the author's comments are held for a moderator (pre-moderation)"


@dataclasses.dataclass
class NewComment:
    """What a writer sends to post a comment. Who sends it is the ``Actor``."""

    story_slug: str
    author_name: str | None
    body: str
    parent_id: int | None = None
    spoiler: bool = False
    email: str | None = None
    idempotency_key: str | None = None
    staff: bool = False  # write with the Staff badge (needs Permission.POST_AS_STAFF)
    rephrased: bool = False  # sent again after moderation asked the writer to rephrase
    # Importers carry the original time and notices; live posts leave them empty.
    created_at: datetime | None = None
    notices: tuple[Notice, ...] = ()


@dataclasses.dataclass
class Posted:
    comment: Comment
    edit_token: str | None  # None for a rejected comment: only moderators see it
    created: bool  # False when an idempotent retry returned the first result


@dataclasses.dataclass
class ThreadPage:
    story: Story
    comments: list[Comment]  # parents before children
    next_cursor: str | None
    sort: Sort


class PostingService:
    """``deps.moderator`` scores what readers post and edit (``parley.moderation``);
    without one, their comments are published unscored."""

    def __init__(self, deps: Deps, stories: StoryService) -> None:
        self.deps = deps
        self.store = deps.store
        self.config = deps.config
        self.stories = stories

    # --- posting -------------------------------------------------------------
    def post(self, actor: Actor, new: NewComment) -> Posted:
        """A reader's (or the newsroom's) comment: every rule applies."""
        actor.require(Permission.POST, "commenting")
        if new.staff:
            actor.require(Permission.POST_AS_STAFF, "writing as staff")
        return self._post(actor, new, imported=False)

    def import_comment(self, actor: Actor, new: NewComment) -> Posted:
        """A comment from an archive or a scraped page: it keeps its own time and
        notices, and neither rate limits nor a closed story stop it."""
        actor.require(Permission.IMPORT, "importing")
        if new.created_at is None:
            raise InvalidInput("an imported comment needs its time", field="created_at")
        return self._post(actor, new, imported=True)

    def _author(self, actor: Actor, new: NewComment) -> Author:
        """Who the comment is by: an account is one author under its own name; anyone
        else (a guest, an importer, a token) is known by what they typed."""
        if actor.is_account:
            kind = AuthorKind.STAFF if new.staff or actor.role.rank >= Role.STAFF.rank else AuthorKind.REGISTERED
            return Author(display_name=clean_name(actor.name), kind=kind, account_id=actor.account_id)
        return Author(display_name=clean_name(new.author_name), email=clean_email(new.email),
                      kind=AuthorKind.STAFF if new.staff else AuthorKind.GUEST)

    def _post(self, actor: Actor, new: NewComment, *, imported: bool) -> Posted:
        author = self._author(actor, new)
        body = clean_body(new.body, self.config.max_body_chars)
        key = clean_idempotency_key(new.idempotency_key)
        parent_id = None if new.parent_id is None else whole_number(new.parent_id, "parent_id")
        story = self.stories.get(new.story_slug)
        keys = self._scoped_keys(actor, key)
        stored_key = keys[0] if keys else None
        for scoped in keys:
            earlier = self.store.find_by_idempotency_key(story.id, scoped)
            if earlier is not None:
                return self._replayed(actor, earlier, author.display_name, body, parent_id)
        rule = None
        if not imported:
            if not story.comments_open:
                raise CommentsClosed("comments on this story are closed", field="story")
            known = self.store.find_author(author.identity_key)
            sanctions = self.store.active_sanctions(known.id if known else None, actor.writer_key, self.deps.clock())
            rule = self._sanctioned(sanctions)
            wait = self.deps.rate_limiter.check(f"addr:{actor.client_addr}", author.identity_key)
            if wait is not None:
                raise RateLimited(f"too many comments; try again in {wait} s", retry_after=wait)
        # Rendered and scored before the transaction: on SQLite the transaction holds
        # the one writer lock, and Markdown, the sanitiser and the models need none of it.
        parent = self._parent(story, parent_id)
        comment = self._compose(story, author, body, parent,
                                new if imported else dataclasses.replace(new, created_at=None, notices=()))
        comment.idempotency_key = stored_key
        comment.writer_key = actor.writer_key
        comment.resubmitted = new.rephrased and not imported
        if not imported and author.kind is not AuthorKind.STAFF:  # the newsroom's own words are not scored
            verdict = self._assess(story, author, body, parent, second_attempt=new.rephrased)
            if verdict is not None:
                if verdict.action is Action.REPHRASE:
                    raise _sent_back(REPHRASE_MESSAGE, body, verdict)
                if verdict.action is Action.HOLD and rule is None and self._trusted(known, sanctions):
                    verdict = dataclasses.replace(verdict, action=Action.PUBLISH)
                comment.moderate(verdict)
        if rule is not None and comment.state.visible:
            comment.state = CommentState.PENDING
        else:
            rule = None
        if comment.state is CommentState.REJECTED:
            comment.reviewed_at = comment.created_at  # the models decided: it rests in Rejected
        try:
            with self.store.atomic():
                if parent is not None:
                    # Again, locked: a moderator may have rejected it since (see ``decisions``).
                    self._parent(story, parent_id, lock=True)
                comment.author = self.store.find_or_add_author(author)
                review.place(comment, story)
                self.store.add_comment(comment)
                decision = review.automated_decision(comment, story, rule=rule)
                if decision is not None:
                    self.store.add_decision(decision)
        except Conflict:
            # Two retries raced; the first one in wins and both see it.
            earlier = stored_key and self.store.find_by_idempotency_key(story.id, stored_key)  # the racing twin
            if not earlier:
                raise
            return self._replayed(actor, earlier, author.display_name, body, parent_id)
        self.deps.events.publish(CommentPosted(actor.label, comment.id, story.id, comment.state.value))
        return Posted(comment, self._writers_token(comment), created=True)

    def _scoped_keys(self, actor: Actor, key: str | None) -> list[str]:
        """Where an idempotency key is kept, and then looked for. Keys are the writer's own:
        a key replayed by another writer (another browser, account or token) is a new key,
        so it can never fetch the first writer's edit token. Writers we do not recognise
        yet (no cookie, no account) share one namespace: a retry there finds the first
        comment, and gets its edit token only from the browser the first answer reached
        (by the guest cookie that answer set)."""
        if not key:
            return []
        anonymous = "k1:" + self.deps.sign("idempotency", f"anonymous:{key}")
        if not actor.recognised or actor.writer_key is None and actor.token_id is None:
            return [anonymous]
        return ["k1:" + self.deps.sign("idempotency", f"{actor.writer_key or actor.label}:{key}"), anonymous]

    def _replayed(self, actor: Actor, earlier: Comment, name: str, body: str, parent_id: int | None) -> Posted:
        """A retry gets the first result; a different comment under the same key gets
        a refusal, and never the first writer's edit token."""
        if (earlier.author.display_name, earlier.body_source, earlier.parent_id) != (name, body, parent_id):
            raise Conflict("this idempotency key was used for a different comment", field="idempotency_key")
        same_writer = earlier.writer_key is not None and earlier.writer_key == actor.writer_key
        return Posted(earlier, self._writers_token(earlier) if same_writer else None, created=False)

    @staticmethod
    def _sanctioned(sanctions: Sequence[Sanction]) -> str | None:
        """Refuse a banned or suspended writer (with the reason and the end of a
        suspension); the rule that holds their comment when they are pre-moderated."""
        for s in sanctions:
            if s.kind is SanctionKind.BAN:
                raise Forbidden(f"you may not comment here: a moderator banned this account ({s.reason})",
                                field="author")
            if s.kind is SanctionKind.SUSPEND:
                until = s.until.strftime("%d %B %Y, %H:%M UTC") if s.until else "further notice"
                raise Forbidden(f"you may not comment until {until}: a moderator suspended this account "
                                f"({s.reason})", field="author")
        if any(s.kind is SanctionKind.PREMODERATE for s in sanctions):
            return PREMODERATION
        return None

    def _trusted(self, known: Author | None, sanctions: Sequence[Sanction]) -> bool:
        """Trusted by a moderator, or by enough approved comments (``PARLEY_TRUST_AFTER``)."""
        if known is None:
            return False
        if any(s.kind is SanctionKind.TRUST and s.author_id == known.id for s in sanctions):
            return True
        after = self.config.trust_after
        return bool(after) and self.store.author_history(known.id).approved >= after

    def _parent(self, story: Story, parent_id: int | None, *, lock: bool = False) -> Comment | None:
        if parent_id is None:
            return None
        parent = self.store.get_comment(parent_id, for_update=lock)
        if parent is None or parent.story_id != story.id:
            raise InvalidInput("parent_id is not a comment on this story", field="parent_id")
        if not parent.state.visible:
            raise InvalidInput("cannot reply to a comment that is not published", field="parent_id")
        return parent

    def _compose(self, story: Story, author: Author, body: str, parent: Comment | None,
                 new: NewComment) -> Comment:
        comment = Comment(
            story_id=story.id,
            author=author,
            body_source=body,
            body_html=render_body(body, reply_to=(parent.id, parent.author.display_name) if parent else None),
            created_at=new.created_at or self.deps.clock(),
        )
        if parent is not None:
            comment.attach_to(parent)
        for notice in new.notices:
            comment.fold(notice)
        if new.spoiler:
            comment.fold(Notice.of("spoiler"))
        return comment

    def _assess(self, story: Story, author: Author, body: str, parent: Comment | None, *,
                second_attempt: bool, editing: int | None = None) -> Verdict | None:
        """Moderation's verdict on a reader's text, in its context; None with no moderator.
        The moderator is shared by every thread serving requests, as it allows."""
        if self.deps.moderator is None:
            return None
        recent = tuple(c.body_source for c in self.store.list_by_author(author.identity_key, RECENT_BY_AUTHOR + 1)
                       if c.id != editing)[:RECENT_BY_AUTHOR]
        context = Context(story_title=story.title, story_body=story.body,
                          parent_text=parent.body_source if parent else None, author_recent_texts=recent)
        policy = self.deps.policy.overridden(story.moderation_thresholds)
        return self.deps.moderator.assess_one(body, context, policy=policy, second_attempt=second_attempt)

    # --- the writer's own changes --------------------------------------------
    def edit_token(self, comment: Comment) -> str:
        """The guest's key to their comment. Derived, not stored: a retried post
        gets the same token, and a database leak gives away none."""
        return self.deps.sign("edit", str(comment.id))

    def _writers_token(self, comment: Comment) -> str | None:
        """What the writer is handed: no key to a comment only moderators may see."""
        return None if comment.state is CommentState.REJECTED else self.edit_token(comment)

    def _owns(self, actor: Actor, comment: Comment, token: str | None) -> bool:
        """The writer: by the edit token, or by the account or browser that wrote it."""
        if comment.writer_key is not None and comment.writer_key == actor.writer_key:
            return True
        return bool(token) and hmac.compare_digest(str(token).encode(), self.edit_token(comment).encode())

    def _owned(self, actor: Actor, comment_id, token: str | None, *, lock: bool = True) -> Comment:
        """The comment, locked for this transaction, if the actor is its writer."""
        comment = self.store.get_comment(whole_number(comment_id, "comment_id"), for_update=lock)
        if comment is None or comment.state in (CommentState.DELETED, CommentState.REJECTED):
            raise NotFound("no such comment", field="comment_id")
        if not self._owns(actor, comment, token):
            raise Forbidden("the edit token does not match this comment", field="edit_token")
        if self.deps.clock() > comment.editable_until(self.config.edit_window_seconds):
            raise Forbidden("the time to edit or delete this comment has passed", field="edit_token")
        return comment

    def edit(self, actor: Actor, comment_id, token: str | None, body: str) -> Comment:
        """The writer's new text, scored as a new comment's is. An edit never changes who
        may read the comment: text moderation would hold, reject or ask to rephrase goes
        back to the writer (``Rephrase``) and the old text stays; a held comment stays
        held, whatever its new text scores, until a moderator decides."""
        actor.require(Permission.POST, "editing")
        body = clean_body(body, self.config.max_body_chars)
        # Checked, rendered and scored before the transaction, which checks again.
        current = self._owned(actor, comment_id, token, lock=False)
        parent = self.store.get_comment(current.parent_id) if current.parent_id else None
        body_html = render_body(body, reply_to=(parent.id, parent.author.display_name) if parent else None)
        story = self.store.get_story_by_id(current.story_id)
        verdict = None
        if current.author.kind is not AuthorKind.STAFF:  # the newsroom's own words are not scored
            verdict = self._assess(story, current.author, body, parent, second_attempt=False, editing=current.id)
            if verdict is not None and verdict.action not in (Action.PUBLISH, Action.FOLD):
                raise _sent_back(EDIT_REPHRASE_MESSAGE, body, verdict)
        with self.store.atomic():
            comment = self._owned(actor, comment_id, token)
            was = comment.state
            comment.body_source, comment.body_html = body, body_html
            comment.edited_at = self.deps.clock()
            comment.moderate_edit(verdict)
            if comment.queue is not None or comment.state is CommentState.FOLDED:
                review.place(comment, story, appealed=comment.queue == "appeals",
                             reported=comment.queue == "reported")
            self.store.update_comment(comment, was=was)
        self.deps.events.publish(CommentEdited(actor.label, comment.id, comment.story_id, comment.state.value))
        return comment

    def delete(self, actor: Actor, comment_id, token: str | None) -> Comment:
        actor.require(Permission.POST, "deleting")
        with self.store.atomic():
            comment = self._owned(actor, comment_id, token)
            was = comment.state
            comment.delete()
            comment.queue, comment.priority = None, 0
            self.store.update_comment(comment, was=was)
        self.deps.events.publish(CommentEdited(actor.label, comment.id, comment.story_id, comment.state.value))
        return comment

    def get_comment(self, actor: Actor, comment_id, token: str | None = None) -> Comment:
        """A comment readers can see (or its tombstone); a held one only to its writer."""
        comment = self.store.get_comment(whole_number(comment_id, "comment_id"))
        if comment is None:
            raise NotFound("no such comment", field="comment_id")
        shown = comment.state.visible or comment.state is CommentState.DELETED
        if not shown and not (comment.state is CommentState.PENDING and self._owns(actor, comment, token)):
            raise NotFound("no such comment", field="comment_id")
        return comment

    def own_hidden(self, actor: Actor, story: Story) -> list[Comment]:
        """The actor's own comments on this story that readers cannot see (held or
        rejected), oldest first: shown to them alone, on every visit."""
        return hidden_among(self.own_restricted(actor, story=story))

    def own_comment(self, actor: Actor, comment_id) -> Comment:
        """One of the actor's own comments, in any state but deleted (held and rejected
        too): what its writer's statement of reasons and appeal are about. To anyone
        else it is as if it did not exist."""
        comment = self.store.get_comment(whole_number(comment_id, "comment_id"))
        if (comment is None or comment.state is CommentState.DELETED or comment.writer_key is None
                or comment.writer_key != actor.writer_key):
            raise NotFound("no comment of yours has that id", field="comment_id")
        return comment

    def own_restricted(self, actor: Actor, *, story: Story | None = None, limit: int = 50) -> list[Comment]:
        """The actor's own latest comments that moderation restricted, newest first, on any
        story or on ``story``: held or rejected, or ever folded, held, rejected or sanctioned
        by a decision that was not undone (a moderator or an appeal may have shown them
        again since). What the writer's own page lists, each with its statement of reasons
        (``appeals.statements_for``)."""
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200", field="limit")
        if actor.writer_key is None or not actor.recognised:  # a writer new to us has written nothing
            return []
        return self.store.list_writer_comments(actor.writer_key, limit, story_id=story.id if story else None)

    # --- reading -------------------------------------------------------------
    def thread_of(self, story: Story, comment_id) -> ThreadPage:
        """The one thread (a top-level comment and all below it) that holds a comment."""
        comment = self.store.get_comment(whole_number(comment_id, "thread"))
        if comment is None or comment.story_id != story.id:
            raise NotFound("no such comment on this story", field="thread")
        root = self.store.get_comment(comment.root_id) if comment.root_id else comment
        return ThreadPage(story, arrange([root], self.store.list_replies([root.id])), None, Sort.OLDEST)

    def place_in_page(self, comment: Comment) -> tuple[int | None, str | None]:
        """Where a new reply hangs on the page, which nests three levels deep: the id
        of the comment it is listed under, and for a flattened reply whom it answers."""
        if comment.depth < MAX_NESTING:
            return comment.parent_id, None
        parent = self.store.get_comment(comment.parent_id)
        anchor = parent
        while anchor.depth >= MAX_NESTING:
            anchor = self.store.get_comment(anchor.parent_id)
        return anchor.id, None if anchor is parent else parent.author.display_name

    def thread_page(self, story: Story, *, sort: str | Sort = Sort.OLDEST, cursor: str | None = None,
                    limit: int | None = None) -> ThreadPage:
        sort = clean_sort(sort)
        limit = self.config.page_size if limit is None else limit
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        after = decode_cursor(cursor, sort) if cursor else None
        roots = self.store.list_roots(RootPage(story.id, sort, after, limit + 1))
        more = len(roots) > limit
        roots = roots[:limit]
        replies = self.store.list_replies([r.id for r in roots])
        next_cursor = encode_cursor(sort, sort_key(roots[-1], sort)) if more else None
        return ThreadPage(story, arrange(roots, replies), next_cursor, sort)


def hidden_among(restricted: Sequence[Comment]) -> list[Comment]:
    """Of a writer's restricted comments (newest first, as ``own_restricted`` lists them),
    those readers cannot see, oldest first."""
    return [c for c in reversed(restricted) if not c.state.visible]


def _sent_back(message: str, body: str, verdict: Verdict) -> Rephrase:
    """Moderation's verdict as the writer gets it back: the flagged words and why."""
    spans = [s.to_dict() | {"text": body[s.start:s.end]} for s in verdict.spans]
    return Rephrase(message, body=body, reasons=list(verdict.reasons), spans=spans)


def ancestors(comment: Comment, thread: Sequence[Comment]) -> list[Comment]:
    """The comments above ``comment`` in its thread (root and replies), nearest first."""
    by_id = {c.id: c for c in thread}
    out, at = [], comment
    while at.parent_id is not None:
        at = by_id[at.parent_id]
        out.append(at)
    return out


def descendants(comment: Comment, thread: Sequence[Comment]) -> list[Comment]:
    """Every reply below ``comment`` in its thread, at any depth."""
    children: dict[int, list[Comment]] = {}
    for c in thread:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    out, stack = [], list(children.get(comment.id, ()))
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(children.get(c.id, ()))
    return out
