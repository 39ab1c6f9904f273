"""Every payload in ../shared/data/xss/*.txt (one a line, blank lines skipped), posted as a
comment body, as a display name and as a story's title, body, dateline and credit, comes back
inert, checked in a real browser (Chromium via Playwright): no dialog, no script running, no
element but the template's own, no request leaving the loopback server. Input over the limits
gets the JSON error naming its field and writes nothing.

Runs on the SQLite store: the rendering under test does not depend on the database.
The browser contexts bypass the pages' Content-Security-Policy: it is the second line of
defence, and these tests are about the first (escaping and sanitising), so an injected
script must get the chance to run, and be caught, here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from parley.domain import Actor, Role
from parley.service import NewComment
from tests.conftest import SHARED, serve
from tests.web import roles
from tests.web.browser import AUDIT_SCRIPT, Api

XSS_DIR = SHARED / "data" / "xss"
MAX_NAME = 50
MAX_BODY = 5000
MAX_TITLE, MAX_CREDIT, MAX_DATELINE = 300, 200, 200

# Tags outside comment bodies whose number grows with the comments on a page; every other
# tag outside a comment body must appear exactly as often as on a page of harmless comments.
# (Inside a comment body the audit allows only the sanitiser's tags and attributes.)
COMMENT_TAGS = {"li", "article", "header", "span", "a", "time", "div", "footer", "ol", "details", "summary"}


def load_payloads() -> list[tuple[str, str]]:
    """(where it came from, payload), first occurrence of each distinct payload."""
    found: dict[str, str] = {}
    for path in sorted(XSS_DIR.glob("*.txt")):
        for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            line = line.removesuffix("\r")
            if line.strip() and line not in found:
                found[line] = f"{path.name}:{n}"
    return [(source, payload) for payload, source in found.items()]


PAYLOADS = load_payloads()


def test_the_payload_files_are_there():
    assert len(list(XSS_DIR.glob("*.txt"))) == 4
    assert len(PAYLOADS) > 300


# What the service's rules make of a display name: NFC, invisible characters dropped,
# whitespace collapsed; at most 50 characters left.
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}


def cleaned_name(raw: str) -> str:
    name = "".join(ch for ch in unicodedata.normalize("NFC", raw) if unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(name.split())


def html_collapse(text: str) -> str:
    """Whitespace as document.title reports it: ASCII whitespace collapsed and trimmed."""
    return re.sub(r"[\t\n\f\r ]+", " ", text).strip()


def oversized(payload: str, limit: int) -> str:
    return (payload.strip() + " ") * math.ceil((limit + 1) / (len(payload.strip()) + 1)) + "x"


# --- the server and what a harmless page looks like ----------------------------
@pytest.fixture
def xss_server(sqlite_store) -> Iterator:
    # Every payload is scored, and none acted on: held or folded payloads would hide what
    # is under test here, the rendering (moderation's answers have their own: test_moderation).
    with serve(sqlite_store, moderation_thresholds="{}") as live:
        yield live


@pytest.fixture
def api(xss_server) -> Iterator[Api]:
    with Api(xss_server.url, staff_token=roles.token(xss_server, Role.STAFF)) as client:
        yield client


def audit(page: Page, errors: list[str] | None = None) -> dict:
    """The audit of the page as it stands; a page that navigated away by itself or broke
    the audit fails the test here, with the problems found so far."""
    url = page.url
    try:
        return page.evaluate(AUDIT_SCRIPT)
    except PlaywrightError as exc:
        raise AssertionError(f"{url}: the page could not be audited (did something on it navigate or break "
                             f"it?): {exc.message}\n{report(errors or [])}") from None


def harmless_story(server, api: Api) -> str:
    """A story whose comments use every kind of markup a comment may have."""
    assert api.create_story(slug="harmless", title="A harmless story", body="Text.").status_code == 201
    posting = server.services.posting
    first = posting.post(Actor.guest(), NewComment(
        story_slug="harmless", author_name="Ann",
        body="*em* **strong** [a link](https://example.org/) `code` ||spoiler||\nline two\n\n> quoted\n\n"
             "```\npre\n```\n\n<mailto:ann@example.org>")).comment
    posting.post(Actor.guest(), NewComment(story_slug="harmless", author_name="Ben", body="@Ann quite right.",
                                           parent_id=first.id))
    posting.post(Actor.guest(), NewComment(story_slug="harmless", author_name="Cat", body="Folded.", spoiler=True))
    return f"{server.url}/stories/harmless"


def baseline_of(page: Page, url: str) -> dict:
    page.goto(url)
    found = audit(page)
    assert found["problems"] == [], found["problems"]
    assert found["canary"] == {"tripped": False, "calls": []}
    return found


def check_page(found: dict, baseline: dict, *, grows: set[str], what: dict[str, str], url: str,
               own: int = 0) -> list[str]:
    """Everything wrong with an audited page, compared with the harmless baseline.
    ``what`` maps an element id (cNN) to the payload it shows, for the messages; ``own``
    is how many Edit/Delete buttons the page's script should have given this reader."""
    errors = []
    if found["owner_buttons"] != own:
        errors.append(f"{found['owner_buttons']} Edit/Delete buttons, expected {own}")
    for problem in found["problems"]:
        errors.append(f"{problem['what']} in {problem['where']} ({what.get(problem['where'], '')}): {problem['html']}")
    if found["canary"] is None:
        errors.append("the canary script did not run")
    elif found["canary"]["tripped"]:
        errors.append(f"a dialog function was called: {found['canary']['calls']}")
    if found["frames"]:
        errors.append(f"{found['frames']} frame(s) in the page")
    extra = set(found["outside"]) - set(baseline["outside"])
    if extra:
        errors.append(f"elements not in the template: {sorted(extra)}")
    for tag in (set(found["outside"]) | set(baseline["outside"])) - grows:
        if found["outside"].get(tag, 0) != baseline["outside"].get(tag, 0):
            errors.append(f"<{tag}> x{found['outside'].get(tag, 0)} outside comment bodies, a harmless page has "
                          f"x{baseline['outside'].get(tag, 0)}")
    if found["head"] != baseline["head"]:
        errors.append(f"<head> holds {found['head']}, a harmless page {baseline['head']}")
    if found["body_children"] != baseline["body_children"]:
        errors.append(f"<body> holds {found['body_children']}, a harmless page {baseline['body_children']}")
    for c in found["comments"]:
        if c["bodies"] != 1:
            errors.append(f"{c['id']} ({what.get(c['id'], '')}) has {c['bodies']} bodies")
    return [f"{url}: {e}" for e in errors]


