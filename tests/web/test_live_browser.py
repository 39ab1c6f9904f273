"""Live updates in a real browser (Chromium via Playwright), on both stores: new comments
wait behind "N new comments — show", edits and removals change the page in place, a
comment's hostile text stays inert, and with JavaScript off nothing changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parley.domain import Actor, Role
from parley.service import NewComment
from tests.conftest import serve

SYSTEM = Actor.system("tests")
HOSTILE = 'Look <img src=x onerror="alert(1)"> <script>alert(2)</script> [x](javascript:alert(3))'


@pytest.fixture
def live(store):
    with serve(store, moderation=0, live_heartbeat_seconds=2) as server:
        server.services.stories.create(SYSTEM, {"slug": "s", "title": "Riverside library reopens"})
        server.story_url = f"{server.url}/stories/s"
        yield server


def post(live, body: str, name: str = "Ann", writer: str = "elsewhere", parent_id=None):
    return live.services.posting.post(Actor.guest(guest_key=writer), NewComment("s", name, body, parent_id=parent_id))


def test_new_comments_wait_behind_a_bar_and_show_on_click(live, new_context):
    first = post(live, "Already here").comment
    context, seen = new_context()
    page = context.new_page()
    page.goto(live.story_url)
    expect(page.locator("#comments-heading")).to_have_text("1 comment")
    page.wait_for_function("() => !!document.querySelector('#thread')")
    page.wait_for_timeout(300)  # the stream is open
    root = post(live, "A new one " + HOSTILE, name="Bea").comment
    reply = post(live, "A reply to the first", name="Cy", parent_id=first.id).comment
    bar = page.locator("button.live-new")
    expect(bar).to_have_text("2 new comments \u2014 show")
    expect(page.locator(f"#c{root.id}")).to_have_count(0)  # nothing moves until the reader asks
    bar.click()
    expect(page.locator(f"#thread > #c{root.id}")).to_be_visible()
    expect(page.locator(f"#c{first.id} > article > ol.replies > #c{reply.id}")).to_be_visible()
    expect(bar).to_be_hidden()
    expect(page.locator("#comments-heading")).to_have_text("3 comments")
    expect(page.locator(f"#c{root.id} .comment-body")).to_contain_text("A new one")
    assert page.locator(f"#c{root.id} img[onerror], #c{root.id} script").count() == 0
    assert page.evaluate("() => window.__parleyCanary.tripped") is False
    seen.assert_quiet()


def test_edits_and_removals_arrive_in_place(live, new_context):
    mine = post(live, "First words", writer="w1")
    other = post(live, "Soon gone", writer="w2").comment
    context, seen = new_context()
    page = context.new_page()
    page.goto(live.story_url)
    page.wait_for_timeout(300)
    live.services.posting.edit(Actor.guest(guest_key="w1"), mine.comment.id, mine.edit_token, "Second *words*")
    expect(page.locator(f"#c{mine.comment.id} .comment-body")).to_have_text("Second words")
    expect(page.locator(f"#c{mine.comment.id} .edited")).to_be_visible()
    live.services.decisions.decide(SYSTEM, other.id, "reject", reason="spam")
    expect(page.locator(f"#c{other.id}")).to_have_count(0)
    expect(page.locator("#comments-heading")).to_have_text("1 comment")
    live.services.posting.delete(Actor.guest(guest_key="w1"), mine.comment.id, mine.edit_token)
    expect(page.locator(f"#c{mine.comment.id} .author")).to_have_text("Deleted comment")
    expect(page.locator("#comments-heading")).to_have_text("0 comments")
    expect(page.locator("button.live-new")).to_have_count(0)
    seen.assert_quiet()


def test_a_reader_without_javascript_gets_the_page_as_it_was(live, new_context):
    post(live, "Already here")
    context, seen = new_context(java_script_enabled=False)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live.story_url)
    post(live, "Arrives later", name="Bea")
    page.wait_for_timeout(1000)
    expect(page.locator("#thread > li.comment")).to_have_count(1)
    assert not [u for u in requests if "/events" in u]
    page.reload()
    expect(page.locator("#thread > li.comment")).to_have_count(2)
    seen.assert_quiet()


def test_the_workspace_counts_follow_other_moderators_and_readers_live(store, new_context):
    from tests.web import workspace as ws
    from tests.web.test_moderate_browser import count, sign_in

    with serve(store, live_heartbeat_seconds=2) as server:
        services = server.services
        ws.story(services)
        email, _ = ws.account(services, Role.MODERATOR, "Mo Derator")
        ws.held(services)
        context, seen = new_context()
        page = context.new_page()
        sign_in(page, server.url, email)
        expect(count(page, "held")).to_have_text("1")
        page.wait_for_timeout(300)  # the counts' stream is open
        ws.held(services)  # a reader's comment the models hold, on another browser
        ws.held(services)
        expect(count(page, "held")).to_have_text("3")
        ws.reported(services)
        expect(count(page, "reported")).to_have_text("1")
        seen.assert_quiet()
