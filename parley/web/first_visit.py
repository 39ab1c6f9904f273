"""A story page as a first-time reader gets it (no cookies), answered before the app runs.

Most reads of a busy story are by readers with nothing of their own on the page: no
session, no held comment, only the form's tokens. ``pages.story_page`` already joins
their page from cached bytes, yet under uvicorn it cost about 260 µs, most of it the
ASGI machinery around the join (the scope, the task, Starlette's routing and
middleware), which held one core to ~3,800 pages a second (docs/performance.md).

So the page such a reader got is kept whole: the frame and the thread it was joined
from (the app's own cached objects) and the response headers as they left the app, the
security headers included. ``parley.web.protocol`` answers the next such request for the
same address straight from it, with the reader's own values minted fresh as the app
mints them (a CSRF token in the form and its cookie, a guest cookie, an idempotency key).

An answer is given only while the page is current:
- it was made in this minute (its relative times read "N minutes ago");
- no wake-up has told of a newer revision of its story. Every comment change on any
  instance sends one after commit (``parley.web.live`` through ``parley.bus``), and a
  page made from a revision read before that commit is not kept;
- it is younger than ``PARLEY_FAST_PAGE_MS``: the bound when a wake-up is lost (Redis
  pub/sub is at most once) or a change sends none (a story's title edited).
Anything else in the request that the page might depend on (a cookie, a token, an
unknown header) sends it through the app, as before.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import threading
import time
from collections.abc import Callable, Sequence

from markupsafe import escape
from starlette.concurrency import run_in_threadpool

from parley.bus import RESYNC, Broker
from parley.web.auth import GUEST_COOKIE, GUEST_COOKIE_DAYS, guest_cookie_value, new_guest_id
from parley.web.cache import Rendered
from parley.web.cookies import cookie_header
from parley.web.frame import Frame
from parley.web.responses import accepts_gzip
from parley.web.security import CSRF_COOKIE, CSRF_COOKIE_SECONDS, new_csrf_token

#: Where ``story_page`` leaves what a first-time reader's page was joined from.
RECIPE = "parley.first_visit"

# Request headers that cannot change a reader page's bytes: a request carrying any header
# outside these and KEYED goes through the app. (The page reads none of them; the app
# reads Sec-Fetch-* and Origin only on writes.)
_IGNORED = frozenset({
    b"user-agent", b"accept", b"accept-language", b"connection", b"cache-control", b"pragma",
    b"upgrade-insecure-requests", b"dnt", b"referer", b"priority", b"te", b"sec-gpc",
    b"sec-ch-ua", b"sec-ch-ua-mobile", b"sec-ch-ua-platform",
    b"sec-fetch-site", b"sec-fetch-mode", b"sec-fetch-dest", b"sec-fetch-user",
    b"x-forwarded-for", b"x-real-ip",
})
# Headers that may: part of the key, so a page is only ever answered to the same values.
_KEYED = frozenset({b"host", b"accept-encoding", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"})

Key = tuple[bytes, bool, tuple[tuple[bytes, bytes], ...]]


def request_key(target: bytes, headers: Sequence[tuple[bytes, bytes]]) -> Key | None:
    """What a request for ``target`` is answered by, if only the page's address and keyed
    headers can matter to it; None when anything else comes with it (lower-case names)."""
    keyed = []
    gzip = False
    for name, value in headers:
        if name in _KEYED:
            keyed.append((name, value))
            if name == b"accept-encoding":
                gzip = _takes_gzip(value)
        elif name not in _IGNORED:
            return None
    keyed.sort()
    names = [name for name, _ in keyed]
    if b"host" not in names or len(set(names)) != len(names):  # a repeated header: let the app decide
        return None
    return target, gzip, tuple(keyed)


@functools.lru_cache(maxsize=64)  # browsers send a handful of distinct values
def _takes_gzip(accept_encoding: bytes) -> bool:
    return accepts_gzip(accept_encoding.decode("latin-1"))


def target_of(scope) -> bytes:
    """The request target as the client sent it (path and query), as the protocol sees it."""
    raw = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    return raw + b"?" + query if query else raw


def minute() -> int:
    """The minute a page's relative times were worked out in (``pages`` keys its cache by it)."""
    return int(time.time()) // 60


def reader_values(thread: Rendered, csrf_token: str, idempotency_key: str) -> dict:
    """The values a page frame is filled with for a reader with nothing of their own.
    (A CSRF token from a cookie is used only once its MAC verifies, so it is URL-safe;
    it is escaped all the same, being the reader's to send.)"""
    return {"thread": thread, "csrf_token": str(escape(csrf_token)).encode(),
            "idempotency_key": idempotency_key.encode()}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What ``story_page`` joined a first-time reader's page from."""
    story_id: int
    revision: int
    minute: int
    frame: Frame
    thread: Rendered
    gzipped: bool


@dataclasses.dataclass(frozen=True)
class _Kept:
    recipe: Recipe
    head: bytes  # the app's response headers, less those made per response
    started: float  # when the request that made it began (before its revision was read)


# Made per response here (cookies, length) or by uvicorn (date, server).
_PER_RESPONSE = frozenset({b"set-cookie", b"content-length", b"date", b"server", b"connection"})


