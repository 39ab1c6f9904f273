"""parley.web.cookies writes the same Set-Cookie bytes Starlette's set_cookie does."""

from __future__ import annotations

import secrets

import pytest
from starlette.responses import Response

from parley.web.auth import GUEST_COOKIE, GUEST_COOKIE_DAYS
from parley.web.cookies import set_cookie
from parley.web.security import CSRF_COOKIE


@pytest.mark.parametrize("secure", [True, False])
@pytest.mark.parametrize(("name", "value", "max_age"), [
    (GUEST_COOKIE, f"{secrets.token_urlsafe(16)}.{secrets.token_hex(16)}", GUEST_COOKIE_DAYS * 86400),
    (CSRF_COOKIE, f"{secrets.token_urlsafe(32)}.{secrets.token_hex(16)}", 30 * 86400),
    ("odd", 'needs "quoting"; yes', 60),  # not a token of ours: left to http.cookies
], ids=["guest", "csrf", "needs-quoting"])  # named, not by their random values: the same ids in every run
def test_same_header_as_starlette(name, value, max_age, secure):
    theirs, ours = Response(b""), Response(b"")
    theirs.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure)
    set_cookie(ours, name, value, max_age=max_age, secure=secure)
    assert ours.raw_headers == theirs.raw_headers
    assert ours.headers.getlist("set-cookie") == theirs.headers.getlist("set-cookie")
