"""Moderation's verdicts over real HTTP, on both stores, with the shipped models: what a
writer is answered for each action, what readers see, and what moderators can ask and do.
Readers post as guests (``http``, no token); stories are managed and comments moderated
with a moderator's API token (``desk``), as the newsroom's tools would.

Fold, rephrase and hold are forced through a story's own thresholds on the spam label,
whose scorer is rules ("click here" scores 0.70), so they do not move with the models'
training; publish, reject and the example thread's abusive reply use the site's defaults.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape

import httpx
import pytest

from parley.domain import NOTICE_TEXTS, WRITER_MESSAGES, CommentState, Role
from parley.importers.scraped import import_page, parse
from tests.conftest import EXAMPLE, serve
from tests.web import roles

MEETING = {"slug": "council-meeting", "title": "City council holds meeting on library budget",
           "body": "The city council met on Tuesday to debate the library budget. "
                   "The meeting ran late into the evening as residents spoke."}
CLICK_HERE = "The library budget agenda for the meeting: click here."
FLAGGED = {"start": 43, "end": 53, "label": "spam", "text": "click here"}
SPAM = " ".join(["Buy now"] * 8)
HELD = WRITER_MESSAGES[CommentState.PENDING]
REJECTED = WRITER_MESSAGES[CommentState.REJECTED]


@pytest.fixture
def http(server):
    """A reader's client: a guest, with no token."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def desk(server):
    """The moderators' client: an API token with the moderator role (which manages stories too)."""
    with roles.client(server, Role.MODERATOR) as client:
        yield client


def story(desk, **thresholds) -> dict:
    r = desk.post("/api/v1/stories", json={**MEETING, "moderation_thresholds": thresholds or None})
    assert r.status_code == 201, r.text
    return r.json()


def post(http, body=CLICK_HERE, name="Ann", slug=MEETING["slug"], **kw) -> httpx.Response:
    return http.post(f"/api/v1/stories/{slug}/comments", json={"author_name": name, "body": body, **kw})


def listed(http, slug=MEETING["slug"]) -> list[dict]:
    return http.get(f"/api/v1/stories/{slug}/comments").json()["comments"]


def count(http, slug=MEETING["slug"]) -> int:
    return http.get(f"/api/v1/stories/{slug}").json()["comment_count"]


def verdict(desk, comment_id, **kw) -> httpx.Response:
    return desk.get(f"/api/v1/admin/comments/{comment_id}/verdict", **kw)


# --- one test per action, through the API --------------------------------------
def readers_page(http) -> str:
    """The story page as another reader's browser gets it: the writer's own held and
    rejected comments are shown to the writer's browser alone."""
    with httpx.Client(base_url=http.base_url) as reader:
        return reader.get(f"/stories/{MEETING['slug']}").text


def test_publish(http, desk):
    story(desk)
    r = post(http, body="Excellent news regarding this meeting.")
    assert r.status_code == 201, r.text
    c = r.json()
    assert (c["state"], c["notices"], c["edit_token"] != "") == ("published", [], True)
    assert "message" not in c
    assert [x["id"] for x in listed(http)] == [c["id"]] and count(http) == 1
    assert verdict(desk, c["id"]).json()["verdict"]["action"] == "publish"


def test_fold(http, desk):
    story(desk, spam={"fold": 0.5})
    r = post(http)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["state"] == "folded" and c["notices"] == [{"kind": "spam", "text": NOTICE_TEXTS["spam"]}]
    assert listed(http)[0]["notices"] == c["notices"] and count(http) == 1
    page = http.get(f"/stories/{MEETING['slug']}").text
    # Behind the same fold as a spoiler: a <details> whose summary is the notice.
    assert re.search(rf'<details class="notice" data-notice="spam">\s*<summary>{re.escape(NOTICE_TEXTS["spam"])}'
                     r'</summary>\s*<div class="comment-body"><p>The library budget agenda', page)


