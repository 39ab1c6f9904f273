"""Rendered threads, kept until the story changes.

Keys carry the story's revision, which every comment write bumps in the same
transaction; an entry for an old revision is simply never asked for again and ages
out. That holds across processes and app instances, since each reads the revision
from the shared database.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


@dataclasses.dataclass(frozen=True)
class Rendered:
    body: bytes
    gzipped: bytes
    etag: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0),
                   '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


class RenderCache:
    """Least recently used renderings, bounded by count and by bytes held."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 48 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> Rendered:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        # Rendered outside the lock: two threads may render the same key once each,
        # which costs less than making every reader wait on one renderer.
        made = Rendered.of(render())
        with self._lock:
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self._bytes -= replaced.size
            self._entries[key] = made
            self._bytes += made.size
            while len(self._entries) > self.max_entries or (self._bytes > self.max_bytes and len(self._entries) > 1):
                self._bytes -= self._entries.popitem(last=False)[1].size
        return made