def report(errors: list[str], most: int = 60) -> str:
    more = f"\n... and {len(errors) - most} more" if len(errors) > most else ""
    return f"{len(errors)} problem(s):\n" + "\n".join(e[:400] for e in errors[:most]) + more


def walk_pages(page: Page, url: str, errors: list[str]) -> Iterator[tuple[str, dict]]:
    """Each page of a story's comments, following the "Load more" links by navigation."""
    while url:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        yield url, audit(page, errors)
        more = page.locator("a.load-more")
        url = urljoin(page.url, more.get_attribute("href")) if more.count() else None


# --- comment bodies ------------------------------------------------------------
def test_every_payload_as_a_comment_body_is_inert(xss_server, api, new_context):
    assert api.create_story(slug="bodies", title="Bodies", body="Text.").status_code == 201
    assert api.create_story(slug="bodies-rejected", title="Too long", body="Text.").status_code == 201
    shows: dict[str, str] = {}
    for source, payload in PAYLOADS:
        response = api.post_comment("bodies", author_name="Reader", body=payload)
        assert response.status_code == 201, (source, payload, response.text)
        shows[f"c{response.json()['id']}"] = f"{source} {payload!r}"

        # The same payload over the length limit: the JSON error naming the field, nothing written.
        response = api.post_comment("bodies-rejected", author_name="Reader", body=oversized(payload, MAX_BODY))
        assert 400 <= response.status_code < 500, (source, response.status_code)
        error = response.json()["error"]
        assert error["field"] == "body" and error["code"] and error["message"], (source, error)
    assert api.comment_count("bodies") == len(PAYLOADS)
    assert api.comment_count("bodies-rejected") == 0
    assert api.client.get("/api/v1/stories/bodies-rejected/comments").json()["comments"] == []

    context, seen = new_context(bypass_csp=True)
    page = context.new_page()
    baseline = baseline_of(page, harmless_story(xss_server, api))

    # Page by page as the server renders them, following "Load more".
    errors: list[str] = []
    rendered: Counter[str] = Counter()
    pages = 0
    for url, found in walk_pages(page, f"{xss_server.url}/stories/bodies", errors):
        pages += 1
        errors += check_page(found, baseline, grows=COMMENT_TAGS, what=shows, url=url)
        # Without JavaScript each page keeps what the one before showed and adds the next 50:
        # the last holds every comment, once.
        rendered = Counter(c["id"] for c in found["comments"])
        if sum(rendered.values()) != min(50 * pages, len(PAYLOADS)):
            errors.append(f"{url}: {sum(rendered.values())} comments, expected {min(50 * pages, len(PAYLOADS))}")
    if pages != math.ceil(len(PAYLOADS) / 50):
        errors.append(f"{pages} pages of comments, expected {math.ceil(len(PAYLOADS) / 50)}")
    missing = set(shows) - set(rendered)
    errors += [f"{cid} ({shows[cid]}) was not shown" for cid in sorted(missing)]
    errors += [f"{cid} ({shows[cid]}) was shown {n} times" for cid, n in rendered.items() if n != 1]
    assert errors == [], report(errors)

    # All on one page through the script's "Load more" (HTML fetched and inserted).
    page.goto(f"{xss_server.url}/stories/bodies")
    for shown in range(50, len(PAYLOADS), 50):
        page.locator("a.load-more").click()
        expect(page.locator("#thread > li.comment")).to_have_count(min(shown + 50, len(PAYLOADS)))
    expect(page.locator("a.load-more")).to_have_count(0)
    found = audit(page, errors)
    errors += check_page(found, baseline, grows=COMMENT_TAGS, what=shows, url="inserted by Load more")
    assert {c["id"] for c in found["comments"]} == set(shows)

    assert errors == [], report(errors)
    seen.assert_quiet()


