"""Signing in over real HTTP on both stores: the login form and its session cookie,
rotation, logout, password resets, single sign-on with Coral's claims, API tokens, and
the guest's own signed cookie."""

from __future__ import annotations

import re

import httpx
import pytest

from parley.domain import Actor, Story
from parley.web.auth import GUEST_COOKIE, SESSION_COOKIE, verified_guest_id
from tests.conftest import ROOT, TEST_SECRET, serve
from tests.service.test_accounts import SSO_SECRET, coral_token

CLI = Actor.system("tests")
PASSWORD = "correct horse battery"


@pytest.fixture
def live(store):
    with serve(store, moderation=0, sso_secret=SSO_SECRET) as server:
        accounts = server.app.state.services.accounts
        accounts.create_account(CLI, email="ed@example.org", password=PASSWORD, role="moderator", display_name="Ed")
        accounts.create_account(CLI, email="admin@example.org", password=PASSWORD, role="admin",
                                display_name="Ada")
        yield server


@pytest.fixture
def browser(live):
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client


def _csrf(client: httpx.Client, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client: httpx.Client, email="ed@example.org", password=PASSWORD, **fields) -> httpx.Response:
    return client.post("/login", data={"csrf_token": _csrf(client), "email": email, "password": password, **fields})


def _me(client: httpx.Client, **kw) -> dict:
    r = client.get("/api/v1/auth/me", **kw)
    assert r.status_code == 200, r.text
    return r.json()["actor"]


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


def test_the_login_form_sets_a_session_cookie(browser):
    page = browser.get("/login?next=/stories/x")
    assert 'action="/login"' in page.text and 'value="/stories/x"' in page.text
    r = _login(browser, next="/stories/x")
    assert r.status_code == 303 and r.headers["location"] == "/stories/x"
    cookie = _set_cookie(r, SESSION_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert "max-age=1209600" in cookie  # PARLEY_SESSION_DAYS, 14 by default
    me = _me(browser)
    assert (me["role"], me["name"], me["token"]) == ("moderator", "Ed", None)
    assert "You are signed in as" in browser.get("/login").text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
                                    "javascript:alert(1)", "evil"])