def test_hold_shows_the_comment_to_its_writer_and_moderators_only(http, desk):
    story(desk, spam={"hold": 0.5})
    r = post(http)
    assert r.status_code == 201, r.text
    c = r.json()
    assert (c["state"], c["message"]) == ("pending", HELD) and c["edit_token"]
    assert listed(http) == [] and count(http) == 0
    # Its writer sees it (by the guest cookie the answer set, or the edit token they were
    # given); another reader does not.
    with httpx.Client(base_url=http.base_url) as reader:
        assert CLICK_HERE not in reader.get(f"/stories/{MEETING['slug']}").text
        assert reader.get(f"/api/v1/comments/{c['id']}").status_code == 404
        assert reader.get(f"/api/v1/comments/{c['id']}", headers={"X-Edit-Token": "0" * 40}).status_code == 404
        own = reader.get(f"/api/v1/comments/{c['id']}", headers={"X-Edit-Token": c["edit_token"]})
    writer_page = http.get(f"/stories/{MEETING['slug']}").text
    assert CLICK_HERE in writer_page.split('id="own-comments"', 1)[1].split("</section>", 1)[0]
    assert http.get(f"/api/v1/comments/{c['id']}").json()["state"] == "pending"
    assert own.status_code == 200 and own.json()["state"] == "pending" and own.json()["body_source"] == CLICK_HERE
    assert own.json()["message"] == HELD
    # Nobody replies to it.
    assert post(http, body="Agreed.", name="Bob", parent_id=c["id"]).json()["error"]["field"] == "parent_id"
    # A moderator sees why.
    seen = verdict(desk, c["id"]).json()
    assert seen["state"] == "pending" and seen["body_source"] == CLICK_HERE
    assert seen["verdict"]["action"] == "hold" and seen["verdict"]["spans"] == [
        {k: FLAGGED[k] for k in ("start", "end", "label")}]
    assert any(reason.startswith("looks like spam") for reason in seen["verdict"]["reasons"])
    assert 0.5 <= seen["verdict"]["scores"]["spam"] < 0.8 and seen["verdict"]["model"]


def test_reject(http, desk):
    story(desk)
    r = post(http, body=SPAM)
    assert r.status_code == 201, r.text
    c = r.json()
    assert (c["state"], c["message"]) == ("rejected", REJECTED) and "edit_token" not in c
    assert listed(http) == [] and count(http) == 0
    assert http.get(f"/api/v1/comments/{c['id']}").status_code == 404
    seen = verdict(desk, c["id"]).json()
    assert seen["state"] == "rejected" and seen["verdict"]["action"] == "reject"
    assert seen["verdict"]["scores"]["spam"] >= 0.98


def test_rephrase_then_a_second_attempt_is_held(http, desk):
    story(desk, spam={"rephrase": 0.5})
    r = post(http)
    assert r.status_code == 422
    error = r.json()["error"]
    assert (error["code"], error["field"]) == ("rephrase", "body") and error["message"]
    assert error["spans"] == [FLAGGED] and error["reasons"]
    assert listed(http) == [] and count(http) == 0
    again = post(http, rephrased=True)
    assert again.status_code == 201, again.text
    assert again.json()["state"] == "pending" and again.json()["message"] == HELD
    seen = verdict(desk, again.json()["id"]).json()["verdict"]
    assert seen["action"] == "hold" and "still over the line after a chance to rephrase" in seen["reasons"]
    # Rephrased so the rule no longer fires, it is published.
    fixed = post(http, body="The library budget agenda for the meeting is on the council's site.", rephrased=True)
    assert fixed.json()["state"] == "published"
    assert post(http, rephrased="yes").json()["error"]["field"] == "rephrased"


def test_the_example_threads_abusive_reply_is_not_simply_published(server, http, desk):
    import_page(server.services, parse(EXAMPLE.read_text()), slug="s",
                scraped_at=datetime(2024, 4, 8, 12, tzinfo=timezone.utc))
    [john] = [c for c in listed(http, "s") if c["author"]["name"] == "John" and "@Bob Boomhauer" in c["body_html"]]
    abuse = "@John, go fuck yourself you stupid Canadian Troll jackwad."
    r = post(http, body=abuse, name="Bob Boomhauer", slug="s", parent_id=john["id"])
    if r.status_code == 422:  # asked to rephrase; sent again as it was, it waits for a moderator
        assert r.json()["error"]["code"] == "rephrase"
        r = post(http, body=abuse, name="Bob Boomhauer", slug="s", parent_id=john["id"], rephrased=True)
        assert r.json()["state"] == "pending"
    assert r.status_code == 201, r.text
    assert r.json()["state"] in ("folded", "pending", "rejected")
    shown = [c for c in listed(http, "s") if "jackwad" in c["body_html"]]
    assert all(c["state"] == "folded" and c["notices"] for c in shown)
    assert verdict(desk, r.json()["id"]).json()["verdict"]["reasons"]