# --- display names ---------------------------------------------------------------
def test_every_payload_as_a_display_name_is_inert(xss_server, api, new_context):
    assert api.create_story(slug="names", title="Names", body="Text.").status_code == 201
    assert api.create_story(slug="names-rejected", title="Too long", body="Text.").status_code == 201
    named: dict[str, str] = {}  # cNN -> the cleaned name it must show
    shows: dict[str, str] = {}
    mentions: dict[str, str] = {}  # reply cNN -> the name it mentions
    rejected = 0
    for source, payload in PAYLOADS:
        name = cleaned_name(payload)
        response = api.post_comment("names", author_name=payload, body="Plain words.")
        if not 0 < len(name) <= MAX_NAME:
            assert 400 <= response.status_code < 500, (source, payload, response.status_code)
            error = response.json()["error"]
            assert error["field"] == "author_name" and error["code"] and error["message"], (source, error)
            rejected += 1
            continue
        assert response.status_code == 201, (source, payload, response.text)
        posted = response.json()
        # Every comment shows its writer's name exactly as cleaned, whatever came before.
        assert posted["author"]["name"] == name, (source, payload)
        named[f"c{posted['id']}"] = name
        shows[f"c{posted['id']}"] = f"{source} name {name!r}"
        # A reply opening with "@Name" links the mention to its parent: the name goes into that HTML too.
        reply = api.post_comment("names", author_name="Replier", body=f"@{name} thanks.", parent_id=posted["id"])
        assert reply.status_code == 201, (source, payload, reply.text)
        shows[f"c{reply.json()['id']}"] = f"{source} mention of {name!r}"
        mentions[f"c{reply.json()['id']}"] = name
    for _source, payload in PAYLOADS:
        if len(cleaned_name(payload)) > MAX_NAME:
            response = api.post_comment("names-rejected", author_name=payload, body="Plain words.")
            assert 400 <= response.status_code < 500 and response.json()["error"]["field"] == "author_name"
    assert rejected > 100 and len(named) > 100
    assert api.comment_count("names") == 2 * len(named)
    assert api.comment_count("names-rejected") == 0
    assert api.client.get("/api/v1/stories/names-rejected/comments").json()["comments"] == []

    context, seen = new_context(bypass_csp=True)
    page = context.new_page()
    baseline = baseline_of(page, harmless_story(xss_server, api))

    errors: list[str] = []
    rendered: dict[str, dict] = {}
    for url, found in walk_pages(page, f"{xss_server.url}/stories/names", errors):
        page_errors = check_page(found, baseline, grows=COMMENT_TAGS, what=shows, url=url)
        errors += page_errors
        rendered.update({c["id"]: c for c in found["comments"]})
        if page_errors:
            continue  # a page already broken says nothing more when clicked

        # The script's Reply puts the name into the form's heading: as text, and nothing else.
        headings = page.evaluate("""() => [...document.querySelectorAll('#thread a.reply-link')].map((link) => {
            link.click();
            return [link.closest('li.comment').id, document.querySelector('#comment-form h3').textContent];
        })""")
        for cid, heading in headings:
            if cid in named and heading != f"Reply to {named[cid]}":
                errors.append(f"{cid} ({shows[cid]}): the form says {heading!r}")
        after = audit(page, errors)
        after["outside"]["button"] -= 1  # the form's own "Cancel reply" button, now shown
        errors += check_page(after, baseline, grows=COMMENT_TAGS, what=shows, url=f"{url} after Reply")
    errors += [f"{cid} ({shows[cid]}) was not shown" for cid in sorted(set(shows) - set(rendered))]
    assert errors == [], report(errors)

    for cid, name in named.items():
        c = rendered[cid]
        for key in ("author", "reply_name"):
            if c[key] != name:
                errors.append(f"{cid} ({shows[cid]}): {key} reads {c[key]!r}")
        if c["reply_text"] != f"Reply to {name}":
            errors.append(f"{cid} ({shows[cid]}): the Reply link reads {c['reply_text']!r}")
    for cid, name in mentions.items():
        mention = rendered[cid]["mention"]
        if mention is not None and mention != f"@{name}":
            errors.append(f"{cid} ({shows[cid]}): the mention reads {mention!r}")
    assert errors == [], report(errors)
    seen.assert_quiet()