class FirstVisitPages:
    """The kept pages, and the answers made from them.

    ``keep`` and ``answer`` run on the event loop; ``heard`` in any thread (the broker's)."""

    def __init__(self, secret: bytes, *, secure_cookies: bool, max_age_ms: int, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.secret = secret
        self.secure = secure_cookies
        self.max_age = max_age_ms / 1000
        self.max_entries = max_entries
        self.clock = clock
        self.answered = 0  # answers given, for tests and benchmarks
        self._kept: dict[Key, _Kept] = {}
        self._revisions: dict[int, int] = {}  # the newest revision heard of, per story
        self._resync_at = float("inf")  # nothing is kept until the wake-ups are heard
        self._lock = threading.Lock()
        self._csrf_cookie = _CookieHeader(CSRF_COOKIE, CSRF_COOKIE_SECONDS, secure_cookies)
        self._guest_cookie = _CookieHeader(GUEST_COOKIE, GUEST_COOKIE_DAYS * 86400, secure_cookies)

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    @property
    def listening(self) -> bool:
        return self._resync_at != float("inf")

    # --- wake-ups (any thread) --------------------------------------------------------
    def listen(self, broker: Broker) -> None:
        """Hear the broker's wake-ups from now on (once; Redis's listener blocks briefly)."""
        with self._lock:
            if not self.listening:
                broker.listen(self.heard)
                self._resync_at = self.clock()  # pages whose requests began before are not kept

    def heard(self, topic: str, value: int) -> None:
        if topic == RESYNC:  # anything may have changed, and wake-ups may have been lost
            self._resync_at = self.clock()
            self._kept = {}
        elif topic.startswith("story:"):
            story_id = int(topic.removeprefix("story:"))
            with self._lock:  # two threads telling of revisions 6 and 7 must leave 7
                if value > self._revisions.get(story_id, 0):
                    self._revisions[story_id] = value

    # --- the event loop ---------------------------------------------------------------
    def keep(self, key: Key, recipe: Recipe, headers: Sequence[tuple[bytes, bytes]], started: float) -> None:
        if started <= self._resync_at or recipe.revision < self._revisions.get(recipe.story_id, 0):
            return  # a wake-up may have come between reading the revision and now
        if len(self._kept) >= self.max_entries and key not in self._kept:
            self._kept = {}  # many addresses (query strings): start again rather than track use
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers if name not in _PER_RESPONSE)
        self._kept[key] = _Kept(recipe, head, started)

    def answer(self, target: bytes, headers: Sequence[tuple[bytes, bytes]], *, keep_alive: bool,
               server_headers: bytes) -> bytes | None:
        """The whole HTTP response for this request from a kept page, or None: ask the app.
        ``server_headers``: uvicorn's own (date, server), formatted."""
        if not self._kept:
            return None
        key = request_key(target, headers)
        kept = self._kept.get(key) if key is not None else None
        if kept is None:
            return None
        recipe = kept.recipe
        if (self.clock() - kept.started > self.max_age or kept.started <= self._resync_at
                or recipe.revision < self._revisions.get(recipe.story_id, 0) or recipe.minute != minute()):
            self._kept.pop(key, None)
            return None
        token = new_csrf_token(self.secret)
        values = reader_values(recipe.thread, token, secrets.token_urlsafe(16))
        body = recipe.frame.gzipped(values) if recipe.gzipped else recipe.frame.body(values)
        self.answered += 1
        return b"".join((
            b"HTTP/1.1 200 OK\r\n", server_headers, kept.head,
            b"content-length: ", str(len(body)).encode(), b"\r\n",
            self._csrf_cookie.line(token),
            self._guest_cookie.line(guest_cookie_value(self.secret, new_guest_id())),
            b"" if keep_alive else b"connection: close\r\n",
            b"\r\n", body))


class _CookieHeader:
    """A Set-Cookie header line as ``cookies.cookie_header`` writes it, for any value that
    needs no quoting (Parley's tokens: URL-safe base64 and hex), without its checks."""

    def __init__(self, name: str, max_age: int, secure: bool) -> None:
        empty = cookie_header(name, "", max_age=max_age, secure=secure)
        assert empty is not None
        cut = len(name) + 1
        self.head, self.tail = b"set-cookie: " + empty[:cut], empty[cut:] + b"\r\n"

    def line(self, value: str) -> bytes:
        return self.head + value.encode() + self.tail


class RememberFirstVisits:
    """Outermost ASGI middleware: keeps a first-time reader's page as it left the app."""

    def __init__(self, app, *, pages: FirstVisitPages, broker: Broker) -> None:
        self.app = app
        self.pages = pages
        self.broker = broker

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.pages.enabled:
            await self.app(scope, receive, send)
            return
        key = request_key(target_of(scope), scope["headers"])
        if key is None:
            await self.app(scope, receive, send)
            return
        if not self.pages.listening:
            await run_in_threadpool(self.pages.listen, self.broker)
        started = self.pages.clock()
        sent: list = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                sent.append(message)
            await send(message)

        await self.app(scope, receive, capture)
        recipe = scope.get(RECIPE)
        if recipe is not None and sent and sent[0]["status"] == 200:
            self.pages.keep(key, recipe, sent[0].get("headers", []), started)
