"""Who may do what over HTTP: CSRF for the reader's forms, a token for story management."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from parley.errors import Forbidden

CSRF_COOKIE = "parley_csrf"
CSRF_FIELD = "csrf_token"


def client_addr(request: Request) -> str:
    return request.client.host if request.client else ""


def csrf_token(request: Request) -> tuple[str, bool]:
    """The reader's CSRF token, and whether it is new (and needs setting as a cookie).

    Double-submit: the same random value rides in a SameSite cookie and in the form,
    and a cross-site page can read neither to copy it."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) == 43:
        return token, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure,
                        max_age=30 * 86400, path="/")


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not submitted or not hmac.compare_digest(cookie, str(submitted)):
        raise Forbidden("the form has expired; reload the page and send it again", field=CSRF_FIELD)


def require_admin(request: Request, admin_token: str, *, what: str = "story management") -> None:
    """Story management and moderation need the admin token; with none configured, only
    loopback. Either way a browser request from another site is refused: a page elsewhere
    must not steer a newsroom's browser into managing stories. ``what`` names the task in
    the refusal."""
    origin = request.headers.get("origin")
    if (request.headers.get("sec-fetch-site") in ("cross-site", "same-site")
            or (origin and urlsplit(origin).netloc != request.headers.get("host", ""))):
        raise Forbidden(f"{what} does not take requests from other sites", field="origin")
    if admin_token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), admin_token.encode()):
            raise Forbidden(f"{what} needs Authorization: Bearer <PARLEY_ADMIN_TOKEN>",
                            field="authorization")
        return
    try:
        if ipaddress.ip_address(client_addr(request)).is_loopback:
            return
    except ValueError:
        pass
    raise Forbidden(f"{what} is open to loopback only until PARLEY_ADMIN_TOKEN is set",
                    field="authorization")


# No inline script or style anywhere in Parley's pages, so a policy this strict costs
# nothing and stops an injected <script> even if the sanitiser were ever wrong.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
_SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class SecurityHeaders:
    """Adds the headers above to every response (plain ASGI: no per-request task)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
