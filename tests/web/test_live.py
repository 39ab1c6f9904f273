"""Live updates over Server-Sent Events, over real HTTP against the app on both stores:
what readers are told, what they are never told, resuming, bounds and permissions."""

from __future__ import annotations

import time

import httpx
import pytest

from parley.domain import Actor, Role
from parley.service import NewComment
from tests.conftest import serve
from tests.web.sse import Reader

SYSTEM = Actor.system("tests")


@pytest.fixture
def live(store):
    with serve(store, moderation=0, live_heartbeat_seconds=1) as server:
        server.services.stories.create(SYSTEM, {"slug": "s", "title": "A story"})
        yield server


def _post(server, body: str, parent_id=None, name="Ann", writer="w1"):
    return server.services.posting.post(Actor.guest(guest_key=writer), NewComment("s", name, body, parent_id=parent_id))


def _events_url(server, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{server.url}/api/v1/stories/s/events" + (f"?{params}" if params else "")


def test_a_new_comment_reaches_a_connected_reader_escaped(live):
    with Reader(_events_url(live)) as reader:
        assert reader.status == 200
        posted = _post(live, 'Hello <script>alert(1)</script> <img src=x onerror="alert(2)">', name="<b>Eve</b>")
        event = reader.next()
    assert event["event"] == "comment"
    assert event["data"]["id"] == posted.comment.id
    html = event["data"]["html"]
    assert "<script" not in html and "onerror" not in html.replace("&#34;", "").split("comment-body")[0]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert f'id="c{posted.comment.id}"' in html
    assert int(event["id"]) == live.services.stories.get("s").revision


def test_a_reply_says_where_it_hangs(live):
    root = _post(live, "Root").comment
    with Reader(_events_url(live)) as reader:
        reply = _post(live, "A reply", parent_id=root.id, name="Bob").comment
        event = reader.next()
    assert event["data"]["id"] == reply.id
    assert event["data"]["anchor_id"] == root.id and event["data"]["parent_id"] == root.id


def test_a_held_comment_is_never_pushed_not_even_its_id(live):
    first = _post(live, "Before the sanction")
    # A comment held from the start (a pre-moderated writer's) is never announced.
    live.services.decisions.sanction(SYSTEM, first.comment.id, "premoderate", reason="test")
    with Reader(_events_url(live)) as reader:
        secret = _post(live, "A secret held one")
        assert secret.comment.state.value == "pending"
        shown = _post(live, "Visible one", writer="w2", name="Cy")
        event = reader.next()
        assert event["data"]["id"] == shown.comment.id
        assert reader.nothing_for(1.5)


def test_edits_removals_and_deletions_arrive_in_place(live):
    posted = _post(live, "First words")
    with Reader(_events_url(live)) as reader:
        live.services.posting.edit(Actor.guest(guest_key="w1"), posted.comment.id, posted.edit_token, "Second words")
        edited = reader.next()
        assert edited["data"]["id"] == posted.comment.id and "Second words" in edited["data"]["html"]
        live.services.decisions.decide(SYSTEM, posted.comment.id, "reject", reason="spam")
        removed = reader.next()
        assert removed["event"] == "removed" and removed["data"] == {"id": posted.comment.id}
    other = _post(live, "To be deleted", writer="w3")
    with Reader(_events_url(live)) as reader:
        live.services.posting.delete(Actor.guest(guest_key="w3"), other.comment.id, other.edit_token)
        gone = reader.next()
    assert gone["event"] == "comment" and gone["data"]["state"] == "deleted"
    assert "To be deleted" not in gone["data"]["html"]


def test_reconnecting_with_last_event_id_misses_nothing(live):
    first = _post(live, "One").comment
    at = live.services.stories.get("s").revision
    missed = [_post(live, f"Missed {i}", writer=f"m{i}").comment.id for i in range(3)]
    with Reader(_events_url(live), headers={"Last-Event-ID": str(at)}) as reader:
        got = [reader.next()["data"]["id"] for _ in missed]
        assert reader.nothing_for(1.0)
    assert got == missed and first.id not in got
    with Reader(_events_url(live, since=0)) as reader:  # the page's own revision, as ?since=
        assert [reader.next()["data"]["id"] for _ in range(4)] == [first.id, *missed]


def test_a_stream_needs_the_event_stream_accept_and_a_real_story(live):
    with httpx.Client(base_url=live.url) as client:
        answer = client.get("/api/v1/stories/s/events", headers={"Accept": "application/json"})
        assert answer.status_code == 406 and answer.json()["error"]["field"] == "accept"
        answer = client.get("/api/v1/stories/nope/events", headers={"Accept": "text/event-stream"})
        assert answer.status_code == 404
        answer = client.get("/api/v1/stories/s/events?since=-1", headers={"Accept": "text/event-stream"})
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "since"


def test_connections_are_bounded_and_given_back(store):
    with serve(store, moderation=0, live_connections=2, live_heartbeat_seconds=1) as server:
        server.services.stories.create(SYSTEM, {"slug": "s", "title": "A story"})
        url = _events_url(server)
        with Reader(url) as a, Reader(url) as b:
            assert a.status == b.status == 200
            answer = httpx.get(url, headers={"Accept": "text/event-stream"})
            assert answer.status_code == 503 and answer.headers["Retry-After"]
        deadline = time.monotonic() + 10  # the readers left: their slots come back
        while server.app.state.live.connections and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.app.state.live.connections == 0
        with Reader(url) as c:
            assert c.status == 200


def test_moderators_stream_counts_and_refuses_readers(live):
    _, secret = live.services.accounts.create_token(SYSTEM, name="mod", role=Role.MODERATOR)
    _, reader_secret = live.services.accounts.create_token(SYSTEM, name="reader", role=Role.COMMENTER)
    url = f"{live.url}/api/v1/admin/queue/events"
    refused = httpx.get(url, headers={"Accept": "text/event-stream", "Authorization": f"Bearer {reader_secret}"})
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "authorization"
    assert httpx.get(url, headers={"Accept": "text/event-stream"}).status_code in (401, 403)
    with Reader(url, headers={"Authorization": f"Bearer {secret}"}) as moderator:
        first = moderator.next()["data"]["counts"]
        posted = _post(live, "Report me")
        live.services.reports.report(Actor.guest(guest_key="r1"), posted.comment.id, reason="spam", text="")
        later = moderator.next()["data"]["counts"]
    assert later["reported"] == first.get("reported", 0) + 1