# --- the comment form, through the page's script -------------------------------------
def test_payloads_posted_through_the_form_are_inert_when_inserted(xss_server, api, new_context):
    assert api.create_story(slug="form", title="Form", body="Text.").status_code == 201
    context, seen = new_context(bypass_csp=True)
    page = context.new_page()
    baseline = baseline_of(page, harmless_story(xss_server, api))
    page.goto(f"{xss_server.url}/stories/form")

    polyglots = [(f"XSS_Polyglots.txt:{n}", line) for n, line in
                 enumerate((XSS_DIR / "XSS_Polyglots.txt").read_text(encoding="utf-8").splitlines(), 1) if line.strip()]
    assert len(polyglots) >= 10
    form = page.locator("#comment-form")
    for n, (source, payload) in enumerate(polyglots, 1):
        name = payload if 0 < len(cleaned_name(payload)) <= MAX_NAME else "Form poster"
        form.locator("input[name=author_name]").fill(name)
        form.locator("textarea[name=body]").fill(payload)
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            form.get_by_role("button", name="Post comment").click()
        assert posted.value.status == 201, (source, posted.value.text())
        expect(page.locator("#thread > li.comment")).to_have_count(n)
        expect(form.locator("button[type=submit]")).to_be_enabled()

    own = 2 * len(polyglots)
    errors = check_page(audit(page), baseline, grows=COMMENT_TAGS, what={}, url="inserted after posting", own=own)
    page.reload()
    errors += check_page(audit(page), baseline, grows=COMMENT_TAGS, what={}, url="after reload", own=own)
    assert errors == [], report(errors)

    # The writer's own Edit puts the server's HTML for the new text into the page.
    items = page.locator("#thread > li.comment")
    for n, (source, payload) in enumerate(reversed(polyglots)):
        item = items.nth(n)
        item.get_by_role("button", name="Edit").click()
        item.locator("form.edit-form textarea").fill(payload)
        with page.expect_response(lambda r: r.request.method == "PATCH") as saved:
            item.locator("form.edit-form").get_by_role("button", name="Save").click()
        assert saved.value.status == 200, (source, saved.value.text())
        expect(item.locator("form.edit-form")).to_have_count(0)
    errors += check_page(audit(page), baseline, grows=COMMENT_TAGS, what={}, url="after editing", own=own)
    page.reload()
    errors += check_page(audit(page), baseline, grows=COMMENT_TAGS, what={}, url="edited, after reload", own=own)
    assert errors == [], report(errors)
    assert api.comment_count("form") == len(polyglots)
    seen.assert_quiet()