def test_an_edit_is_scored_again(http, desk):
    story(desk, spam={"fold": 0.5})
    c = post(http, body="The meeting agenda is long.").json()
    assert c["state"] == "published"
    url, token = f"/api/v1/comments/{c['id']}", {"X-Edit-Token": c["edit_token"]}
    folded = http.patch(url, json={"body": CLICK_HERE}, headers=token).json()
    assert folded["state"] == "folded" and [n["kind"] for n in folded["notices"]] == ["spam"]
    back = http.patch(url, json={"body": "The meeting agenda is long indeed."}, headers=token).json()
    assert (back["state"], back["notices"]) == ("published", [])


@pytest.mark.parametrize("action", ["rephrase", "hold", "reject"])
def test_an_edit_moderation_would_hide_goes_back_and_the_comment_stays(http, desk, action):
    story(desk)
    c = post(http, body="The meeting agenda is long.").json()
    reply = post(http, name="Bob", body="It was.", parent_id=c["id"]).json()
    url, token = f"/api/v1/comments/{c['id']}", {"X-Edit-Token": c["edit_token"]}
    page_before = http.get(f"/stories/{MEETING['slug']}").text  # rendered, and cached
    assert "The meeting agenda is long." in page_before
    desk.patch(f"/api/v1/stories/{MEETING['slug']}", json={"moderation_thresholds": {"spam": {action: 0.5}}})
    for rephrased in (False, True):  # sent again, it is still sent back: an edit is never held
        asked = http.patch(url, json={"body": CLICK_HERE, "rephrased": rephrased}, headers=token)
        assert asked.status_code == 422, asked.text
        error = asked.json()["error"]
        assert (error["code"], error["field"], error["spans"]) == ("rephrase", "body", [FLAGGED])
        assert error["message"].startswith("Your edit was not saved") and error["reasons"]
    kept = http.get(url).json()
    assert (kept["state"], kept["body_source"], kept["edited_at"]) == ("published", "The meeting agenda is long.", None)
    assert [x["id"] for x in listed(http)] == [c["id"], reply["id"]] and count(http) == 2
    assert verdict(desk, c["id"]).json()["verdict"]["action"] == "publish"
    assert http.get(f"/stories/{MEETING['slug']}").text.count("The meeting agenda is long.") == 1


def test_an_edit_never_releases_a_held_comment(http, desk):
    story(desk, spam={"hold": 0.5})
    c = post(http).json()
    assert c["state"] == "pending"
    url, token = f"/api/v1/comments/{c['id']}", {"X-Edit-Token": c["edit_token"]}
    fixed = "The agenda for the meeting is on the council's site."
    edited = http.patch(url, json={"body": fixed}, headers=token)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["state"], edited.json()["message"], edited.json()["body_source"]) == ("pending", HELD, fixed)
    assert listed(http) == [] and count(http) == 0 and fixed not in readers_page(http)
    seen = verdict(desk, c["id"]).json()
    assert (seen["body_source"], seen["verdict"]["action"], seen["verdict"]["spans"]) == (fixed, "publish", [])
    # Its writer still sees it; a moderator releases it.
    assert http.get(url, headers=token).json()["state"] == "pending"
    assert desk.post(f"/api/v1/admin/comments/{c['id']}/approve").json()["state"] == "published"
    assert [x["id"] for x in listed(http)] == [c["id"]] and count(http) == 1


def test_an_unscored_edit_clears_the_verdict(store):
    with serve(store) as live, httpx.Client(base_url=live.url) as http, roles.client(live, Role.MODERATOR) as desk:
        story(desk, spam={"fold": 0.5})
        c = post(http).json()
        assert verdict(desk, c["id"]).json()["verdict"]["spans"] == [{k: FLAGGED[k] for k in ("start", "end", "label")}]
    with (serve(store, moderation=0) as live, httpx.Client(base_url=live.url) as http,
          roles.client(live, Role.MODERATOR) as desk):
        edited = http.patch(f"/api/v1/comments/{c['id']}", json={"body": CLICK_HERE + " Now."},
                            headers={"X-Edit-Token": c["edit_token"]}).json()
        assert (edited["state"], edited["notices"]) == ("published", [])
        assert verdict(desk, c["id"]).json()["verdict"] is None


