"""Rendered threads, kept until the story changes.

Keys carry the story's revision, which every comment write bumps in the same
transaction; an entry for an old revision is simply never asked for again and ages
out. That holds across processes and app instances, since each reads the revision
from the shared database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

from parley.domain import Story
from parley.web.gzip_splice import Piece, gzip_whole


@dataclasses.dataclass(frozen=True)
class Rendered:
    body: bytes
    gzipped: bytes
    etag: str
    # The body's deflate blocks, for a page that splices this rendering between its own
    # bytes without compressing it again (parley.web.gzip_splice).
    piece: Piece | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped) + (len(self.piece.deflated) if self.piece else 0)

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        piece = Piece(body)
        return cls(body, gzip_whole(piece), '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"', piece)


class Sized(Protocol):
    @property
    def size(self) -> int: ...


T = TypeVar("T", bound=Sized)


class RenderCache:
    """Least recently used renderings, bounded by count and by bytes held.

    One thread renders a missing key while the others asking for it wait for that
    rendering: after a write, a busy thread is rendered once, not once per reader."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 48 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Sized] = OrderedDict()
        self._rendering: dict[Hashable, threading.Event] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def peek(self, key: Hashable):
        """The rendering for ``key`` if there is one; never renders, never waits long."""
        with self._lock:
            return self._hit(key)

    def _hit(self, key: Hashable):
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> Rendered:
        return self.get_or_make(key, lambda: Rendered.of(render()))

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """As ``get_or_render``, for anything that says its ``size`` in bytes (a page's
        frame, say); keys of different kinds must not collide."""
        while True:
            with self._lock:
                found = self._hit(key)
                if found is not None:
                    return found
                underway = self._rendering.get(key)
                if underway is None:
                    underway = self._rendering[key] = threading.Event()
                    break
            # Another thread is rendering this key; if it fails, try again ourselves.
            underway.wait(30)
        try:
            made = make()
            with self._lock:
                self._entries[key] = made
                self._bytes += made.size
                while len(self._entries) > self.max_entries or (self._bytes > self.max_bytes
                                                                and len(self._entries) > 1):
                    self._bytes -= self._entries.popitem(last=False)[1].size
            return made
        finally:
            with self._lock:
                del self._rendering[key]
            underway.set()


async def cached_thread(request, slug: str, key_for: Callable[[Story], tuple],
                        render_for: Callable[[Story], Callable[[], bytes]]) -> tuple[Story, Rendered]:
    """The story and a cached rendering of its thread, rendered on a miss.

    A hit costs one indexed read of the story (its revision is in the key); where the
    store's reads are local and cheap, that read runs on the event loop, and a hit
    never leaves it. Rendering always runs in a worker thread."""
    stories, cache = request.app.state.services.stories, request.app.state.render_cache

    def lookup() -> tuple[Story, Rendered | None]:
        story = stories.get(slug)
        return story, cache.peek(key_for(story))

    if request.app.state.store.inline_reads:
        story, found = lookup()
    else:
        story, found = await run_in_threadpool(lookup)
    if found is None:
        found = await run_in_threadpool(cache.get_or_render, key_for(story), render_for(story))
    return story, found
