"""First-time readers' story pages answered by the protocol from a kept page
(parley.web.first_visit, parley.web.protocol), over real sockets against uvicorn.

The answer must be the page the app would have sent, with tokens of its own that work;
it must end as soon as anything on the page changes; and nothing that might differ for
the requester (a cookie, a token, another header) may be answered from it."""

from __future__ import annotations

import re
import socket
import time
import zlib

import httpx
import pytest

from parley.bus import RESYNC
from parley.domain import Actor
from parley.service import NewComment
from parley.web import first_visit
from parley.web.auth import verified_guest_id
from tests.conftest import TEST_SECRET, serve
from tests.redis_fixtures import REDIS_URL, redis_client, redis_prefix  # noqa: F401 (a fixture)

SYSTEM = Actor.system("tests")
PAGE = "/stories/s"


def _site(store, **config):
    live = serve(store, **config)
    live.services.stories.create(SYSTEM, {"slug": "s", "title": "A story", "body": "Text."})
    for i in range(30):
        live.services.posting.post(Actor.guest(), NewComment(story_slug="s", author_name=f"Reader {i}",
                                                             body=f"Comment number {i}, long enough to matter."))
    return live


@pytest.fixture
def site(sqlite_store):
    with _site(sqlite_store) as live:
        yield live


def answered(live) -> int:
    return live.app.state.first_visits.answered


def get(live, path: str = PAGE, **headers) -> httpx.Response:
    """A request as a first-time reader sends it: no cookies, a fresh client."""
    with httpx.Client(base_url=live.url, timeout=10) as client:
        return client.get(path, headers=headers)


def kept(live, path: str = PAGE, **headers) -> httpx.Response:
    """Ask twice: the app answers and the page is kept; the second answer is the kept one."""
    for _ in range(2):
        minute = first_visit.minute()
        get(live, path, **headers)
        before = answered(live)
        response = get(live, path, **headers)
        if answered(live) == before + 1:
            return response
        if first_visit.minute() == minute:
            break  # (a minute that turned between the two asks ends the page: ask again)
    pages = live.app.state.first_visits
    raise AssertionError(f"the second first visit was not answered from the kept page: kept {pages._kept}, "
                         f"revisions heard {pages._revisions}, resync at {pages._resync_at}, "
                         f"now {pages.clock()}, minute {first_visit.minute()}")


def _tokens(html: str) -> tuple[str, str]:
    return (re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1))


def _without_tokens(html: str) -> str:
    return re.sub(r'name="(csrf_token|idempotency_key)" value="[^"]*"', "", html)


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        if name == "set-cookie":
            value = value.split("=", 1)[0] + "=…;" + value.split(";", 1)[1]  # the attributes, not the value
        if name not in ("date", "content-length"):
            out.setdefault(name, []).append(value)
    return out


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_kept_page_is_the_apps_page_with_tokens_of_its_own(site, encoding):
    from_app = get(site, **{"Accept-Encoding": encoding})
    assert answered(site) == 0
    first, second = get(site, **{"Accept-Encoding": encoding}), get(site, **{"Accept-Encoding": encoding})
    assert answered(site) == 2  # both from the page the app's answer left
    for response in (first, second):
        assert response.status_code == 200
        assert _headers(response) == _headers(from_app)  # the security headers, Vary, no-store, the cookies' attributes
        assert response.headers.get("content-encoding") == from_app.headers.get("content-encoding")
        assert _without_tokens(response.text) == _without_tokens(from_app.text)
        token, _ = _tokens(response.text)
        assert response.cookies["parley_csrf"] == token  # the form's token is the cookie's
        assert verified_guest_id(TEST_SECRET.encode(), response.cookies["parley_guest"]) is not None
    assert first.text.count('class="comment"') == 30
    # Each reader their own: tokens, keys and guest ids are minted per response.
    assert _tokens(first.text)[0] != _tokens(second.text)[0] and _tokens(first.text)[1] != _tokens(second.text)[1]
    assert first.cookies["parley_guest"] != second.cookies["parley_guest"]


