"""The embed in Chromium, on a publisher's page of another site, with third-party cookies
blocked: Parley runs on 127.0.0.1 and the publisher on ``localhost`` (different sites,
so Parley's cookies really are third-party there; two ports of 127.0.0.1 would be one
site). The test serves the publisher's static article page itself.

Third-party cookies are blocked by the profile's own setting, as a reader would choose
it (Preferences ``profile.cookie_controls_mode`` = 1, ``block_third_party_cookies``),
in a persistent context; a first test proves the setting works: the same SameSite=None
cookie for Parley's host is sent from the publisher's page with the setting off, and not
with it on.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import BrowserContext, BrowserType, Page, Route, expect

from parley.domain import Actor, Role
from parley.service import NewComment
from tests.conftest import serve
from tests.web.browser import AUDIT_SCRIPT, CANARY_SCRIPT, LAUNCH_ARGS, Guard, ensure_chromium
from tests.web.roles import PASSWORD, SYSTEM
from tests.web.test_xss import PAYLOADS

HOSTS = {"127.0.0.1", "localhost"}


class Site:
    """A publisher's site on ``http://localhost:PORT``: pages the test writes, served as
    they are; a page may ask for a server-side include of Parley's fragment with
    ``<!--#include parley=QUERY-->``, which this server fills in (as nginx's SSI would)."""

    def __init__(self, parley_url: str | None = None) -> None:
        self.pages: dict[str, str] = {}
        self.parley_url = parley_url
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                html = site.pages.get(self.path.split("?")[0])
                if html is None:
                    self.send_error(404)
                    return
                for query in re.findall(r"<!--#include parley=(.*?)-->", html):
                    fragment = httpx.get(f"{site.parley_url}/embed/fragment?{query}", timeout=30)
                    html = html.replace(f"<!--#include parley={query}-->", fragment.text)
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        # Port 0: bound at once, so no other server (another test worker's) can take it first.
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def article(self, path: str, *, embed: str, title: str = "Budget vote") -> str:
        self.pages[path] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | The Daily Example</title><link rel="canonical" href="{self.origin}{path}"></head>
<body><header><h1>{title}</h1></header><main><p>The council voted on the budget.</p>
{embed}</main></body></html>"""
        return f"{self.origin}{path}"


def script_embed(parley: str, story: str = "", **data: str) -> str:
    attrs = " ".join(f'data-parley-{k}="{v}"' for k, v in data.items())
    return f'<div data-parley-story="{story}" {attrs}></div><script src="{parley}/embed.js" async></script>'


def frame_embed(parley: str, url: str, title: str) -> str:
    src = f"{parley}/embed/frame?url={quote(url, safe='')}&title={quote(title)}"
    return f'<noscript><iframe src="{src}" title="Comments" width="700" height="1400"></iframe></noscript>'


# --- the browser -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium(browser) -> BrowserType:
    """The session's Playwright (tests/web/conftest.py), whose Chromium launches the profiles
    here: a second Playwright in the same thread would find the first one's loop running."""
    return browser.browser_type


def _profile(tmp: Path, block: bool) -> Path:
    (tmp / "Default").mkdir(parents=True)
    prefs = {"profile": {"cookie_controls_mode": 1 if block else 0, "block_third_party_cookies": block}}
    (tmp / "Default" / "Preferences").write_text(json.dumps(prefs))
    return tmp


