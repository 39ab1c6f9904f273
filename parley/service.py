"""The rules. Every way in (API, reader page, importer, CLI) posts through here.

The store keeps data consistent; this layer decides what may be written: names and
bodies, threading, closed stories, edit windows, rate limits, idempotent retries, what
moderation's verdict does to a reader's comment (publish, fold, rephrase, hold, reject),
and what moderators may do with it (the queue of held comments, approve, reject).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import orjson

from parley.config import Config
from parley.domain import Author, AuthorKind, Comment, CommentState, Notice, Story, utcnow
from parley.errors import CommentsClosed, Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Rephrase
from parley.moderation.base import Context
from parley.moderation.policy import Action, PolicyError, Verdict, check_thresholds
from parley.ratelimit import RateLimiter
from parley.render import render_body
from parley.store import QueuePage, RootPage, Sort, Store, queue_key, sort_key
from parley.thread import MAX_NESTING, arrange

if TYPE_CHECKING:
    from parley.moderation.moderator import Moderator

MAX_NAME_CHARS = 50
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]+$")
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}  # control, format, private use, surrogates, unassigned
# How many of an author's latest comments moderation reads as context (to see flooding).
RECENT_BY_AUTHOR = 5
REPHRASE_MESSAGE = ("Your comment was not posted: some of it may break the rules of this discussion. "
                    "Please rephrase the marked words and send it again.")
EDIT_REPHRASE_MESSAGE = ("Your edit was not saved: some of it may break the rules of this discussion. "
                         "Please rephrase the marked words and save it again.")
# The cursor tag of the moderators' queue, beside the thread's sorts.
_QUEUE = "queue"


@dataclasses.dataclass
class NewComment:
    """What a writer sends to post a comment."""

    story_slug: str
    author_name: str
    body: str
    parent_id: int | None = None
    spoiler: bool = False
    email: str | None = None
    client_addr: str = ""
    idempotency_key: str | None = None
    staff: bool = False  # the caller has checked the poster is newsroom staff
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
class QueueEntry:
    comment: Comment
    story: Story


@dataclasses.dataclass
class Queue:
    """A page of the moderators' queue: held comments, oldest first."""

    entries: list[QueueEntry]
    next_cursor: str | None


@dataclasses.dataclass
class ThreadPage:
    story: Story
    comments: list[Comment]  # parents before children
    next_cursor: str | None
    sort: Sort