# --- story title, body, dateline and credit -----------------------------------------
def test_every_payload_in_a_story_is_inert_on_its_page_and_the_home_page(xss_server, api, new_context):
    context, seen = new_context(bypass_csp=True)
    page = context.new_page()
    assert api.create_story(slug="harmless", title="A harmless story", body="Text.", dateline="PARIS",
                            credit="AFP").status_code == 201
    baseline = baseline_of(page, f"{xss_server.url}/stories/harmless")
    home_baseline = baseline_of(page, f"{xss_server.url}/")

    errors: list[str] = []
    batch: list[tuple[str, str, str]] = []  # (slug, title, source)

    def check_home() -> None:
        response = page.goto(f"{xss_server.url}/")
        assert response is not None and response.status == 200
        found = audit(page, errors)
        errors.extend(check_page(found, home_baseline, grows={"li", "a", "span"}, what={}, url="home"))
        links = dict(page.evaluate("""() => [...document.querySelectorAll('.story-list a')].map(
            (a) => [a.getAttribute('href'), a.textContent])"""))
        for slug, title, source in batch:
            if links.get(f"/stories/{slug}") != title:
                errors.append(f"home: {source} the link to {slug} reads {links.get(f'/stories/{slug}')!r}")
        batch.clear()

    for n, (source, payload) in enumerate(PAYLOADS):
        slug = f"story-{n}"
        text = payload.strip()
        fields = {"slug": slug, "title": payload, "body": payload, "dateline": payload, "credit": payload}
        too_long = [f for f, limit in (("title", MAX_TITLE), ("dateline", MAX_DATELINE), ("credit", MAX_CREDIT))
                    if len(payload) > limit]
        if too_long:
            # Over a limit: the JSON error naming a field that is too long, and no story.
            response = api.create_story(**fields)
            assert 400 <= response.status_code < 500, (source, response.status_code)
            assert response.json()["error"]["field"] in too_long, (source, response.json())
            assert api.story(slug).status_code == 404
            assert api.story(slug).json()["error"]["code"] == "not_found"
            for field in too_long:
                fields[field] = f"{field} {n}"
        response = api.create_story(**fields)
        assert response.status_code == 201, (source, response.text)
        title = fields["title"].strip()
        batch.append((slug, title, source))

        page.goto(f"{xss_server.url}/stories/{slug}")
        found = audit(page, errors)
        errors += check_page(found, baseline, grows=set(), what={}, url=slug)
        shown = page.evaluate("""() => ({
            h1: (document.querySelector('#story-title') || {}).textContent,
            paragraphs: [...document.querySelectorAll('article.story > p')].map((p) => p.textContent),
            credit: (document.querySelector('article.story .credit') || {}).textContent,
            dateline: (document.querySelector('article.story .place') || {}).textContent,
        })""")
        expected = {"h1": title, "paragraphs": [text], "credit": fields["credit"].strip(),
                    "dateline": fields["dateline"].strip()}
        if shown != expected:
            errors.append(f"{slug} ({source} {payload!r}) shows {shown}")
        if found["title"] != html_collapse(f"{title} · Parley"):
            errors.append(f"{slug} ({source} {payload!r}) has the document title {found['title']!r}")
        if len(batch) == 50:
            check_home()
    if batch:
        check_home()

    assert errors == [], report(errors)
    seen.assert_quiet()

