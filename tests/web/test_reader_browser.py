"""The reader's side of moderation in a real browser (Chromium via Playwright), on both
stores: reporting a comment in place with JavaScript and on its own page without; a
guest's held comment, seen by that browser alone; an appeal from the comment itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from parley.domain import Actor, Role
from parley.service import NewComment
from parley.store import QueuePage
from parley.web.reader import APPEALED, REPORTED
from tests.conftest import serve
from tests.web.browser import Guard

SYSTEM = Actor.system("tests")
MO = Actor(Role.MODERATOR, name="Mo")
LU = Actor(Role.MODERATOR, name="Lu")
HELD = "Your comment is waiting for a moderator. Until one approves it, only you can see it."


@pytest.fixture
def live(store):
    with serve(store, moderation=0, reports_per_hour=50) as server:
        server.services.stories.create(SYSTEM, {"slug": "s", "title": "Riverside library reopens"})
        server.story_url = f"{server.url}/stories/s"
        yield server


def posted(live, body: str, name: str = "Ann") -> int:
    return live.services.posting.post(Actor.guest(guest_key="someone-else"), NewComment("s", name, body)).comment.id


def story_page(live, new_context, **options) -> tuple[Page, Guard]:
    """The story in a browser of its own (a fresh, guarded context)."""
    context, seen = new_context(**options)
    page = context.new_page()
    page.goto(live.story_url)
    return page, seen


def track_navigations(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("framenavigated", lambda frame: seen.append(frame.url) if frame == page.main_frame else None)
    return seen


def write(page: Page, body: str, name: str = "Gus") -> None:
    """Post a comment with the page's own form (JavaScript on or off)."""
    form = page.locator("#comment-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Comment", exact=True).fill(body)
    form.get_by_role("button", name="Post comment").click()


def own(page: Page):
    return page.locator("#own-comments")


# --- reporting ---------------------------------------------------------------------------
def test_a_report_opens_and_is_sent_in_place_with_javascript(live, new_context):
    cid = posted(live, "Buy cheap watches, it is the law.")
    page, seen = story_page(live, new_context)
    page.evaluate("window.__sameDocument = true")
    navigations = track_navigations(page)

    page.locator(f"#c{cid}").get_by_role("link", name="Report Ann’s comment").click()
    box = page.locator(f"#c{cid} > article > form.report-form")
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", level=3)).to_have_text("Report Ann’s comment")
    expect(box.get_by_label("Abusive or harassing")).to_be_focused()
    # With JavaScript, the illegal-content fields show once that reason is chosen.
    expect(box.get_by_label("The law it breaks")).to_be_hidden()
    box.get_by_label("Illegal content").check()
    expect(box.get_by_label("The law it breaks")).to_be_visible()

    # The service's error, in place, on the field it names.
    box.get_by_label("Why it is illegal").fill("It claims to be the law and sells watches.")
    box.get_by_role("button", name="Send report").click()
    expect(box.locator(".form-error")).to_have_text("name the law you believe this comment breaks")
    expect(box.get_by_label("The law it breaks")).to_be_focused()
    expect(box.get_by_label("The law it breaks")).to_have_attribute("aria-invalid", "true")
    box.get_by_label("The law it breaks").fill("Consumer Protection from Unfair Trading Regulations 2008")
    box.get_by_role("button", name="Send report").click()
    expect(box.locator(".form-error")).to_contain_text("good faith")
    box.get_by_label("I believe in good faith").check()
    box.get_by_label("Your email").fill("rita@example.org")
    box.get_by_role("button", name="Send report").click()

    status = page.locator(f"#c{cid} > article > .report-status")
    expect(status).to_have_text(REPORTED)
    expect(status).to_be_focused()
    expect(page.locator("form.report-form")).to_have_count(0)
    assert navigations == [] and page.evaluate("window.__sameDocument") is True
    [report] = live.services.store.list_reports(cid)
    assert (report.reason.value, report.law, report.good_faith, report.reporter_email) == (
        "illegal", "Consumer Protection from Unfair Trading Regulations 2008", True, "rita@example.org")

    # A second report of the same comment: the service's refusal, in place.
    page.locator(f"#c{cid}").get_by_role("link", name="Report Ann’s comment").click()
    box = page.locator(f"#c{cid} > article > form.report-form")
    box.get_by_label("Spam or advertising").check()
    box.get_by_role("button", name="Send report").click()
    expect(box.locator(".form-error")).to_contain_text("You have reported this comment already")
    box.get_by_role("button", name="Cancel").click()
    expect(page.locator("form.report-form")).to_have_count(0)
    expect(page.locator(f"#c{cid}").get_by_role("link", name="Report Ann’s comment")).to_be_focused()
    assert navigations == []
    assert len(live.services.store.list_reports(cid)) == 1
    seen.assert_quiet()


def test_a_report_without_javascript_goes_by_its_own_page_and_comes_back(live, new_context):
    cid = posted(live, "Off on a tangent about football.")
    page, seen = story_page(live, new_context, java_script_enabled=False)
    page.locator(f"#c{cid}").get_by_role("link", name="Report Ann’s comment").click()
    page.wait_for_url(f"{live.url}/stories/s/comments/{cid}/report")
    expect(page.get_by_role("heading", level=2)).to_have_text("Report Ann’s comment")
    expect(page.locator(".reported-comment")).to_contain_text("Off on a tangent about football.")
    # Without JavaScript every field is there, the illegal-content ones under their heading.
    expect(page.get_by_role("group", name="Illegal content")).to_be_visible()
    expect(page.get_by_label("The law it breaks")).to_be_visible()

    page.get_by_role("button", name="Send report").click()  # no reason chosen
    page.wait_for_load_state()
    expect(page.locator(".report-form .form-error")).to_contain_text("reason must be one of")
    page.get_by_label("Off topic").check()
    page.get_by_label("Anything the moderators should know").fill("Nothing to do with the library.")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(rf"/stories/s\?thread={cid}&done=reported#c{cid}$"))
    expect(page.locator("#reader-status")).to_have_text(REPORTED)
    expect(page.locator(f"#c{cid}")).to_be_visible()
    [report] = live.services.store.list_reports(cid)
    assert (report.reason.value, report.text) == ("off_topic", "Nothing to do with the library.")

    page.goto(f"{live.url}/me")
    expect(page.locator("#my-reports")).to_contain_text("A moderator has not decided on it yet.")
    live.services.decisions.decide(MO, cid, "reject", reason="Off topic")
    page.reload()
    expect(page.locator("#my-reports")).to_contain_text("A moderator removed the comment.")
    seen.assert_quiet()