class CommentService:
    """``moderator`` scores what readers post and edit (``parley.moderation``); without one,
    their comments are published unscored."""

    def __init__(self, store: Store, config: Config, *, clock: Callable[[], datetime] = utcnow,
                 moderator: Moderator | None = None) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.rate_limiter = RateLimiter(config.rate_limit)
        self.moderator = moderator
        self.policy = config.site_policy()
        self._secret = (config.secret_key or store.set_meta_default("secret_key", secrets.token_hex(32))).encode()

    # --- stories -------------------------------------------------------------
    def create_story(self, fields: dict) -> Story:
        story = Story(slug=clean_slug(fields.get("slug")), title=_required_text(fields, "title", 300))
        _apply_story_fields(story, fields)
        return self.store.add_story(story)

    def get_story(self, slug: str) -> Story:
        story = self.store.get_story(slug) if isinstance(slug, str) and _SLUG.fullmatch(slug) else None
        if story is None:
            raise NotFound(f"no story with slug {slug!r}", field="slug")
        return story

    def update_story(self, slug: str, fields: dict) -> Story:
        if "slug" in fields and fields["slug"] != slug:
            raise InvalidInput("a story's slug cannot change", field="slug")
        with self.store.atomic():
            story = self.get_story(slug)
            if "title" in fields:
                story.title = _required_text(fields, "title", 300)
            _apply_story_fields(story, fields)
            return self.store.update_story(story)

    def comment_counts(self, slugs: Sequence[str]) -> dict[str, int]:
        if len(slugs) > 200:
            raise InvalidInput("at most 200 slugs at once", field="slug")
        return self.store.comment_counts([s for s in slugs if _SLUG.fullmatch(s)])

    # --- posting -------------------------------------------------------------
    def post(self, new: NewComment) -> Posted:
        """A reader's comment: every rule applies."""
        return self._post(new, imported=False)

    def import_comment(self, new: NewComment) -> Posted:
        """A comment from an archive or a scraped page: it keeps its own time and
        notices, and neither rate limits nor a closed story stop it."""
        if new.created_at is None:
            raise InvalidInput("an imported comment needs its time", field="created_at")
        return self._post(new, imported=True)

    def _post(self, new: NewComment, *, imported: bool) -> Posted:
        name = clean_name(new.author_name)
        body = clean_body(new.body, self.config.max_body_chars)
        email = clean_email(new.email)
        key = _clean_idempotency_key(new.idempotency_key)
        parent_id = None if new.parent_id is None else _int(new.parent_id, "parent_id")
        story = self.get_story(new.story_slug)
        if key:
            earlier = self.store.find_by_idempotency_key(story.id, key)
            if earlier is not None:
                return self._replayed(earlier, name, body, parent_id)
        author = Author(display_name=name, email=email, kind=AuthorKind.STAFF if new.staff else AuthorKind.GUEST)
        if not imported:
            if not story.comments_open:
                raise CommentsClosed("comments on this story are closed", field="story")
            wait = self.rate_limiter.check(f"addr:{new.client_addr}", author.identity_key)
            if wait is not None:
                raise RateLimited(f"too many comments; try again in {wait} s", retry_after=wait)
        # Rendered and scored before the transaction: on SQLite the transaction holds
        # the one writer lock, and Markdown, the sanitiser and the models need none of it.
        parent = self._parent(story, parent_id)
        comment = self._compose(story, author, body, parent,
                                new if imported else dataclasses.replace(new, created_at=None, notices=()))
        comment.idempotency_key = key
        if not imported and not new.staff:  # the newsroom's own words are not scored
            verdict = self._assess(story, author, body, parent, second_attempt=new.rephrased)
            if verdict is not None:
                if verdict.action is Action.REPHRASE:
                    raise _sent_back(REPHRASE_MESSAGE, body, verdict)
                comment.moderate(verdict)
        try:
            with self.store.atomic():
                if parent is not None:
                    # Again, locked: a moderator may have rejected it since (see ``reject``).
                    self._parent(story, parent_id, lock=True)
                comment.author = self.store.find_or_add_author(author)
                self.store.add_comment(comment)
        except Conflict:
            # Two retries raced; the first one in wins and both see it.
            earlier = key and self.store.find_by_idempotency_key(story.id, key)
            if not earlier:
                raise
            return self._replayed(earlier, name, body, parent_id)
        return Posted(comment, self._writers_token(comment), created=True)

    def _replayed(self, earlier: Comment, name: str, body: str, parent_id: int | None) -> Posted:
        """A retry gets the first result; a different comment under the same key gets
        a refusal, and never the first writer's edit token."""
        if (earlier.author.display_name, earlier.body_source, earlier.parent_id) != (name, body, parent_id):
            raise Conflict("this idempotency key was used for a different comment", field="idempotency_key")
        return Posted(earlier, self._writers_token(earlier), created=False)

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
            created_at=new.created_at or self.clock(),
        )
        if parent is not None:
            comment.attach_to(parent)
        for notice in new.notices:
            comment.fold(notice)
        if new.spoiler:
            comment.fold(Notice.of("spoiler"))
        return comment

    # --- moderation ----------------------------------------------------------
    def _assess(self, story: Story, author: Author, body: str, parent: Comment | None, *,
                second_attempt: bool, editing: int | None = None) -> Verdict | None:
        """Moderation's verdict on a reader's text, in its context; None with no moderator.
        The moderator is shared by every thread serving requests, as it allows."""
        if self.moderator is None:
            return None
        recent = tuple(c.body_source for c in self.store.list_by_author(author.identity_key, RECENT_BY_AUTHOR + 1)
                       if c.id != editing)[:RECENT_BY_AUTHOR]
        context = Context(story_title=story.title, story_body=story.body,
                          parent_text=parent.body_source if parent else None, author_recent_texts=recent)
        policy = self.policy.overridden(story.moderation_thresholds)
        return self.moderator.assess_one(body, context, policy=policy, second_attempt=second_attempt)

    # --- the moderators' work ------------------------------------------------
    def verdict_of(self, comment_id) -> Comment:
        """Any comment in any state, with the verdict moderation gave it: for moderators."""
        comment = self.store.get_comment(_int(comment_id, "comment_id"))
        if comment is None:
            raise NotFound("no such comment", field="comment_id")
        return comment

    def queue(self, *, story_slug: str | None = None, cursor: str | None = None,
              limit: int | None = None) -> Queue:
        """Comments waiting for a moderator, oldest first: every story's, or one's."""
        limit = self.config.page_size if limit is None else limit
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        story = None
        if story_slug is not None:
            try:
                story = self.get_story(story_slug)
            except NotFound:
                raise NotFound(f"no story with slug {story_slug!r}", field="story") from None
        after = decode_cursor(cursor, _QUEUE) if cursor else None
        held = self.store.list_queue(QueuePage(story.id if story else None, after, limit + 1))
        more = len(held) > limit
        held = held[:limit]
        stories = {story.id: story} if story else {}
        for comment in held:
            if comment.story_id not in stories:
                stories[comment.story_id] = self.store.get_story_by_id(comment.story_id)
        return Queue([QueueEntry(c, stories[c.story_id]) for c in held],
                     encode_cursor(_QUEUE, queue_key(held[-1])) if more else None)

    def approve(self, comment_id) -> Comment:
        """A moderator releases a held, rejected or folded comment: readers see it, without
        the notices moderation gave it (the writer's own stay). Its verdict is kept."""
        with self.store.atomic():
            comment, thread = self._for_moderator(comment_id, "approve")
            hidden = [a for a in _ancestors(comment, thread)
                      if not (a.state.visible or a.state is CommentState.DELETED)]
            if hidden:
                raise Conflict(f"the comment it replies to ({hidden[0].id}) is {hidden[0].state.value}, "
                               "so readers could not reach it; approve that one first", field="parent_id")
            return self._moderated(comment, comment.approve)

    def reject(self, comment_id) -> Comment:
        """A moderator rejects a comment: kept for moderators only. Not one with replies
        readers see, which would be counted yet out of reach under it."""
        with self.store.atomic():
            comment, thread = self._for_moderator(comment_id, "reject")
            if any(c.state.visible for c in _descendants(comment, thread)):
                raise Conflict("this comment has replies readers see; it cannot be hidden from under them",
                               field="comment_id")
            return self._moderated(comment, comment.reject)

    def _for_moderator(self, comment_id, action: str) -> tuple[Comment, list[Comment]]:
        """The comment and its whole thread, locked (the comment, then its root) for this
        transaction: every change to what readers see of a thread takes the same locks
        in the same order, so none reads a thread another is changing."""
        comment = self.store.get_comment(_int(comment_id, "comment_id"), for_update=True)
        if comment is None:
            raise NotFound("no such comment", field="comment_id")
        if comment.state is CommentState.DELETED:
            raise Conflict(f"a deleted comment cannot be {action}d: its writer removed it", field="state")
        root = self.store.get_comment(comment.root_id, for_update=True) if comment.root_id else comment
        return comment, [root, *self.store.list_replies([root.id])]

    def _moderated(self, comment: Comment, change: Callable[[], None]) -> Comment:
        """Apply a moderator's change; write only when it changes something."""
        was, notices = comment.state, comment.notices
        change()
        if (comment.state, comment.notices) == (was, notices):
            return comment
        return self.store.update_comment(comment, was=was)

    # --- the writer's own changes --------------------------------------------
    def edit_token(self, comment: Comment) -> str:
        """The guest's key to their comment. Derived, not stored: a retried post
        gets the same token, and a database leak gives away none."""
        return hmac.new(self._secret, f"edit:{comment.id}".encode(), hashlib.sha256).hexdigest()[:40]

    def _writers_token(self, comment: Comment) -> str | None:
        """What the writer is handed: no key to a comment only moderators may see."""
        return None if comment.state is CommentState.REJECTED else self.edit_token(comment)

    def _owns(self, comment: Comment, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token).encode(), self.edit_token(comment).encode())

    def _owned(self, comment_id: int, token: str | None, *, lock: bool = True) -> Comment:
        """The comment, locked for this transaction, if the token is its writer's."""
        comment = self.store.get_comment(_int(comment_id, "comment_id"), for_update=lock)
        if comment is None or comment.state in (CommentState.DELETED, CommentState.REJECTED):
            raise NotFound("no such comment", field="comment_id")
        if not self._owns(comment, token):
            raise Forbidden("the edit token does not match this comment", field="edit_token")
        if self.clock() > comment.editable_until(self.config.edit_window_seconds):
            raise Forbidden("the time to edit or delete this comment has passed", field="edit_token")
        return comment

    def edit(self, comment_id: int, token: str | None, body: str) -> Comment:
        """The writer's new text, scored as a new comment's is. An edit never changes who
        may read the comment: text moderation would hold, reject or ask to rephrase goes
        back to the writer (``Rephrase``) and the old text stays; a held comment stays
        held, whatever its new text scores, until a moderator decides."""
        body = clean_body(body, self.config.max_body_chars)
        # Checked, rendered and scored before the transaction, which checks again.
        current = self._owned(comment_id, token, lock=False)
        parent = self.store.get_comment(current.parent_id) if current.parent_id else None
        body_html = render_body(body, reply_to=(parent.id, parent.author.display_name) if parent else None)
        verdict = None
        if current.author.kind is not AuthorKind.STAFF:  # the newsroom's own words are not scored
            verdict = self._assess(self.store.get_story_by_id(current.story_id), current.author, body, parent,
                                   second_attempt=False, editing=current.id)
            if verdict is not None and verdict.action not in (Action.PUBLISH, Action.FOLD):
                raise _sent_back(EDIT_REPHRASE_MESSAGE, body, verdict)
        with self.store.atomic():
            comment = self._owned(comment_id, token)
            was = comment.state
            comment.body_source, comment.body_html = body, body_html
            comment.edited_at = self.clock()
            comment.moderate_edit(verdict)
            return self.store.update_comment(comment, was=was)

    def delete(self, comment_id: int, token: str | None) -> Comment:
        with self.store.atomic():
            comment = self._owned(comment_id, token)
            was = comment.state
            comment.delete()
            return self.store.update_comment(comment, was=was)

    def get_comment(self, comment_id: int, token: str | None = None) -> Comment:
        """A comment readers can see (or its tombstone); a held one only with its writer's token."""
        comment = self.store.get_comment(_int(comment_id, "comment_id"))
        if comment is None:
            raise NotFound("no such comment", field="comment_id")
        shown = comment.state.visible or comment.state is CommentState.DELETED
        if not shown and not (comment.state is CommentState.PENDING and self._owns(comment, token)):
            raise NotFound("no such comment", field="comment_id")
        return comment

    # --- reading -------------------------------------------------------------
    def thread_of(self, story: Story, comment_id) -> ThreadPage:
        """The one thread (a top-level comment and all below it) that holds a comment."""
        comment = self.store.get_comment(_int(comment_id, "thread"))
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
        sort = _sort(sort)
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


