"""Acting in a role in the web tests, the way a client of a live server does: with an API
token of that role (``Authorization: Bearer``), or signed in to an account of that role
(the session cookie). Tokens and accounts are made through the server's own accounts
service, as ``parley token create`` and ``parley user create`` make them."""

from __future__ import annotations

import uuid

import httpx

from parley.domain import Actor, Role
from parley.web.auth import SESSION_COOKIE

SYSTEM = Actor.system("tests")
PASSWORD = "a long passphrase for the web tests"


def token(server, role: Role) -> str:
    """The secret of a new API token acting with ``role`` on ``server`` (a LiveServer)."""
    _, secret = server.services.accounts.create_token(SYSTEM, name=f"{role.value}-{uuid.uuid4().hex[:8]}",
                                                      role=role)
    return secret


def bearer(server, role: Role) -> dict[str, str]:
    """Headers that act with a new API token of ``role``."""
    return {"Authorization": f"Bearer {token(server, role)}"}


def client(server, role: Role | None = None, *, timeout: float = 30) -> httpx.Client:
    """An HTTP client of ``server``: with a new API token of ``role``, or a guest when None."""
    return httpx.Client(base_url=server.url, timeout=timeout, headers=bearer(server, role) if role else None)


def session(server, role: Role, name: str | None = None) -> str:
    """The session id of a new account in ``role``, signed in: the ``parley_session``
    cookie a browser of that account sends with every request, whichever site asked."""
    accounts = server.services.accounts
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    accounts.create_account(SYSTEM, email=email, password=PASSWORD, role=role,
                            display_name=name or role.value.title())
    _, session_id = accounts.login(email=email, password=PASSWORD, client_addr="127.0.0.1")
    return session_id


def signed_in(server, role: Role, *, timeout: float = 30) -> httpx.Client:
    """An HTTP client of ``server`` signed in to a new account in ``role`` (no token)."""
    http = httpx.Client(base_url=server.url, timeout=timeout)
    http.cookies.set(SESSION_COOKIE, session(server, role))
    return http
