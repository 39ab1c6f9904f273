"""The embed's fragment is public (a CDN may hold it and serve it to every reader), so it is
always the readers' rendering of the thread, whoever asked for it: a staff member's
request must not put their Feature links into the copy a CDN keeps."""

from __future__ import annotations

import httpx
import pytest

from parley.domain import Actor, Role
from parley.service import NewComment
from tests.conftest import serve
from tests.web.roles import bearer, signed_in

SITE = "http://localhost:8123"


@pytest.fixture
def live(sqlite_store):
    with serve(sqlite_store, moderation=0, allowed_origins=SITE) as server:
        server.services.stories.create(Actor.system("tests"), {"slug": "s", "title": "A story"})
        server.services.posting.post(Actor.guest(), NewComment("s", "Ann", "A comment readers see."))
        yield server


def test_a_staff_request_gets_the_readers_fragment(live):
    reader = httpx.get(f"{live.url}/embed/fragment", params={"story": "s"})
    assert reader.status_code == 200 and "A comment readers see." in reader.text
    assert "feature-link" not in reader.text
    with signed_in(live, Role.STAFF) as staff_browser:
        assert "feature-link" in staff_browser.get("/stories/s").text  # staff do see Feature on the page
        by_cookie = staff_browser.get("/embed/fragment", params={"story": "s"})
    by_token = httpx.get(f"{live.url}/embed/fragment", params={"story": "s"}, headers=bearer(live, Role.ADMIN))
    for staff in (by_cookie, by_token):
        assert staff.status_code == 200 and "public" in staff.headers["cache-control"]
        assert "feature-link" not in staff.text
        assert staff.headers["etag"] == reader.headers["etag"]
