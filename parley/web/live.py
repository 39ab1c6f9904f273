"""Live updates over Server-Sent Events: readers' story streams and the moderators' queue
counts.

    GET /api/v1/stories/{slug}/events      a story's changes, as readers see them
    GET /api/v1/admin/queue/events         the queue counts, for moderators

A story stream's event id is the story's revision: every comment write bumps it in its
transaction and records it on the comment (migration 0008), so a reader reconnecting with
``Last-Event-ID`` (or a page opening with ``?since=`` its own revision) gets exactly what
changed after it, from the shared database, on any instance and after any restart.

Per process, one ``Feed`` per watched story reads each change once and renders it once,
with the page's own comment macro, for every stream on that story; a stream further behind
than the feed remembers reads the database itself. A ``Broker`` (``parley.bus``: this
process, or Redis across instances) only wakes the feeds ("story 12 is at 340"); each feed
also looks at the database every heartbeat, so a lost wake-up costs seconds, never a change.
Events are published after commit (``parley.events``); this module turns them into
wake-ups.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from datetime import datetime, timezone

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from parley import events as ev
from parley.bus import RESYNC, Broker
from parley.domain import Permission, Story
from parley.errors import Busy, InvalidInput, NotAcceptable, ParleyError
from parley.thread import Node
from parley.web.auth import actor_of
from parley.web.responses import error_response
from parley.web.routing import PUBLIC, route

logger = logging.getLogger("parley")

#: Rendered changes a feed keeps for streams that are a little behind.
FEED_MEMORY = 512
#: How long a moderators' stream waits for more wake-ups before reading the counts once.
QUEUE_SETTLE_SECONDS = 0.25
_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}

#: Changes no queue count depends on: moderators' streams need no wake-up for them.
_NOT_IN_QUEUES = (ev.CommentRecommended, ev.CommentFeatured, ev.StoryEdited)


def _event(name: str, data: dict, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


class Feed:
    """One story's changes in this process, read once for every stream on it.

    ``revision`` is how far the feed has read; its memory holds the rendered changes after
    ``floor``. Only the event loop's thread touches a feed."""

    def __init__(self, live: Live, story: Story) -> None:
        self.live = live
        self.story = story
        self.revision = self.floor = story.revision
        # Rendered changes in revision order, as two lists (bisected on every wake-up of
        # every stream: a thousand streams each take the one new event, not scan them all).
        self.revisions: list[int] = []
        self.events: list[bytes] = []
        self.changed = asyncio.Event()
        self.streams = 0
        self._reading: asyncio.Task | None = None
        self._again = False

    def poke(self, revision: int | None = None) -> None:
        """There may be something new (at ``revision``, when the wake-up said)."""
        if revision is not None and revision <= self.revision:
            return
        if self._reading is not None:
            self._again = True
            return
        self._reading = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                self._again = False
                rendered, revision, more = await run_in_threadpool(self.live.render_changes, self.story,
                                                                   self.revision)
                for rev, data in rendered:
                    self.revisions.append(rev)
                    self.events.append(data)
                if len(self.revisions) > 2 * FEED_MEMORY:  # trimmed now and then, not on every change
                    self.floor = self.revisions[-FEED_MEMORY - 1]
                    del self.revisions[:-FEED_MEMORY], self.events[:-FEED_MEMORY]
                if revision > self.revision:
                    self.revision = revision
                    woken, self.changed = self.changed, asyncio.Event()
                    woken.set()
                if not (more or self._again):
                    return
        except Exception:
            logger.exception("live feed of story %s could not read its changes", self.story.id)
        finally:
            self._reading = None

    def after(self, revision: int) -> tuple[list[bytes], int]:
        """What the feed holds after ``revision``, and the revision a stream is at with it."""
        return self.events[bisect.bisect_right(self.revisions, revision):], max(revision, self.revision)


