"""The JSON API over real HTTP, on both stores."""

from __future__ import annotations

import re

import httpx
import pytest

from parley.domain import Role
from parley.web.openapi import OPENAPI
from parley.web.routing import PUBLIC, declared
from tests.conftest import serve
from tests.web import roles

STORY = {"slug": "blinken-paris", "title": "Blinken in Paris", "body": "One.\n\nTwo.",
         "published_at": "2024-04-02T08:00:00Z", "credit": "AFP", "url": "https://news.example/blinken"}


@pytest.fixture
def http(server):
    """A reader's client: a guest, with no token."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def staff(server):
    """The newsroom's client: an API token with the staff role, which manages stories."""
    with roles.client(server, Role.STAFF, timeout=10) as client:
        yield client


@pytest.fixture
def story(staff):
    r = staff.post("/api/v1/stories", json=STORY)
    assert r.status_code == 201, r.text
    return r.json()


def _post(http, body="Hello", name="Ann", **kw):
    return http.post(f"/api/v1/stories/{STORY['slug']}/comments", json={"author_name": name, "body": body, **kw})


def _count(http) -> int:
    return http.get(f"/api/v1/stories/{STORY['slug']}").json()["comment_count"]


def test_create_and_get_story(http, staff, story):
    assert story["slug"] == STORY["slug"] and story["comments_open"] is True
    got = http.get(f"/api/v1/stories/{STORY['slug']}").json()
    assert {k: got[k] for k in STORY} == STORY
    dup = staff.post("/api/v1/stories", json=STORY)
    assert dup.status_code == 409 and dup.json()["error"]["field"] == "slug"


def test_post_comment_returns_it_with_an_edit_token(http, story):
    r = _post(http, body="*Hi* <script>alert(1)</script>", spoiler=True, email="ann@example.org")
    assert r.status_code == 201
    c = r.json()
    assert set(c) >= {"id", "parent_id", "author", "created_at", "body_html", "state", "notices", "edit_token"}
    assert c["author"] == {"name": "Ann", "guest": True, "kind": "guest"}
    assert c["body_html"] == "<p><em>Hi</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    assert c["state"] == "folded" and c["notices"][0]["kind"] == "spoiler"
    assert "email" not in r.text.replace("edit_token", "")


