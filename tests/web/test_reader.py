"""The reader's side of moderation over real HTTP on both stores, without a browser:
reporting a comment (the no-JavaScript form and the JSON the page's script asks for),
the statement of reasons and the one appeal a writer makes, and ``/me``."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from parley.domain import Actor, Role
from parley.web.reader import APPEALED, REPORTED
from tests.conftest import serve

SYSTEM = Actor.system("tests")
MO = Actor(Role.MODERATOR, name="Mo")
LU = Actor(Role.MODERATOR, name="Lu")
JSON = {"Accept": "application/json"}
PASSWORD = "correct horse battery"


@pytest.fixture
def live(store):
    with serve(store, moderation=0, reports_per_hour=50) as server:
        server.services.stories.create(SYSTEM, {"slug": "s", "title": "Riverside library reopens"})
        yield server


@pytest.fixture
def clients(live):
    """Browsers of their own (each keeps its own cookies): ``clients()`` opens one more."""
    opened = []

    def open_client() -> httpx.Client:
        client = httpx.Client(base_url=live.url, timeout=30)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(client: httpx.Client, body: str, name: str = "Ann") -> int:
    """A comment posted with the page's own form, as a reader without JavaScript does."""
    page = client.get("/stories/s").text
    r = client.post("/stories/s/comments", data={"csrf_token": _csrf(page), "author_name": name, "body": body})
    assert r.status_code == 303, r.text
    if "#c" in r.headers["location"]:
        return int(r.headers["location"].rsplit("#c", 1)[1])
    return max(int(i) for i in re.findall(r'id="c(\d+)"', client.get(r.headers["location"]).text))


def _report(client: httpx.Client, comment_id: int, headers=None, **fields) -> httpx.Response:
    page = client.get(f"/stories/s/comments/{comment_id}/report")
    assert page.status_code == 200, page.text
    return client.post(f"/stories/s/comments/{comment_id}/report", headers=headers,
                       data={"csrf_token": _csrf(page.text), **fields})


def _appeal(client: httpx.Client, comment_id: int, text: str, headers=None, **fields) -> httpx.Response:
    page = client.get("/stories/s").text
    return client.post(f"/stories/s/comments/{comment_id}/appeal", headers=headers,
                       data={"csrf_token": _csrf(page), "text": text, **fields})