class Live:
    """This process's live streams: their feeds, the moderators' waiters, the bound on
    connections, and the link between events, the broker and the streams."""

    def __init__(self, app_state, broker: Broker) -> None:
        self.state = app_state
        self.broker = broker
        self.max_connections = app_state.config.live_connections
        self.heartbeat = float(app_state.config.live_heartbeat_seconds)
        self.connections = 0
        self.feeds: dict[int, Feed] = {}
        self.queue_waiters: set[asyncio.Event] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task | None = None

    # --- events in, wake-ups out (in the publishing thread, after commit) -----------
    def attach(self, bus: ev.EventBus) -> None:
        # Reactions record their revision on the comment in their own transaction
        # (store/sql_reactions.py), so they need only the wake-up any other change gets.
        for kind in (ev.CommentPosted, ev.CommentEdited, ev.CommentDecided, ev.CommentReported, ev.AppealFiled,
                     ev.CommentRecommended, ev.CommentFeatured, ev.StoryEdited):
            bus.subscribe(kind, self._changed)

    def _changed(self, event: ev.Event) -> None:
        store = self.state.store
        story_id = getattr(event, "story_id", None)
        if story_id is None and getattr(event, "comment_id", None) is not None:
            comment = store.get_comment(event.comment_id)
            story_id = comment.story_id if comment else None
        if story_id is not None:
            self.broker.publish(f"story:{story_id}", store.story_revision(story_id))
        elif isinstance(event, ev.CommentDecided):
            self.broker.publish(RESYNC, 0)  # a decision on an author may touch any of their stories
        if not isinstance(event, _NOT_IN_QUEUES):
            self.broker.publish("queues", 0)

    # --- wake-ups in (any thread) ---------------------------------------------------
    async def _start(self) -> None:
        """On the first stream: listen to the broker and poll, from this event loop."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._poller = self._loop.create_task(self._poll())
        # In a worker thread: Redis's listener waits (briefly) for its subscription.
        await run_in_threadpool(self.broker.listen, self._woken)

    def _woken(self, topic: str, value: int) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake, topic, value)

    def _wake(self, topic: str, value: int) -> None:
        if topic == RESYNC:
            for feed in list(self.feeds.values()):
                feed.poke()
            self._wake_queues()
        elif topic == "queues":
            self._wake_queues()
        elif topic.startswith("story:"):
            feed = self.feeds.get(int(topic.removeprefix("story:")))
            if feed is not None:
                feed.poke(value)

    def _wake_queues(self) -> None:
        for waiter in self.queue_waiters:
            waiter.set()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            for feed in list(self.feeds.values()):
                feed.poke()

    # --- rendering (in a worker thread) -----------------------------------------------
    def render_changes(self, story: Story, since: int) -> tuple[list[tuple[int, bytes]], int, bool]:
        """The story's changes after ``since`` as events, the revision they bring a reader
        to, and whether there are more to read."""
        services = self.state.services
        found = services.live.changes(story, since)
        macro = self.state.templates.get_template("_comment.html").module.comment
        now = datetime.now(timezone.utc)
        out = []
        for change in found.changes:
            c = change.comment
            if change.removed:
                out.append((change.revision, _event("removed", {"id": c.id}, change.revision)))
                continue
            anchor_id, replying_to = services.posting.place_in_page(c) if c.parent_id else (None, None)
            html = str(macro(Node(c, [], replying_to), now, story.slug))
            data = {"id": c.id, "parent_id": c.parent_id, "root_id": c.root_id, "anchor_id": anchor_id,
                    "state": c.state.value, "html": html}
            out.append((change.revision, _event("comment", data, change.revision)))
        return out, found.revision, found.more

    # --- streams ------------------------------------------------------------------------
    def _admit(self) -> None:
        if self.max_connections == 0:
            raise Busy("live updates are off on this server", field="live")
        if self.connections >= self.max_connections:
            raise Busy("too many live connections on this server; the page works without them", field="live")
        self.connections += 1

    def _feed(self, story: Story) -> Feed:
        feed = self.feeds.get(story.id)
        if feed is None:
            feed = self.feeds[story.id] = Feed(self, story)
        feed.streams += 1
        return feed

    def _leave(self, feed: Feed) -> None:
        feed.streams -= 1
        if feed.streams == 0 and self.feeds.get(feed.story.id) is feed:
            del self.feeds[feed.story.id]

    def story_stream(self, story: Story, since: int) -> Response:
        feed = self._feed(story)

        def release() -> None:
            self._leave(feed)
            self.connections -= 1
        return _Stream(self._story_events(feed, story, since), release)

    async def _story_events(self, feed: Feed, story: Story, since: int):
        """A reader's stream: every change after ``since``, then each as it comes."""
        yield f"retry: 3000\n: parley story {story.id}\n\n".encode()
        at = since
        while True:
            if at < feed.floor:  # further behind than the feed remembers: from the database
                rendered, at, _ = await run_in_threadpool(self.render_changes, story, at)
                if rendered:
                    yield b"".join(data for _, data in rendered)
                continue
            waiting = feed.changed
            pending, at = feed.after(at)
            if pending:
                yield b"".join(pending)
                continue
            try:
                async with asyncio.timeout(self.heartbeat):  # no task a wait, as wait_for makes
                    await waiting.wait()
            except TimeoutError:
                yield b": ping\n\n"

    def queue_stream(self, request: Request, story_slug: str | None, counts: dict) -> Response:
        waiter = asyncio.Event()
        self.queue_waiters.add(waiter)

        def release() -> None:
            self.queue_waiters.discard(waiter)
            self.connections -= 1
        return _Stream(self._queue_events(waiter, request, story_slug, counts), release)

    async def _queue_events(self, waiter: asyncio.Event, request: Request, story_slug: str | None, counts: dict):
        """A moderator's stream: the queue counts now, and again whenever they may have moved."""
        yield b"retry: 3000\n\n" + _event("counts", {"counts": counts})
        while True:
            try:
                await asyncio.wait_for(waiter.wait(), self.heartbeat)
                await asyncio.sleep(QUEUE_SETTLE_SECONDS)  # a bulk decision: one read, not fifty
            except TimeoutError:
                pass
            waiter.clear()
            request.state.actor = None  # signed out or demoted meanwhile: the stream ends
            try:
                fresh = await _queue_counts(request, story_slug)
            except ParleyError:
                return
            if fresh != counts:
                counts = fresh
                yield _event("counts", {"counts": counts})
            else:
                yield b": ping\n\n"


