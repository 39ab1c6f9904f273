"""The reader pages over real HTTP, without a browser: what a no-JavaScript reader gets."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape

import httpx
import pytest

from parley.domain import Actor
from parley.importers.scraped import import_page, parse
from parley.service import NewComment
from tests.conftest import EXAMPLE

SYSTEM = Actor.system("tests")

SPOILER = "This comment contains spoilers. Click here if you want to read."


@pytest.fixture
def example(server):
    import_page(server.services, parse(EXAMPLE.read_text()), slug="s",
                scraped_at=datetime(2024, 4, 8, 12, tzinfo=timezone.utc))
    return server


@pytest.fixture
def reader(server):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _idem(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_story_page_reads_like_the_example(example, reader):
    r = reader.get("/stories/s")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<h1 id=\"story-title\">US Secretary of State Antony Blinken will hold talks" in html
    assert '<time datetime="2024-04-02T00:00:00Z"' in html
    assert '<p class="credit">AFP</p>' in html
    assert "<h2 id=\"comments-heading\" data-count=\"5\">5 comments</h2>" in html
    assert html.count('<span class="badge badge-guest">Guest</span>') == 5
    assert html.count(f"<summary>{SPOILER}</summary>") == 5
    assert '<time datetime="2024-04-02T12:00:00Z" title="2 April 2024, 12:00 UTC">' in html
    assert re.search(r'<time datetime="2024-04-02T12:00:00Z"[^>]*>\d+ (year|month|day)s? ago</time>', html)
    # Bob > John > Bob, nested.
    bob, john, bob2 = re.findall(r'<li class="comment" id="c(\d+)" data-comment-id="\d+" data-depth="(\d)"', html)[:3]
    assert [d for _, d in (bob, john, bob2)] == ["0", "1", "2"]
    assert f'<a class="mention" href="#c{bob[0]}">@Bob Boomhauer</a>' in html
    for landmark in ("<main", "<nav class=\"sort\" aria-label=\"Sort comments\"", "<label for=\"author_name\">",
                     "<label for=\"body\">", "<label for=\"spoiler\">", 'lang="en"'):
        assert landmark in html


def test_sort_links_and_current_sort(example, reader):
    html = reader.get("/stories/s", params={"sort": "newest"}).text
    assert '<a href="?sort=newest#comments" aria-current="true">Newest</a>' in html
    names = re.findall(r'<span class="author" id="c\d+-by">([^<]+)</span>', html)
    # The three top-level comments share a time; the later-posted one counts as newer.
    assert names == ["Molotov", "John", "Bob Boomhauer", "John", "Bob Boomhauer"]
    bad = reader.get("/stories/s", params={"sort": "best"})
    assert bad.status_code == 422


def test_plain_post_needs_the_csrf_token(example, reader):
    r = reader.post("/stories/s/comments", data={"author_name": "Eve", "body": "forged"})
    assert r.status_code == 403
    assert example.services.stories.get("s").comment_count == 5


def test_plain_post_of_a_reply_redirects_to_it_nested(example, reader):
    page = reader.get("/stories/s")
    molotov = re.findall(r'id="c(\d+)"', page.text)[-1]
    reply_page = reader.get("/stories/s", params={"reply": molotov})
    assert "Reply to Molotov" in reply_page.text
    assert f'name="parent_id" value="{molotov}"' in reply_page.text
    r = reader.post("/stories/s/comments", data={
        "csrf_token": _csrf(reply_page.text), "idempotency_key": _idem(reply_page.text),
        "author_name": "Ann", "body": "@Molotov, *no*", "parent_id": molotov, "spoiler": "1"})
    assert r.status_code == 303
    location = r.headers["location"]
    new_id = location.rsplit("#c", 1)[1]
    assert location == f"/stories/s?thread={molotov}#c{new_id}"
    thread = reader.get(location.split("#")[0]).text
    assert re.search(rf'id="c{molotov}".*<ol class="replies">\s*<li class="comment" id="c{new_id}"', thread, re.S)
    assert f'<a class="mention" href="#c{molotov}">@Molotov</a>, <em>no</em>' in thread
    assert example.services.stories.get("s").comment_count == 6


def test_a_resent_form_posts_once(example, reader):
    page = reader.get("/stories/s").text
    form = {"csrf_token": _csrf(page), "idempotency_key": _idem(page), "author_name": "Ann", "body": "once"}
    assert reader.post("/stories/s/comments", data=form).status_code == 303
    assert reader.post("/stories/s/comments", data=form).status_code == 303
    assert example.services.stories.get("s").comment_count == 6


def test_a_bad_form_is_shown_again_with_the_error_and_the_text(example, reader):
    page = reader.get("/stories/s").text
    r = reader.post("/stories/s/comments", data={"csrf_token": _csrf(page), "author_name": "",
                                                 "body": "keep <this> text"})
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "a display name is required" in r.text
    assert 'id="author_name" name="author_name" maxlength="50" required autocomplete="nickname" value="" ' \
           'aria-invalid="true"' in r.text
    assert "keep &lt;this&gt; text</textarea>" in r.text
    assert example.services.stories.get("s").comment_count == 5


def test_json_form_post_returns_the_comment_html_to_insert(example, reader):
    page = reader.get("/stories/s").text
    bob = re.search(r'id="c(\d+)"', page).group(1)
    r = reader.post("/stories/s/comments", headers={"Accept": "application/json"}, data={
        "csrf_token": _csrf(page), "author_name": "Zed", "body": "hi", "parent_id": bob})
    assert r.status_code == 201
    data = r.json()
    assert data["anchor_id"] == int(bob) and data["edit_token"]
    assert data["html"].startswith(f'<li class="comment" id="c{data["id"]}"')
    bad = reader.post("/stories/s/comments", headers={"Accept": "application/json"},
                      data={"csrf_token": _csrf(page), "author_name": "Zed", "body": ""})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "body"


def test_long_threads_page_with_a_load_more_link(server, reader):
    server.services.stories.create(SYSTEM, {"slug": "long", "title": "Long"})
    for i in range(105):
        server.services.posting.post(Actor.guest(), NewComment(story_slug="long", author_name=f"R{i}",
                                                               body=f"comment {i}"))
    first = reader.get("/stories/long").text
    assert first.count('class="comment"') == 50 and 'id="page-' not in first
    more = re.search(r'<a class="load-more" href="([^"]+)" data-fragment="([^"]+)"', first)
    # Without JavaScript the link shows what was shown and the next page below it, and
    # lands where the new page starts: the first comments do not vanish.
    assert unescape(more.group(1)).endswith("pages=2#page-2")
    second = reader.get(unescape(more.group(1))).text
    assert second.count('class="comment"') == 100 and "comment 0<" in second and "comment 99<" in second
    assert second.index('id="page-2"') < second.index("comment 50<") and second.index("comment 49<") < second.index(
        'id="page-2"')
    more = re.search(r'<a class="load-more" href="([^"]+)" data-fragment="([^"]+)"', second)
    third = reader.get(unescape(more.group(1))).text
    assert third.count('class="comment"') == 105 and "load-more" not in third and 'id="page-3"' in third
    # With it, the script fetches the next page alone and appends it.
    fragment = reader.get(unescape(more.group(2)))
    assert fragment.text.count('class="comment"') == 5 and "<html" not in fragment.text
    assert "comment 104<" in fragment.text and 'id="page-3"' in fragment.text


def test_a_browser_sent_to_the_comments_address_lands_on_the_story_page(example, reader):
    # A plain POST that fails answers at /stories/s/comments; reloading that address from the
    # address bar, or sharing it, must show the story page, not the bare list of comments.
    failed = reader.post("/stories/s/comments", data={"csrf_token": _csrf(reader.get("/stories/s").text),
                                                      "author_name": "", "body": "x"})
    assert failed.status_code == 422 and "<h1 id=\"story-title\">" in failed.text
    page_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for headers in ({"Accept": page_accept}, {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}):
        r = reader.get("/stories/s/comments?sort=newest", headers=headers)
        assert r.status_code == 303 and r.headers["location"] == "/stories/s?sort=newest#comments"
    # What the page's script and other clients fetch is still the fragment.
    for headers in ({"Sec-Fetch-Mode": "cors", "Accept": "text/html"}, {"Accept": "text/html"}, {}):
        r = reader.get("/stories/s/comments", headers=headers)
        assert r.status_code == 200 and r.text.lstrip().startswith("<li") and "<html" not in r.text
    assert reader.get("/stories/s/comments?fragment=1", headers={"Accept": page_accept}).status_code == 200


def test_right_after_an_import_times_read_as_the_source_did(server, reader):
    # The example says "6 days ago" for its first comment, "5 days ago" for another: read
    # right after the import, the page must say the same (not one unit less for a minute).
    import_page(server.services, parse(EXAMPLE.read_text()), slug="now", scraped_at=datetime.now(timezone.utc))
    html = reader.get("/stories/now").text
    source = re.findall(r"Guest (\d+ \w+) ago", EXAMPLE.read_text())
    shown = re.findall(r'<a class="permalink" href="#c\d+"><time [^>]*>([^<]+) ago</time>', html)
    assert source and sorted(shown) == sorted(source), (shown, source)


def test_names_and_titles_are_escaped(server, reader):
    server.services.stories.create(SYSTEM, {"slug": "x", "title": "<script>alert(1)</script>",
                                            "body": "<b>bold</b>", "credit": "<i>AFP</i>"})
    server.services.posting.post(Actor.guest(), NewComment(story_slug="x", author_name='<img src=x onerror=alert(1)>',
                                                           body="hi"))
    html = reader.get("/stories/x").text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    home = reader.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home and "<script>alert" not in home


def test_unknown_story_is_a_404_page(reader):
    r = reader.get("/stories/nope")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "no story" in r.text


def test_closed_story_shows_no_form(server, reader):
    server.services.stories.create(SYSTEM, {"slug": "c", "title": "Closed", "comments_open": False})
    html = reader.get("/stories/c").text
    assert "Comments on this story are closed." in html and 'id="comment-form"' not in html


def test_pages_forbid_inline_script_and_framing_by_others(example, reader):
    for path in ("/stories/s", "/", "/api/v1/stories/s/comments", "/stories/nope"):
        headers = reader.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
    html = reader.get("/stories/s").text
    assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_a_form_echoing_odd_bytes_is_still_a_clean_422(example, reader):
    page = reader.get("/stories/s").text
    r = reader.post("/stories/s/comments", data={"csrf_token": _csrf(page), "author_name": "",
                                                 "body": "x\x00parley-thread\x00y"})
    assert r.status_code == 422 and r.text.count('id="thread"') == 1


def test_the_page_says_when_to_try_again_after_too_many_comments(store):
    from tests.conftest import serve

    with serve(store, rate_limit=1) as live, httpx.Client(base_url=live.url) as reader:
        live.services.stories.create(SYSTEM, {"slug": "r", "title": "R"})
        page = reader.get("/stories/r").text
        form = {"csrf_token": _csrf(page), "author_name": "Ann", "body": "one"}
        assert reader.post("/stories/r/comments", data=form).status_code == 303
        r = reader.post("/stories/r/comments", data={**form, "body": "two"})
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60 and 'role="alert"' in r.text
