"""How a request becomes an ``Actor``; what it may do is the service's to decide.

In this order:

1. ``Authorization: Bearer <token>``: the API token's actor. A token that is unknown or
   revoked (or a header that is not Bearer) is a 401, never quietly a guest: a script
   whose token was revoked must hear so.
2. ``X-Parley-Embed: <token>`` (the embed's widget, which cannot use cookies inside another
   site's page; see ``parley.web.embed_tokens``): a guest token's guest, or a signed-in
   session's account. Cookies are not read. A token that does not verify, or a session
   that has ended, is a 401; an Origin that is not in PARLEY_ALLOWED_ORIGINS is a 403.
   No page can add the header without a CORS preflight, which only those origins pass:
   that is the CSRF defence, so the same-site check does not apply.
3. The session cookie ``parley_session``: the signed-in account. An expired or revoked
   session, or a disabled account, reads as no cookie.
4. A guest, known by the signed cookie ``parley_guest`` (a random id and its HMAC under
   the server's key) when it verifies; a cookie that does not is ignored. Handlers that
   let a guest write call ``ensure_guest_cookie`` on their response, so that the guest
   sees their own held comment after a reload and in a new tab, and no other browser does.

Nothing here looks at the client's address to decide anything: loopback and
X-Forwarded-For gain nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from parley.domain import Actor, Role
from parley.errors import Forbidden, Unauthenticated
from parley.web.cookies import set_cookie
from parley.web.embed_tokens import read_form_token, read_widget_token, widget_session_id
from parley.web.origins import is_allowed
from parley.web.security import CSRF_FIELD, client_addr

SESSION_COOKIE = "parley_session"
GUEST_COOKIE = "parley_guest"
GUEST_COOKIE_DAYS = 365
_GUEST_ID_BYTES = 16  # 22 characters, urlsafe base64
_GUEST_MAC_CHARS = 32  # 128 bits of HMAC-SHA256, hex


async def actor_of(request: Request) -> Actor:
    """Who is acting in this request (worked out once, then kept on ``request.state``)."""
    actor = getattr(request.state, "actor", None)
    if actor is not None:
        return actor
    accounts = request.app.state.services.accounts
    addr = client_addr(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("send an API token as Authorization: Bearer <token>", field="authorization")
        actor = await run_in_threadpool(accounts.actor_for_token, secret.strip(), addr)
        if actor is None:
            raise Unauthenticated("this API token is not valid: it is unknown or was revoked",
                                  field="authorization")
    elif EMBED_HEADER in request.headers:
        actor = await _embed_actor(request, request.headers[EMBED_HEADER], addr)
    else:
        if request.method not in _SAFE_METHODS:
            same_site_only(request)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            actor = await run_in_threadpool(accounts.actor_for_session, session_id, addr)
        if actor is None:
            key = _guest_key(request)
            actor = Actor.guest(guest_key=key, client_addr=addr,
                                recognised=not getattr(request.state, "new_guest_cookie", False))
    request.state.actor = actor
    return actor


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EMBED_HEADER = "x-parley-embed"


async def _embed_actor(request: Request, token: str, addr: str) -> Actor:
    origin = request.headers.get("origin")
    if origin is not None and not is_allowed(request.app.state.config, origin):
        raise Forbidden("this site may not embed Parley's comments", field="origin")
    found = read_widget_token(request.app.state.secret, token)
    actor = None
    if found is not None and found[0] == "guest":
        actor = Actor.guest(guest_key=found[1], client_addr=addr)
    elif found is not None:
        session_id = widget_session_id(request.app.state.secret, found[1])
        actor = await run_in_threadpool(request.app.state.services.accounts.actor_for_session, session_id, addr)
    if actor is None:
        raise Unauthenticated("this embed token is not valid (or its sign-in has ended); get a new one",
                              field="x-parley-embed")
    return widget_actor(actor)


#: The most a widget's token may do. The token lives in the publisher's page, where any of
#: its scripts (ads, tag managers) can read it: staff write with their badge and pick
#: comments there, but moderating and administering happen on Parley's own pages.
WIDGET_ROLE_CAP = Role.STAFF


def widget_actor(actor: Actor) -> Actor:
    """``actor`` as the widget may act: its role capped at ``WIDGET_ROLE_CAP``."""
    if actor.role.rank > WIDGET_ROLE_CAP.rank:
        return dataclasses.replace(actor, role=WIDGET_ROLE_CAP)
    return actor


def frame_actor(request: Request, slug: str, form_token: str | None) -> Actor:
    """The writer of a form posted from the embed's no-JavaScript iframe, where no cookie
    reaches: the guest whose id its form token carries, when the token was issued for this
    story and is fresh, and the post comes from the frame's own page (same origin, which
    the iframe is even inside another site), never from another site's."""
    guest_id = read_form_token(request.app.state.secret, slug, form_token)
    if guest_id is None:
        raise Forbidden("the form has expired; reload the page and send it again", field=CSRF_FIELD)
    same_site_only(request)
    actor = Actor.guest(guest_key=guest_id, client_addr=client_addr(request))
    request.state.actor = actor
    return actor


