"""Responses compressed where it pays (issue 10 item 5), over real HTTP: the reader page,
the thread fragment and JSON in gzip when asked, with Vary; never tiny bodies, never
twice, never a stream."""

from __future__ import annotations

import asyncio
import gzip
import re
import threading
import zlib

import httpx
import pytest

from parley.domain import Actor
from parley.service import NewComment
from parley.web.compression import Compression
from tests.conftest import serve

SYSTEM = Actor.system("tests")


def _run_aside(coroutine) -> None:
    """Run ``coroutine`` to its end on an event loop of its own, in a thread of its own: the
    session's Playwright (tests/web/conftest.py) keeps a loop running on the main thread."""
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)
    thread = threading.Thread(target=main)
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]


@pytest.fixture
def site(sqlite_store):
    with serve(sqlite_store) as live:
        live.services.stories.create(SYSTEM, {"slug": "s", "title": "A story", "body": "Text."})
        for i in range(60):
            live.services.posting.post(Actor.guest(), NewComment(story_slug="s", author_name=f"Reader {i}",
                                                                 body=f"Comment number {i}, long enough to matter."))
        yield live


def _raw(url: str, path: str, encoding: str | None, **headers) -> httpx.Response:
    if encoding is not None:
        headers["Accept-Encoding"] = encoding
    # httpx decodes on .read(); the bytes as sent are in iter_raw
    with httpx.Client(base_url=url, timeout=10) as client, client.stream("GET", path, headers=headers) as r:
        r.raw_body = b"".join(r.iter_raw())
        return r


def _checked_gunzip(data: bytes) -> bytes:
    d = zlib.decompressobj(31)
    out = d.decompress(data) + d.flush()
    assert d.eof and not d.unused_data  # one whole member, its CRC and length right
    return out


def _without_tokens(html: bytes) -> bytes:
    return re.sub(rb'name="(csrf_token|idempotency_key)" value="[^"]*"', b"", html)


def test_the_reader_page_is_gzipped_when_asked_and_reads_the_same(site):
    plain = _raw(site.url, "/stories/s", "identity")
    zipped = _raw(site.url, "/stories/s", "gzip, deflate, br")
    assert "content-encoding" not in plain.headers and zipped.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    page = _checked_gunzip(zipped.raw_body)
    assert int(zipped.headers["content-length"]) == len(zipped.raw_body) < len(page) / 3
    assert _without_tokens(page) == _without_tokens(plain.raw_body)
    assert page.count(b'class="comment"') == 50
    refused = _raw(site.url, "/stories/s", "gzip;q=0, identity")
    assert "content-encoding" not in refused.headers


def test_each_reader_gets_their_own_tokens_in_the_cached_page(site):
    with httpx.Client(base_url=site.url, timeout=10) as reader:
        first = reader.get("/stories/s", headers={"Accept-Encoding": "gzip"})
        again = reader.get("/stories/s", headers={"Accept-Encoding": "gzip"})
    other = httpx.get(f"{site.url}/stories/s", headers={"Accept-Encoding": "gzip"})

    def tokens(r):
        return re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1), \
            re.search(r'name="idempotency_key" value="([^"]+)"', r.text).group(1)

    (t1, k1), (t2, k2), (t3, _) = tokens(first), tokens(again), tokens(other)
    assert t1 == t2 == reader.cookies["parley_csrf"]  # the reader's own token, from their cookie
    assert t3 != t1 and k1 != k2  # another reader's token; a new key for each form shown


def test_a_new_comment_shows_in_the_cached_page_at_once(site):
    before = httpx.get(f"{site.url}/stories/s", headers={"Accept-Encoding": "gzip"}).text
    assert "60 comments" in before
    site.services.posting.post(Actor.guest(), NewComment(story_slug="s", author_name="Late", body="Just in."))
    after = httpx.get(f"{site.url}/stories/s?sort=newest", headers={"Accept-Encoding": "gzip"}).text
    assert "61 comments" in after and "Just in." in after


def test_the_cached_thread_fragment_is_not_gzipped_twice(site):
    r = _raw(site.url, "/stories/s/comments?fragment=1", "gzip")
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "Accept-Encoding"
    assert _checked_gunzip(r.raw_body).lstrip().startswith(b"<li")


def test_json_is_gzipped_and_tiny_bodies_are_not(site):
    big = _raw(site.url, "/api/v1/openapi.json", "gzip")
    assert big.headers["content-encoding"] == "gzip" and "Accept-Encoding" in big.headers["vary"]
    assert b'"openapi"' in gzip.decompress(big.raw_body)
    assert int(big.headers["content-length"]) == len(big.raw_body)
    tiny = _raw(site.url, "/healthz", "gzip")
    assert "content-encoding" not in tiny.headers and tiny.raw_body == b'{"ok":true}'
    # The thread JSON comes from the cache's own gzip, not compressed again.
    thread = _raw(site.url, "/api/v1/stories/s/comments", "gzip")
    assert thread.headers["content-encoding"] == "gzip"
    assert _checked_gunzip(thread.raw_body).startswith(b"{")


def _run(app, accept: str = "gzip"):
    """Drive an ASGI app through the middleware; note when each message reached the client."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept-encoding", accept.encode())]}
    _run_aside(Compression(app)(scope, receive, send))
    return sent


def test_an_event_stream_passes_at_once_untouched():
    seen_before_first_event = []

    async def stream(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        seen_before_first_event.append(len(sent))
        await send({"type": "http.response.body", "body": b"data: " + b"x" * 5000 + b"\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sent = []

    async def go():
        async def receive():
            return {"type": "http.request"}

        async def send(message):
            sent.append(message)
        await Compression(stream)({"type": "http", "headers": [(b"accept-encoding", b"gzip")]}, receive, send)

    _run_aside(go())
    assert seen_before_first_event == [1]  # the headers left before any event was written
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body", "http.response.body"]
    assert sent[1]["body"].startswith(b"data: ") and b"content-encoding" not in dict(sent[0]["headers"])


def test_a_streamed_html_body_is_not_buffered_or_compressed():
    async def streamed(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<p>" * 2000, "more_body": True})
        await send({"type": "http.response.body", "body": b"</p>", "more_body": False})

    sent = _run(streamed)
    assert len(sent) == 3 and sent[1]["body"] == b"<p>" * 2000
    assert b"content-encoding" not in dict(sent[0]["headers"])


def test_a_byte_range_is_sent_as_the_bytes_it_names(site):
    # A 206's Content-Range counts bytes of the identity body: gzipping the part would
    # send bytes no client can put back where the range says they go.
    whole = httpx.get(f"{site.url}/static/parley.js", headers={"Accept-Encoding": "identity"}).content
    r = _raw(site.url, "/static/parley.js", "gzip", Range="bytes=100-4099")
    assert r.status_code == 206 and r.headers["content-range"] == f"bytes 100-4099/{len(whole)}"
    assert "content-encoding" not in r.headers
    assert r.raw_body == whole[100:4100] and r.headers["content-length"] == "4000"
