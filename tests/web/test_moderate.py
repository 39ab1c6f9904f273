"""The moderators' workspace over real HTTP without JavaScript, on both stores: each
decision as a plain form (approve, reject with a reason, fold, ban, undo, bulk), what the
queue and the reader page show after it, CSRF, and who is refused.

Setup is in ``tests/web/workspace.py``: held comments are held by the shipped models
(spam), reported ones have a report written to the store.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from parley.domain import NOTICE_TEXTS, CommentState, Role, SanctionKind
from parley.errors import Forbidden
from parley.service import NewComment
from parley.store import AuditQuery
from tests.web import workspace as ws


@pytest.fixture
def desk(server):
    """A story, a signed-in moderator's client, and three held comments."""
    ws.story(server.services)
    _, session = ws.account(server.services, Role.MODERATOR, "Mo Derator")
    ids = [ws.held(server.services) for _ in range(3)]
    with ws.client(server, session) as http:
        yield Desk(server, http, ids)


class Desk:
    def __init__(self, server, http, ids) -> None:
        self.server, self.http, self.ids = server, http, ids
        self.services = server.services

    def page(self, url="/moderate") -> str:
        r = self.http.get(url)
        assert r.status_code == 200, r.text
        return r.text

    def post(self, path: str, page_html: str, **fields):
        return self.http.post(path, data={"csrf_token": ws.csrf(page_html), **fields})

    def follow(self, r) -> str:
        assert r.status_code == 303, r.text
        return self.page(r.headers["location"])

    def state(self, comment_id) -> CommentState:
        return self.services.store.get_comment(comment_id).state

    def reader_page(self) -> str:
        """The story as a reader sees it (a browser of its own)."""
        return httpx.get(f"{self.server.url}/stories/{ws.SLUG}", timeout=30).text


def location_params(r) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}


# --- the queue --------------------------------------------------------------------
def test_the_held_queue_shows_each_card_in_priority_order_with_its_facts(desk):
    services = desk.services
    reported = ws.reported(services, reason="spam", text="selling watches")
    page = desk.page()
    assert ws.card_ids(page) == desk.ids  # same priority: oldest first
    assert ws.count(page, "held") == 3 and ws.count(page, "reported") == 1
    assert ws.selected_id(page) == desk.ids[0]
    first = re.search(r'<article class="mod-card is-selected".*?</article>', page, re.S)[0]
    assert f'<mark title="spam" data-label="spam">{ws.FLAGGED}</mark>' in first
    assert re.search(r'<span class="mod-label">spam</span> <meter [^>]*value="0.70"></meter> '
                     r'<span class="mod-score">0.70</span>', first)
    assert "looks like spam" in first  # the verdict's reason
    assert "<dt>Held</dt><dd>1</dd>" in first and "<dt>First seen</dt>" in first
    assert ws.MEETING["title"] in first and "The models said: hold" in first
    for button in ("approve", "reject", "fold"):
        assert f'name="decision" value="{button}"' in first
    for button in ("ban", "suspend", "premoderate", "trust"):
        assert f'name="sanction" value="{button}"' in first

    page = desk.page("/moderate?queue=reported")
    assert ws.card_ids(page) == [reported]
    assert "<strong>Spam or advertising</strong>: selling watches" in page
    assert 'value="dismiss"' in page


