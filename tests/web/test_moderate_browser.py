"""The moderators' workspace in Chromium, on both stores.

Done when (issue 9): a moderator signs in through /login and works a queue of 50 held
and reported comments with the keyboard alone (approve, reject with a reason, fold, ban,
undo), and the reader page changes accordingly; the same flows work with JavaScript off.
Nothing here is timed: every wait is for something on the page.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from parley.domain import NOTICE_TEXTS, CommentState, Role, SanctionKind
from tests.conftest import serve
from tests.web import workspace as ws

OFFENSIVE = NOTICE_TEXTS["offensive"]


def sign_in(page: Page, base: str, email: str, path: str = "/moderate") -> None:
    """Open the workspace signed out: refused, with a way to /login and back."""
    page.goto(base + path)
    expect(page.locator("h1")).to_have_text("Moderators only")
    page.locator("a.mod-sign-in").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#email", email)
    page.fill("#password", ws.PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(base + path)


def card(page: Page, comment_id: int):
    return page.locator(f"#card-{comment_id}")


def selected(page: Page):
    return page.locator(".mod-card.is-selected")


def count(page: Page, queue: str):
    return page.locator(f'.mod-tabs .mod-count[data-queue="{queue}"]')


def flash(page: Page):
    return page.locator("#mod-flash .mod-flash-text")


def listed(page: Page) -> list[int]:
    return [int(i) for i in page.locator("#mod-queue > .mod-card").evaluate_all("cs => cs.map(c => c.dataset.id)")]


def state(services, comment_id: int) -> CommentState:
    return services.store.get_comment(comment_id).state


def sanctions(services, comment_id: int) -> list[SanctionKind]:
    author = services.store.get_comment(comment_id).author.id
    return [s.kind for s in services.store.active_sanctions(author, None, services.deps.clock())]


def check_reader_page(new_context, base: str, *, shown: list[int], hidden: list[int], folded: list[int]) -> None:
    """The story as a reader (a browser of its own, no account) sees it."""
    context, seen = new_context()
    page = context.new_page()
    page.goto(f"{base}/stories/{ws.SLUG}")
    for comment_id in shown:
        expect(page.locator(f"#c{comment_id} > article > .comment-body")).to_be_visible()
    for comment_id in hidden:
        expect(page.locator(f"#c{comment_id}")).to_have_count(0)
    for comment_id in folded:
        notice = page.locator(f"#c{comment_id} > article > details.notice")
        expect(notice.locator("summary")).to_have_text(OFFENSIVE)
        expect(notice.locator(".comment-body")).to_be_hidden()
    seen.assert_quiet()


def seed(services, *, held: int, reported: int, reason: str) -> tuple[str, list[int]]:
    """The story, a moderator (their email), and comments waiting in Held and Reported
    (the reported ones' ids)."""
    ws.story(services)
    email, _ = ws.account(services, Role.MODERATOR, "Mo Derator")
    for _ in range(held):
        ws.held(services)
    return email, [ws.reported(services, reason=reason, text=f"report {i}") for i in range(reported)]


def test_a_moderator_works_fifty_held_and_reported_comments_with_the_keyboard(store, new_context):
    with serve(store) as live:
        services = live.services
        email, _ = seed(services, held=30, reported=20, reason="abusive")
        context, seen = new_context()
        page = context.new_page()
        # Twenty cards a page, so that the list also loads more as it empties.
        sign_in(page, live.url, email, "/moderate?limit=20")
        expect(page.locator("#mod-keys")).to_be_visible()  # the keys are on the page
        expect(count(page, "held")).to_have_text("30")
        expect(count(page, "reported")).to_have_text("20")
        expect(page.locator("#mod-queue > .mod-card")).to_have_count(20)
        page.evaluate("window.__sameDocument = true")
        order = listed(page)
        expect(selected(page)).to_have_attribute("data-id", str(order[0]))

        # a: approved; the card leaves, the next is selected, the count follows.
        page.keyboard.press("a")
        expect(card(page, order[0])).to_have_count(0)
        expect(flash(page)).to_have_text(f"Approved comment {order[0]}.")
        expect(selected(page)).to_have_attribute("data-id", str(order[1]))
        expect(count(page, "held")).to_have_text("29")

        # j and k move; ? shows and hides every key.
        page.keyboard.press("j")
        expect(selected(page)).to_have_attribute("data-id", str(order[2]))
        page.keyboard.press("k")
        expect(selected(page)).to_have_attribute("data-id", str(order[1]))
        page.keyboard.press("?")
        expect(page.locator("#mod-help")).to_be_visible()
        page.keyboard.press("?")
        expect(page.locator("#mod-help")).to_be_hidden()

        # r: the reason box, with the first default reason chosen; Enter sends.
        page.keyboard.press("r")
        expect(page.locator(f"#reject-text-{order[1]}")).to_be_focused()
        page.keyboard.type("not about the library")
        page.keyboard.press("Enter")
        expect(card(page, order[1])).to_have_count(0)
        expect(flash(page)).to_have_text(
            f"Rejected comment {order[1]}: Personal attack or harassment: not about the library.")
        expect(selected(page)).to_have_attribute("data-id", str(order[2]))

        # f: folded behind the default notice.
        page.keyboard.press("f")
        expect(card(page, order[2])).to_have_count(0)
        expect(flash(page)).to_have_text(f"Folded comment {order[2]} behind a notice.")

        # b asks for a reason; Enter bans (and rejects the comment); u takes it all back.
        expect(selected(page)).to_have_attribute("data-id", str(order[3]))
        page.keyboard.press("b")
        expect(page.locator(f"#ban-reason-{order[3]}")).to_be_focused()
        page.keyboard.type("Spam account")
        page.keyboard.press("Enter")
        expect(card(page, order[3])).to_have_count(0)
        expect(flash(page)).to_have_text(
            f"Banned the author of comment {order[3]} and rejected the comment: Spam account.")
        expect(count(page, "held")).to_have_text("26")
        assert sanctions(services, order[3]) == [SanctionKind.BAN]
        page.keyboard.press("u")
        expect(card(page, order[3])).to_have_count(1)
        expect(flash(page)).to_have_text(f"Undid ban on comment {order[3]}.")
        expect(selected(page)).to_have_attribute("data-id", str(order[3]))
        expect(count(page, "held")).to_have_text("27")
        assert sanctions(services, order[3]) == [] and state(services, order[3]) is CommentState.PENDING
        # ...and the ban again, for good.
        page.keyboard.press("b")
        page.keyboard.type("Spam account")
        page.keyboard.press("Enter")
        expect(card(page, order[3])).to_have_count(0)
        expect(count(page, "held")).to_have_text("26")

        # x selects; a then approves every selected card at once.
        expect(selected(page)).to_have_attribute("data-id", str(order[4]))
        page.keyboard.press("x")
        page.keyboard.press("j")
        page.keyboard.press("x")
        page.keyboard.press("a")
        expect(card(page, order[4])).to_have_count(0)
        expect(card(page, order[5])).to_have_count(0)
        expect(flash(page)).to_have_text("Approved 2 comments.")
        expect(count(page, "held")).to_have_text("24")

        # The rest of Held, one key each; the list loads its next page as it empties.
        for _ in range(24):
            current = selected(page).get_attribute("data-id")
            page.keyboard.press("a")
            expect(card(page, int(current))).to_have_count(0)
        expect(count(page, "held")).to_have_text("0")
        expect(page.locator("#mod-empty")).to_be_visible()
        expect(page.locator("#mod-load-more")).to_have_count(0)
        assert page.evaluate("window.__sameDocument") is True  # not one reload

        # Reported, reached from the keyboard too.
        page.locator('.mod-tabs a[data-queue="reported"]').focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"queue=reported"))
        expect(page.locator("#mod-queue > .mod-card")).to_have_count(10)  # a page; the next comes as it empties
        flagged = listed(page)
        expect(page.locator(f"#card-{flagged[0]} .mod-reports")).to_contain_text("Abusive or harassing")
        # A new document: its keys work once the script has selected a card (CI once
        # pressed "r" before that, and the key went nowhere).
        expect(selected(page)).to_have_attribute("data-id", str(flagged[0]))
        page.keyboard.press("r")
        page.keyboard.press("Enter")  # the default reason
        expect(card(page, flagged[0])).to_have_count(0)
        expect(flash(page)).to_have_text(f"Rejected comment {flagged[0]}: Personal attack or harassment.")
        decided = [int(flagged[0])]
        for comment_id in flagged[1:]:  # the first page in priority order
            expect(selected(page)).to_have_attribute("data-id", str(comment_id))
            page.keyboard.press("a")
            expect(card(page, comment_id)).to_have_count(0)
            decided.append(int(comment_id))
        for _ in range(10):  # the rest, loaded while the last cards were worked
            current = selected(page).get_attribute("data-id")
            page.keyboard.press("a")
            expect(card(page, int(current))).to_have_count(0)
            decided.append(int(current))
        expect(count(page, "reported")).to_have_text("0")
        assert len(set(decided)) == 20
        seen.assert_quiet()

        assert state(services, order[0]) is CommentState.PUBLISHED
        assert state(services, order[1]) is CommentState.REJECTED
        assert state(services, order[2]) is CommentState.FOLDED
        assert state(services, order[3]) is CommentState.REJECTED
        assert state(services, flagged[0]) is CommentState.REJECTED
        check_reader_page(new_context, live.url, shown=[order[0], order[4], order[5], *flagged[1:]],
                          hidden=[order[1], order[3], flagged[0]], folded=[order[2]])