def _sent_back(message: str, body: str, verdict: Verdict) -> Rephrase:
    """Moderation's verdict as the writer gets it back: the flagged words and why."""
    spans = [s.to_dict() | {"text": body[s.start:s.end]} for s in verdict.spans]
    return Rephrase(message, body=body, reasons=list(verdict.reasons), spans=spans)


def _ancestors(comment: Comment, thread: Sequence[Comment]) -> list[Comment]:
    """The comments above ``comment`` in its thread (root and replies), nearest first."""
    by_id = {c.id: c for c in thread}
    out, at = [], comment
    while at.parent_id is not None:
        at = by_id[at.parent_id]
        out.append(at)
    return out


def _descendants(comment: Comment, thread: Sequence[Comment]) -> list[Comment]:
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


# --- cleaning input: each raises InvalidInput naming its field ---------------
def clean_name(raw) -> str:
    if not isinstance(raw, str):
        raise InvalidInput("a display name is required", field="author_name")
    name = "".join(ch for ch in unicodedata.normalize("NFC", raw)
                   if unicodedata.category(ch) not in _INVISIBLE)
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a display name is required", field="author_name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"a display name has at most {MAX_NAME_CHARS} characters", field="author_name")
    return name


def clean_body(raw, max_chars: int) -> str:
    if not isinstance(raw, str):
        raise InvalidInput("a comment needs text", field="body")
    body = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\x00", "").strip()
    if not any(not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE for ch in body):
        raise InvalidInput("a comment needs text", field="body")
    if len(body) > max_chars:
        raise InvalidInput(f"a comment has at most {max_chars} characters", field="body")
    return body