def test_the_gzip_answer_is_one_whole_gzip_member(site):
    kept(site, **{"Accept-Encoding": "gzip"})
    with httpx.Client(base_url=site.url, timeout=10) as client, \
            client.stream("GET", PAGE, headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert int(r.headers["content-length"]) == len(raw)
    d = zlib.decompressobj(31)
    page = d.decompress(raw) + d.flush()
    assert d.eof and not d.unused_data and page.count(b'class="comment"') == 30


def test_a_reader_posts_with_the_tokens_of_a_kept_page(site):
    page = kept(site)
    token, key = _tokens(page.text)
    with httpx.Client(base_url=site.url, timeout=10, cookies=page.cookies) as reader:
        sent = reader.post(f"{PAGE}/comments", data={"author_name": "First-timer", "body": "My first comment here.",
                                                     "csrf_token": token, "idempotency_key": key})
        assert sent.status_code == 303, sent.text
        assert "My first comment here." in reader.get(PAGE).text
    assert "My first comment here." in get(site).text  # and the next first-time reader sees it


def test_every_change_ends_the_kept_page_at_once(store):
    # A minute's bound: only the wake-up after each commit can explain a fresh page.
    with _site(store, fast_page_ms=60_000) as live:
        kept(live)
        live.services.posting.post(Actor.guest(), NewComment(story_slug="s", author_name="Late", body="Just in."))
        assert "Just in." in get(live).text
        assert "Just in." in kept(live).text
        late = live.services.stories  # the story's own fields send a wake-up too
        late.update(SYSTEM, "s", {"title": "A story, updated"})
        assert "A story, updated" in get(live).text
        comment_id = int(re.search(r'id="c(\d+)"', kept(live).text).group(1))
        live.services.decisions.decide(SYSTEM, comment_id, "reject", reason="Off topic")
        assert f'id="c{comment_id}"' not in get(live).text


def test_a_change_that_sends_no_wake_up_shows_within_the_bound(sqlite_store):
    with _site(sqlite_store, fast_page_ms=1500) as live:
        kept(live)
        story = live.services.stories.get("s")
        story.title = "Changed behind its back"
        live.app.state.store.update_story(story)  # the store alone: no event, no wake-up
        assert "Changed behind its back" not in get(live).text  # kept, as documented...
        time.sleep(1.6)
        assert "Changed behind its back" in get(live).text  # ...for at most PARLEY_FAST_PAGE_MS


def test_a_resync_drops_every_kept_page(site):
    kept(site)
    site.app.state.first_visits.heard(RESYNC, 0)
    before = answered(site)
    get(site)
    assert answered(site) == before


@pytest.mark.parametrize("headers", [
    {"Cookie": "parley_guest=x"},
    {"Authorization": "Bearer nope"},
    {"X-Parley-Embed": "s.nope"},
    {"X-Something-New": "1"},
    {"Origin": "http://127.0.0.1"},
    {"If-None-Match": '"x"'},
], ids=["cookie", "token", "widget", "unknown header", "origin", "conditional"])
def test_anything_of_the_requesters_own_goes_to_the_app(site, headers):
    kept(site)
    before = answered(site)
    get(site, **headers)
    assert answered(site) == before


def test_other_addresses_methods_and_hosts_go_to_the_app(site):
    kept(site)
    before = answered(site)
    assert "Reader 29" in get(site, f"{PAGE}?sort=newest").text  # not kept yet: the app
    with httpx.Client(base_url=site.url, timeout=10) as client:
        assert client.head(PAGE).status_code == 200
    assert get(site, PAGE, Host="evil.example").status_code == 400  # HostCheck still refuses it
    assert answered(site) == before
    assert get(site, PAGE, Host="evil.example").status_code == 400  # ...every time: never kept


def test_a_writers_own_rejected_comment_is_theirs_alone(site):
    with httpx.Client(base_url=site.url, timeout=10) as writer:
        token, key = _tokens(writer.get(PAGE).text)
        sent = writer.post(f"{PAGE}/comments", data={"author_name": "W", "body": "Mine, and only mine.",
                                                     "csrf_token": token, "idempotency_key": key})
        assert sent.status_code == 303
        comment_id = int(re.search(r"#c(\d+)", sent.headers["location"]).group(1))
        site.services.decisions.decide(SYSTEM, comment_id, "reject", reason="Off topic")
        kept(site)
        before = answered(site)
        assert "Mine, and only mine." in writer.get(PAGE).text  # by their cookie, from the app
        assert answered(site) == before
    assert "Mine, and only mine." not in kept(site).text


# --- the protocol on a raw socket --------------------------------------------------------

def _request(path: str, *extra: str, version: str = "1.1") -> bytes:
    return "\r\n".join([f"GET {path} HTTP/{version}", "Host: 127.0.0.1", *extra, "", ""]).encode()


def _responses(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    """Read ``count`` whole responses (Content-Length framed) off ``sock``."""
    buffer, out = b"", []
    sock.settimeout(10)
    while len(out) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(out)} responses"
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers["content-length"])
        while len(buffer) < length:
            chunk = sock.recv(65536)
            assert chunk
            buffer += chunk
        out.append((int(lines[0].split()[1]), headers, buffer[:length]))
        buffer = buffer[length:]
    return out


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    return sock.recv(1) == b""


