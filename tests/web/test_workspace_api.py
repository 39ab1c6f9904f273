"""The JSON API of reports, appeals and statements, and its exports, over real HTTP on
both stores: a reader reports, a moderator rejects, the writer appeals from their own
browser, a second moderator reverses; the exports stream JSON Lines to auditors only;
SuggestCommentScore answers in Perspective's shape."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import orjson
import pytest

from parley.domain import Actor, Role
from parley.web import workspace_api
from tests.conftest import serve

SYSTEM = Actor.system("tests")


@pytest.fixture
def live(store):
    with serve(store, report_hide_threshold=0) as server:
        have = {(r.path, tuple(sorted(getattr(r, "methods", None) or ()))) for r in server.app.routes}
        for r in workspace_api.routes:  # until the app lists them itself
            if (r.path, tuple(sorted(r.methods or ()))) not in have:
                server.app.router.routes.append(r)
        services = server.app.state.services
        services.stories.create(SYSTEM, {"slug": "s", "title": "The library reopens"})
        tokens = {}
        for name, role in (("first", Role.MODERATOR), ("second", Role.MODERATOR), ("coral", Role.STAFF),
                           ("reader-app", Role.COMMENTER)):
            _, tokens[name] = services.accounts.create_token(SYSTEM, name=name, role=role)
        yield server, tokens


@contextlib.contextmanager
def _browser(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.get("/stories/s")  # the page gives the browser its guest cookie
        yield client


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_report_reject_appeal_reverse_over_http(live):
    server, tokens = live
    with _browser(server) as writer, _browser(server) as reader, httpx.Client(base_url=server.url) as staff:
        posted = writer.post("/api/v1/stories/s/comments", json={"author_name": "Ann", "body": "My view."})
        comment_id = posted.json()["id"]

        r = reader.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "illegal"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "law"
        r = reader.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "abusive", "text": "Rude."})
        assert r.status_code == 201 and r.json()["report"]["reason"] == "abusive"
        again = reader.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam"})
        assert again.status_code == 409 and "already" in again.json()["error"]["message"]
        [mine] = reader.get("/api/v1/me/reports").json()["reports"]
        assert (mine["comment_id"], mine["status"]) == (comment_id, "open")

        rejected = staff.post(f"/api/v1/admin/comments/{comment_id}/reject", json={"reason": "A personal attack"},
                              headers=_bearer(tokens["first"]))
        assert rejected.status_code == 200, rejected.text

        assert reader.get(f"/api/v1/comments/{comment_id}/statement").status_code == 404
        told = writer.get(f"/api/v1/comments/{comment_id}/statement").json()
        assert told["can_appeal"] and told["statement"]["decision"] == "reject"
        assert told["statement"]["why"] == "A moderator's reason: A personal attack."
        assert reader.post(f"/api/v1/comments/{comment_id}/appeal", json={"text": "Mine!"}).status_code == 404
        appeal = writer.post(f"/api/v1/comments/{comment_id}/appeal", json={"text": "I quoted the story."})
        assert appeal.status_code == 201
        appeal_id = appeal.json()["appeal"]["id"]

        decide = f"/api/v1/admin/appeals/{appeal_id}/decide"
        assert writer.post(decide, json={"outcome": "reverse"}).status_code == 403  # a guest
        same = staff.post(decide, json={"outcome": "reverse"}, headers=_bearer(tokens["first"]))
        assert same.status_code == 403 and "Art. 20(6)" in same.json()["error"]["message"]
        done = staff.post(decide, json={"outcome": "reverse", "reason": "It quotes the story."},
                          headers=_bearer(tokens["second"]))
        assert done.status_code == 200, done.text
        assert done.json()["appeal"]["outcome"] == "reversed" and done.json()["decision"]["decision"] == "reverse"

        outcome = writer.get(f"/api/v1/comments/{comment_id}/statement").json()
        assert outcome["appeal"]["outcome"] == "reversed" and "reversed" in outcome["outcome"]
        assert reader.get("/api/v1/me/reports").json()["reports"][0]["status"] == "restored"
        assert writer.get(f"/api/v1/comments/{comment_id}").json()["state"] == "published"


def test_the_exports_stream_json_lines_to_auditors_only(live):
    server, tokens = live
    with _browser(server) as writer, httpx.Client(base_url=server.url) as staff:
        comment_id = writer.post("/api/v1/stories/s/comments", json={"author_name": "Ann", "body": "Hm."}).json()["id"]
        staff.post(f"/api/v1/admin/comments/{comment_id}/reject", json={"reason": "Off the rails"},
                   headers=_bearer(tokens["first"]))
        for path in ("/api/v1/admin/statements.jsonl", "/api/v1/admin/decisions.jsonl"):
            assert staff.get(path, headers=_bearer(tokens["coral"])).status_code == 403
            assert writer.get(path).status_code == 403
        statements = staff.get("/api/v1/admin/statements.jsonl?platform=Example%20News",
                               headers=_bearer(tokens["first"]))
        assert statements.status_code == 200 and statements.headers["content-type"].startswith("application/x-ndjson")
        [record] = [orjson.loads(line) for line in statements.text.splitlines()]
        assert record["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
        assert record["platform_name"] == "Example News" and record["automated_decision"] == \
            "AUTOMATED_DECISION_NOT_AUTOMATED"
        examples = staff.get("/api/v1/admin/decisions.jsonl", headers=_bearer(tokens["first"]))
        [example] = [orjson.loads(line) for line in examples.text.splitlines()]
        assert (example["comment_id"], example["label"], example["text"]) == (comment_id, 1, "Hm.")
        assert staff.get("/api/v1/admin/decisions.jsonl?after_id=x", headers=_bearer(tokens["first"])).status_code \
            == 422


def test_suggestscore_answers_as_perspective_does(live):
    server, tokens = live
    body = {"comment": {"text": "You are all idiots."},
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.9}}}, "clientToken": "t-1"}
    with httpx.Client(base_url=server.url) as client:
        refused = client.post("/v1alpha1/comments:suggestscore", json=body, headers=_bearer(tokens["reader-app"]))
        assert refused.status_code == 403 and refused.json()["error"]["status"] == "PERMISSION_DENIED"
        assert client.post("/v1alpha1/comments:suggestscore", json=body).status_code == 403  # a guest
        bad = client.post("/v1alpha1/comments:suggestscore", json=body | {"attributeScores": {}},
                          headers=_bearer(tokens["coral"]))
        assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert bad.json()["error"]["details"][-1]["fieldViolations"][0]["field"] == "attributeScores"
        ok = client.post("/v1alpha1/comments:suggestscore", json=body, headers=_bearer(tokens["coral"]))
        assert ok.status_code == 200 and ok.json() == {"requestedLanguages": [], "detectedLanguages": ["en"],
                                                       "clientToken": "t-1"}
        # A Perspective client sends its key as ?key=, as comments:analyze takes it.
        wrong = client.post("/v1alpha1/comments:suggestscore?key=nope", json=body)
        assert wrong.status_code == 403 and wrong.json()["error"]["status"] == "PERMISSION_DENIED"
        by_key = client.post(f"/v1alpha1/comments:suggestscore?key={tokens['coral']}",
                             json=body | {"clientToken": "t-2"})
        assert by_key.status_code == 200 and by_key.json()["clientToken"] == "t-2"
        examples = [orjson.loads(line) for line in client.get(
            "/api/v1/admin/decisions.jsonl", headers=_bearer(tokens["first"])).text.splitlines()]
        assert [(e["source"], e["scores"]) for e in examples] == [("suggestscore", {"toxicity": 0.9})] * 2


def test_every_api_route_here_has_its_openapi_description():
    from parley.web.openapi import OPENAPI

    for r in workspace_api.routes:
        if r.path.startswith(("/api/v1", "/v1alpha1")):
            path = r.path.replace(":int}", "}")
            assert path in OPENAPI["paths"], path
            assert {m.lower() for m in r.methods - {"HEAD"}} <= OPENAPI["paths"][path].keys(), path