# --- the moderators' queue -------------------------------------------------------------
def queue(desk, **params) -> httpx.Response:
    return desk.get("/api/v1/admin/queue", params=params)


def decide(desk, comment_id, decision, reason="Breaks the discussion rules.", **kw) -> httpx.Response:
    """A moderator's decision; a reject carries its reason, as one must."""
    if decision == "reject" and "json" not in kw and "content" not in kw:
        kw["json"] = {"reason": reason}
    return desk.post(f"/api/v1/admin/comments/{comment_id}/{decision}", **kw)


def test_the_queue_lists_held_comments_for_moderators_by_priority(http, desk):
    story(desk, spam={"hold": 0.5})
    desk.post("/api/v1/stories",
              json={"slug": "other", "title": "Other", "moderation_thresholds": {"spam": {"hold": 0.5}}})
    hostile = '<img src=x onerror=alert(1)> click here'
    first = post(http, name='<b>Ann</b>', body=hostile).json()
    second = post(http, name="Bob", slug="other").json()
    third = post(http, name="Cat").json()
    post(http, name="Pat", body="Excellent news regarding this meeting.")
    fourth = post(http, name="Dan").json()  # as Cat's, on a story readers now comment on
    held = {c["id"] for c in (first, second, third, fourth)}
    page = queue(desk, limit=2)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "application/json"
    answer = page.json()
    assert answer["queue"] == "held" and answer["counts"]["held"] == 4
    rest = queue(desk, limit=2, cursor=answer["next_cursor"]).json()
    assert rest["next_cursor"] is None
    listed_ = answer["comments"] + rest["comments"]
    assert {c["id"] for c in listed_} == held and len(listed_) == 4
    # Priority first (highest first), then the oldest: the page boundary keeps that order.
    assert [c["id"] for c in listed_] == [c["id"] for c in sorted(listed_, key=lambda c: (-c["priority"], c["id"]))]
    by_id = {c["id"]: c for c in listed_}
    # The same words on the same story: the later one waits where more readers see it, so it comes first.
    assert by_id[fourth["id"]]["priority"] == by_id[third["id"]]["priority"] + 40
    assert [c["id"] for c in listed_].index(fourth["id"]) < [c["id"] for c in listed_].index(third["id"])
    entry = by_id[first["id"]]
    assert entry["story"] == {"slug": MEETING["slug"], "title": MEETING["title"]}
    assert (entry["state"], entry["body_source"], entry["author"]["name"]) == ("pending", hostile, "<b>Ann</b>")
    assert "<img" not in entry["body_html"] and entry["verdict"]["action"] == "hold"
    assert by_id[second["id"]]["story"]["slug"] == "other"
    mine = [c["id"] for c in queue(desk, story=MEETING["slug"]).json()["comments"]]
    assert mine == [i for i in (c["id"] for c in listed_) if i != second["id"]]
    for params, field, status in (({"story": "nope"}, "story", 404), ({"limit": "x"}, "limit", 422),
                                  ({"limit": "0"}, "limit", 422), ({"cursor": "bogus"}, "cursor", 422),
                                  ({"queue": "nope"}, "queue", 422)):
        bad = queue(desk, **params)
        assert (bad.status_code, bad.json()["error"]["field"]) == (status, field), params