def test_the_same_flows_work_with_javascript_off(store, new_context):
    with serve(store) as live:
        services = live.services
        email, [flagged] = seed(services, held=8, reported=1, reason="spam")
        context, seen = new_context(java_script_enabled=False)
        page = context.new_page()
        sign_in(page, live.url, email)
        expect(page.locator("#mod-keys")).to_be_hidden()  # no keys without the script
        order = listed(page)
        assert len(order) == 8
        expect(selected(page)).to_have_attribute("data-id", str(order[0]))

        # Approve: back on the queue, the next card selected, and a flash line with Undo.
        card(page, order[0]).locator(".mod-approve-button").click()
        expect(flash(page)).to_have_text(f"Approved comment {order[0]}.")
        expect(page).to_have_url(re.compile(rf"selected={order[1]}&done=\d+#card-{order[1]}$"))
        expect(selected(page)).to_have_attribute("data-id", str(order[1]))
        expect(count(page, "held")).to_have_text("7")

        # Reject with a reason chosen and one typed.
        card(page, order[1]).locator("select[name=reason]").select_option("Off topic")
        card(page, order[1]).locator("input[name=reason_text]").fill("about the pool")
        card(page, order[1]).locator(".mod-reject-button").click()
        expect(flash(page)).to_have_text(f"Rejected comment {order[1]}: Off topic: about the pool.")
        expect(card(page, order[1])).to_have_count(0)

        # Fold behind the default notice.
        card(page, order[2]).locator(".mod-fold-button").click()
        expect(flash(page)).to_have_text(f"Folded comment {order[2]} behind a notice.")

        # Ban with a reason; Undo brings the card back selected; ban again.
        card(page, order[3]).locator(".mod-ban-reason").fill("Spam account")
        card(page, order[3]).locator(".mod-ban-button").click()
        expect(flash(page)).to_have_text(
            f"Banned the author of comment {order[3]} and rejected the comment: Spam account.")
        assert sanctions(services, order[3]) == [SanctionKind.BAN]
        page.locator("#mod-flash button", has_text="Undo").click()
        expect(flash(page)).to_have_text(f"Undid ban on comment {order[3]}.")
        expect(selected(page)).to_have_attribute("data-id", str(order[3]))
        assert sanctions(services, order[3]) == []
        card(page, order[3]).locator(".mod-ban-reason").fill("Spam account")
        card(page, order[3]).locator(".mod-ban-button").click()
        expect(card(page, order[3])).to_have_count(0)

        # Bulk: tick two, approve them together.
        card(page, order[4]).locator(".mod-tick").check()
        card(page, order[5]).locator(".mod-tick").check()
        page.locator("#bulk-form .mod-approve-button").click()
        expect(flash(page)).to_have_text("Approved 2 comments.")
        expect(count(page, "held")).to_have_text("2")

        # The reported comment, rejected from its own queue.
        page.locator('.mod-tabs a[data-queue="reported"]').click()
        expect(page.locator(f"#card-{flagged} .mod-reports")).to_contain_text("Spam or advertising: report 0")
        card(page, flagged).locator(".mod-reject-button").click()
        expect(flash(page)).to_have_text(f"Rejected comment {flagged}: Personal attack or harassment.")
        expect(page.locator("#mod-empty")).to_be_visible()
        seen.assert_quiet()

        check_reader_page(new_context, live.url, shown=[order[0], order[4], order[5]],
                          hidden=[order[1], order[3], order[6], order[7], flagged], folded=[order[2]])
