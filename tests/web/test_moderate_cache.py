"""A queue page made once for every moderator (``parley.web.moderate``: cached per revision
of the workspace, migration 0010) over real HTTP on both stores: each moderator still
gets their own name and CSRF token, and anything that changes, here or on another app
instance sharing the database, is on the next page. Sessions kept for a few seconds
still end at once when signed out or disabled here."""

from __future__ import annotations

import re

import pytest

from parley.domain import Role
from parley.service import Services
from parley.store import open_store
from parley.web.security import CSRF_COOKIE
from tests.conftest import make_config
from tests.web import workspace as ws


@pytest.fixture
def desk(server):
    """A story, three held comments, and two moderators signed in with clients of their own."""
    ws.story(server.services)
    ids = [ws.held(server.services) for _ in range(3)]
    clients, emails = [], []
    for name in ("Mo Derator", "Ann Other"):
        email, session = ws.account(server.services, Role.MODERATOR, name)
        clients.append(ws.client(server, session))
        emails.append(email)
    server.emails = emails
    yield server, ids, clients
    for http in clients:
        http.close()


@pytest.fixture
def elsewhere(database_url, server):
    """Another app instance's services over the same database (nothing shared in memory),
    and a moderator acting there."""
    store = open_store(database_url)
    services = Services(store, make_config(), secret=server.app.state.secret)
    email, _ = ws.account(services, Role.MODERATOR, "Al Elsewhere")
    account = services.store.find_account(email=email)
    yield services, account.actor()
    store.close()


def _page(http, url="/moderate") -> str:
    r = http.get(url)
    assert r.status_code == 200, r.text
    return r.text


def _card(page: str, comment_id: int) -> str:
    return re.search(rf'<article class="mod-card[^"]*" id="card-{comment_id}".*?</article>', page, re.S)[0]


def test_each_moderator_has_their_own_name_and_token_on_the_page_they_share(desk):
    server, ids, (mo, ann) = desk
    pages = [_page(mo), _page(ann)]
    assert len(server.app.state.workspace_pages._entries) == 1  # made once, for both
    for page, http, name, other in ((pages[0], mo, "Mo Derator", "Ann Other"), (pages[1], ann, "Ann Other",
                                                                                  "Mo Derator")):
        assert f'<span class="mod-who">{name} (moderator)</span>' in page and other not in page
        assert set(re.findall(r'name="csrf_token" value="([^"]*)"', page)) == {http.cookies[CSRF_COOKIE]}
        assert "parley-csrf" not in page and "parley-who" not in page and "parley-flash" not in page
    assert ws.card_ids(pages[0]) == ws.card_ids(pages[1]) == ids
    # Ann's forms, on a page first made for Mo, work for Ann; and the card leaves both pages.
    r = ann.post(f"/moderate/comments/{ids[0]}/decide",
                 data={"csrf_token": ws.csrf(pages[1]), "decision": "approve", "next": ws.form_next(pages[1], ids[0])})
    assert r.status_code == 303, r.text
    after = _page(ann, r.headers["location"])
    assert ws.flash(after) == f"Approved comment {ids[0]}." and 'class="mod-undo"' in after
    assert ws.flash(_page(mo)) is None  # the flash line is Ann's alone
    for http in (mo, ann):
        assert ws.card_ids(_page(http)) == ids[1:]


def test_what_another_instance_changes_is_on_the_next_page(desk, elsewhere):
    server, ids, (mo, _) = desk
    other, moderator = elsewhere
    first = _page(mo)
    assert ws.count(first, "held") == 3 and ws.count(first, "reported") == 0

    other.decisions.decide(moderator, ids[0], "approve")
    page = _page(mo)
    assert ws.card_ids(page) == ids[1:] and ws.count(page, "held") == 2

    ws.report(other, ids[1], reason="spam")
    page = _page(mo)
    assert ws.card_ids(page) == ids[2:] and ws.count(page, "reported") == 1
    assert "1 report" in _card(_page(mo, "/moderate?queue=reported"), ids[1])

    other.decisions.sanction(moderator, ids[2], "premoderate", reason="watch them")
    assert re.findall(r'class="mod-sanction-kind">(\w+)<', _card(_page(mo), ids[2])) == ["premoderate"]

    story = other.store.get_story(ws.SLUG)
    story.title = "Library budget: the council decides"
    other.store.update_story(story)
    assert "Library budget: the council decides" in _card(_page(mo), ids[2])

    author = other.store.get_comment(ids[2]).author
    before = re.search(r"<dt>Comments</dt><dd>(\d+)</dd>", _card(_page(mo), ids[2]))[1]
    comment = other.store.get_comment(ids[2])
    comment.id, comment.queue, comment.body_source = None, None, "Another word from the same reader."
    comment.approve()
    other.store.add_comment(comment)
    assert other.store.author_history(author.id).comments == int(before) + 1
    assert re.search(r"<dt>Comments</dt><dd>(\d+)</dd>", _card(_page(mo), ids[2]))[1] == str(int(before) + 1)


def test_a_moderator_signed_out_or_disabled_here_is_refused_at_once(desk):
    server, _, (mo, ann) = desk
    page = _page(mo)
    session = mo.cookies["parley_session"]
    r = mo.post("/logout", data={"csrf_token": ws.csrf(page)})
    assert r.status_code == 303
    mo.cookies.set("parley_session", session)  # the browser kept a copy
    refused = mo.get("/moderate")
    assert refused.status_code == 403 and "Mo Derator" not in refused.text
    assert _page(ann)
    admin = server.services.accounts.create_account(ws.SYSTEM, email="boss@example.org", password=ws.PASSWORD,
                                                    role=Role.ADMIN, display_name="Boss").actor()
    ann_id = server.services.store.find_account(email=server.emails[1]).id
    server.services.accounts.change_account(admin, ann_id, disabled=True)
    assert ann.get("/moderate").status_code == 403