def same_site_only(request: Request) -> None:
    """Cookies act only for this site's own pages: a change sent from another site's page
    (which the browser would send with the reader's cookies) is refused, whatever the
    form's CSRF token or the JSON's content type. Bearer tokens need no such check: a
    page elsewhere cannot add the header without asking first (CORS)."""
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site") or (
            origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host", ""))):
        raise Forbidden("this does not take requests from other sites", field="origin")


def _guest_key(request: Request) -> str:
    """The guest's id from a cookie that verifies; else a new one, which
    ``ensure_guest_cookie`` will set, so that what this request writes stays theirs."""
    key = getattr(request.state, "guest_key", None)
    if key is None:
        key = verified_guest_id(request.app.state.secret, request.cookies.get(GUEST_COOKIE, ""))
        if key is None:
            key = new_guest_id()
            request.state.new_guest_cookie = True
        request.state.guest_key = key
    return key


def ensure_guest_cookie(request: Request, response: Response) -> None:
    """Set the guest cookie (a year, HttpOnly, SameSite=Lax) unless the browser has a good one."""
    key = _guest_key(request)
    if getattr(request.state, "new_guest_cookie", False):
        set_cookie(response, GUEST_COOKIE, guest_cookie_value(request.app.state.secret, key),
                   max_age=GUEST_COOKIE_DAYS * 86400, secure=bool(request.app.state.config.secure_cookies))
        request.state.new_guest_cookie = False


def new_guest_id() -> str:
    return secrets.token_urlsafe(_GUEST_ID_BYTES)


def guest_cookie_value(secret: bytes, guest_id: str) -> str:
    return f"{guest_id}.{_guest_mac(secret, guest_id)}"


def verified_guest_id(secret: bytes, cookie: str) -> str | None:
    """The id in a ``parley_guest`` cookie value, if its MAC verifies under ``secret``."""
    guest_id, dot, mac = cookie.partition(".")
    if not dot or len(guest_id) != 22 or len(mac) != _GUEST_MAC_CHARS:
        return None
    if not hmac.compare_digest(mac.encode(), _guest_mac(secret, guest_id).encode()):
        return None
    return guest_id


def _guest_mac(secret: bytes, guest_id: str) -> str:
    # "guest:" keeps these MACs apart from anything else signed with the same key.
    return hmac.new(secret, b"guest:" + guest_id.encode(), hashlib.sha256).hexdigest()[:_GUEST_MAC_CHARS]


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    """The signed-in browser's cookie: HttpOnly, SameSite=Lax, Secure per PARLEY_SECURE_COOKIES,
    for as long as the session lasts (PARLEY_SESSION_DAYS)."""
    config = request.app.state.config
    response.set_cookie(SESSION_COOKIE, session_id, max_age=config.session_days * 86400, path="/", httponly=True,
                        samesite="lax", secure=bool(config.secure_cookies))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=bool(request.app.state.config.secure_cookies))