def test_approving_a_held_comment_shows_it_to_readers(http, desk):
    story(desk, spam={"hold": 0.5})
    root = post(http, name="Pat", body="Excellent news regarding this meeting.").json()
    held = post(http, parent_id=root["id"], spoiler=True).json()
    assert held["state"] == "pending"
    page = f"/stories/{MEETING['slug']}"
    assert "The library budget agenda" not in readers_page(http)  # rendered and cached without it
    thread = http.get(f"/api/v1/stories/{MEETING['slug']}/comments")
    etag = thread.headers["etag"]
    approved = decide(desk, held["id"], "approve")
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    assert answer["state"] == "folded" and [n["kind"] for n in answer["notices"]] == ["spoiler"]
    assert answer["verdict"]["action"] == "hold" and answer["body_source"] == CLICK_HERE
    assert answer["decision"]["decision"] == "approve" and answer["decision"]["actor"].startswith("token:")
    assert [c["id"] for c in listed(http)] == [root["id"], held["id"]] and count(http) == 2
    again = http.get(f"/api/v1/stories/{MEETING['slug']}/comments", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag
    assert re.search(rf'<li class="comment" id="c{held["id"]}".*?The library budget agenda', http.get(page).text, re.S)
    assert http.get(f"/api/v1/comments/{held['id']}").json()["state"] == "folded"
    assert queue(desk).json()["comments"] == []
    # A moderation fold comes off too; a reject is undone.
    desk.patch(f"/api/v1/stories/{MEETING['slug']}", json={"moderation_thresholds": {"spam": {"fold": 0.5}}})
    folded = post(http, name="Bob").json()
    assert folded["state"] == "folded"
    assert decide(desk, folded["id"], "approve").json()["notices"] == []
    # A story's label replaces the site's actions for it wholesale: this one only rejects.
    desk.patch(f"/api/v1/stories/{MEETING['slug']}", json={"moderation_thresholds": {"spam": {"reject": 0.5}}})
    rejected = post(http, name="Cat").json()
    assert rejected["state"] == "rejected"
    assert decide(desk, rejected["id"], "approve").json()["state"] == "published" and count(http) == 4


def test_rejecting_takes_a_comment_from_readers(http, desk):
    story(desk, spam={"hold": 0.5})
    held = post(http).json()
    shown = post(http, name="Pat", body="Excellent news regarding this meeting.").json()
    assert "Excellent news" in http.get(f"/stories/{MEETING['slug']}").text
    # A reject says why: without a reason it is refused, and nothing changes.
    for without in ({"json": {}}, {"json": {"reason": "  "}}, {"content": b""}):
        unexplained = decide(desk, shown["id"], "reject", **without)
        assert unexplained.status_code == 422 and unexplained.json()["error"]["field"] == "reason", without
    assert count(http) == 1
    rejected = decide(desk, held["id"], "reject", reason="Advertising.")
    assert rejected.json()["state"] == "rejected" and rejected.json()["decision"]["reason"] == "Advertising."
    r = decide(desk, shown["id"], "reject")
    assert r.status_code == 200 and r.json()["state"] == "rejected" and r.json()["verdict"]["action"] == "publish"
    assert listed(http) == [] and count(http) == 0 and queue(desk).json()["comments"] == []
    assert "Excellent news" not in readers_page(http)
    assert http.get(f"/api/v1/comments/{shown['id']}").status_code == 404
    assert http.get(f"/api/v1/comments/{held['id']}", headers={"X-Edit-Token": held["edit_token"]}).status_code == 404


def test_moderators_actions_answer_404_and_409_naming_the_field(http, desk):
    story(desk)
    gone = post(http, body="Excellent news regarding this meeting.").json()
    http.delete(f"/api/v1/comments/{gone['id']}", headers={"X-Edit-Token": gone["edit_token"]})
    root = post(http, name="Pat", body="The meeting agenda is long.").json()
    post(http, name="Bob", body="It was.", parent_id=root["id"])
    for decision in ("approve", "reject"):
        missing = decide(desk, 999999, decision)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
        deleted = decide(desk, gone["id"], decision)
        assert deleted.status_code == 409, deleted.text
        assert (deleted.json()["error"]["code"], deleted.json()["error"]["field"]) == ("conflict", "state")
        assert desk.get(f"/api/v1/admin/comments/{gone['id']}/{decision}").status_code == 405
    replied = decide(desk, root["id"], "reject")
    assert (replied.status_code, replied.json()["error"]["field"]) == (409, "comment_id")
    assert count(http) == 2


def test_the_queue_and_decisions_are_for_moderators_only(server, http, desk):
    desk.post("/api/v1/stories", json={**MEETING, "moderation_thresholds": {"spam": {"hold": 0.5}}})
    c = post(http).json()
    url = f"/api/v1/admin/comments/{c['id']}"
    reject = {"json": {"reason": "Advertising."}}
    # No token (from loopback, which gains nothing, or claiming to be forwarded from it), a
    # reader's token, and the newsroom's (staff manage stories, they do not moderate).
    for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}, roles.bearer(server, Role.COMMENTER),
                    roles.bearer(server, Role.STAFF)):
        for answer in (http.get("/api/v1/admin/queue", headers=headers), http.get(url, headers=headers),
                       http.post(f"{url}/approve", headers=headers),
                       http.post(f"{url}/reject", headers=headers, **reject),
                       http.post(f"{url}/fold", headers=headers),
                       http.post("/api/v1/admin/decisions/bulk", headers=headers,
                                 json={"comment_ids": [c["id"]], "decision": "approve"})):
            assert answer.status_code == 403, (headers, answer.request.url, answer.text)
            assert answer.json()["error"]["field"] == "authorization"
            assert "moderator role" in answer.json()["error"]["message"]
    # A moderator signed in: the session cookie counts on this site's own requests only.
    with roles.signed_in(server, Role.MODERATOR) as moderator:
        for cross in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
            for answer in (moderator.post(f"{url}/approve", headers=cross),
                           moderator.post(f"{url}/reject", headers=cross, **reject)):
                assert answer.status_code == 403, (cross, answer.text)
                assert answer.json()["error"]["field"] == "origin"
        assert count(http) == 0 and queue(desk).json()["comments"][0]["id"] == c["id"]
        assert moderator.get("/api/v1/admin/queue").json()["comments"][0]["id"] == c["id"]
    # Moderators and admins decide, by token.
    assert http.get("/api/v1/admin/queue", headers=roles.bearer(server, Role.ADMIN)).status_code == 200
    assert decide(desk, c["id"], "approve").json()["state"] == "published"
    assert count(http) == 1


