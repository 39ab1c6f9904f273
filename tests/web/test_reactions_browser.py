"""Recommending and staff's picks in a real browser (Chromium), with JavaScript on and off,
on both stores: a reader clicks Recommend and sees the count change in place, reloads and
sees it kept; Top and the Featured tab list the comments in the right order; staff feature a
comment in place."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from parley.domain import Actor, Role
from parley.service import NewComment
from parley.web.auth import SESSION_COOKIE
from tests.web import roles

SYSTEM = Actor.system("tests")


def _story(server) -> list[int]:
    server.services.stories.create(SYSTEM, {"slug": "s", "title": "The library reopens", "body": "Text."})
    return [server.services.posting.post(Actor.guest(guest_key=f"writer-{name}"),
                                         NewComment("s", name, f"{name} makes a point about the library.")).comment.id
            for name in ("Ann", "Bea", "Cy")]


def _ids(locator) -> list[str]:
    return [locator.nth(i).get_attribute("id") for i in range(locator.count())]


def test_a_reader_recommends_in_place_keeps_it_on_reload_and_top_and_featured_order(server, new_context):
    ann, bea, cy = _story(server)
    for reader in ("r1", "r2"):  # Cy's comment is the most recommended
        server.services.reactions.recommend(Actor.guest(guest_key=reader), cy)
    context, seen = new_context()
    page = context.new_page()
    page.goto(f"{server.url}/stories/s")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    link = page.locator(f"#c{bea} a.recommend-link")
    count = page.locator(f"#c{bea} .recommend-count")
    expect(link).to_have_attribute("aria-pressed", "false")
    expect(count).to_have_text("0 recommendations")
    with page.expect_response(lambda r: f"/api/v1/comments/{bea}/recommendation" in r.url) as answer:
        link.click()
    assert answer.value.status == 200
    expect(count).to_have_text("1 recommendation")
    expect(link).to_have_attribute("aria-pressed", "true")
    expect(link).to_contain_text("Recommended")
    assert navigations == []  # in place, no reload
    assert server.services.store.get_comment(bea).recommend_count == 1

    page.reload()
    expect(page.locator(f"#c{bea} .recommend-count")).to_have_text("1 recommendation")
    expect(page.locator(f"#c{bea} a.recommend-link")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#c{ann} a.recommend-link")).to_have_attribute("aria-pressed", "false")

    page.get_by_role("link", name="Top", exact=True).click()
    page.wait_for_url(re.compile(r"\?sort=top#comments$"))
    assert _ids(page.locator("#thread > li.comment")) == [f"c{cy}", f"c{bea}", f"c{ann}"]

    # Staff feature Ann's comment, then Cy's, in place from their own signed-in browser.
    staff_context, staff_seen = new_context()
    staff_context.add_cookies([{"name": SESSION_COOKIE, "value": roles.session(server, Role.STAFF),
                                "url": server.url}])
    staff_page = staff_context.new_page()
    staff_page.goto(f"{server.url}/stories/s")
    for picked in (ann, cy):
        feature = staff_page.locator(f"#c{picked} a.feature-link")
        expect(feature).to_have_text("Feature")
        with staff_page.expect_response(lambda r, picked=picked: f"/api/v1/comments/{picked}/feature" in r.url):
            feature.click()
        expect(feature).to_have_text("Unfeature")
        expect(staff_page.locator(f"#c{picked} .badge-featured")).to_have_text("Featured")
    expect(page.locator(".tabs a").first).to_have_text("Featured")  # the first tab

    page.get_by_role("link", name="Featured", exact=True).click()
    page.wait_for_url(re.compile(r"\?sort=featured#comments$"))
    listed = page.locator("#thread > li.comment")
    assert _ids(listed) == [f"c{cy}", f"c{ann}"]  # latest pick first
    expect(listed.locator(".badge-featured")).to_have_count(2)
    expect(page.locator(".tabs a[aria-current=page]")).to_have_text("Featured")
    seen.assert_quiet()
    staff_seen.assert_quiet()


def test_a_reader_without_javascript_recommends_through_the_page_and_back(server, new_context):
    ann, bea, _ = _story(server)
    context, seen = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}/stories/s")
    page.locator(f"#c{bea} a.recommend-link").click()
    page.wait_for_url(re.compile(rf"/stories/s/comments/{bea}/recommend$"))
    page.get_by_role("button", name="Recommend").click()
    page.wait_for_url(re.compile(rf"\?thread={bea}&done=recommended#c{bea}$"))
    expect(page.locator("#reader-status")).to_have_text("You recommended this comment.")
    expect(page.locator(f"#c{bea} .recommend-count")).to_have_text("1 recommendation")
    page.goto(f"{server.url}/stories/s")
    expect(page.locator(f"#c{bea} .recommend-count")).to_have_text("1 recommendation")
    page.locator(f"#c{bea} a.recommend-link").click()
    page.get_by_role("button", name="Take back my recommendation").click()
    page.wait_for_url(re.compile(r"done=unrecommended"))
    expect(page.locator(f"#c{bea} .recommend-count")).to_have_text("0 recommendations")
    assert server.services.store.get_comment(bea).recommend_count == 0
    assert server.services.store.get_comment(ann).recommend_count == 0
    seen.assert_quiet()