def clean_email(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _EMAIL.match(raw.strip()) or len(raw) > 320 or "\x00" in raw:
        raise InvalidInput("that is not an email address", field="email")
    return raw.strip()


def clean_slug(raw) -> str:
    if not isinstance(raw, str) or not _SLUG.fullmatch(raw):
        raise InvalidInput("a slug is 1-100 lowercase letters, digits and hyphens", field="slug")
    return raw


def _required_text(fields: dict, name: str, max_chars: int) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise InvalidInput(f"{name} is required, as text", field=name)
    if len(value) > max_chars:
        raise InvalidInput(f"{name} has at most {max_chars} characters", field=name)
    return value.strip()


def _apply_story_fields(story: Story, fields: dict) -> None:
    for name, limit in (("body", 200_000), ("credit", 200), ("dateline", 200), ("url", 2000)):
        if name in fields and fields[name] is not None:
            value = fields[name]
            if not isinstance(value, str) or len(value) > limit or "\x00" in value:
                raise InvalidInput(f"{name} must be text of at most {limit} characters", field=name)
            if name == "url" and value and not value.startswith(("https://", "http://")):
                raise InvalidInput("url must start with http:// or https://", field="url")
            setattr(story, name, value.strip())
    if fields.get("published_at") is not None:
        story.published_at = parse_time(fields["published_at"], "published_at")
    if "comments_open" in fields:
        if not isinstance(fields["comments_open"], bool):
            raise InvalidInput("comments_open must be true or false", field="comments_open")
        story.comments_open = fields["comments_open"]
    if "moderation_thresholds" in fields:
        story.moderation_thresholds = clean_thresholds(fields["moderation_thresholds"])


def clean_thresholds(raw) -> dict[str, dict[str, float]] | None:
    """A story's own moderation thresholds; null or {} for none (the site's apply)."""
    if raw is None or raw == {}:
        return None
    try:
        return check_thresholds(raw)
    except PolicyError as exc:
        raise InvalidInput(f"moderation_thresholds: {exc}", field="moderation_thresholds") from None


def parse_time(raw, field: str) -> datetime:
    from datetime import timezone

    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise InvalidInput(f"{field} must be an ISO 8601 time", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _int(raw, field: str) -> int:
    if isinstance(raw, bool):
        raise InvalidInput(f"{field} must be a whole number", field=field)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a whole number", field=field) from None
    if not 0 < value < 2**62:
        raise InvalidInput(f"{field} is out of range", field=field)
    return value


def _clean_idempotency_key(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 200 or not raw.isprintable():
        raise InvalidInput("an idempotency key is printable text of at most 200 characters",
                           field="idempotency_key")
    return raw


def _sort(raw) -> Sort:
    try:
        return Sort(raw)
    except ValueError:
        raise InvalidInput(f"sort must be one of {', '.join(s.value for s in Sort)}", field="sort") from None


def encode_cursor(listing: str, key: tuple) -> str:
    """A cursor for a listing (a thread's sort, or the moderators' queue) after ``key``."""
    return base64.urlsafe_b64encode(orjson.dumps([str(listing), *key])).decode().rstrip("=")


def decode_cursor(cursor: str, listing: str) -> tuple:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw[0] != str(listing):
            raise ValueError
        key = tuple(raw[1:])
        if len(key) != (3 if listing == Sort.REPLIES else 2) or not all(
                type(v) is int and -2**62 < v < 2**62 for v in key):
            raise ValueError
        return key
    except (ValueError, TypeError, IndexError, orjson.JSONDecodeError):
        raise InvalidInput("cursor is not one this server gave out for this listing", field="cursor") from None