class _Stream(StreamingResponse):
    """An event stream that gives back its connection slot however it ends, even when the
    reader left before the first byte (the generator then never runs)."""

    def __init__(self, content, release) -> None:
        super().__init__(content, media_type="text/event-stream", headers=_HEADERS)
        self._release = release

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
            await self.body_iterator.aclose()


async def _live(request: Request) -> Live:
    live = request.app.state.live
    await live._start()
    return live


def _wants_stream(request: Request) -> None:
    if "text/event-stream" not in request.headers.get("accept", ""):
        raise NotAcceptable("this is a stream of Server-Sent Events: send Accept: text/event-stream",
                            field="accept")


def _since(request: Request, story: Story) -> int:
    """Where the reader is: the last event they had (on reconnecting), else the revision
    their page was rendered at, else now."""
    raw = request.headers.get("last-event-id") or request.query_params.get("since")
    if raw is None or raw == "":
        return story.revision
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput("since (or Last-Event-ID) is a story revision: a whole number", field="since")
    # A revision from the future (a database restored from a backup): start from now.
    return min(int(raw), story.revision)


async def story_stream(request: Request) -> Response:
    live = await _live(request)
    try:
        story = await run_in_threadpool(request.app.state.services.stories.get, request.path_params["slug"])
        _wants_stream(request)
        since = _since(request, story)
        live._admit()
    except ParleyError as exc:
        return error_response(exc)
    return live.story_stream(story, since)


async def _queue_counts(request: Request, story_slug: str | None) -> dict:
    actor = await actor_of(request)
    counts = await run_in_threadpool(request.app.state.services.decisions.counts, actor, story_slug)
    return {q.value: n for q, n in counts.items()}


async def queue_stream(request: Request) -> Response:
    live = await _live(request)
    story_slug = request.query_params.get("story") or None
    try:
        counts = await _queue_counts(request, story_slug)  # the service checks the moderate permission
        _wants_stream(request)
        live._admit()
    except ParleyError as exc:
        return error_response(exc)
    return live.queue_stream(request, story_slug, counts)


routes = [
    route("/api/v1/stories/{slug}/events", story_stream, permission=PUBLIC),
    route("/api/v1/admin/queue/events", queue_stream, permission=Permission.MODERATE),
]
