"""The tokens the embed uses instead of cookies, which a browser blocks inside another
site's page.

- The widget's token, sent as ``X-Parley-Embed`` (never a cookie): ``g.<id>.<mac>`` for a
  guest (a random id and its HMAC under the server's key, minted by
  ``POST /api/v1/embed/token``), or ``s.<widget id>`` for a reader who signed in through
  the widget (a session of its own under an id derived from the widget id, revoked the
  same ways as the cookie's; see ``new_session_token``). The widget keeps it in
  memory and in the host page's localStorage.
- The no-JavaScript iframe's form token, in the form's ``csrf_token`` field:
  ``<issued>.<id>.<mac>``, bound to one story and good for ``FORM_TOKEN_SECONDS``. It is
  the CSRF token (a forged form cannot read one out of the frame) and it carries the
  guest's id, so a writer keeps one identity from the page to its POST.

Each MAC has a purpose prefix of its own, so that no token of one kind verifies as another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

_ID_BYTES = 16  # 22 characters, urlsafe base64
_ID_CHARS = 22
_MAC_CHARS = 32  # 128 bits of HMAC-SHA256, hex
_SESSION_CHARS = (16, 128)
FORM_TOKEN_SECONDS = 2 * 3600


def _mac(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:_MAC_CHARS]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_guest_token(secret: bytes) -> str:
    guest_id = secrets.token_urlsafe(_ID_BYTES)
    return f"g.{guest_id}.{_mac(secret, 'embed-guest', guest_id)}"


def new_session_token() -> str:
    """A signed-in widget's token: ``s.<widget id>``. The session itself is opened under
    ``widget_session_id`` of that id, so the token read out of the host page's storage is
    not a session cookie: set as ``parley_session`` on Parley's own site it is nobody."""
    return f"s.{secrets.token_urlsafe(32)}"


def widget_session_id(secret: bytes, widget_id: str) -> str:
    """The session id a widget id stands for (only the server, holding the key, can say)."""
    return hmac.new(secret, f"embed-session:{widget_id}".encode(), hashlib.sha256).hexdigest()


def read_widget_token(secret: bytes, token: str) -> tuple[str, str] | None:
    """``("guest", id)`` or ``("session", widget id)`` for a well-formed token whose MAC
    (for a guest) verifies; None for anything else. A session still has to be looked up,
    under ``widget_session_id`` of the widget id."""
    kind, dot, rest = token.strip().partition(".")
    if not dot:
        return None
    if kind == "g":
        guest_id, dot, mac = rest.partition(".")
        if dot and len(guest_id) == _ID_CHARS and len(mac) == _MAC_CHARS \
                and _same(mac, _mac(secret, "embed-guest", guest_id)):
            return "guest", guest_id
        return None
    if kind == "s" and _SESSION_CHARS[0] <= len(rest) <= _SESSION_CHARS[1]:
        return "session", rest
    return None


def new_form_token(secret: bytes, slug: str, guest_id: str | None = None, now: float | None = None) -> str:
    """A form token for ``slug``: a new guest id unless the frame already has one."""
    issued = str(int(time.time() if now is None else now))
    guest_id = guest_id or secrets.token_urlsafe(_ID_BYTES)
    return f"{issued}.{guest_id}.{_mac(secret, 'embed-form', f'{slug}|{issued}|{guest_id}')}"


def read_form_token(secret: bytes, slug: str, token: str | None, now: float | None = None) -> str | None:
    """The guest id in a form token issued for ``slug`` within ``FORM_TOKEN_SECONDS``; None otherwise."""
    if not isinstance(token, str):
        return None
    issued, dot, rest = token.partition(".")
    guest_id, dot2, mac = rest.partition(".")
    if not (dot and dot2 and issued.isdigit() and len(guest_id) == _ID_CHARS and len(mac) == _MAC_CHARS):
        return None
    if not _same(mac, _mac(secret, "embed-form", f"{slug}|{issued}|{guest_id}")):
        return None
    age = (time.time() if now is None else now) - int(issued)
    return guest_id if -60 <= age <= FORM_TOKEN_SECONDS else None  # a minute's skew between instances