# --- a story's thresholds and the moderators' view -----------------------------------
def test_story_thresholds_are_managed_through_the_story_api(http, desk):
    created = story(desk, spam={"fold": 0.5})
    assert created["moderation_thresholds"] == {"spam": {"fold": 0.5}}
    assert "moderation_thresholds" not in http.get(f"/api/v1/stories/{MEETING['slug']}").json()
    url = f"/api/v1/stories/{MEETING['slug']}"
    for bad in ({"nope": {"fold": 0.5}}, {"spam": {"fold": 0}}, {"spam": {"fold": "high"}}, "spam", [1]):
        r = desk.patch(url, json={"moderation_thresholds": bad})
        assert r.status_code == 422 and r.json()["error"]["field"] == "moderation_thresholds", bad
        assert r.json()["error"]["code"] == "invalid" and r.json()["error"]["message"]
    bad_new = desk.post("/api/v1/stories", json={**MEETING, "slug": "other", "moderation_thresholds": {"x": 1}})
    assert bad_new.status_code == 422 and bad_new.json()["error"]["field"] == "moderation_thresholds"
    assert desk.patch(url, json={"moderation_thresholds": None}).json()["moderation_thresholds"] is None
    assert desk.post(f"{url}/close").json()["moderation_thresholds"] is None


def test_the_verdict_is_for_moderators_only(server, http, desk):
    staff = roles.bearer(server, Role.STAFF)
    http.post("/api/v1/stories", json=MEETING, headers=staff)
    c = post(http, body=SPAM).json()
    for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}, roles.bearer(server, Role.COMMENTER), staff):
        denied = verdict(http, c["id"], headers=headers)
        assert denied.status_code == 403 and denied.json()["error"]["field"] == "authorization"
        assert "verdict needs the moderator role" in denied.json()["error"]["message"]
    # Read from another site's page with a moderator's cookie, the answer carries nothing
    # that lets that page read it (no CORS).
    with roles.signed_in(server, Role.MODERATOR) as moderator:
        cross = verdict(moderator, c["id"], headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
        assert not any(h.startswith("access-control-") for h in cross.headers)
        assert verdict(moderator, c["id"]).json()["verdict"]["action"] == "reject"
    assert verdict(desk, c["id"]).json()["verdict"]["action"] == "reject"
    assert verdict(http, c["id"], headers=roles.bearer(server, Role.ADMIN)).json()["verdict"]["action"] == "reject"
    assert verdict(desk, 999999).status_code == 404
    staff_post = http.post(f"/api/v1/stories/{MEETING['slug']}/comments", headers=staff,
                           json={"author_name": "Editor", "body": SPAM, "staff": True}).json()
    assert staff_post["state"] == "published"
    assert verdict(desk, staff_post["id"]).json()["verdict"] is None


def test_moderation_off_publishes_unscored(store):
    with (serve(store, moderation=0) as live, httpx.Client(base_url=live.url) as http,
          roles.client(live, Role.MODERATOR) as desk):
        story(desk, spam={"reject": 0.1})
        c = post(http, body=SPAM).json()
        assert c["state"] == "published"
        assert verdict(desk, c["id"]).json()["verdict"] is None


# --- the reader page's form, without JavaScript ---------------------------------------
@pytest.fixture
def reader(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _form(reader, slug=MEETING["slug"], **fields) -> dict:
    html = reader.get(f"/stories/{slug}").text
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),
            "author_name": "Ann", "body": CLICK_HERE, **fields}