def test_next_goes_only_to_a_local_path(browser, target):
    r = _login(browser, next=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again_without_a_session(browser):
    r = _login(browser, password="not the password")
    assert r.status_code == 401
    assert "that email and password do not match" in r.text and 'value="ed@example.org"' in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    unknown = _login(browser, email="nobody@example.org")
    assert unknown.status_code == 401 and "that email and password do not match" in unknown.text
    assert _me(browser)["role"] == "guest"


def test_the_form_needs_its_csrf_token(browser):
    browser.get("/login")
    r = browser.post("/login", data={"csrf_token": "made-up", "email": "ed@example.org", "password": PASSWORD})
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_the_session_id_rotates_on_a_second_login(browser, live):
    _login(browser)
    first = browser.cookies[SESSION_COOKIE]
    _login(browser, email="admin@example.org")
    second = browser.cookies[SESSION_COOKIE]
    assert first != second
    assert _me(browser)["name"] == "Ada"
    with httpx.Client(base_url=live.url, cookies={SESSION_COOKIE: first}) as old:
        assert _me(old)["role"] == "guest"  # the replaced session no longer signs anyone in


def test_logout_revokes_the_session(browser, live):
    _login(browser)
    session_id = browser.cookies[SESSION_COOKIE]
    r = browser.post("/logout", data={"csrf_token": _csrf(browser)})
    assert r.status_code == 303 and r.headers["location"] == "/login?done=out"
    assert SESSION_COOKIE not in browser.cookies
    with httpx.Client(base_url=live.url, cookies={SESSION_COOKIE: session_id}) as replay:
        assert _me(replay)["role"] == "guest"
    assert "You are signed out." in browser.get("/login?done=out").text


def test_json_login_and_logout(browser, live):
    r = browser.post("/api/v1/auth/login", json={"email": "ED@example.org", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["account"]["email"] == "ed@example.org"
    assert _me(browser)["role"] == "moderator"
    wrong = browser.post("/api/v1/auth/login", json={"email": "ed@example.org", "password": "nope nope nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthenticated"
    cross = browser.post("/api/v1/auth/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and _me(browser)["role"] == "moderator"
    assert browser.post("/api/v1/auth/logout").json() == {"signed_out": True}
    assert _me(browser)["role"] == "guest"


def test_logins_are_throttled(browser):
    for _ in range(5):
        assert _login(browser, password="wrong password").status_code == 401
    r = _login(browser)
    assert r.status_code == 429 and "too many failed attempts" in r.text and r.headers["retry-after"] == "900"


def test_a_reset_link_sets_a_new_password_and_signs_out_everywhere(browser, live):
    _login(browser)
    old_session = browser.cookies[SESSION_COOKIE]
    token = live.app.state.services.accounts.issue_reset(CLI, "ed@example.org")
    page = browser.get(f"/reset/{token}")
    assert page.status_code == 200 and f'action="/reset/{token}"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    differ = browser.post(f"/reset/{token}", data={"csrf_token": csrf, "password": "a new passphrase",
                                                   "password_again": "another one"})
    assert differ.status_code == 422 and "the two passwords differ" in differ.text
    done = browser.post(f"/reset/{token}", data={"csrf_token": csrf, "password": "a new passphrase",
                                                 "password_again": "a new passphrase"})
    assert done.status_code == 303 and done.headers["location"] == "/login?done=reset"
    with httpx.Client(base_url=live.url, cookies={SESSION_COOKIE: old_session}) as old:
        assert _me(old)["role"] == "guest"
    assert _login(browser).status_code == 401
    assert _login(browser, password="a new passphrase").status_code == 303
    spent = browser.post(f"/reset/{token}", data={"csrf_token": csrf, "password": "third passphrase",
                                                  "password_again": "third passphrase"})
    assert spent.status_code == 422 and "this reset link is not valid" in spent.text


# --- single sign-on ------------------------------------------------------------------------
def test_sso_with_coral_claims_signs_a_reader_in(browser):
    r = browser.get("/sso", params={"token": coral_token(), "next": "/stories/x"})
    assert r.status_code == 303 and r.headers["location"] == "/stories/x"
    me = _me(browser)
    assert (me["role"], me["name"], me["badges"]) == ("commenter", "bob", ["subscriber"])
    first = browser.cookies[SESSION_COOKIE]
    r = browser.post("/api/v1/auth/sso", json={"token": coral_token(username="Bobby")})
    assert r.status_code == 200 and r.json()["account"]["display_name"] == "Bobby"
    assert r.json()["account"]["sso"] is True
    assert browser.cookies[SESSION_COOKIE] != first


@pytest.mark.parametrize(("make", "status", "words"), [
    (lambda: coral_token(exp=1_700_000_000, iat=1_699_999_000), 422, "expired"),
    (lambda: coral_token(secret=None, algorithm="none"), 422, "HS256"),
    (lambda: coral_token(secret="w" * 40), 403, "signature"),
    (lambda: coral_token(drop=["user.email"]), 422, "user.email"),
])
def test_sso_refuses_bad_tokens_clearly(browser, make, status, words):
    token = make()
    api = browser.post("/api/v1/auth/sso", json={"token": token})
    assert api.status_code == status and api.json()["error"]["field"] == "token"
    assert words in api.json()["error"]["message"]
    page = browser.get("/sso", params={"token": token})
    assert page.status_code == status and words in page.text and "text/html" in page.headers["content-type"]
    assert SESSION_COOKIE not in browser.cookies


def test_sso_refuses_a_replayed_token(browser):
    token = coral_token()
    assert browser.get("/sso", params={"token": token}).status_code == 303
    replay = browser.post("/api/v1/auth/sso", json={"token": token})
    assert replay.status_code == 422 and "used already" in replay.json()["error"]["message"]


# --- API tokens ----------------------------------------------------------------------------
def test_admins_make_tokens_that_act_until_revoked(browser, live):
    browser.post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
    r = browser.post("/api/v1/admin/tokens", json={"name": "importer", "role": "staff"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = r.json()["secret"]
    assert secret.startswith("pk_") and r.json()["token"]["role"] == "staff"
    listed = browser.get("/api/v1/admin/tokens").json()["tokens"]
    assert [t["name"] for t in listed] == ["importer"] and secret not in str(listed)

    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {secret}"}) as script:
        me = _me(script)
        assert (me["role"], me["token"]) == ("staff", "importer")
        refused = script.get("/api/v1/admin/tokens")  # staff may not manage tokens
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert browser.delete("/api/v1/admin/tokens/importer").status_code == 204
        revoked = script.get("/api/v1/auth/me")
        assert revoked.status_code == 401
        assert revoked.json()["error"] == {"code": "unauthenticated", "field": "authorization",
                                           "message": "this API token is not valid: it is unknown or was revoked"}
    assert browser.delete("/api/v1/admin/tokens/importer").status_code == 404


@pytest.mark.parametrize("header", ["Bearer pk_made-up", "Bearer", "Basic YWRtaW46YWRtaW4=", "pk_no-scheme"])
def test_a_bad_authorization_header_is_401_never_a_guest(browser, header):
    r = browser.get("/api/v1/auth/me", headers={"Authorization": header})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_admins_manage_accounts_over_json(browser):
    assert browser.get("/api/v1/admin/accounts").status_code == 403  # a guest
    browser.post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
    r = browser.post("/api/v1/admin/accounts", json={"email": "Stef@example.org", "password": "staff passphrase",
                                                     "role": "staff", "display_name": "Stef"})
    assert r.status_code == 201 and r.json()["account"]["email"] == "stef@example.org"
    weak = browser.post("/api/v1/admin/accounts", json={"email": "w@example.org", "password": "short",
                                                        "role": "staff", "display_name": "W"})
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password"
    listed = browser.get("/api/v1/admin/accounts").json()["accounts"]
    assert [a["email"] for a in listed] == ["ed@example.org", "admin@example.org", "stef@example.org"]
    assert "password" not in str(listed)
    stef = r.json()["account"]["id"]
    changed = browser.patch(f"/api/v1/admin/accounts/{stef}", json={"disabled": True})
    assert changed.status_code == 200 and changed.json()["account"]["disabled"] is True


def test_loopback_and_forwarded_addresses_gain_nothing(browser):
    # The test server is on 127.0.0.1: an unauthenticated request from loopback is a guest.
    for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}):
        r = browser.get("/api/v1/admin/tokens", headers=headers)
        assert r.status_code == 403, r.text


# --- guests --------------------------------------------------------------------------------
def test_a_guest_gets_a_signed_cookie_of_their_own(browser, live, store):
    store.add_story(Story(slug="s", title="A story", body="One."))
    first = browser.get("/stories/s")
    cookie = _set_cookie(first, GUEST_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=31536000" in cookie
    guest_id = verified_guest_id(TEST_SECRET.encode(), browser.cookies[GUEST_COOKIE])
    assert guest_id is not None
    assert GUEST_COOKIE not in browser.get("/stories/s").headers.get("set-cookie", "")  # kept, not renewed

    forged = f"{guest_id[:-1]}x.{browser.cookies[GUEST_COOKIE].partition('.')[2]}"
    with httpx.Client(base_url=live.url) as other:
        r = other.get("/stories/s", headers={"Cookie": f"{GUEST_COOKIE}={forged}"})
        assert r.status_code == 200
        # A cookie that does not verify is ignored and replaced by a new one.
        replaced = _set_cookie(r, GUEST_COOKIE).partition(";")[0].partition("=")[2]
        assert verified_guest_id(TEST_SECRET.encode(), replaced) not in (None, guest_id)
        assert verified_guest_id(TEST_SECRET.encode(), forged) is None


def test_secure_cookies_when_configured(store):
    with serve(store, moderation=0, secure_cookies=1) as server, httpx.Client(base_url=server.url) as client:
        server.app.state.services.accounts.create_account(CLI, email="ed@example.org", password=PASSWORD,
                                                          role="staff", display_name="Ed")
        r = client.post("/api/v1/auth/login", json={"email": "ed@example.org", "password": PASSWORD})
        assert "secure" in _set_cookie(r, SESSION_COOKIE).lower()


def test_every_api_route_here_has_its_openapi_description_and_is_in_the_docs():
    from parley.web import account
    from parley.web.openapi import OPENAPI

    docs = (ROOT / "docs" / "api.md").read_text()
    for r in account.routes:
        if r.path.startswith("/api/v1"):
            path = r.path.replace(":int}", "}")
            assert path in OPENAPI["paths"], path
            assert {m.lower() for m in r.methods - {"HEAD"}} <= OPENAPI["paths"][path].keys(), path
            assert path in docs, f"docs/api.md does not name {path}"
