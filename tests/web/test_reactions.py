"""Recommendations and staff's picks over real HTTP against the real app, on both stores:
the JSON API, the forms without JavaScript (CSRF, 303 back to the comment), the counts in
the cached page and the thread JSON, the Top sort and the Featured tab."""

from __future__ import annotations

import contextlib
import re

import httpx
import pytest

from parley.domain import Actor, Role
from parley.service import NewComment
from tests.conftest import serve
from tests.web import roles

SYSTEM = Actor.system("tests")


@pytest.fixture
def live(store):
    with serve(store) as server:
        server.services.stories.create(SYSTEM, {"slug": "s", "title": "The library reopens"})
        yield server


def _post(server, body: str, writer: str = "writer", parent=None) -> int:
    # Each writer signs with a name of their own: guests are one author per name, and one
    # author posting "Comment number 0.", "1.", "2." is flooding, which the spam rules hold.
    posted = server.services.posting.post(Actor.guest(guest_key=writer),
                                          NewComment("s", f"Ann ({writer})", body, parent_id=parent))
    return posted.comment.id


@contextlib.contextmanager
def _reader(server):
    """A guest's browser without JavaScript: it has loaded the story page (its cookies)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/stories/s").status_code == 200
        yield client


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _count_in_page(html: str, comment_id: int) -> str:
    li = html[html.index(f'id="c{comment_id}"'):]
    return re.search(r'class="recommend-count" data-count="(\d+)"', li).group(1)


def test_recommend_over_the_api_counts_once_shows_in_page_and_json_and_is_taken_back(live):
    comment_id = _post(live, "A fine point about the library.")
    with _reader(live) as reader, _reader(live) as other:
        assert _count_in_page(reader.get("/stories/s").text, comment_id) == "0"  # cached now
        first = reader.put(f"/api/v1/comments/{comment_id}/recommendation")
        assert first.status_code == 200, first.text
        assert first.json() == {"comment_id": comment_id, "recommend_count": 1, "recommended": True}
        assert reader.put(f"/api/v1/comments/{comment_id}/recommendation").json()["recommend_count"] == 1
        assert other.put(f"/api/v1/comments/{comment_id}/recommendation").json()["recommend_count"] == 2
        page = reader.get("/stories/s").text
        assert _count_in_page(page, comment_id) == "2" and "2 recommendations" in page
        thread = reader.get("/api/v1/stories/s/comments").json()
        assert [(c["id"], c["recommend_count"], c["featured"]) for c in thread["comments"]] == [(comment_id, 2, False)]
        assert reader.get("/api/v1/stories/s/recommended").json() == {"recommended": [comment_id]}
        back = reader.delete(f"/api/v1/comments/{comment_id}/recommendation")
        assert back.json() == {"comment_id": comment_id, "recommend_count": 1, "recommended": False}
        assert reader.get("/api/v1/stories/s/recommended").json() == {"recommended": []}
        assert _count_in_page(reader.get("/stories/s").text, comment_id) == "1"


def test_what_may_not_be_recommended_is_refused_naming_the_field(live):
    with _reader(live) as writer:
        page = writer.get("/stories/s").text
        made = writer.post("/stories/s/comments", headers={"Accept": "application/json"},
                           data={"csrf_token": _csrf(page), "author_name": "Wri", "body": "My own words."})
        assert made.status_code == 201, made.text
        own = made.json()["id"]
        refused = writer.put(f"/api/v1/comments/{own}/recommendation")
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "comment_id"
        missing = writer.put("/api/v1/comments/999999/recommendation")
        assert missing.status_code == 404 and missing.json()["error"]["field"] == "comment_id"
        cross_site = writer.put(f"/api/v1/comments/{own}/recommendation",
                                headers={"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403 and cross_site.json()["error"]["field"] == "origin"
    with httpx.Client(base_url=live.url, timeout=30) as fresh:  # no cookie: could stack recommendations
        answer = fresh.put(f"/api/v1/comments/{own}/recommendation")
        assert answer.status_code == 403 and answer.json()["error"]["field"] == "reader"
    assert live.services.store.get_comment(own).recommend_count == 0


def test_the_form_without_javascript_recommends_with_csrf_and_answers_303_to_the_comment(live):
    comment_id = _post(live, "A fine point about the library.")
    with _reader(live) as reader:
        link = f"/stories/s/comments/{comment_id}/recommend"
        assert f'href="{link}"' in reader.get("/stories/s").text
        page = reader.get(link)
        assert page.status_code == 200 and "Recommend this comment" in page.text
        without = reader.post(link, data={"recommended": "1"})
        assert without.status_code == 403 and "form has expired" in without.text
        sent = reader.post(link, data={"csrf_token": _csrf(page.text), "recommended": "1"})
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/stories/s?thread={comment_id}&done=recommended#c{comment_id}"
        back = reader.get(sent.headers["location"])
        assert "You recommended this comment." in back.text and _count_in_page(back.text, comment_id) == "1"
        again = reader.post(link, data={"csrf_token": _csrf(page.text), "recommended": "1"})  # a resent form
        assert again.status_code == 303 and live.services.store.get_comment(comment_id).recommend_count == 1
        page = reader.get(link)
        assert "You recommended this comment" in page.text and "Take back my recommendation" in page.text
        taken = reader.post(link, data={"csrf_token": _csrf(page.text), "recommended": "0"})
        assert "done=unrecommended" in taken.headers["location"]
        assert live.services.store.get_comment(comment_id).recommend_count == 0


def test_top_sorts_the_page_and_its_cursor_pages_on(live):
    ids = [_post(live, f"Comment number {i}.", writer=f"w{i}") for i in range(4)]
    for comment_id, n in zip(ids, (0, 2, 1, 3), strict=True):
        for r in range(n):
            live.services.reactions.recommend(Actor.guest(guest_key=f"reader-{r}"), comment_id)
    with httpx.Client(base_url=live.url, timeout=30) as reader:
        page = reader.get("/stories/s?sort=top").text
        order = [str(i) for i in (ids[3], ids[1], ids[2], ids[0])]
        assert re.findall(r'<li class="comment" id="c(\d+)"', page) == order
        assert '<a href="?sort=top#comments" aria-current="true">Top</a>' in page
        first = reader.get("/api/v1/stories/s/comments", params={"sort": "top", "limit": 2}).json()
        rest = reader.get("/api/v1/stories/s/comments",
                          params={"sort": "top", "limit": 2, "cursor": first["next_cursor"]}).json()
        assert [c["id"] for c in first["comments"] + rest["comments"]] == [ids[3], ids[1], ids[2], ids[0]]
        bad = reader.get("/api/v1/stories/s/comments", params={"sort": "top", "cursor": "bm9wZQ"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


def test_staff_feature_over_the_api_and_readers_see_the_featured_tab_first(live):
    first, second = _post(live, "The first good point."), _post(live, "The second, better point.")
    reply = _post(live, "A reply worth featuring.", parent=first)
    with roles.client(live, Role.STAFF) as staff, roles.client(live, Role.COMMENTER) as commenter, \
            httpx.Client(base_url=live.url, timeout=30) as reader:
        refused = commenter.post(f"/api/v1/comments/{second}/feature")
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "authorization"
        assert "data-feature" not in reader.get("/stories/s").text  # readers' thread has no Feature links
        staff_page = staff.get("/stories/s").text
        assert f'href="/stories/s/comments/{second}/feature"' in staff_page  # staff's rendering does
        for c in (second, reply):
            made = staff.post(f"/api/v1/comments/{c}/feature")
            assert made.status_code == 200 and made.json()["featured"] is True
        page = reader.get("/stories/s").text
        tabs = page.index('class="tab-featured"'), page.index('class="tab-all"')
        assert tabs[0] < tabs[1]  # Featured first
        featured = reader.get("/stories/s?sort=featured").text
        assert re.findall(r'<li class="comment" id="c(\d+)"', featured) == [str(reply), str(second)]
        assert featured.count('<span class="badge badge-featured">Featured</span>') == 2
        assert f'href="/stories/s?thread={first}#c{reply}">See the conversation' in featured
        assert [c["id"] for c in reader.get("/api/v1/stories/s/featured").json()["comments"]] == [reply, second]
        gone = staff.delete(f"/api/v1/comments/{reply}/feature")
        assert gone.status_code == 200 and gone.json()["featured"] is False
        assert re.findall(r'<li class="comment" id="c(\d+)"',
                          reader.get("/stories/s?sort=featured").text) == [str(second)]
        with roles.client(live, Role.MODERATOR) as moderator:
            audit = moderator.get("/api/v1/admin/audit", params={"comment": reply}).json()
        assert [d["decision"] for d in audit["decisions"]] == ["unfeature", "feature"]


def test_staff_feature_without_javascript(live):
    comment_id = _post(live, "A fine point about the library.")
    with roles.signed_in(live, Role.STAFF) as staff:
        link = f"/stories/s/comments/{comment_id}/feature"
        page = staff.get(link)
        assert page.status_code == 200 and "Feature it" in page.text
        sent = staff.post(link, data={"csrf_token": _csrf(page.text), "featured": "1"})
        assert sent.status_code == 303 and "done=featured" in sent.headers["location"]
        assert "The comment is featured" in staff.get(sent.headers["location"]).text
        assert live.services.store.get_comment(comment_id).featured
    with _reader(live) as reader:
        refused = reader.get(f"/stories/s/comments/{comment_id}/feature", headers={"Accept": "application/json"})
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "authorization"