def test_thread_is_flat_parents_first_with_cursor_pages(http, story):
    ids = [_post(http, body=f"root {i}").json()["id"] for i in range(3)]
    reply = _post(http, body="@Ann, yes", name="Bob", parent_id=ids[0]).json()
    deeper = _post(http, body="@Bob, no", parent_id=reply["id"]).json()
    r = http.get(f"/api/v1/stories/{STORY['slug']}/comments", params={"limit": 2})
    assert r.status_code == 200
    page = r.json()
    assert [c["id"] for c in page["comments"]] == [ids[0], reply["id"], deeper["id"], ids[1]]
    assert page["comments"][1]["parent_id"] == ids[0]
    nxt = http.get(f"/api/v1/stories/{STORY['slug']}/comments",
                   params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [c["id"] for c in nxt["comments"]] == [ids[2]] and nxt["next_cursor"] is None
    newest = http.get(f"/api/v1/stories/{STORY['slug']}/comments", params={"sort": "newest"}).json()
    assert [c["id"] for c in newest["comments"] if c["parent_id"] is None] == ids[::-1]
    most = http.get(f"/api/v1/stories/{STORY['slug']}/comments", params={"sort": "replies"}).json()
    assert most["comments"][0]["id"] == ids[0]


def test_thread_read_is_cached_until_the_thread_changes(http, story):
    _post(http)
    url = f"/api/v1/stories/{STORY['slug']}/comments"
    first = http.get(url)
    etag = first.headers["etag"]
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
    _post(http, body="new")
    second = http.get(url, headers={"If-None-Match": etag})
    assert second.status_code == 200 and len(second.json()["comments"]) == 2


def test_thread_read_is_gzipped_when_asked(store):
    # Moderation scores on, acts on nothing: the models read "xxxx..." as abuse, and this is about gzip.
    with serve(store, moderation_thresholds="{}") as server:
        assert httpx.post(f"{server.url}/api/v1/stories", json=STORY,
                          headers=roles.bearer(server, Role.STAFF)).status_code == 201
        _post_raw = httpx.post(f"{server.url}/api/v1/stories/{STORY['slug']}/comments",
                               json={"author_name": "A", "body": "x" * 2000})
        assert _post_raw.status_code == 201
        with httpx.Client() as client:
            r = client.get(f"{server.url}/api/v1/stories/{STORY['slug']}/comments",
                           headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        assert int(r.headers["content-length"]) < 1000
        assert r.json()["comments"][0]["body_html"].count("x") == 2000
        raw = httpx.get(f"{server.url}/api/v1/stories/{STORY['slug']}/comments",
                        headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers
        assert raw.json() == r.json()


@pytest.mark.parametrize("payload, status, field", [
    ({"author_name": "", "body": "x"}, 422, "author_name"),
    ({"author_name": "x" * 51, "body": "x"}, 422, "author_name"),
    ({"author_name": "A", "body": "   "}, 422, "body"),
    ({"author_name": "A", "body": "x" * 5001}, 422, "body"),
    ({"author_name": "A", "body": "x", "parent_id": 123456}, 422, "parent_id"),
    ({"author_name": "A", "body": "x", "parent_id": "one"}, 422, "parent_id"),
    ({"author_name": "A", "body": "x", "spoiler": "yes"}, 422, "spoiler"),
    ({"author_name": "A", "body": "x", "email": "nope"}, 422, "email"),
    ({"body": "x"}, 422, "author_name"),
])
def test_bad_comments_get_a_json_error_naming_the_field_and_write_nothing(http, story, payload, status, field):
    r = http.post(f"/api/v1/stories/{STORY['slug']}/comments", json=payload)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["field"] == field and error["code"] == "invalid" and error["message"]
    assert _count(http) == 0


def test_malformed_requests_get_json_errors(http, story):
    url = f"/api/v1/stories/{STORY['slug']}/comments"
    not_json = http.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["error"]["field"] == "body"
    form = http.post(url, data={"author_name": "A", "body": "b"})
    assert form.status_code == 422 and form.json()["error"]["field"] == "body"
    array = http.post(url, json=["x"])
    assert array.status_code == 422
    assert http.get(url, params={"sort": "best"}).json()["error"]["field"] == "sort"
    assert http.get(url, params={"limit": "many"}).json()["error"]["field"] == "limit"
    assert http.get(url, params={"cursor": "!!"}).json()["error"]["field"] == "cursor"
    assert _count(http) == 0


def test_unknown_story_and_comment_are_404_json(http):
    for r in (http.get("/api/v1/stories/nope"), http.get("/api/v1/stories/nope/comments"),
              _post(http), http.get("/api/v1/comments/999999"), http.get("/api/v1/nothing-here")):
        assert r.status_code == 404, r.url
        assert r.json()["error"]["code"] == "not_found"


def test_idempotency_key_header_makes_retries_safe(http, story):
    headers = {"Idempotency-Key": "retry-1"}
    first = http.post(f"/api/v1/stories/{STORY['slug']}/comments", json={"author_name": "A", "body": "b"},
                      headers=headers)
    again = http.post(f"/api/v1/stories/{STORY['slug']}/comments", json={"author_name": "A", "body": "b"},
                      headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert _count(http) == 1


def test_a_retry_without_the_first_answers_cookie_finds_the_comment_but_not_its_token(server, story):
    """The first answer's guest cookie was lost with it: the retry is the same comment, once,
    but its edit token goes only to the browser that answer reached."""
    url, data, headers = f"/api/v1/stories/{STORY['slug']}/comments", {"author_name": "A", "body": "b"}, {
        "Idempotency-Key": "lost-1"}
    with httpx.Client(base_url=server.url) as first_browser, httpx.Client(base_url=server.url) as retry:
        first = first_browser.post(url, json=data, headers=headers)
        again = retry.post(url, json=data, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"] and "edit_token" in first.json()
        assert "edit_token" not in again.json()
        assert first_browser.post(url, json=data, headers=headers).json()["edit_token"] == first.json()["edit_token"]
        assert _count(retry) == 1


def test_rate_limit_answers_429_with_retry_after(store):
    with serve(store, rate_limit=2) as live, httpx.Client(base_url=live.url) as http:
        assert http.post("/api/v1/stories", json=STORY, headers=roles.bearer(live, Role.STAFF)).status_code == 201
        assert [_post(http, body=str(i)).status_code for i in range(2)] == [201, 201]
        r = _post(http, body="3")
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.json()["error"]["code"] == "rate_limited"
        assert _count(http) == 2


def test_edit_and_delete_with_the_edit_token(http, story):
    c = _post(http, body="first").json()
    url = f"/api/v1/comments/{c['id']}"
    with httpx.Client(base_url=http.base_url) as other:  # another browser: only the edit token will do
        assert other.patch(url, json={"body": "second"}).status_code == 403
        edited = other.patch(url, json={"body": "*second*"}, headers={"X-Edit-Token": c["edit_token"]})
        assert edited.status_code == 200 and edited.json()["body_html"] == "<p><em>second</em></p>\n"
        assert edited.json()["edited_at"] is not None
        assert other.delete(url, headers={"X-Edit-Token": "nope"}).status_code == 403
    # The writer's own browser is known by its guest cookie, and needs no token.
    assert http.patch(url, json={"body": "third"}).json()["body_source"] == "third"
    assert http.delete(url).status_code == 204
    assert _count(http) == 0
    assert http.get(f"/api/v1/stories/{STORY['slug']}/comments").json()["comments"] == []


def test_story_update_close_and_open(http, staff, story):
    slug = STORY["slug"]
    r = staff.patch(f"/api/v1/stories/{slug}", json={"title": "New title"})
    assert r.status_code == 200 and r.json()["title"] == "New title"
    assert staff.patch(f"/api/v1/stories/{slug}", json={"title": ""}).json()["error"]["field"] == "title"
    assert staff.post(f"/api/v1/stories/{slug}/close").json()["comments_open"] is False
    closed = _post(http)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "closed"
    assert staff.post(f"/api/v1/stories/{slug}/open").json()["comments_open"] is True
    assert _post(http).status_code == 201


def test_counts_for_many_stories(http, staff, story):
    assert staff.post("/api/v1/stories", json={**STORY, "slug": "other"}).status_code == 201
    _post(http)
    r = http.get("/api/v1/counts", params=[("slug", STORY["slug"]), ("slug", "other,missing")])
    assert r.json() == {"counts": {STORY["slug"]: 1, "other": 0}}


def test_story_management_needs_a_token_with_a_role_that_manages_stories(server, http):
    slug = STORY["slug"]

    def manage(headers: dict) -> list[httpx.Response]:
        return [http.post("/api/v1/stories", json=STORY, headers=headers),
                http.patch(f"/api/v1/stories/{slug}", json={"title": "Changed"}, headers=headers),
                http.post(f"/api/v1/stories/{slug}/close", headers=headers),
                http.post(f"/api/v1/stories/{slug}/open", headers=headers)]

    # No token (this client is on loopback, which gains nothing), with a forwarded loopback
    # address, and a reader's token: refused, naming the authorization.
    for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}, roles.bearer(server, Role.COMMENTER)):
        for denied in manage(headers):
            assert denied.status_code == 403, (headers, denied.text)
            assert denied.json()["error"]["field"] == "authorization"
    assert http.get(f"/api/v1/stories/{slug}").status_code == 404
    # A token that is not one Parley issued is a 401, never a guest.
    for headers in ({"Authorization": "Bearer pk_not-a-token"}, {"Authorization": "Basic czNjcmV0"}):
        unknown = http.post("/api/v1/stories", json=STORY, headers=headers)
        assert unknown.status_code == 401 and unknown.json()["error"]["field"] == "authorization"
    # Staff manage stories, and so do moderators and admins.
    staff = roles.bearer(server, Role.STAFF)
    assert [r.status_code for r in manage(staff)] == [201, 200, 200, 200]
    for role in (Role.MODERATOR, Role.ADMIN):
        headers = roles.bearer(server, role)
        answers = [http.post("/api/v1/stories", json={**STORY, "slug": f"by-{role.value}"}, headers=headers),
                   http.post(f"/api/v1/stories/{slug}/close", headers=headers)]
        assert [r.status_code for r in answers] == [201, 200], role
    # A revoked token no longer acts.
    accounts = server.services.accounts
    _, secret = accounts.create_token(roles.SYSTEM, name="desk", role=Role.STAFF)
    desk = {"Authorization": f"Bearer {secret}"}
    assert http.post(f"/api/v1/stories/{slug}/open", headers=desk).status_code == 200
    accounts.revoke_token(roles.SYSTEM, "desk")
    revoked = http.post(f"/api/v1/stories/{slug}/close", headers=desk)
    assert revoked.status_code == 401 and revoked.json()["error"]["field"] == "authorization"
    assert http.get(f"/api/v1/stories/{slug}").json()["comments_open"] is True


API_PREFIXES = ("/api/v1", "/v1alpha1", "/embed")


def _without_converters(path: str) -> str:
    """``/comments/{comment_id:int}`` as OpenAPI names it: ``/comments/{comment_id}``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def test_openapi_describes_every_api_route(http, server):
    doc = http.get("/api/v1/openapi.json").json()
    assert doc == OPENAPI
    described = 0
    for route in server.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(API_PREFIXES):
            documented = _without_converters(path)
            assert documented in doc["paths"], path
            for method in route.methods - {"HEAD"}:
                operation = doc["paths"][documented].get(method.lower())
                assert operation is not None, (method, path)
                # The permission it says it needs is the one the route declares, in its description too.
                assert operation["x-permission"] == str(declared(route)), (method, path)
                needs = operation["x-permission"]
                if needs != PUBLIC:
                    assert f"Needs the {needs} permission" in operation["description"], (method, path)
                    assert "401" in operation["responses"] or path.startswith("/v1alpha1"), (method, path)
                described += 1
    assert described == sum(len(ops) for ops in doc["paths"].values()), "OpenAPI describes a route the app lacks"


def test_docs_name_every_api_route(server):
    from tests.conftest import ROOT

    docs = (ROOT / "docs" / "api.md").read_text()
    for route in server.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(API_PREFIXES):
            # docs/api.md writes {comment_id} as {id}, and every other parameter by its name.
            named = _without_converters(path).replace("{comment_id}", "{id}")
            assert named in docs, f"docs/api.md does not name {path} (as {named})"


def test_staff_posts_need_a_staff_token_and_carry_the_badge(server, http, staff):
    staff.post("/api/v1/stories", json=STORY)
    staff_post = {"author_name": "Editor", "body": "Correction appended.", "staff": True}
    for headers in ({}, roles.bearer(server, Role.COMMENTER)):
        denied = http.post(f"/api/v1/stories/{STORY['slug']}/comments", json=staff_post, headers=headers)
        assert denied.status_code == 403 and denied.json()["error"]["field"] == "authorization"
    assert _count(http) == 0
    ok = staff.post(f"/api/v1/stories/{STORY['slug']}/comments", json=staff_post)
    assert ok.status_code == 201, ok.text
    assert ok.json()["author"] == {"name": "Editor", "guest": False, "kind": "staff"}
    page = http.get(f"/stories/{STORY['slug']}").text
    assert '<span class="badge badge-staff">Staff</span>' in page


def test_story_management_refuses_other_sites_and_non_json_bodies(server):
    # Signed in to a staff account: the session cookie goes with every request the browser
    # sends, whichever site's page sent it; from another site's page it counts for nothing.
    with roles.signed_in(server, Role.STAFF, timeout=10) as http:
        cross = http.post("/api/v1/stories", json=STORY, headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403 and cross.json()["error"]["field"] == "origin"
        fetch_meta = http.post("/api/v1/stories", json=STORY, headers={"Sec-Fetch-Site": "cross-site"})
        assert fetch_meta.status_code == 403 and fetch_meta.json()["error"]["field"] == "origin"
        opaque = http.post("/api/v1/stories", json=STORY, headers={"Origin": "null"})
        assert opaque.status_code == 403 and opaque.json()["error"]["field"] == "origin"
        simple = http.post("/api/v1/stories", content=b'{"slug": "x", "title": "t"}',
                           headers={"Content-Type": "text/plain; x=json"})
        assert simple.status_code == 422 and simple.json()["error"]["field"] == "body"
        assert http.get("/api/v1/stories/x").status_code == 404
        assert http.get(f"/api/v1/stories/{STORY['slug']}").status_code == 404
        same_site = {"Origin": str(http.base_url).rstrip("/")}
        assert http.post("/api/v1/stories", json=STORY, headers=same_site).status_code == 201
        evil = {"Origin": "https://evil.example"}
        closing = http.post(f"/api/v1/stories/{STORY['slug']}/close", headers=evil)
        assert closing.status_code == 403 and closing.json()["error"]["field"] == "origin"
        assert http.get(f"/api/v1/stories/{STORY['slug']}").json()["comments_open"] is True
        assert http.post(f"/api/v1/stories/{STORY['slug']}/close").json()["comments_open"] is False


def test_hostile_paths_cursors_and_bytes_get_clean_errors(http, story):
    import base64
    import json

    assert http.get("/api/v1/stories/a%00b").status_code == 404
    assert http.get("/api/v1/stories/a%0A").status_code == 404
    assert http.get("/api/v1/counts", params={"slug": "a\x00b"}).json() == {"counts": {}}
    huge = base64.urlsafe_b64encode(json.dumps(["oldest", 2**63, 1]).encode()).decode().rstrip("=")
    r = http.get(f"/api/v1/stories/{STORY['slug']}/comments", params={"cursor": huge})
    assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"
    for field in ("email", "idempotency_key"):
        r = _post(http, **{field: "a\x00b@x.test"})
        assert r.status_code == 422 and r.json()["error"]["field"] == field
    assert _count(http) == 0


def test_a_tombstone_names_no_one(http, story):
    root = _post(http, name="Secret Name").json()
    _post(http, body="reply", name="B", parent_id=root["id"])
    http.delete(f"/api/v1/comments/{root['id']}", headers={"X-Edit-Token": root["edit_token"]})
    listed = http.get(f"/api/v1/stories/{STORY['slug']}/comments").json()["comments"]
    assert listed[0]["state"] == "deleted" and listed[0]["author"]["name"] == ""
    assert "Secret Name" not in http.get(f"/stories/{STORY['slug']}", params={"reply": root["id"]}).text
    assert "Secret Name" not in http.get(f"/api/v1/comments/{root['id']}").text


def test_an_oversized_body_is_refused_413(http, story):
    r = _post(http, body="x" * 300_000)
    assert r.status_code == 413 and r.json()["error"] == {
        "code": "too_large", "message": "a request body has at most 256 KiB", "field": "body"}
    assert _count(http) == 0
