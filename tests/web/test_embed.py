"""The embed over real HTTP: which sites may embed (PARLEY_ALLOWED_ORIGINS), story creation
on first view, the fragment's caching headers, CORS, the widget's token in place of
cookies, the no-JavaScript iframe's form token, counts. The browser side is
test_embed_browser.py."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from parley.config import Config
from parley.domain import Actor, Role
from parley.web.embed_tokens import FORM_TOKEN_SECONDS, new_form_token
from parley.web.origins import allowed_origins, normalise_origin
from tests.conftest import TEST_SECRET, serve
from tests.web.roles import PASSWORD, SYSTEM

SITE = "http://localhost:8123"
OTHER = "https://evil.example"
ARTICLE = f"{SITE}/news/2026/12/budget-vote"


@pytest.fixture
def live(sqlite_store):
    with serve(sqlite_store, moderation=0, allowed_origins=f"{SITE}, https://www.news.example") as server:
        yield server


@pytest.fixture
def http(live):
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def _slug(html: str) -> str:
    return re.search(r'data-slug="([^"]+)"', html).group(1)


def _story(http, url: str = ARTICLE, **params) -> str:
    r = http.get("/embed/fragment", params={"url": url, **params}, headers={"Origin": SITE})
    assert r.status_code == 200, r.text
    return _slug(r.text)


def _token(http) -> str:
    r = http.post("/api/v1/embed/token", headers={"Origin": SITE})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _widget(token: str) -> dict:
    # What Chromium sends with the widget's fetch from the publisher's page.
    return {"Origin": SITE, "Sec-Fetch-Site": "cross-site", "X-Parley-Embed": token}


def test_allowed_origins_are_normalised_and_star_or_paths_refused():
    assert allowed_origins("https://News.Example:443, http://localhost:8123/") == {
        "https://news.example", "http://localhost:8123"}
    assert normalise_origin("null") is None and normalise_origin("https://a.example/path") is None
    from parley.web.security import check_settings
    for bad in ("*", "news.example", "https://a.example/comments", "ftp://a.example"):
        with pytest.raises(SystemExit, match="PARLEY_ALLOWED_ORIGINS"):
            check_settings(Config.from_env({"PARLEY_ALLOWED_ORIGINS": bad}))


def test_first_view_from_an_allowed_site_creates_the_story(live, http):
    r = http.get("/embed/fragment", headers={"Origin": SITE},
                 params={"url": ARTICLE + "#comments", "title": "  Budget <b>vote</b> ", "section": "Politics"})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == SITE
    assert "credentials" not in " ".join(r.headers.keys()).lower()
    slug = _slug(r.text)
    story = live.services.stories.get(slug)
    assert story.url == ARTICLE and story.title == "Budget <b>vote</b>"  # stored as text, escaped when shown
    assert story.section == "Politics" and story.external_id == ""
    assert http.get(f"/api/v1/stories/{slug}").json()["section"] == "Politics"
    assert '<h2 class="parley-count">0 comments</h2>' in r.text
    # The same page again (and from its other allowed host name) is the same story.
    assert _story(http) == slug
    # A page's own id wins over the URL; an id that is a slug is used as it is.
    assert _story(http, story="budget-vote-2026") == "budget-vote-2026"
    assert live.services.stories.get("budget-vote-2026").url == ARTICLE
    assert live.services.stories.get("budget-vote-2026").external_id == "budget-vote-2026"
    hashed = _story(http, story="CMS/4711")
    assert hashed.startswith("e-") and live.services.stories.get(hashed).external_id == "CMS/4711"
    long_section = http.get("/embed/fragment", headers={"Origin": SITE},
                            params={"url": f"{SITE}/long", "section": "x" * 101})
    assert long_section.status_code == 422 and "section" in long_section.text


def test_a_site_not_in_the_list_gets_nothing(live, http):
    before = len(live.services.stories.latest(100))
    for headers, url in (({"Origin": OTHER}, f"{OTHER}/a"), ({"Origin": OTHER}, ARTICLE),
                         ({"Referer": f"{OTHER}/page"}, ARTICLE)):
        for path in ("/embed/fragment", "/embed/frame"):
            r = http.get(path, params={"url": url}, headers=headers)
            assert r.status_code == 403, (path, headers, r.text[:200])
            assert "access-control-allow-origin" not in r.headers
        token = http.post("/api/v1/embed/token", headers=headers)
        assert token.status_code == 403 and token.json()["error"]["field"] == "origin"
    # An allowed page whose canonical URL is another site's: no story made in that name.
    r = http.get("/embed/fragment", params={"url": f"{OTHER}/a"}, headers={"Origin": SITE})
    assert r.status_code == 404
    # A server-side include (no Origin) of an allowed site's URL may create; of another's, not.
    assert http.get("/embed/fragment", params={"url": f"{OTHER}/b"}).status_code == 404
    assert len(live.services.stories.latest(100)) == before
    preflight = http.options("/api/v1/embed/token", headers={
        "Origin": OTHER, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-parley-embed"})
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    frame = http.get(f"/embed/frame/{_story(http)}")
    assert OTHER not in frame.headers["content-security-policy"]


def test_preflight_for_the_widget_header_passes_only_allowed_origins(http):
    r = http.options("/api/v1/embed/stories/x/comments", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-parley-embed"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == SITE
    assert "x-parley-embed" in r.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in r.headers
    # CORS is the embed's alone: the admin API answers no other site.
    admin = http.get("/api/v1/admin/queue", headers={"Origin": SITE})
    assert "access-control-allow-origin" not in admin.headers


def test_the_fragment_carries_etag_and_cache_control_and_changes_with_the_thread(http):
    slug = _story(http)
    first = http.get("/embed/fragment", params={"story": slug}, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert "s-maxage=" in first.headers["cache-control"] and "public" in first.headers["cache-control"]
    assert "Origin" in ",".join(first.headers.get_list("vary"))
    etag = first.headers["etag"]
    again = http.get("/embed/fragment", params={"story": slug}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    posted = http.post(f"/api/v1/embed/stories/{slug}/comments", headers=_widget(_token(http)),
                       json={"author_name": "Ann", "body": "First <script>alert(1)</script>"})
    assert posted.status_code == 201, posted.text
    changed = http.get("/embed/fragment", params={"story": slug}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "1 comment" in changed.text and "<script>" not in changed.text
    # Links point at Parley, not at the including page.
    assert f'href="{http.base_url}'.rstrip("/") in changed.text


def test_the_widget_writes_with_its_token_and_never_by_cookie(live, http):
    slug = _story(http)
    token = _token(http)
    body = {"author_name": "Ann", "body": "Posted from the publisher's page."}
    ok = http.post(f"/api/v1/embed/stories/{slug}/comments", headers=_widget(token), json=body)
    assert ok.status_code == 201, ok.text
    assert "set-cookie" not in ok.headers
    assert 'class="comment"' in ok.json()["html"] and ok.json()["edit_token"]
    # Without the token the request is the cookie path, and a cross-site change is refused.
    no_token = http.post(f"/api/v1/embed/stories/{slug}/comments", json=body,
                         headers={"Origin": SITE, "Sec-Fetch-Site": "cross-site"})
    assert no_token.status_code == 403 and no_token.json()["error"]["field"] == "origin"
    for bad in ("g.forged.0123456789abcdef0123456789abcdef", "x", token[:-1] + ("0" if token[-1] != "0" else "1"),
                "s." + "a" * 43):
        r = http.post(f"/api/v1/embed/stories/{slug}/comments", headers=_widget(bad), json=body)
        assert r.status_code == 401 and r.json()["error"]["field"] == "x-parley-embed", (bad, r.text)
    # A good token from a site not in the list.
    other = http.post(f"/api/v1/embed/stories/{slug}/comments", json=body,
                      headers={**_widget(token), "Origin": OTHER})
    assert other.status_code == 403 and other.json()["error"]["field"] == "origin"
    # An API token is still checked first, and a bad one is still a 401.
    bearer = http.post(f"/api/v1/embed/stories/{slug}/comments", json=body,
                       headers={**_widget(token), "Authorization": "Bearer nope"})
    assert bearer.status_code == 401 and bearer.json()["error"]["field"] == "authorization"
    # The token's guest is the writer: edit with the edit token, as the widget does.
    comment_id = ok.json()["id"]
    edited = http.patch(f"/api/v1/comments/{comment_id}", json={"body": "Edited."},
                        headers={**_widget(token), "X-Edit-Token": ok.json()["edit_token"]})
    assert edited.status_code == 200 and "Edited." in edited.json()["body_html"]
    assert edited.headers["access-control-allow-origin"] == SITE
    assert live.services.stories.get(slug).comment_count == 1


def test_reporting_through_the_widget(live, http):
    slug = _story(http)
    token = _token(http)
    cid = http.post(f"/api/v1/embed/stories/{slug}/comments", headers=_widget(token),
                    json={"author_name": "Ann", "body": "Report me."}).json()["id"]
    form = http.get(f"/api/v1/embed/stories/{slug}/comments/{cid}/report", headers={"Origin": SITE})
    assert form.status_code == 200 and 'name="reason"' in form.json()["html"]
    reporter = _token(http)
    r = http.post(f"/api/v1/embed/stories/{slug}/comments/{cid}/report", headers=_widget(reporter),
                  json={"reason": "spam", "text": "Selling things"})
    assert r.status_code == 201, r.text
    assert r.json()["report"]["reason"] == "spam"
    again = http.post(f"/api/v1/embed/stories/{slug}/comments/{cid}/report", headers=_widget(reporter),
                      json={"reason": "spam"})
    assert again.status_code == 409  # one report per reader, the token being the reader


def test_signing_in_through_the_widget_gives_a_session_token(live, http):
    live.services.accounts.create_account(SYSTEM, email="ann@example.org", password=PASSWORD, role=Role.COMMENTER,
                                          display_name="Ann Reader")
    wrong = http.post("/api/v1/embed/auth/login", headers={"Origin": SITE},
                      json={"email": "ann@example.org", "password": "wrong"})
    assert wrong.status_code == 401
    r = http.post("/api/v1/embed/auth/login", headers={"Origin": SITE},
                  json={"email": "ann@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert "set-cookie" not in r.headers
    token = r.json()["token"]
    assert r.json()["actor"]["name"] == "Ann Reader"
    me = http.get("/api/v1/embed/me", headers=_widget(token))
    assert me.json()["actor"]["role"] == "commenter"
    slug = _story(http)
    posted = http.post(f"/api/v1/embed/stories/{slug}/comments", headers=_widget(token),
                       json={"body": "As myself."})
    assert posted.status_code == 201, posted.text
    assert "Ann Reader" in posted.json()["html"] and "badge-guest" not in posted.json()["html"]
    assert http.post("/api/v1/embed/auth/logout", headers=_widget(token)).status_code == 200
    after = http.get("/api/v1/embed/me", headers=_widget(token))
    assert after.status_code == 401 and after.json()["error"]["field"] == "x-parley-embed"


def test_a_widget_token_is_no_session_cookie_and_cannot_moderate(live, http):
    """The token lives in the publisher's page, where any of its scripts can read it: set as
    Parley's session cookie it is nobody, and a moderator signed in through the widget acts
    there as staff at most."""
    live.services.accounts.create_account(SYSTEM, email="mo@example.org", password=PASSWORD, role=Role.MODERATOR,
                                          display_name="Mo Derator")
    r = http.post("/api/v1/embed/auth/login", headers={"Origin": SITE},
                  json={"email": "mo@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert r.json()["actor"]["role"] == "staff"
    assert http.get("/api/v1/embed/me", headers=_widget(token)).json()["actor"]["role"] == "staff"
    assert http.get("/api/v1/admin/queue", headers=_widget(token)).status_code == 403
    as_cookie = httpx.Client(base_url=live.url, cookies={"parley_session": token.partition(".")[2]})
    with as_cookie:
        assert as_cookie.get("/moderate", follow_redirects=False).status_code in (302, 303, 401, 403)
    # Signing in again through the same widget ends the session the old token held.
    again = http.post("/api/v1/embed/auth/login", headers={"Origin": SITE, **_widget(token)},
                      json={"email": "mo@example.org", "password": PASSWORD})
    assert again.status_code == 200
    assert http.get("/api/v1/embed/me", headers=_widget(token)).status_code == 401


def _frame(http, slug: str) -> tuple[httpx.Response, str]:
    page = http.get(f"/embed/frame/{slug}")
    return page, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_iframe_posts_with_its_form_token_not_a_cookie(live, http):
    entry = http.get("/embed/frame", params={"url": ARTICLE, "title": "Budget"}, headers={"Referer": f"{SITE}/"})
    assert entry.status_code == 303
    slug = entry.headers["location"].split("/")[-1]
    page, token = _frame(http, slug)
    assert "frame-ancestors 'self' http://localhost:8123 https://www.news.example" in \
        page.headers["content-security-policy"]
    assert "frame-ancestors 'self';" not in page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in http.get(f"/stories/{slug}").headers["content-security-policy"].split(";")[-1]
    assert "set-cookie" not in page.headers
    form = {"csrf_token": token, "author_name": "Bo", "body": "From the frame."}
    # Sent from the frame (its own origin, as the browser says) it is taken.
    r = http.post(f"/embed/frame/{slug}", data=form, headers={"Origin": str(http.base_url).rstrip("/"),
                                                               "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 303, r.text[:300]
    assert r.headers["location"].startswith(f"/embed/frame/{slug}?thread=")
    shown = http.get(r.headers["location"]).text
    assert "From the frame." in shown
    # Reporting (and recommending) need Parley's own cookie: they open in a tab of their own.
    assert re.search(r'class="report-link" target="_blank" rel="noopener" href="/stories/', shown)
    assert re.search(r'class="recommend-link" target="_blank" rel="noopener" href="/stories/', shown)
    # Forged from another site's page, with a token it could not have read: refused.
    forged = http.post(f"/embed/frame/{slug}", data={**form, "body": "forged"},
                       headers={"Origin": OTHER, "Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
    other_slug = _story(http, url=f"{SITE}/other")
    stale = new_form_token(TEST_SECRET.encode(), slug, now=time.time() - FORM_TOKEN_SECONDS - 5)
    for bad in ("", "1.2.3", new_form_token(TEST_SECRET.encode(), other_slug), stale,
                new_form_token(b"another key" * 3, slug)):
        r = http.post(f"/embed/frame/{slug}", data={**form, "csrf_token": bad}, headers={"Accept": "application/json"})
        assert r.status_code == 403 and r.json()["error"]["field"] == "csrf_token", bad
    assert live.services.stories.get(slug).comment_count == 1


def test_the_iframe_shows_errors_in_place_and_replies(live, http):
    slug = _story(http)
    page, token = _frame(http, slug)
    empty = http.post(f"/embed/frame/{slug}", data={"csrf_token": token, "author_name": "Bo", "body": ""})
    assert empty.status_code in (400, 422) and 'id="form-error"' in empty.text
    posted = http.post(f"/embed/frame/{slug}", data={"csrf_token": token, "author_name": "Bo", "body": "Top."})
    root = int(posted.headers["location"].split("thread=")[1].split("#")[0])
    reply_page = http.get(f"/embed/frame/{slug}?reply={root}")
    assert "Reply to Bo" in reply_page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', reply_page.text).group(1)
    reply = http.post(f"/embed/frame/{slug}", data={"csrf_token": token, "author_name": "Cy", "body": "Reply.",
                                                    "parent_id": str(root)})
    assert reply.status_code == 303
    assert live.services.posting.get_comment(Actor.guest(), reply.headers["location"].split("#c")[1]).parent_id == root


def test_the_iframe_shows_errors_in_place_when_the_browser_names_its_own_origin(live, http):
    # A browser's form POST from the frame carries Origin: Parley's own origin (httpx sends
    # none); the error answer must be the frame with its form, not "this site may not embed".
    slug = _story(http)
    _, token = _frame(http, slug)
    own = {"Origin": str(http.base_url).rstrip("/"), "Sec-Fetch-Site": "same-origin"}
    empty = http.post(f"/embed/frame/{slug}", data={"csrf_token": token, "author_name": "Bo", "body": ""},
                      headers=own)
    assert empty.status_code in (400, 422), empty.text[:300]
    assert 'id="form-error"' in empty.text


def test_counts_for_article_lists(http):
    slug = _story(http)
    http.post(f"/api/v1/embed/stories/{slug}/comments", headers=_widget(_token(http)),
              json={"author_name": "Ann", "body": "One."})
    _story(http, story="known-id")
    r = http.get("/api/v1/embed/counts", params=[("story", ARTICLE), ("story", "known-id"), ("story", f"{SITE}/none")],
                 headers={"Origin": SITE})
    assert r.status_code == 200
    assert r.json()["counts"] == {ARTICLE: 1, "known-id": 0, f"{SITE}/none": 0}
    assert r.headers["access-control-allow-origin"] == SITE
    assert http.get("/api/v1/embed/counts", params={"story": ARTICLE}, headers={"Origin": OTHER}).status_code == 403


def test_embedded_stories_keep_their_section_and_id_on_every_store(services):
    from parley.service.stories import EmbedRef

    ref = EmbedRef(url=ARTICLE + "#top", story_id="CMS/4711", title="Budget", section="Politics")
    made = services.stories.embedded(ref, create=True)
    again = services.stories.embedded(EmbedRef(url=ARTICLE, story_id="CMS/4711", title="Renamed?"), create=False)
    assert (again.id, again.title, again.url, again.section, again.external_id) == (
        made.id, "Budget", ARTICLE, "Politics", "CMS/4711")
    changed = services.stories.update(SYSTEM, made.slug, {"section": "Local"})
    assert services.stories.get(changed.slug).section == "Local"
    with pytest.raises(Exception, match="no story yet"):
        services.stories.embedded(EmbedRef(url=f"{SITE}/never"), create=False)