def test_the_form_shows_a_rephrase_answer_with_the_words_marked_and_escaped(reader, http, desk):
    story(desk, spam={"rephrase": 0.5})
    hostile = '<img src=x onerror=alert(1)> & "quotes" click here'
    r = reader.post(f"/stories/{MEETING['slug']}/comments", data=_form(reader, body=hostile))
    assert r.status_code == 422
    html = r.text
    assert '<p class="form-error" role="alert" id="form-error">Your comment was not posted' in html
    box = re.search(r'<div class="rephrase" id="rephrase">.*?</div>', html, re.S).group(0)
    assert '<input type="hidden" name="rephrased" value="1">' in box
    assert ('<blockquote class="rephrase-text">&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34; '
            '<mark title="spam">click here</mark></blockquote>') in box
    assert "<img" not in html
    # What the writer typed is still in the box to change.
    assert unescape(re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', html, re.S).group(1)) == hostile
    assert listed(http) == []

    again = reader.post(f"/stories/{MEETING['slug']}/comments",
                        data=_form(reader, body=hostile, rephrased="1"), follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == f"/stories/{MEETING['slug']}?posted=pending#own-comments"
    page = reader.get(again.headers["location"]).text
    assert f'<p class="form-status" role="status" id="form-status">{HELD}</p>' in page
    # Its writer's browser is shown it, held and escaped, in the part of the page only they see.
    own = page[page.index('<section id="own-comments"'):page.index('<ol class="thread" id="thread">')]
    assert '<div class="comment-body"><p>&lt;img src=x onerror=alert(1)&gt; &amp; "quotes" click here</p>' in own
    assert f'<p class="pending-note">{HELD}</p>' in own
    assert "<img" not in page and listed(http) == []
    # Nobody else is.
    assert "onerror" not in http.get(f"/stories/{MEETING['slug']}").text


def test_the_form_tells_a_rejected_writer(reader, http, desk):
    story(desk)
    r = reader.post(f"/stories/{MEETING['slug']}/comments", data=_form(reader, body=SPAM), follow_redirects=True)
    assert r.status_code == 200 and r.url.params["posted"] == "rejected"
    assert f'<p class="form-status" role="status" id="form-status">{REJECTED}</p>' in r.text
    assert reader.get(f"/stories/{MEETING['slug']}?posted=bogus").text.count("form-status") == 0


def test_the_pages_script_gets_the_rephrase_box_and_the_held_comment(reader, http, desk):
    story(desk, spam={"rephrase": 0.5})
    url, js = f"/stories/{MEETING['slug']}/comments", {"Accept": "application/json"}
    r = reader.post(url, data=_form(reader), headers=js)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "rephrase" and r.json()["error"]["spans"] == [FLAGGED]
    assert '<mark title="spam">click here</mark>' in r.json()["html"]
    held = reader.post(url, data=_form(reader, rephrased="1"), headers=js)
    assert held.status_code == 201
    answer = held.json()
    assert (answer["state"], answer["message"]) == ("pending", HELD) and answer["edit_token"]
    assert f'<p class="pending-note">{HELD}</p>' in answer["html"] and "reply-link" not in answer["html"]
    desk.patch(f"/api/v1/stories/{MEETING['slug']}", json={"moderation_thresholds": {"spam": {"reject": 0.5}}})
    rejected = reader.post(url, data=_form(reader), headers=js).json()
    assert rejected["state"] == "rejected" and rejected["message"] == REJECTED
    assert "html" not in rejected and "edit_token" not in rejected