# --- what only the writer sees -------------------------------------------------------------
def test_a_guests_held_comment_is_theirs_after_reload_in_a_new_tab_and_nobody_elses(live, new_context):
    context, seen = new_context()
    page = context.new_page()
    page.goto(live.story_url)
    write(page, "My first comment here.")
    first = page.locator("#thread > li.comment")
    expect(first).to_have_count(1)
    live.services.decisions.sanction(MO, int(first.get_attribute("id")[1:]), "premoderate", reason="New here")

    write(page, "My second comment, held for a moderator.")
    expect(page.locator("#form-status")).to_have_text(HELD)
    [held] = live.services.store.list_queue(QueuePage())
    assert held.body_source == "My second comment, held for a moderator."

    for tab in (page, context.new_page()):  # after a reload, and in a new tab of the same browser
        if tab is page:
            tab.reload()
        else:
            tab.goto(live.story_url)
        mine = own(tab).locator(f"#c{held.id}")
        expect(mine).to_contain_text("My second comment, held for a moderator.")
        expect(mine.locator(".pending-note")).to_have_text(HELD)
        expect(mine.locator(".statement")).to_contain_text(
            "Your comment is held for a moderator: readers cannot see it until one approves it.")
        expect(mine.get_by_role("button", name="Appeal")).to_be_visible()
        expect(tab.locator(f"#thread #c{held.id}")).to_have_count(0)

    stranger, other_seen = story_page(live, new_context)  # another browser
    expect(stranger.locator("#thread > li.comment")).to_have_count(1)
    expect(stranger.get_by_text("My second comment, held for a moderator.")).to_have_count(0)
    expect(stranger.locator("#own-comments, .statement")).to_have_count(0)
    stranger.goto(f"{live.url}/me")
    expect(stranger.locator("#my-comments")).to_contain_text("Moderators have not held, folded or removed")
    seen.assert_quiet()
    other_seen.assert_quiet()


def test_an_appeal_from_the_comment_itself(live, new_context):
    page, seen = story_page(live, new_context)
    write(page, "You are all fools.")
    cid = int(page.locator("#thread > li.comment").first.get_attribute("id")[1:])
    live.services.decisions.decide(MO, cid, "reject", reason="It insults other readers")
    page.reload()
    page.evaluate("window.__sameDocument = true")
    navigations = track_navigations(page)

    mine = own(page).locator(f"#c{cid}")
    statement = mine.locator(".statement")
    expect(statement).to_contain_text("Your comment was removed: readers cannot see it.")
    expect(statement).to_contain_text("Why: A moderator's reason: It insults other readers.")
    expect(statement).to_contain_text("A moderator decided this.")
    statement.get_by_label("Appeal: why should a moderator look at it again?").fill("It was a joke among friends.")
    statement.get_by_role("button", name="Appeal").click()
    state = mine.locator(".statement .appeal-state")
    expect(state).to_have_text(APPEALED)
    expect(state).to_be_focused()
    expect(mine.locator("form.appeal-form")).to_have_count(0)
    assert navigations == [] and page.evaluate("window.__sameDocument") is True
    assert live.services.store.appeal_of(cid).text == "It was a joke among friends."

    page.reload()
    expect(own(page).locator(f"#c{cid} .appeal-state")).to_have_text(APPEALED)
    expect(own(page).get_by_role("button", name="Appeal")).to_have_count(0)

    live.services.appeals.decide(LU, live.services.store.appeal_of(cid).id, "reverse", reason="A joke")
    page.reload()
    expect(page.locator(f"#thread #c{cid}")).to_contain_text("You are all fools.")
    expect(own(page).locator(f"#statement-{cid} .appeal-state")).to_have_text(
        "A second moderator reversed the decision: your comment is shown again. Their reason: A joke.")
    own(page).get_by_role("link", name="your comment", exact=True).click()
    expect(page.locator(f"#c{cid}")).to_be_visible()
    seen.assert_quiet()


def test_an_appeal_without_javascript(live, new_context):
    page, seen = story_page(live, new_context, java_script_enabled=False)
    write(page, "Rather rude words.")
    page.wait_for_load_state()
    cid = int(page.locator("#thread > li.comment").first.get_attribute("id")[1:])
    live.services.decisions.decide(MO, cid, "fold", reason="Rude", notice="offensive")
    page.goto(live.story_url)
    statement = own(page).locator(f"#statement-{cid}")
    expect(statement).to_contain_text("Your comment is shown folded behind a notice")
    statement.get_by_role("button", name="Appeal").click()
    page.wait_for_url(re.compile(rf"/stories/s#statement-{cid}$"))
    expect(own(page).locator(f"#statement-{cid} .appeal-state")).to_have_text(APPEALED)
    page.goto(f"{live.url}/me")
    expect(page.locator(f"#mine-{cid}")).to_contain_text(APPEALED)
    seen.assert_quiet()
