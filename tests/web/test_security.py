"""Findings of the outside security probe, each over real HTTP: forwarded addresses,
form size, Host, CSRF tokens bound to the server, deeply nested JSON."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

import httpx
import pytest

from parley.config import Config
from parley.domain import Actor, Role
from parley.web.app import create_app
from parley.web.security import CSRF_COOKIE
from tests.conftest import LiveServer, make_config

SLUG = "probe"
STORY = {"slug": SLUG, "title": "Probed", "body": "One.", "published_at": "2024-04-02T08:00:00Z"}
SYSTEM = Actor.system("tests")


def _serve(store, *, secret: bytes | None = None, **config) -> LiveServer:
    app = create_app(make_config(moderation=0, **config), store)
    if secret is not None or not hasattr(app.state, "secret"):  # create_app sets it from parley.keys
        app.state.secret = secret or secrets.token_bytes(32)
    return LiveServer(app)


@pytest.fixture
def start(sqlite_store):
    """Start a server with the given settings and a story on it; yields an httpx client
    (with an admin's API token as its Authorization when ``admin``)."""
    opened = []

    def start_server(*, admin: bool = False, **config) -> httpx.Client:
        live = _serve(sqlite_store, **config).__enter__()
        client = httpx.Client(base_url=live.url, timeout=10)
        opened.append((live, client))
        services = live.app.state.services
        services.stories.create(SYSTEM, dict(STORY))
        if admin:
            _, token = services.accounts.create_token(SYSTEM, name="probe-admin", role=Role.ADMIN)
            client.headers["Authorization"] = f"Bearer {token}"
        return client

    yield start_server
    for live, client in opened:
        client.close()
        live.__exit__(None, None, None)


def _post(client: httpx.Client, name: str, forwarded: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post(f"/api/v1/stories/{SLUG}/comments", json={"author_name": name, "body": f"From {name}."},
                       headers=headers)


def _count(client: httpx.Client) -> int:
    return client.get(f"/api/v1/stories/{SLUG}").json()["comment_count"]


# 1. Forwarded addresses


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit(start):
    http = start(forwarded_allow_ips="127.0.0.1", rate_limit=1)
    assert _post(http, "Ann", "203.0.113.5").status_code == 201
    assert _post(http, "Bob", "203.0.113.6").status_code == 201  # not the proxy's shared limit
    assert _post(http, "Cat", "203.0.113.5").status_code == 429  # 203.0.113.5 is over its own


def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(start):
    http = start(forwarded_allow_ips="127.0.0.1,10.0.0.0/8", rate_limit=1)
    assert _post(http, "Ann", "203.0.113.5").status_code == 201
    # What the client wrote itself (left of its own address) is not believed; trusted
    # proxies' entries (right of it) are skipped.
    for n, header in enumerate(("127.0.0.1, 203.0.113.5", "198.51.100.7, 203.0.113.5, 10.1.2.3",
                                "203.0.113.5:4711", "::ffff:203.0.113.5")):
        r = _post(http, f"Same{n}", header)
        assert r.status_code == 429, (header, r.text)
    assert _post(http, "V6", "[2001:db8::1]:4711").status_code == 201
    assert _post(http, "V6 again", "2001:db8:0:0::1").status_code == 429  # one address, however written


def test_an_untrusted_peer_cannot_rotate_its_forwarded_address_past_the_limit(start):
    http = start(forwarded_allow_ips="192.0.2.0/24", rate_limit=1)
    assert _post(http, "Ann", "203.0.113.5").status_code == 201
    r = _post(http, "Bob", "203.0.113.6")
    assert r.status_code == 429, r.text  # still the one peer, 127.0.0.1, whatever it claims
    assert r.json()["error"]["code"] == "rate_limited"


def test_junk_in_x_forwarded_for_counts_as_the_proxy_and_never_fails(start):
    http = start(forwarded_allow_ips="127.0.0.1", rate_limit=2)
    assert _post(http, "Ann", "not an address").status_code == 201
    assert _post(http, "Bob", "203.0.113.5, unknown, 999.1.1.1").status_code == 201
    assert _post(http, "Cat", ",,,").status_code == 429  # all three were the proxy, 127.0.0.1
    assert _post(http, "Dan", "203.0.113.9").status_code == 201


def test_trusting_every_proxy_is_refused_at_start():
    from parley.web.security import check_settings

    with pytest.raises(SystemExit, match=r"PARLEY_FORWARDED_ALLOW_IPS.*\*"):
        check_settings(Config.from_env({"PARLEY_FORWARDED_ALLOW_IPS": "*"}))
    with pytest.raises(SystemExit, match="PARLEY_FORWARDED_ALLOW_IPS.*'proxy.internal'"):
        check_settings(Config.from_env({"PARLEY_FORWARDED_ALLOW_IPS": "10.0.0.1,proxy.internal"}))
    check_settings(Config.from_env({"PARLEY_FORWARDED_ALLOW_IPS": "127.0.0.1, ::1, 172.16.0.0/12"}))


# 2. Form size


def _page_form(http: httpx.Client) -> dict[str, str]:
    """The comment form's hidden fields from the story page (its CSRF cookie now in ``http``)."""
    html = http.get(f"/stories/{SLUG}").text
    return {name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
            for name in ("csrf_token", "idempotency_key")}


def test_a_chunked_form_over_64_kib_is_refused_unread_and_nothing_is_written(start):
    http = start()
    fields = {**_page_form(http), "author_name": "Ann", "body": "Short enough.", "pad": "x" * (80 * 1024)}
    encoded = urlencode(fields).encode()

    def chunks():  # a generator body: sent chunked, with no Content-Length
        for i in range(0, len(encoded), 4096):
            yield encoded[i:i + 4096]

    r = http.post(f"/stories/{SLUG}/comments", content=chunks(),
                  headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413, r.text
    assert r.json()["error"] == {"code": "too_large", "message": r.json()["error"]["message"], "field": "body"}
    assert _count(http) == 0


def test_the_forms_a_reader_sends_still_post(start):
    http = start()
    plain = http.post(f"/stories/{SLUG}/comments", data={**_page_form(http), "author_name": "Ann", "body": "Plain."})
    assert plain.status_code == 303, plain.text
    # The page's script sends new FormData(form): multipart, without files.
    script = http.post(f"/stories/{SLUG}/comments", headers={"Accept": "application/json"},
                       files={"author_name": (None, "Bob"), "body": (None, "Scripted."),
                              **{k: (None, v) for k, v in _page_form(http).items()}})
    assert script.status_code == 201, script.text
    assert _count(http) == 2


def test_a_form_of_another_type_or_with_a_file_is_refused(start):
    http = start()
    form = _page_form(http)
    as_text = http.post(f"/stories/{SLUG}/comments", content=b"author_name=Ann&body=Hi",
                        headers={"Content-Type": "text/plain", "Accept": "application/json"})
    assert as_text.status_code == 422 and as_text.json()["error"]["field"] == "body"
    with_file = http.post(f"/stories/{SLUG}/comments", headers={"Accept": "application/json"},
                          data={**form, "author_name": "Ann", "body": "Hi"}, files={"f": ("a.txt", b"x")})
    assert with_file.status_code == 422 and with_file.json()["error"]["field"] == "body"
    assert _count(http) == 0


# 3. Host


def test_a_host_not_in_the_allowed_list_gets_400(start):
    http = start()
    r = http.get("/healthz", headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_host" and r.json()["error"]["field"] == "host"
    assert r.headers["x-content-type-options"] == "nosniff"
    port = httpx.URL(str(http.base_url)).port
    for host in (f"127.0.0.1:{port}", "LOCALHOST", f"[::1]:{port}", "localhost."):
        assert http.get("/healthz", headers={"Host": host}).status_code == 200, host
    assert http.get(f"/stories/{SLUG}", headers={"Host": "127.0.0.1.evil.example"}).status_code == 400


def test_allowed_hosts_names_the_site_or_any(sqlite_store):
    from parley.web.security import check_settings

    with _serve(sqlite_store, allowed_hosts="Comments.Example.org") as live:
        assert httpx.get(f"{live.url}/healthz", headers={"Host": "comments.example.org:443"}).status_code == 200
        assert httpx.get(f"{live.url}/healthz").status_code == 400  # 127.0.0.1 is no longer listed
    with _serve(sqlite_store, allowed_hosts="*") as live:
        assert httpx.get(f"{live.url}/healthz", headers={"Host": "anything.example"}).status_code == 200
    with pytest.raises(SystemExit, match="PARLEY_ALLOWED_HOSTS"):
        check_settings(Config.from_env({"PARLEY_ALLOWED_HOSTS": " , "}))


# 4. CSRF tokens bound to the server


def test_a_self_chosen_csrf_cookie_is_refused_and_the_pages_token_works(start):
    http = start()
    made_up = secrets.token_urlsafe(32)
    assert len(made_up) == 43
    form = {"author_name": "Ann", "body": "Hello.", "csrf_token": made_up}
    with httpx.Client(base_url=http.base_url, timeout=10, cookies={CSRF_COOKIE: made_up}) as forger:
        r = forger.post(f"/stories/{SLUG}/comments", data=form, headers={"Accept": "application/json"})
        assert r.status_code == 403 and r.json()["error"]["field"] == "csrf_token", r.text
        # The page does not take the made-up cookie either: it issues one of its own.
        issued = forger.get(f"/stories/{SLUG}").cookies[CSRF_COOKIE]
        assert issued != made_up and len(issued.partition(".")[2]) == 32  # random.HMAC
    assert _count(http) == 0
    r = http.post(f"/stories/{SLUG}/comments", data={**form, **_page_form(http)},
                  headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text


def test_a_csrf_token_from_another_server_is_refused(start, sqlite_store):
    token = _page_form(start())["csrf_token"]
    with (_serve(sqlite_store, secret=secrets.token_bytes(32)) as other,  # the same story, a key of its own
          httpx.Client(base_url=other.url, timeout=10, cookies={CSRF_COOKIE: token}) as client):
        r = client.post(f"/stories/{SLUG}/comments", data={"author_name": "Ann", "body": "Hi", "csrf_token": token},
                        headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "csrf_token"


# 6. Deeply nested JSON


def _nested(depth: int, leaf: str = "0.5", key: str = "a") -> str:
    return f'{{"{key}": ' * depth + leaf + "}" * depth


@pytest.mark.parametrize("value", [
    '{"toxicity": {"fold": ' + _nested(1000) + "}}",
    '{"toxicity": {"fold": ' + "[" * 1000 + "]" * 1000 + "}}",
    '{"toxicity": ' + _nested(1000) + "}",
])
def test_thresholds_nested_a_thousand_deep_get_422_and_the_connection_lives(start, value):
    http = start(admin=True)
    r = http.patch(f"/api/v1/stories/{SLUG}", content=f'{{"moderation_thresholds": {value}}}'.encode(),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid" and r.json()["error"]["field"] == "body"
    assert http.get(f"/api/v1/stories/{SLUG}").status_code == 200  # same keep-alive connection


def test_thresholds_nested_within_the_json_limit_name_their_field(start):
    http = start(admin=True)
    value = '{"toxicity": {"fold": ' + _nested(25) + "}}"
    r = http.patch(f"/api/v1/stories/{SLUG}", content=f'{{"moderation_thresholds": {value}}}'.encode(),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "moderation_thresholds"
    assert "not an object" in r.json()["error"]["message"]
