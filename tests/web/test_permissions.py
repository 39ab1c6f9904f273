"""Every route, tried as every role: a route that declares no permission fails the test,
and a declared permission is what the route really enforces (a role without it is
refused with 401 or 403, a role with it never is). Loopback and X-Forwarded-For gain
nothing, and every form checks its CSRF token."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Mount

from parley.domain import ROLE_PERMISSIONS, Actor, Role
from parley.service import NewComment
from parley.web.routing import PUBLIC, declared
from tests.conftest import serve

ROLES = (Role.GUEST, Role.COMMENTER, Role.STAFF, Role.MODERATOR, Role.ADMIN)
SYSTEM = Actor.system("tests")


def _routes(app):
    for r in app.routes:
        if isinstance(r, Mount):
            continue
        yield r


@pytest.fixture
def live(store):
    with serve(store) as server:
        services = server.app.state.services
        services.stories.create(SYSTEM, {"slug": "s", "title": "A story"})
        posted = services.posting.post(Actor.guest(guest_key="writer"), NewComment("s", "Ann", "A first comment."))
        tokens = {}
        for role in ROLES[1:]:
            _, secret = services.accounts.create_token(SYSTEM, name=f"t-{role.value}", role=role)
            tokens[role] = secret
        yield server, posted.comment.id, tokens


def test_every_route_declares_a_permission(live):
    server, _, _ = live
    missing = [f"{sorted(r.methods or [])} {r.path}" for r in _routes(server.app) if declared(r) is None]
    assert missing == [], f"routes that declare no permission: {missing}"


def _path(path: str, comment_id: int) -> str:
    values = {"slug": "s", "comment_id": str(comment_id), "name": "no-such-name", "token": "no-such-token"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "999999"), path)


def _csrf(client: httpx.Client) -> str:
    page = client.get("/stories/s")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _call(client: httpx.Client, method: str, path: str, headers: dict, csrf: str) -> httpx.Response:
    headers = {**headers, "Accept": "application/json"}  # errors in the JSON shape, naming their field
    if method in ("GET", "HEAD"):
        return client.request(method, path, headers=headers)
    if path.startswith(("/api/", "/v1alpha1/")):
        return client.request(method, path, headers=headers, json={})
    return client.request(method, path, headers=headers, data={"csrf_token": csrf})


def _field(answer: httpx.Response) -> str | None:
    """The field an error names; the Perspective endpoints answer in Google's shape, whose
    refusals of the caller are PERMISSION_DENIED on the key (the caller's credential)."""
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    if error.get("status") == "PERMISSION_DENIED":
        return "authorization"
    return error.get("field")


def test_each_route_refuses_exactly_the_roles_without_its_permission(live):
    server, comment_id, tokens = live
    wrong = []
    for role in ROLES:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            csrf = _csrf(client)
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
            for r in _routes(server.app):
                permission = declared(r)
                for method in sorted((r.methods or {"GET"}) - {"HEAD"}):
                    answer = _call(client, method, _path(r.path, comment_id), headers, csrf)
                    # Refused for the role (or for want of one), not for another rule such as
                    # "this is not your comment": role refusals name the field authorization.
                    refused = answer.status_code in (401, 403) and _field(answer) == "authorization"
                    allowed = permission == PUBLIC or permission in ROLE_PERMISSIONS[role]
                    if allowed == refused:
                        wrong.append(f"{role.value} {method} {r.path} ({permission}): {answer.status_code} "
                                     f"{answer.text[:160]}")
    assert wrong == []


def test_loopback_and_forwarded_addresses_gain_nothing(live):
    server, comment_id, _ = live
    spoofs = [{}, {"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "127.0.0.1, 203.0.113.5"},
              {"X-Real-IP": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for headers in spoofs:
            made = client.post("/api/v1/stories", json={"slug": "new-one", "title": "T"}, headers=headers)
            assert made.status_code in (401, 403), (headers, made.text)
            queue = client.get("/api/v1/admin/queue", headers=headers)
            assert queue.status_code in (401, 403), (headers, queue.text)
            staff = client.post("/api/v1/stories/s/comments", headers=headers,
                                json={"author_name": "Editor", "body": "Hello", "staff": True})
            assert staff.status_code in (401, 403), (headers, staff.text)
    assert server.app.state.services.stories.store.get_story("new-one") is None


def test_every_form_checks_its_csrf_token(live):
    server, comment_id, tokens = live
    forms = [r for r in _routes(server.app) if "POST" in (r.methods or ()) and not r.path.startswith(("/api/", "/v1"))]
    assert forms, "the app has forms"
    unguarded = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.get("/stories/s")  # a CSRF cookie of our own, but the forms below send no token
        for r in forms:
            for token in (None, "a" * 43):
                data = {"probe": "1"} if token is None else {"probe": "1", "csrf_token": token}
                answer = client.post(_path(r.path, comment_id), data=data,
                                     headers={"Authorization": f"Bearer {tokens[Role.ADMIN]}",
                                              "Accept": "application/json"})
                if answer.status_code != 403 or _field(answer) != "csrf_token":
                    unguarded.append(f"{r.path} with {token!r}: {answer.status_code} {answer.text[:120]}")
    assert unguarded == []