def _text(html: str) -> str:
    """A page's words, without tags, for asserting on what a reader reads."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- reporting -----------------------------------------------------------------------------
def test_every_comment_has_the_same_report_link_for_every_reader(live, clients):
    ann, bob = clients(), clients()
    cid = _post(ann, "The new reading room is lovely.")
    for client in (ann, bob, clients()):
        page = client.get("/stories/s").text
        assert f'<a class="report-link" href="/stories/s/comments/{cid}/report" data-report="{cid}">Report' in page
    # The thread is cached and shared: byte for byte the same for the writer and for anyone else.
    thread = [re.search(r'<ol class="thread" id="thread">(.*?)</ol>\s*</section>', c.get("/stories/s").text, re.S)
              .group(1) for c in (ann, bob)]
    assert thread[0] == thread[1]


def test_a_report_without_javascript_comes_back_to_the_comment_with_a_status_line(live, clients):
    cid = _post(clients(), "Buy cheap watches at example.com")
    reader = clients()
    page = reader.get(f"/stories/s/comments/{cid}/report")
    assert page.status_code == 200 and "<html" in page.text
    html = page.text
    assert html.count('type="radio"') == 5
    for value in ("abusive", "spam", "off_topic", "illegal", "other"):
        assert f'name="reason" value="{value}"' in html
    # The illegal-content fields are always there, under their own heading.
    assert "<legend>Illegal content</legend>" in html
    for field in ("law", "explanation", "name", "email", "good_faith"):
        assert f'name="{field}"' in html
    assert "Buy cheap watches" in html  # the comment being reported, for the reader to check
    r = reader.post(f"/stories/s/comments/{cid}/report",
                    data={"csrf_token": _csrf(html), "reason": "spam", "text": "An advert"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/stories/s?thread={cid}&done=reported#c{cid}"
    back = reader.get(r.headers["location"])
    assert f'<p class="form-status reader-status" role="status" id="reader-status">{REPORTED}</p>' in back.text
    assert f'id="c{cid}"' in back.text
    [report] = live.services.store.list_reports(cid)
    assert (report.reason.value, report.text, report.law, report.good_faith, report.reporter_email) == (
        "spam", "An advert", "", False, "")


def test_an_illegal_content_report_needs_the_law_an_explanation_and_good_faith(live, clients):
    cid = _post(clients(), "Something that may be defamatory.")
    reader = clients()
    missing_law = _report(reader, cid, reason="illegal", explanation="It accuses a named person of a crime.")
    assert missing_law.status_code == 422
    assert "name the law you believe this comment breaks" in missing_law.text
    assert re.search(rf'id="report-{cid}-law" name="law"[^>]*aria-invalid="true"', missing_law.text)
    assert "It accuses a named person of a crime.</textarea>" in missing_law.text  # what they typed stays
    assert f'id="report-{cid}-illegal" name="reason" value="illegal" checked' in missing_law.text

    missing_why = _report(reader, cid, reason="illegal", law="Defamation Act 2013, s. 1")
    assert missing_why.status_code == 422 and "explain why you believe this comment is illegal" in missing_why.text
    assert re.search(rf'id="report-{cid}-explanation" name="explanation"[^>]*aria-invalid="true"', missing_why.text)

    no_faith = _report(reader, cid, reason="illegal", law="Defamation Act 2013, s. 1",
                       explanation="It accuses a named person of a crime.")
    assert no_faith.status_code == 422 and "good faith" in no_faith.text
    assert re.search(r'name="good_faith"[^>]*aria-invalid="true"', no_faith.text)
    assert live.services.store.list_reports(cid) == []

    done = _report(reader, cid, reason="illegal", law="Defamation Act 2013, s. 1",
                   explanation="It accuses a named person of a crime.", good_faith="1", name="Rita Reader",
                   email="rita@example.org")
    assert done.status_code == 303
    [report] = live.services.store.list_reports(cid)
    assert (report.reason.value, report.law, report.text, report.good_faith, report.reporter_name,
            report.reporter_email) == ("illegal", "Defamation Act 2013, s. 1",
                                       "It accuses a named person of a crime.", True, "Rita Reader",
                                       "rita@example.org")


def test_other_reasons_need_none_of_the_illegal_content_fields_and_keep_none(live, clients):
    cid = _post(clients(), "Off on a tangent about football.")
    r = _report(clients(), cid, reason="off_topic", law="ignored", name="Not kept", email="not@kept.example")
    assert r.status_code == 303
    [report] = live.services.store.list_reports(cid)
    assert (report.law, report.reporter_name, report.reporter_email) == ("", "", "")


def test_a_report_without_a_reason_names_the_reason(live, clients):
    cid = _post(clients(), "Fine words.")
    r = _report(clients(), cid, text="no reason given")
    assert r.status_code == 422 and "reason must be one of" in r.text
    assert re.search(r'<fieldset class="report-reasons" aria-invalid="true"', r.text)


def test_a_second_report_of_the_same_comment_by_the_same_reader_is_refused(live, clients):
    cid = _post(clients(), "A comment someone dislikes.")
    reader = clients()
    assert _report(reader, cid, reason="abusive").status_code == 303
    again = _report(reader, cid, reason="other")
    assert again.status_code == 409
    assert "You have reported this comment already" in again.text and 'role="alert"' in again.text
    as_json = _report(reader, cid, headers=JSON, reason="spam")
    assert as_json.status_code == 409 and as_json.json()["error"]["code"] == "conflict"
    assert len(live.services.store.list_reports(cid)) == 1
    # Another reader's report counts on its own.
    assert _report(clients(), cid, reason="abusive").status_code == 303
    assert len(live.services.store.list_reports(cid)) == 2


def test_a_report_needs_its_csrf_token(live, clients):
    cid = _post(clients(), "A comment.")
    reader = clients()
    reader.get(f"/stories/s/comments/{cid}/report")  # a CSRF cookie of its own, but the form below has no token
    for data in ({"reason": "spam"}, {"reason": "spam", "csrf_token": "a" * 43 + "." + "b" * 32}):
        plain = reader.post(f"/stories/s/comments/{cid}/report", data=data)
        assert plain.status_code == 403 and "the form has expired" in plain.text
        scripted = reader.post(f"/stories/s/comments/{cid}/report", data=data, headers=JSON)
        assert scripted.status_code == 403 and scripted.json()["error"]["field"] == "csrf_token"
    assert live.services.store.list_reports(cid) == []


def test_the_script_gets_the_form_alone_and_a_json_answer(live, clients):
    cid = _post(clients(), "A comment.")
    reader = clients()
    fragment = reader.get(f"/stories/s/comments/{cid}/report", params={"fragment": "1"})
    assert fragment.status_code == 200
    assert fragment.text.startswith(f'<form class="report-form" id="report-{cid}"') and "<html" not in fragment.text
    r = reader.post(f"/stories/s/comments/{cid}/report", headers=JSON,
                    data={"csrf_token": _csrf(fragment.text), "reason": "abusive"})
    assert r.status_code == 201
    assert r.json()["message"] == REPORTED and r.json()["report"]["reason"] == "abusive"
    bad = reader.post(f"/stories/s/comments/{cid}/report", headers=JSON,
                      data={"csrf_token": _csrf(fragment.text), "reason": "illegal"})
    assert bad.status_code in (409, 422)


def test_readers_cannot_report_what_they_cannot_see(live, clients):
    cid = _post(clients(), "Soon rejected.")
    live.services.decisions.decide(MO, cid, "reject", reason="Spam")
    reader = clients()
    assert reader.get(f"/stories/s/comments/{cid}/report").status_code == 404
    assert reader.get("/stories/s/comments/999999/report").status_code == 404
    live.services.stories.create(SYSTEM, {"slug": "other", "title": "Another story"})
    visible = _post(clients(), "Visible here.")
    assert reader.get(f"/stories/other/comments/{visible}/report").status_code == 404


def test_a_reader_past_the_hourly_limit_is_told_when_to_report_again(store):
    with serve(store, moderation=0, reports_per_hour=2) as live:
        live.services.stories.create(SYSTEM, {"slug": "s", "title": "A story"})
        with httpx.Client(base_url=live.url, timeout=30) as writer, \
                httpx.Client(base_url=live.url, timeout=30) as reader:
            ids = [_post(writer, f"Comment {i}") for i in range(3)]
            assert [_report(reader, i, reason="spam").status_code for i in ids[:2]] == [303, 303]
            limited = _report(reader, ids[2], reason="spam")
            assert limited.status_code == 429 and limited.headers["retry-after"]
            assert "you have filed 2 reports in the last hour" in limited.text


# --- statements of reasons and appeals -----------------------------------------------------
def test_the_writer_reads_why_and_appeals_once_and_no_other_browser_can(live, clients):
    ann, bob = clients(), clients()
    cid = _post(ann, "You are all fools.")
    live.services.decisions.decide(MO, cid, "reject", reason="It insults other readers")

    page = ann.get("/stories/s").text
    own = re.search(r'<section id="own-comments".*?</section>\s*</section>|<section id="own-comments".*', page,
                    re.S).group(0)
    words = _text(own)
    assert "Only you can see these" in words and "You are all fools." in words
    assert "Your comment was removed: readers cannot see it." in words
    assert "Why: A moderator's reason: It insults other readers." in words
    assert "A moderator decided this." in words
    assert f'<form class="appeal-form" id="appeal-{cid}" method="post" action="/stories/s/comments/{cid}/appeal"' \
           in own
    # Another browser sees neither the comment nor its statement, and cannot appeal it.
    other = bob.get("/stories/s").text
    assert "You are all fools." not in other and "statement-" not in other and "appeal-form" not in other
    stranger = _appeal(bob, cid, "Let me appeal for them")
    assert stranger.status_code == 404
    assert _appeal(bob, cid, "And as JSON", headers=JSON).status_code == 404
    assert live.services.store.appeal_of(cid) is None

    r = _appeal(ann, cid, "It was a joke among friends.")
    assert r.status_code == 303 and r.headers["location"] == f"/stories/s#statement-{cid}"
    after = ann.get("/stories/s").text
    assert f'<p class="appeal-state" role="status">{APPEALED}</p>' in after
    assert f'id="appeal-{cid}"' not in after  # no second form
    appeal = live.services.store.appeal_of(cid)
    assert (appeal.text, appeal.outcome) == ("It was a joke among friends.", None)

    again = _appeal(ann, cid, "Please, again")
    assert again.status_code == 409 and "appealed the decision on this comment already" in again.text
    assert APPEALED in again.text  # the statement with the appeal's state, and the error named
    assert _appeal(ann, cid, "And again", headers=JSON).status_code == 409

    # A second moderator reverses it: the comment is shown to everyone, and the writer reads the outcome.
    live.services.appeals.decide(LU, appeal.id, "reverse", reason="A joke, not an insult")
    assert "You are all fools." in bob.get("/stories/s").text
    after = _text(ann.get("/stories/s").text)
    assert "A second moderator reversed the decision: your comment is shown again. Their reason: A joke, not an " \
           "insult." in after


def test_an_appeal_needs_its_csrf_token(live, clients):
    ann = clients()
    cid = _post(ann, "Held for a look.")
    live.services.decisions.decide(MO, cid, "reject", reason="Off topic")
    r = ann.post(f"/stories/s/comments/{cid}/appeal", data={"text": "forged"})
    assert r.status_code == 403
    assert live.services.store.appeal_of(cid) is None


def test_a_held_comment_tells_its_writer_it_was_held_by_a_rule_and_takes_an_appeal_as_json(live, clients):
    ann = clients()
    first = _post(ann, "My first comment.")
    live.services.decisions.sanction(MO, first, "premoderate", reason="New here")
    cid = _post(ann, "My second comment.")
    assert live.services.store.get_comment(cid).state.value == "pending"
    words = _text(ann.get("/stories/s").text)
    assert "Your comment is held for a moderator: readers cannot see it until one approves it." in words
    assert "A rule a moderator set applies: the author's comments are held for a moderator (pre-moderation)." \
        in words
    r = _appeal(ann, cid, "Please have a look soon.", headers=JSON)
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["message"] == APPEALED
    assert data["html"].startswith(f'<section class="statement" id="statement-{cid}"')
    assert APPEALED in data["html"] and "appeal-form" not in data["html"]


def test_a_folded_comment_shows_its_writer_the_statement_outside_the_shared_thread(live, clients):
    ann, bob = clients(), clients()
    cid = _post(ann, "Rather rude words.")
    live.services.decisions.decide(MO, cid, "fold", reason="Rude", notice="offensive")
    mine, theirs = ann.get("/stories/s").text, bob.get("/stories/s").text
    assert "Your comment is shown folded behind a notice" in _text(mine)
    assert f'id="statement-{cid}"' in mine and f'href="/stories/s?thread={cid}#c{cid}">your comment</a>' in mine
    assert "statement-" not in theirs and "Only you can see these" not in theirs
    assert _appeal(ann, cid, "Not rude at all.").status_code == 303
    assert APPEALED in ann.get("/stories/s").text


# --- /me --------------------------------------------------------------------------------------
def test_me_shows_the_writer_and_the_reporter_the_outcome(live, clients):
    ann, rita, bob = clients(), clients(), clients()
    kept = _post(ann, "A fair point about opening hours.")
    removed = _post(ann, "A rude remark.")
    assert _report(rita, kept, reason="off_topic").status_code == 303
    assert _report(rita, removed, reason="abusive").status_code == 303
    live.services.decisions.decide(MO, kept, "dismiss")
    live.services.decisions.decide(MO, removed, "reject", reason="A personal attack")

    reporter = rita.get("/me")
    assert reporter.status_code == 200
    words = _text(reporter.text)
    assert "Your comments and reports" in words
    assert "A moderator looked at the comment and left it up." in words
    assert "A moderator removed the comment." in words
    assert f'href="/stories/s?thread={kept}#c{kept}">Ann’s comment</a>' in reporter.text
    assert "a comment readers can no longer see" in words and "A rude remark." not in words

    writer = ann.get("/me").text
    words = _text(writer)
    assert "A rude remark." in words and "Why: A moderator's reason: A personal attack." in words
    assert "A fair point" not in words  # dismissed reports restrict nothing
    assert '<input type="hidden" name="back" value="me">' in writer
    r = _appeal(ann, removed, "It was not personal.", back="me")
    assert r.status_code == 303 and r.headers["location"] == f"/me#statement-{removed}"
    appeal = live.services.store.appeal_of(removed)
    live.services.appeals.decide(LU, appeal.id, "uphold", reason="It names a reader and insults them")
    words = _text(ann.get("/me").text)
    assert "A second moderator looked again and the decision stands. Their reason: It names a reader and " \
           "insults them." in words
    assert "Moderators have not held, folded or removed any of your comments." in _text(rita.get("/me").text)

    stranger = _text(bob.get("/me").text)
    assert "A rude remark." not in stranger and "You have not reported any comments." in stranger


def test_me_follows_an_account_from_browser_to_browser(live, clients):
    live.services.accounts.create_account(SYSTEM, email="ann@example.org", password=PASSWORD, role="commenter",
                                          display_name="Ann")
    first, second = clients(), clients()
    for client in (first, second):
        login = client.get("/login").text
        r = client.post("/login", data={"csrf_token": _csrf(login), "email": "ann@example.org",
                                        "password": PASSWORD})
        assert r.status_code == 303
    cid = _post(first, "Written signed in.")
    live.services.decisions.decide(MO, cid, "reject", reason="Spam")
    words = _text(second.get("/me").text)
    assert "Signed in as Ann" in words and "Written signed in." in words and "Why: A moderator's reason: Spam." in words
    assert "Written signed in." in second.get("/stories/s").text
    assert _appeal(second, cid, "From my phone.").status_code == 303
