"""A page rendered once with slots where each reader's own bytes go, then filled per
request by joining bytes: the cached thread is spliced in the same way.

A template is rendered with a marker in place of each slot's value; the markers are
random per process, so no text in a story or form can make one. The rendering is then
cut at the markers into fixed pieces (each compressed once, ``gzip_splice``) and slot
names. Filling it is a ``b"".join``; its gzip form joins the pieces' deflate blocks with
the slots' bytes stored uncompressed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from markupsafe import Markup

from parley.web.cache import Rendered
from parley.web.gzip_splice import Piece, gzip_of

_MARK = "\x00" + secrets.token_hex(8)
_SPLIT = re.compile(re.escape(_MARK) + r":(\w+)\x00")


def slot(name: str) -> Markup:
    """What a template is given in place of slot ``name``'s value."""
    return Markup(f"{_MARK}:{name}\x00")


def filled(html: str, values: Mapping[str, str]) -> str:
    """``html`` with some of its slots filled for good (their usual values, say), so that
    a frame made of it has fewer pieces to join."""
    for name, value in values.items():
        html = html.replace(slot(name), value)
    return html


class Frame:
    """A rendering cut into fixed bytes and named slots.

    ``compress`` makes each fixed piece's deflate blocks up front (a frame kept in the
    cache); a frame made for one response only leaves compressing to the middleware.
    ``extra`` holds bytes a caller wants kept with the frame (say, a slot's usual value)."""

    def __init__(self, html: str, *, compress: bool, extra: Mapping[str, bytes] | None = None) -> None:
        cut = _SPLIT.split(html)
        self.fixed = [part.encode() for part in cut[0::2]]
        self.slots = cut[1::2]
        self.pieces = [Piece(b) for b in self.fixed] if compress else None
        if self.pieces:
            for piece in self.pieces:
                piece.shift  # noqa: B018 (worked out here, in the worker thread, not on the event loop)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.pieces) if self.pieces else sum(map(len, self.fixed))

    def body(self, values: Mapping[str, bytes | Rendered]) -> bytes:
        out = [self.fixed[0]]
        for name, fixed in zip(self.slots, self.fixed[1:], strict=True):
            value = values[name]
            out.append(value.body if isinstance(value, Rendered) else value)
            out.append(fixed)
        return b"".join(out)

    def gzipped(self, values: Mapping[str, bytes | Rendered]) -> bytes:
        """The gzip stream of ``body(values)``; a Rendered value joins as its own
        compressed blocks. Only for a frame made with ``compress``."""
        assert self.pieces is not None
        out: list[Piece | bytes] = [self.pieces[0]]
        for name, piece in zip(self.slots, self.pieces[1:], strict=True):
            value = values[name]
            out.append(value.piece if isinstance(value, Rendered) else value)
            out.append(piece)
        return gzip_of(out)