def test_pipelined_requests_are_answered_in_order(site):
    with socket.create_connection(("127.0.0.1", site.port)) as sock:
        sock.sendall(_request(PAGE))
        _responses(sock, 1)
    before = answered(site)
    with socket.create_connection(("127.0.0.1", site.port)) as sock:
        # In one write: a kept answer, the app's, then two that wait for the app's to finish.
        sock.sendall(_request(PAGE) + _request("/healthz") + _request(PAGE) + _request("/static/parley.css"))
        got = _responses(sock, 4)
        assert [status for status, _, _ in got] == [200, 200, 200, 200]
        assert b'class="comment"' in got[0][2] and got[1][2] == b'{"ok":true}' and b'class="comment"' in got[2][2]
        assert got[3][1]["content-type"].startswith("text/css")
        assert answered(site) == before + 1  # behind the app's answer, the page waited its turn in the app
        sock.sendall(_request(PAGE))  # and once the line is clear, kept answers again
        assert b'class="comment"' in _responses(sock, 1)[0][2]
    assert answered(site) == before + 2


def test_keep_alive_then_close_and_http_1_0(site):
    with socket.create_connection(("127.0.0.1", site.port)) as sock:  # no Accept-Encoding: the plain page
        sock.sendall(_request(PAGE))
        _responses(sock, 1)
    before = answered(site)
    with socket.create_connection(("127.0.0.1", site.port)) as sock:
        for _ in range(3):  # one connection, several kept answers
            sock.sendall(_request(PAGE))
            (status, headers, body), = _responses(sock, 1)
            assert status == 200 and "connection" not in headers and b'class="comment"' in body
        sock.sendall(_request(PAGE, "Connection: close"))
        (status, headers, _), = _responses(sock, 1)
        assert status == 200 and headers["connection"] == "close"
        assert _closed(sock)
    with socket.create_connection(("127.0.0.1", site.port)) as sock:
        sock.sendall(_request(PAGE, version="1.0"))
        (status, headers, _), = _responses(sock, 1)
        assert status == 200 and headers["connection"] == "close"
        assert _closed(sock)
    assert answered(site) == before + 5


def test_off_when_the_bound_is_zero(sqlite_store):
    with _site(sqlite_store, fast_page_ms=0) as live:
        for _ in range(3):
            assert get(live).status_code == 200
        assert answered(live) == 0


def test_a_comment_through_another_instance_ends_the_kept_page(postgres_url, redis_prefix):  # noqa: F811
    """Two instances on one PostgreSQL, their wake-ups through the real Redis."""
    redis_client()  # starts Redis when it does not answer
    from parley.store import open_store

    stores = [open_store(postgres_url) for _ in range(2)]
    stores[0].migrate()
    shared = {"fast_page_ms": 60_000, "redis_url": REDIS_URL, "redis_prefix": redis_prefix}
    try:
        with _site(stores[0], **shared) as a, serve(stores[1], **shared) as b:
            kept(b)
            a.services.posting.post(Actor.guest(), NewComment(story_slug="s", author_name="Elsewhere",
                                                              body="Posted through the other instance."))
            deadline = time.monotonic() + 5  # the wake-up crosses Redis: soon, not at once
            while "Posted through the other instance." not in get(b).text:
                assert time.monotonic() < deadline, "instance B kept answering the old page"
                time.sleep(0.05)
    finally:
        for s in stores:
            s.close()
