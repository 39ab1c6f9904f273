"""Set-Cookie headers for Parley's own cookies, written directly.

Starlette's ``Response.set_cookie`` builds each header through ``http.cookies`` (about
40 µs a cookie), and a reader's first page sets two (guest and CSRF): most of what a
cookie-less request (a first visit, or wrk) cost beyond the cached page itself. Parley's
cookie values are its own URL-safe tokens, which need no quoting, so the header is the
same bytes ``set_cookie`` writes, attributes in its order; a value that would need
quoting goes through ``set_cookie`` as before.
"""

from __future__ import annotations

import re

from starlette.responses import Response

_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-]*")


def set_cookie(response: Response, name: str, value: str, *, max_age: int, secure: bool,
               path: str = "/") -> None:
    """``response.set_cookie(name, value, max_age=..., path=..., httponly=True,
    samesite="lax", secure=...)``, the same header, without http.cookies."""
    header = cookie_header(name, value, max_age=max_age, secure=secure, path=path)
    if header is None:
        response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax", secure=secure)
        return
    response.raw_headers.append((b"set-cookie", header))


def cookie_header(name: str, value: str, *, max_age: int, secure: bool, path: str = "/") -> bytes | None:
    """The Set-Cookie header's value for a cookie that needs no quoting, else None."""
    if not _PLAIN_VALUE.fullmatch(value) or not _PLAIN_VALUE.fullmatch(name):
        return None
    header = f"{name}={value}; HttpOnly; Max-Age={int(max_age)}; Path={path}; SameSite=lax"
    if secure:
        header += "; Secure"
    return header.encode("latin-1")