@pytest.fixture
def open_browser(chromium, tmp_path) -> Iterator[Callable[..., tuple[BrowserContext, Guard]]]:
    """A Chromium profile of its own (third-party cookies blocked unless ``block=False``),
    guarded as tests/web/browser.py guards its contexts, but for both loopback sites."""
    opened: list[BrowserContext] = []

    def open_(*, block: bool = True, canary: bool = True, **options) -> tuple[BrowserContext, Guard]:
        profile = _profile(tmp_path / f"profile-{len(opened)}", block)
        context = chromium.launch_persistent_context(
            str(profile), executable_path=str(ensure_chromium()), args=LAUNCH_ARGS, **options)
        context.set_default_timeout(15_000)
        opened.append(context)
        seen = Guard()
        context.on("dialog", lambda d: (seen.dialogs.append(f"{d.type}: {d.message!r}"), d.dismiss()))
        context.on("weberror", lambda e: seen.page_errors.append(str(e.error)))

        def on_route(route: Route) -> None:
            if re.match(r"^https?://(127\.0\.0\.1|localhost)[:/]", route.request.url):
                route.continue_()
            else:
                seen.offsite_requests.append(route.request.url)
                route.abort()

        context.route("**/*", on_route)
        if canary:
            context.add_init_script(CANARY_SCRIPT)
        return context, seen

    yield open_
    for context in opened:
        context.close()


# --- the servers ---------------------------------------------------------------------------
@pytest.fixture
def servers(sqlite_store):
    """Parley on 127.0.0.1 allowing one publisher on localhost; and a second publisher,
    on another localhost port, that is not in the list."""
    site = Site()  # the publisher's port first: Parley's list names it
    with serve(sqlite_store, moderation=0, allowed_origins=site.origin) as parley:
        site.parley_url = parley.url
        stranger = Site(parley.url)
        yield parley, site, stranger
        site.close()
        stranger.close()


def shadow(page: Page, css: str):
    """Inside the widget (Playwright's CSS pierces open shadow roots)."""
    return page.locator(f"[data-parley-story] {css}")


