"""Gzip for responses that are worth it, negotiated by Accept-Encoding.

Plain ASGI middleware. A response is compressed here only when all of these hold:
the client takes gzip; its type is text (HTML, CSS, JavaScript, JSON, SVG, XML); it is
not compressed already nor a byte range (the cached thread and the reader page send their own gzip,
made once: see ``cache.Rendered`` and ``frame.Frame``); it arrives in one piece (a
streamed body, Server-Sent Events above all, passes through at once, untouched and
unbuffered); and it is at least ``minimum_size`` bytes (below one packet there is
nothing to win on the wire). Level 1: what is compressed here is compressed on every
response, and on Parley's page and JSON level 1 sends 10% more bytes than level 6 for
under a third of its CPU (0.7 against 2.3 ms for the 130 KB page); what is read most
is cached and compressed once at level 6 (benchmarks/compression.py,
docs/performance.md). No Brotli: see docs/performance.md.

Every response this could compress says ``Vary: Accept-Encoding``, compressed or not.
"""

from __future__ import annotations

import zlib

from starlette.datastructures import Headers, MutableHeaders

from parley.web.responses import accepts_gzip

DEFAULT_LEVEL = 1
MINIMUM_SIZE = 1400

_TEXT_TYPES = ("text/html", "text/plain", "text/css", "text/javascript", "text/csv", "text/xml",
               "application/json", "application/javascript", "application/xml", "image/svg+xml")


def compressible(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _TEXT_TYPES or media.endswith("+json") or media.endswith("+xml")


def gzip_bytes(body: bytes, level: int = DEFAULT_LEVEL) -> bytes:
    # wbits 31: a gzip wrapper with mtime 0, as gzip.compress(..., mtime=0) but without its
    # Python-level header writing.
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(body) + c.flush()


class Compression:
    def __init__(self, app, *, level: int = DEFAULT_LEVEL, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.level = level
        self.minimum_size = minimum_size

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wants = accepts_gzip(Headers(scope=scope).get("accept-encoding", ""))
        held: dict | None = None
        passing = False

        async def deliver(message) -> None:
            nonlocal held, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                # A byte range (206) counts bytes of the identity body: it must go as it is.
                if ("content-encoding" in headers or "content-range" in headers
                        or not compressible(headers.get("content-type", ""))):
                    passing = True  # an event stream among these: its headers go at once
                    await send(message)
                else:
                    held = message  # until the body shows whether it is whole and big enough
                return
            if message["type"] != "http.response.body" or held is None:
                await send(message)
                return
            start, held, passing = held, None, True
            body = message.get("body", b"")
            if message.get("more_body", False) or len(body) < self.minimum_size:
                await send(start)  # streamed, or too small to be worth it
                await send(message)
                return
            headers = MutableHeaders(raw=start["headers"])
            if "accept-encoding" not in headers.get("vary", "").lower():
                headers.add_vary_header("Accept-Encoding")
            if wants:
                body = gzip_bytes(body, self.level)
                headers["Content-Encoding"] = "gzip"
                headers["Content-Length"] = str(len(body))
                message = {**message, "body": body}
            await send(start)
            await send(message)

        await self.app(scope, receive, deliver)
