"""Setting up the moderators' workspace for the web tests (``test_moderate.py`` over
HTTP, ``test_moderate_browser.py`` in Chromium): a story, accounts in each role, and
comments in the queues.

Held comments are posted through the posting service with the shipped models on: the
story holds the spam label at 0.5, and "click here" scores 0.70 by the spam scorer's
rules, so they are held by the verdict with the words flagged whatever the models'
training. Reports are store writes (for setup only) until the reports service lands.
"""

from __future__ import annotations

import itertools
import re
import uuid
from html import unescape

import httpx

from parley.domain import Actor, CommentState, Report, ReportReason, Role
from parley.service import NewComment, review

SYSTEM = Actor.system("tests")
PASSWORD = "a long passphrase for tests"
MEETING = {"slug": "council-meeting", "title": "City council holds meeting on library budget",
           "body": "The city council met on Tuesday to debate the library budget. "
                   "The meeting ran late into the evening as residents spoke.",
           "moderation_thresholds": {"spam": {"hold": 0.5}}}
SLUG = MEETING["slug"]
HELD_TEXT = "Reader {n} on the library budget agenda for the meeting: click here."
PLAIN_TEXT = "Reader {n} thinks the library budget meeting ran late but residents were heard."
FLAGGED = "click here"
_numbers = itertools.count(1)


def story(services) -> None:
    services.stories.create(SYSTEM, MEETING)


def account(services, role: Role, name: str | None = None) -> tuple[str, str]:
    """A new account in ``role``: its email and the session id of a sign-in."""
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    services.accounts.create_account(SYSTEM, email=email, password=PASSWORD, role=role,
                                     display_name=name or f"{role.value.title()} {next(_numbers)}")
    _, session_id = services.accounts.login(email=email, password=PASSWORD, client_addr="127.0.0.1")
    return email, session_id


def guest(name: str | None = None) -> tuple[Actor, str]:
    """A guest writer (a browser of their own) and the name they write under."""
    return Actor.guest(guest_key=uuid.uuid4().hex[:22]), name or f"Reader {next(_numbers)}"


def post(services, body: str, *, writer: tuple[Actor, str] | None = None, parent_id: int | None = None) -> int:
    actor, name = writer or guest()
    posted = services.posting.post(actor, NewComment(story_slug=SLUG, author_name=name, body=body,
                                                     parent_id=parent_id))
    return posted.comment.id


def held(services, writer: tuple[Actor, str] | None = None, parent_id: int | None = None) -> int:
    """A comment the models hold (spam), its words flagged."""
    comment_id = post(services, HELD_TEXT.format(n=next(_numbers)), writer=writer, parent_id=parent_id)
    comment = services.store.get_comment(comment_id)
    assert (comment.state, comment.queue) == (CommentState.PENDING, "held"), comment
    assert [s.label for s in comment.verdict.spans] == ["spam"]
    return comment_id


def published(services, writer: tuple[Actor, str] | None = None, parent_id: int | None = None) -> int:
    comment_id = post(services, PLAIN_TEXT.format(n=next(_numbers)), writer=writer, parent_id=parent_id)
    assert services.store.get_comment(comment_id).state is CommentState.PUBLISHED
    return comment_id


def report(services, comment_id: int, reason: str = "abusive", text: str = "") -> None:
    """A reader's report that puts a comment in the Reported queue (a store write)."""
    store = services.store
    store.add_report(Report(comment_id=comment_id, reason=ReportReason(reason),
                            reporter_key=f"guest:{uuid.uuid4().hex[:22]}", text=text))
    comment = store.get_comment(comment_id)
    comment.report_count += 1
    review.place(comment, store.get_story_by_id(comment.story_id), reported=True)
    store.update_comment(comment, was=comment.state)
    assert store.get_comment(comment_id).queue == "reported"


def reported(services, reason: str = "abusive", text: str = "") -> int:
    comment_id = published(services)
    report(services, comment_id, reason, text)
    return comment_id


def client(server, session_id: str | None = None) -> httpx.Client:
    http = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    if session_id:
        http.cookies.set("parley_session", session_id)
    return http


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html)[1]


def form_next(page_html: str, comment_id: int) -> str:
    """The ``next`` a card's decision forms carry (where they land)."""
    card = re.search(rf'<article class="mod-card[^"]*" id="card-{comment_id}".*?</article>', page_html, re.S)[0]
    return unescape(re.search(r'name="next" value="([^"]*)"', card)[1])


def card_ids(page_html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="mod-card[^"]*" id="card-(\d+)"', page_html)]


def selected_id(page_html: str) -> int | None:
    found = re.search(r'<article class="mod-card is-selected" id="card-(\d+)"', page_html)
    return int(found[1]) if found else None


def flash(page_html: str) -> str | None:
    found = re.search(r'class="mod-flash-text">([^<]*)<', page_html)
    return unescape(found[1]) if found else None


def count(page_html: str, queue: str) -> int:
    return int(re.search(rf'<span class="mod-count" data-queue="{queue}">(\d+)</span>', page_html)[1])