def test_filters_narrow_the_queue_and_load_more_follows_the_cursor(desk):
    services = desk.services
    other = ws.guest("Someone Else")
    theirs = ws.held(services, writer=other)
    author = services.store.get_comment(theirs).author.id
    assert ws.card_ids(desk.page(f"/moderate?author={author}")) == [theirs]
    assert ws.card_ids(desk.page("/moderate?label=toxicity&min_score=0.99")) == []
    assert "Nothing waits in Held with these filters" in desk.page("/moderate?label=toxicity&min_score=0.99")
    assert ws.card_ids(desk.page(f"/moderate?story={ws.SLUG}")) == [*desk.ids, theirs]
    assert desk.http.get("/moderate?min_score=lots").status_code == 422

    page = desk.page("/moderate?limit=2")
    assert ws.card_ids(page) == desk.ids[:2]
    more = re.search(r'id="mod-load-more" href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert ws.card_ids(desk.page(more)) == [desk.ids[2], theirs]


# --- each decision as a plain form ---------------------------------------------------
def test_approve_lands_on_the_queue_with_the_next_card_selected_and_says_so(desk):
    first, second, third = desk.ids
    page = desk.page()
    r = desk.post(f"/moderate/comments/{first}/decide", page, decision="approve", next=ws.form_next(page, first))
    assert location_params(r)["selected"] == str(second)
    assert r.headers["location"].endswith(f"#card-{second}")
    after = desk.follow(r)
    assert ws.flash(after) == f"Approved comment {first}."
    assert ws.card_ids(after) == [second, third] and ws.selected_id(after) == second
    assert ws.count(after, "held") == 2
    assert re.search(r'<form class="mod-undo" method="post" action="/moderate/decisions/\d+/undo"', after)
    assert desk.state(first) is CommentState.PUBLISHED
    assert f'id="c{first}"' in desk.reader_page()
    # The last card's forms select the one before it.
    assert location_params(desk.post(f"/moderate/comments/{third}/decide", after, decision="approve",
                                     next=ws.form_next(after, third)))["selected"] == str(second)


def test_reject_takes_the_chosen_reason_and_the_moderators_words(desk):
    first = desk.ids[0]
    page = desk.page()
    r = desk.post(f"/moderate/comments/{first}/decide", page, decision="reject", reason="Off topic",
                  reason_text="about another story", next=ws.form_next(page, first))
    after = desk.follow(r)
    assert ws.flash(after) == f"Rejected comment {first}: Off topic: about another story."
    assert desk.state(first) is CommentState.REJECTED
    assert f'id="c{first}"' not in desk.reader_page()
    assert ws.card_ids(desk.page("/moderate?queue=rejected")) == [first]

    # No reason at all: the queue again, saying why, and nothing decided.
    second = desk.ids[1]
    r = desk.post(f"/moderate/comments/{second}/decide", after, decision="reject", reason="", reason_text="",
                  next=ws.form_next(after, second))
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "say why" in r.text
    assert second in ws.card_ids(r.text) and desk.state(second) is CommentState.PENDING


def test_fold_puts_the_comment_behind_the_chosen_notice(desk):
    first = desk.ids[0]
    page = desk.page()
    after = desk.follow(desk.post(f"/moderate/comments/{first}/decide", page, decision="fold", notice="spam",
                                  next=ws.form_next(page, first)))
    assert ws.flash(after) == f"Folded comment {first} behind a notice."
    assert desk.state(first) is CommentState.FOLDED
    reader = desk.reader_page()
    item = re.search(rf'<li class="comment[^"]*" id="c{first}".*?</li>', reader, re.S)[0]
    assert f"<summary>{NOTICE_TEXTS['spam']}</summary>" in item


def test_ban_rejects_the_comment_and_stops_its_writer(desk):
    services = desk.services
    writer = ws.guest("Troll")
    theirs = ws.held(services, writer=writer)
    page = desk.page()
    r = desk.post(f"/moderate/comments/{theirs}/sanction", page, sanction="ban", reason="",
                  next=ws.form_next(page, theirs))
    assert r.status_code == 422 and "say why" in r.text and desk.state(theirs) is CommentState.PENDING

    after = desk.follow(desk.post(f"/moderate/comments/{theirs}/sanction", page, sanction="ban",
                                  reason="Spam account", next=ws.form_next(page, theirs)))
    assert ws.flash(after) == f"Banned the author of comment {theirs} and rejected the comment: Spam account."
    assert desk.state(theirs) is CommentState.REJECTED
    author = services.store.get_comment(theirs).author.id
    assert [s.kind for s in services.store.list_sanctions(author)] == [SanctionKind.BAN]
    with pytest.raises(Forbidden, match="banned"):
        services.posting.post(writer[0], NewComment(story_slug=ws.SLUG, author_name="Troll", body="Let me back in."))


def test_suspend_premoderate_trust_and_lift_are_shown_on_the_card(desk):
    services = desk.services
    first = desk.ids[0]
    author = services.store.get_comment(first).author.id
    page = desk.page()
    r = desk.post(f"/moderate/comments/{first}/sanction", page, sanction="suspend", reason="cool off",
                  days="lots", next=ws.form_next(page, first))
    assert r.status_code == 422 and "days" in r.text
    for kind in ("premoderate", "trust"):
        after = desk.follow(desk.post(f"/moderate/comments/{first}/sanction", page, sanction=kind, reason="",
                                      next=f"/moderate/comments/{first}"))
        assert ws.flash(after).startswith(f"The author of comment {first} is ")
    assert desk.state(first) is CommentState.PENDING  # neither hides the comment
    card = desk.page(f"/moderate/comments/{first}")
    assert re.findall(r'class="mod-sanction-kind">(\w+)<', card) == ["trust", "premoderate"]

    lift = re.search(r'action="(/moderate/sanctions/\d+/lift)"', card)[1]
    after = desk.follow(desk.post(lift, card, next=f"/moderate/comments/{first}"))
    assert ws.flash(after).startswith(f"Lifted a sanction on author {author}")
    assert len(re.findall(r'class="mod-sanction-kind"', after)) == 1

    after = desk.follow(desk.post(f"/moderate/comments/{first}/sanction", after, sanction="suspend",
                                  reason="cool off", days="3", next=f"/moderate/comments/{first}"))
    assert ws.flash(after) == f"Suspended the author of comment {first} and rejected the comment: cool off."
    assert re.search(r'class="mod-sanction-kind">suspend</strong> until <time', after)


def test_undo_brings_the_card_back_selected(desk):
    first, second, _ = desk.ids
    page = desk.page()
    after = desk.follow(desk.post(f"/moderate/comments/{first}/sanction", page, sanction="ban",
                                  reason="Spam account", next=ws.form_next(page, first)))
    undo = re.search(r'action="(/moderate/decisions/\d+/undo)"', after)[1]
    r = desk.post(undo, after, next=re.search(r'class="mod-undo".*?name="next" value="([^"]*)"', after,
                                              re.S)[1].replace("&amp;", "&"))
    assert location_params(r)["selected"] == str(first)
    back = desk.follow(r)
    assert ws.flash(back) == f"Undid ban on comment {first}."
    assert 'class="mod-undo"' not in back  # an undo is not undone from here
    assert ws.card_ids(back)[:2] == [first, second] and ws.selected_id(back) == first
    assert desk.state(first) is CommentState.PENDING
    author = desk.services.store.get_comment(first).author.id
    assert not desk.services.store.active_sanctions(author, None, desk.services.deps.clock())

    # Twice is refused, on the page.
    again = desk.post(undo, back, next="/moderate")
    assert again.status_code == 409 and "undone already" in again.text


def test_bulk_decides_on_every_ticked_card_and_undoes_them_together(desk):
    services = desk.services
    more = [ws.held(services) for _ in range(22)]  # more ticked boxes than a form's 20 fields
    page = desk.page()
    ticked = [*desk.ids, *more]
    r = desk.http.post("/moderate/bulk", data={"csrf_token": ws.csrf(page), "next": "/moderate",
                                               "decision": "approve", "reason": "Off topic",
                                               "ids": [str(i) for i in ticked]})
    after = desk.follow(r)
    assert ws.flash(after) == f"Approved {len(ticked)} comments."
    assert all(desk.state(i) is CommentState.PUBLISHED for i in ticked)
    assert ws.count(after, "held") == 0
    decisions = services.store.list_decisions(AuditQuery(comment_id=ticked[0]))
    assert decisions[0].reason == ""  # the Reject reason in the same form is not an approval's

    undo = re.search(r'action="(/moderate/decisions/\d+/undo)"', after)[1]
    also = re.search(r'name="also" value="([^"]+)"', after)[1]
    back = desk.follow(desk.post(undo, after, also=also, next="/moderate"))
    assert ws.flash(back) == f"Undid {len(ticked)} decisions."
    assert all(desk.state(i) is CommentState.PENDING for i in ticked)

    r = desk.http.post("/moderate/bulk", data={"csrf_token": ws.csrf(back), "next": "/moderate",
                                               "decision": "reject", "reason": "", "reason_text": "",
                                               "ids": [str(ticked[0])]})
    assert r.status_code == 422 and "say why" in r.text


def test_the_card_page_shows_the_thread_around_the_comment(desk):
    services = desk.services
    root = ws.published(services)
    reply = ws.published(services, parent_id=root)
    report_me = ws.published(services, parent_id=reply)
    ws.report(services, report_me, "off_topic", "nothing to do with the library")
    page = desk.page(f"/moderate/comments/{reply}")
    thread = re.search(r'<section class="mod-thread".*?</section>', page, re.S)[0]
    assert re.findall(r'id="thread-c(\d+)"', thread) == [str(root), str(reply), str(report_me)]
    assert re.search(rf'<li class="mod-depth-1 is-current" id="thread-c{reply}" aria-current="true">', thread)
    assert "mod-tick" not in page  # one card: nothing to select for a bulk decision
    # A held reply is in its thread too, under its parent in the order of time, though readers cannot see it.
    waiting = ws.held(services, parent_id=root)
    thread = re.search(r'<section class="mod-thread".*?</section>', desk.page(f"/moderate/comments/{waiting}"),
                       re.S)[0]
    assert re.findall(r'id="thread-c(\d+)"', thread) == [str(root), str(reply), str(report_me), str(waiting)]
    assert re.search(rf'<li class="mod-depth-1 is-current" id="thread-c{waiting}"', thread)
    assert "pending</span>" in thread
    after = desk.follow(desk.post(f"/moderate/comments/{report_me}/decide", desk.page(
        f"/moderate/comments/{report_me}"), decision="dismiss", next=f"/moderate/comments/{report_me}"))
    assert ws.flash(after) == f"Dismissed the reports on comment {report_me}."
    assert "0 open reports" in after and "resolved (dismiss)" in after
    assert re.search(r"<strong>dismiss</strong> by account:\d+:Mo Derator", after)


def test_the_audit_log_is_searchable_paged_and_exported(desk):
    first, second, third = desk.ids
    page = desk.page()
    desk.follow(desk.post(f"/moderate/comments/{first}/decide", page, decision="reject", reason="Off topic",
                          next="/moderate"))
    desk.follow(desk.post(f"/moderate/comments/{second}/decide", page, decision="approve", next="/moderate"))
    audit = desk.page("/moderate/audit")
    rows = re.findall(r'<tr id="decision-(\d+)"', audit)
    assert len(rows) == 5  # three automated holds and two decisions, latest first
    assert rows == sorted(rows, key=int, reverse=True)
    assert "Mo Derator" in audit and "automated" in audit
    found = desk.page("/moderate/audit?q=off+topic")
    assert len(re.findall(r'<tr id="decision-', found)) == 1 and f'href="/moderate/comments/{first}"' in found
    assert len(re.findall(r'<tr id="decision-', desk.page("/moderate/audit?decision=approve"))) == 1
    assert len(re.findall(r'<tr id="decision-', desk.page(f"/moderate/audit?comment={third}"))) == 1
    paged = desk.page("/moderate/audit?limit=2")
    assert len(re.findall(r'<tr id="decision-', paged)) == 2
    older = re.search(r'href="(/moderate/audit\?before=\d+)"', paged.replace("&amp;", "&"))[1]
    assert len(re.findall(r'<tr id="decision-', desk.page(older))) == 3
    csv_url = re.search(r'href="(/api/v1/admin/audit\.csv[^"]*)"', found)[1].replace("&amp;", "&")
    csv = desk.http.get(csv_url)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.count("\n") == 2 and "Off topic" in csv.text


def test_an_appeal_is_decided_from_its_queue_by_another_moderator(desk):
    services = desk.services
    writer = ws.guest("Appellant")
    theirs = ws.held(services, writer=writer)
    page = desk.page()
    desk.follow(desk.post(f"/moderate/comments/{theirs}/decide", page, decision="reject", reason="Profanity",
                          next="/moderate"))
    decision = services.store.list_decisions(AuditQuery(comment_id=theirs, limit=1))[0]
    appeal = services.appeals.appeal(writer[0], theirs, "I only linked the agenda.")
    appeals = desk.page("/moderate?queue=appeals")
    assert ws.card_ids(appeals) == [theirs] and ws.count(appeals, "appeals") == 1
    assert f"Appeal against decision {decision.id}" in appeals and "I only linked the agenda." in appeals
    assert 'value="uphold"' in appeals and 'value="reverse"' in appeals

    # Not by the moderator who decided: the queue again, saying so, and nothing changed.
    r = desk.post(f"/moderate/appeals/{appeal.id}/decide", appeals, outcome="reverse", reason_text="",
                  next="/moderate?queue=appeals")
    assert r.status_code == 403 and 'role="alert"' in r.text and ws.card_ids(r.text) == [theirs]
    assert desk.state(theirs) is CommentState.REJECTED

    _, session = ws.account(services, Role.MODERATOR, "Second Moderator")
    with ws.client(desk.server, session) as other:
        page = other.get("/moderate?queue=appeals").text
        r = other.post(f"/moderate/appeals/{appeal.id}/decide",
                       data={"csrf_token": ws.csrf(page), "outcome": "reverse", "next": "/moderate?queue=appeals",
                             "reason_text": "the link is the council's own"})
        assert r.status_code == 303, r.text
        after = other.get(r.headers["location"]).text
    assert ws.flash(after) == f"Reversed the decision on comment {theirs}: the link is the council's own."
    assert ws.card_ids(after) == [] and ws.count(after, "appeals") == 0
    assert desk.state(theirs) is CommentState.PUBLISHED


# --- refusals ------------------------------------------------------------------------
def test_a_form_without_the_csrf_token_is_refused(desk):
    first = desk.ids[0]
    desk.page()
    r = desk.http.post(f"/moderate/comments/{first}/decide", data={"decision": "approve", "next": "/moderate"})
    assert r.status_code == 403 and "the form has expired" in r.text and first in ws.card_ids(r.text)
    r = desk.http.post(f"/moderate/comments/{first}/decide", data={"decision": "approve"},
                       headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "csrf_token"
    r = desk.http.post(f"/moderate/comments/{first}/decide",
                       data={"csrf_token": "made-up." + "0" * 32, "decision": "approve"})
    assert r.status_code == 403
    r = desk.http.post("/moderate/bulk", data={"decision": "approve", "ids": str(first)})
    assert r.status_code == 403
    assert desk.state(first) is CommentState.PENDING


def test_next_never_leaves_the_workspace(desk):
    first = desk.ids[0]
    page = desk.page()
    r = desk.post(f"/moderate/comments/{first}/decide", page, decision="approve", next="//evil.example/x")
    assert r.status_code == 303 and r.headers["location"].startswith("/moderate?")
    r = desk.post(f"/moderate/comments/{desk.ids[1]}/decide", page, decision="approve", next="/stories/x")
    assert r.headers["location"].startswith("/moderate?")


@pytest.mark.parametrize("role", [None, Role.COMMENTER, Role.STAFF])
def test_guests_commenters_and_staff_are_refused(server, role):
    services = server.services
    ws.story(services)
    comment_id = ws.held(services)
    session = ws.account(services, role)[1] if role else None
    with ws.client(server, session) as http:
        for path in ("/moderate", "/moderate?queue=reported", f"/moderate/comments/{comment_id}", "/moderate/audit"):
            r = http.get(path)
            assert r.status_code == 403, path
            assert "Moderators only" in r.text and "needs the moderator role" in r.text
            assert "mod-card" not in r.text and "moderate.js" not in r.text
            if role is None:  # signed out: a way to sign in that comes back here
                login = escape("/login?" + urlencode({"next": path}))
                assert f'<a class="mod-sign-in" href="{login}">' in r.text
            else:
                assert f"({role.value})" in r.text
        token = ws.csrf(http.get("/login").text)  # a good CSRF token: only the role is wrong
        for path, fields in ((f"/moderate/comments/{comment_id}/decide", {"decision": "approve"}),
                             (f"/moderate/comments/{comment_id}/sanction", {"sanction": "ban", "reason": "x"}),
                             ("/moderate/bulk", {"decision": "approve", "ids": str(comment_id)}),
                             ("/moderate/decisions/1/undo", {})):
            r = http.post(path, data={"csrf_token": token, "next": "/moderate", **fields})
            assert r.status_code == 403, (path, r.text)
            assert "needs the moderator role" in r.text
    assert services.store.get_comment(comment_id).state is CommentState.PENDING
    assert services.store.list_sanctions(services.store.get_comment(comment_id).author.id) == []


def test_odd_numbers_in_the_address_are_refused_or_ignored_never_a_500(desk):
    for path in ("/moderate?selected=%C2%B2", "/moderate?done=%C2%B2", "/moderate?author=99999999999999999999999",
                 "/moderate/audit?before=99999999999999999999999", "/moderate/audit?comment=%C2%B2"):
        answer = desk.http.get(path)
        assert answer.status_code in (200, 422), (path, answer.status_code)