# --- the tests -----------------------------------------------------------------------------
class CookieEcho:
    """On Parley's host (127.0.0.1, another port: cookies do not care about ports): sets a
    SameSite=None cookie at /set and records the Cookie header of every request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        echo = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                echo.seen.append((self.path, self.headers.get("Cookie")))
                self.send_response(200)
                if self.path == "/set":
                    self.send_header("Set-Cookie", "probe=1; SameSite=None; Secure; Path=/")
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def cookie_on(self, path: str) -> str | None:
        return next((cookie for p, cookie in self.seen if p == path), "not requested")


def test_third_party_cookies_are_really_blocked(servers, open_browser):
    _, site, _ = servers
    echo = CookieEcho()
    url = site.article("/probe", embed=f'<iframe src="http://127.0.0.1:{echo.port}/frame"></iframe>'
                                         f'<img src="http://127.0.0.1:{echo.port}/img" alt="">')
    try:
        for block in (False, True):
            echo.seen.clear()
            context, _ = open_browser(block=block)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{echo.port}/set")  # a first-party visit sets it
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert [c["name"] for c in context.cookies(f"http://127.0.0.1:{echo.port}")] == ["probe"]
            sent = (echo.cookie_on("/frame"), echo.cookie_on("/img"))
            # Allowed, the browser sends it from the publisher's page; blocked, it does not.
            assert sent == ((None, None) if block else ("probe=1", "probe=1")), (block, echo.seen)
            context.close()
    finally:
        echo._server.shutdown()
        echo._server.server_close()


def _wait_for_thread(page: Page) -> None:
    expect(shadow(page, ".parley-thread")).to_have_count(1)


def _post(page: Page, body: str, name: str | None = "Ann Reader") -> None:
    form = shadow(page, "form.comment-form")
    if name is not None:
        form.locator('input[name="author_name"]').fill(name)
    form.locator('textarea[name="body"]').fill(body)
    form.locator('button[type="submit"]').click()


def test_a_reader_reads_posts_replies_edits_recommends_reports_and_signs_in_through_the_script(
        servers, open_browser):
    parley, site, _ = servers
    services = parley.services
    url = site.article("/news/budget-vote", embed=script_embed(parley.url, title="Budget vote", section="Politics",
                                                               theme="dark"))
    context, seen = open_browser()
    page = context.new_page()
    page.goto(url)
    _wait_for_thread(page)
    # Created on this first view, from the page's canonical URL and data attributes.
    [story] = [s for s in services.stories.latest(10) if s.url == url]
    assert story.title == "Budget vote"
    expect(shadow(page, ".parley-count")).to_have_text("0 comments")
    assert page.evaluate("document.querySelector('[data-parley-story]').shadowRoot.querySelector('.p.dark') !== null")
    # The host page's styles do not reach in, nor the widget's out.
    assert page.evaluate("document.querySelectorAll('.parley-thread, .comment').length") == 0

    _post(page, "First from the **publisher's** page.")
    first = shadow(page, "ol.thread > li.comment").first
    expect(first.locator(".comment-body")).to_contain_text("First from the publisher's page.")
    expect(shadow(page, ".parley-count")).to_have_text("1 comment")
    first_id = int(first.get_attribute("data-comment-id"))

    # Reply in place.
    first.locator("a.reply-link").click()
    expect(shadow(page, "form.comment-form .form-heading")).to_have_text("Reply to Ann Reader")
    _post(page, "A reply, in place.", name="Bo")
    reply = shadow(page, f"#c{first_id} > article > ol.replies > li.comment")
    expect(reply).to_have_count(1)
    expect(reply.locator(".comment-body")).to_contain_text("A reply, in place.")
    assert services.posting.get_comment(Actor.guest(), reply.get_attribute("data-comment-id")).parent_id == first_id

    # Edit one's own fresh comment (its edit token is in the widget's memory).
    first.locator(":scope > article > footer button.edit-comment").click()
    shadow(page, ".edit-form textarea").fill("First, edited.")
    shadow(page, ".edit-form button[type=submit]").click()
    expect(first.locator(":scope > article > .comment-body")).to_have_text("First, edited.")

    # Report the reply.
    reply.locator(":scope > article > footer a.report-link").click()
    report = shadow(page, ".report-form")
    report.locator('input[name="reason"][value="spam"]').check()
    report.locator('textarea[name="text"]').fill("Selling something.")
    report.locator('button[type="submit"]').click()
    expect(reply.locator(".form-status")).to_contain_text("Thank you")

    guest = _guest_of(page, parley.url)  # the reader so far: a guest known by the widget's token
    # Sign in through the widget; the session comes back as a token, never a cookie.
    services.accounts.create_account(SYSTEM, email="cy@example.org", password=PASSWORD, role=Role.COMMENTER,
                                     display_name="Cy Account")
    shadow(page, "button[data-act=signin]").click()
    shadow(page, '.signin-form input[name="email"]').fill("cy@example.org")
    shadow(page, '.signin-form input[name="password"]').fill(PASSWORD)
    shadow(page, ".signin-form button[type=submit]").click()
    expect(shadow(page, ".who")).to_contain_text("Signed in as Cy Account")
    _post(page, "Now as my account.", name=None)
    mine = shadow(page, "ol.thread > li.comment").filter(has_text="Now as my account.")
    expect(mine.locator(":scope > article > header .author")).to_have_text("Cy Account")
    expect(mine.locator(":scope > article > header .badge-guest")).to_have_count(0)
    # Recommend Ann's comment (helper B's API; the token says which reader recommends).
    recommend = first.locator(":scope > article > footer a.recommend-link")
    recommend.click()
    expect(first.locator(":scope > article > footer .recommend-count")).to_have_text("1 recommendation")
    expect(recommend).to_have_attribute("aria-pressed", "true")
    assert services.posting.get_comment(Actor.guest(), first_id).recommend_count == 1
    # A reload keeps the sign-in (the token is in the host page's localStorage), and the
    # widget marks what this reader recommended.
    page.reload()
    _wait_for_thread(page)
    expect(shadow(page, ".who")).to_contain_text("Signed in as Cy Account")
    expect(shadow(page, "ol.thread > li.comment")).to_have_count(2)
    expect(recommend).to_have_attribute("aria-pressed", "true")
    recommend.click()  # and takes it back
    expect(first.locator(":scope > article > footer .recommend-count")).to_have_text("0 recommendations")
    assert services.posting.get_comment(Actor.guest(), first_id).recommend_count == 0
    shadow(page, "button[data-act=signout]").click()
    expect(shadow(page, "button[data-act=signin]")).to_have_count(1)
    # Signed out, the reader is the guest they were before (the same token again).
    assert _guest_of(page, parley.url) == guest

    # Everything went through without a single cookie of Parley's.
    assert context.cookies(parley.url) == []
    outcome = services.reports.reports_of(Actor.guest(guest_key=guest))
    assert [o.report.reason.value for o in outcome] == ["spam"]
    seen.assert_quiet()


def _guest_of(page: Page, parley_url: str) -> str:
    token = page.evaluate(f"localStorage.getItem('parley-token:{parley_url}')")
    assert token and token.startswith("g."), token
    return token.split(".")[1]


def test_the_no_javascript_iframe_reads_and_posts(servers, open_browser):
    parley, site, _ = servers
    url = site.article("/news/frame", embed=frame_embed(parley.url, f"{site.origin}/news/frame", "Framed story"))
    story = parley.services.stories
    context, seen = open_browser(java_script_enabled=False)
    page = context.new_page()
    page.goto(url)
    frame = page.frame_locator("iframe")
    expect(frame.locator("#comments-heading")).to_have_text("0 comments")
    [made] = [s for s in story.latest(10) if s.url == f"{site.origin}/news/frame"]
    assert made.title == "Framed story"
    frame.locator("#author_name").fill("Di")
    frame.locator("#body").fill("Posted with JavaScript off.")
    frame.locator("button[type=submit]").click()
    expect(frame.locator("ol.thread li.comment .comment-body")).to_contain_text("Posted with JavaScript off.")
    assert story.get(made.slug).comment_count == 1
    # A reply, through the reply link and the form it opens.
    frame.locator("a.reply-link").first.click()
    expect(frame.locator("#form-heading")).to_have_text("Reply to Di")
    frame.locator("#author_name").fill("Ed")
    frame.locator("#body").fill("Replying without JavaScript.")
    frame.locator("button[type=submit]").click()
    expect(frame.locator("ol.replies li.comment .comment-body")).to_contain_text("Replying without JavaScript.")
    assert story.get(made.slug).comment_count == 2
    assert context.cookies(parley.url) == []
    seen.assert_quiet()


def test_a_server_side_include_and_the_count_script(servers, open_browser):
    parley, site, _ = servers
    article = f"{site.origin}/news/included"
    site.pages["/news/included"] = (f'<!doctype html><html><head><meta charset="utf-8"><title>Included</title></head>'
                                    f'<body><!--#include parley=url={quote(article, safe="")}&title=Included-->'
                                    f'</body></html>')
    context, seen = open_browser(java_script_enabled=False)
    page = context.new_page()
    page.goto(article)
    expect(page.locator(".parley-thread .parley-count")).to_have_text("0 comments")
    [story] = [s for s in parley.services.stories.latest(10) if s.url == article]
    for n in range(3):
        parley.services.posting.post(Actor.guest(), NewComment(story.slug, "Fay", f"Comment {n}."))
    page.reload()
    expect(page.locator(".parley-thread li.comment")).to_have_count(3)
    context.close()

    site.pages["/"] = (f'<!doctype html><html><head><meta charset="utf-8"><title>Front page</title></head><body>'
                       f'<ul><li><a href="{article}">Included</a> <span data-parley-count="{article}">…</span></li>'
                       f'<li><a href="/x">Quiet</a> <span data-parley-count="{site.origin}/x">…</span></li></ul>'
                       f'<script src="{parley.url}/embed/count.js" async></script></body></html>')
    context, seen = open_browser()
    page = context.new_page()
    page.goto(site.origin + "/")
    expect(page.locator("[data-parley-count]").first).to_have_text("3 comments")
    expect(page.locator("[data-parley-count]").last).to_have_text("0 comments")
    seen.assert_quiet()


def test_a_site_not_in_the_list_gets_nothing(servers, open_browser):
    parley, _, stranger = servers
    before = len(parley.services.stories.latest(100))
    url = stranger.article("/a", embed=script_embed(parley.url))
    framed = stranger.article("/b", embed=f'<iframe src="{parley.url}/embed/frame?url='
                                          f'{quote(stranger.origin + "/b", safe="")}"></iframe>')
    context, seen = open_browser()
    page = context.new_page()
    page.goto(url)
    expect(shadow(page, ".main")).to_contain_text("could not be loaded")
    expect(shadow(page, ".parley-thread")).to_have_count(0)
    page.goto(framed)
    page.wait_for_load_state("networkidle")
    frame = page.frames[1]
    assert frame.locator("#comments").count() == 0
    assert len(parley.services.stories.latest(100)) == before
    # Not even an existing story is framed for it: CSP frame-ancestors names only the list.
    parley.services.stories.create(SYSTEM, {"slug": "existing", "title": "Existing"})
    stranger.pages["/c"] = f'<!doctype html><iframe src="{parley.url}/embed/frame/existing"></iframe>'
    page.goto(stranger.origin + "/c")
    page.wait_for_load_state("networkidle")
    assert page.frames[1].locator("#comments").count() == 0


def test_the_embed_renders_the_500_comment_thread(servers, open_browser):
    parley, site, _ = servers
    services = parley.services
    services.stories.create(SYSTEM, {"slug": "big", "title": "A big thread", "url": f"{site.origin}/big"})
    writer = Actor.guest(guest_key="bulk")
    roots: list[int] = []
    for n in range(500):
        parent = roots[n % len(roots)] if n % 3 == 2 and roots else None
        posted = services.posting.post(writer, NewComment("big", f"Reader {n % 40}", f"Comment number {n}.",
                                                          parent_id=parent))
        if parent is None:
            roots.append(posted.comment.id)
    url = site.article("/big", embed=script_embed(parley.url, story="big"))
    context, seen = open_browser()
    page = context.new_page()
    page.goto(url)
    _wait_for_thread(page)
    expect(shadow(page, ".parley-count")).to_have_text("500 comments")
    while shadow(page, "a.load-more").count():
        shown = shadow(page, "li.comment").count()
        shadow(page, "a.load-more").click()
        expect(shadow(page, "li.comment")).not_to_have_count(shown)
    expect(shadow(page, "li.comment")).to_have_count(500)
    seen.assert_quiet()


# The audit of tests/web/browser.py, run on the widget's shadow root instead of the document.
SHADOW_AUDIT = (AUDIT_SCRIPT.replace("() => {", "() => {\n  const root = document.querySelector('[data-parley-story]')"
                                     ".shadowRoot;", 1)
                .replace("document.querySelectorAll", "root.querySelectorAll"))


def test_xss_payloads_stay_inert_inside_the_embed(servers, open_browser):
    parley, site, _ = servers
    services = parley.services
    services.stories.create(SYSTEM, {"slug": "xss", "title": "Payloads", "url": f"{site.origin}/xss"})
    writer = Actor.guest(guest_key="xss")
    expected = 0
    for _, payload in PAYLOADS:
        services.posting.post(writer, NewComment("xss", "Reader", payload))
        expected += 1
    url = site.article("/xss", embed=script_embed(parley.url, story="xss"))
    context, seen = open_browser(bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    _wait_for_thread(page)
    while shadow(page, "a.load-more").count():
        shown = shadow(page, "li.comment").count()
        shadow(page, "a.load-more").click()
        expect(shadow(page, "li.comment")).not_to_have_count(shown)
    found = page.evaluate(SHADOW_AUDIT)
    assert len(found["comments"]) == expected
    assert found["problems"] == [], found["problems"][:20]
    assert found["canary"] == {"tripped": False, "calls": []}
    assert found["frames"] == 0
    # Nothing but the widget's own elements outside comment bodies.
    assert set(found["outside"]) <= {"div", "section", "h2", "ol", "li", "article", "header", "span", "a", "time",
                                     "footer", "details", "summary", "p", "form", "h3", "input", "label",
                                     "textarea", "button", "strong"}, found["outside"]
    seen.assert_quiet()
