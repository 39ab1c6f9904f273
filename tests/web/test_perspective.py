"""The Perspective-compatible endpoint over real HTTP, against Perspective's published
request and response examples (conversationai/perspectiveapi, 2-api/methods.md and
1-get-started/sample.md) and the way Coral calls it. The key is an API token whose role
may score (staff and up), sent as ``?key=`` or ``Authorization: Bearer``."""

from __future__ import annotations

import httpx
import pytest

from parley.domain import Role
from parley.web.perspective import ATTRIBUTES, MAX_TEXT_BYTES
from tests.conftest import ROOT, serve
from tests.web import roles

URL = "/v1alpha1/comments:analyze"
ABUSIVE = "@John, go fuck yourself you stupid Canadian Troll jackwad."
CIVIL = "Excellent news regarding this meeting."

# methods.md, "AnalyzeComment example", verbatim.
DOCUMENTED_REQUEST = {
    "comment": {
        "text": "What kind of idiot name is foo? Sorry, I like your name."
    },
    "languages": ["en"],
    "requestedAttributes": {
        "TOXICITY": {},
        "UNSUBSTANTIAL": {}
    }
}
# ...and its response.
DOCUMENTED_RESPONSE = {
    "attributeScores": {
        "TOXICITY": {
            "summaryScore": {
                "value": 0.8627961,
                "type": "PROBABILITY"
            }
        },
        "UNSUBSTANTIAL": {
            "spanScores": [
                {
                    "begin": 0,
                    "end": 31,
                    "score": {
                        "value": 0.52690625,
                        "type": "PROBABILITY"
                    }
                },
                {
                    "begin": 32,
                    "end": 55,
                    "score": {
                        "value": 0.9106685,
                        "type": "PROBABILITY"
                    }
                }
            ],
            "summaryScore": {
                "value": 0.69036055,
                "type": "PROBABILITY"
            }
        }
    },
    "languages": [
        "en"
    ]
}
# sample.md, the Python sample's request, verbatim, and the response it documents.
SAMPLE_REQUEST = {
    'comment': {'text': 'what kind of idiot name is foo?'},
    'languages': ['en'],
    'requestedAttributes': {'TOXICITY': {}}
}
SAMPLE_RESPONSE = {
    "attributeScores": {
        "TOXICITY": {
            "summaryScore": {
                "value": 0.9208521,
                "type": "PROBABILITY"
            }
        }
    },
    "languages": [
        "en"
    ]
}


@pytest.fixture
def live(sqlite_store):
    with serve(sqlite_store) as server:
        yield server


@pytest.fixture
def key(live) -> str:
    """An API key for comments:analyze: a token with the staff role."""
    return roles.token(live, Role.STAFF)


@pytest.fixture
def http(live, key):
    """A client that sends the key as Perspective's clients do, in the URL."""
    with httpx.Client(base_url=live.url, timeout=30, params={"key": key}) as client:
        yield client


def analyze(http, text, *attributes, **fields):
    body = {"comment": {"text": text}, "requestedAttributes": {a: {} for a in attributes or ["TOXICITY"]}}
    return http.post(URL, json=body | fields)


def assert_shaped_like(actual, documented, path="response"):
    """Every key the documented example has, with a value of the same JSON type."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), path
        for key, value in documented.items():
            assert key in actual, f"{path}.{key} missing"
            assert_shaped_like(actual[key], value, f"{path}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) >= min(len(documented), 1), path
        for item in actual:
            assert_shaped_like(item, documented[0], f"{path}[]")
    elif isinstance(documented, float):
        assert isinstance(actual, float) and 0 <= actual <= 1, path
    else:
        assert type(actual) is type(documented), path


def assert_error(r, status: int, field: str, error_type: str = "INVALID_REQUEST") -> dict:
    """Google's error shape, the field named in the message and in a BadRequest detail."""
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message", "status", "details"}
    assert error["code"] == status and isinstance(error["message"], str)
    assert error["status"] == {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 413: "INVALID_ARGUMENT"}[status]
    assert field in error["message"]
    kinds = {d["@type"]: d for d in error["details"]}
    if status != 403:
        assert kinds["type.googleapis.com/google.commentanalyzer.v1alpha1.Error"]["errorType"] == error_type
    violation = kinds["type.googleapis.com/google.rpc.BadRequest"]["fieldViolations"][0]
    assert violation["field"] == field
    return error


def test_the_documented_example_asks_for_an_attribute_parley_does_not_score(http):
    r = http.post(URL, json=DOCUMENTED_REQUEST)
    error = assert_error(r, 400, "requestedAttributes.UNSUBSTANTIAL")
    assert error["message"].startswith("Unknown requested attribute: UNSUBSTANTIAL")


def test_the_documented_example_answers_in_the_documented_shape(http):
    # The example without the attribute Parley lacks, and with the sentence spans the
    # documentation describes for it: [0, 31) and [32, 56).
    request = DOCUMENTED_REQUEST | {"requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
                                    "spanAnnotations": True}
    r = http.post(URL, json=request)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    documented = DOCUMENTED_RESPONSE["attributeScores"]["UNSUBSTANTIAL"]
    expected = {"attributeScores": {"TOXICITY": documented, "INSULT": documented}, "languages": ["en"]}
    assert_shaped_like(body, expected)
    assert set(body) == {"attributeScores", "languages", "detectedLanguages"}
    assert body["languages"] == ["en"] and body["detectedLanguages"] == ["en"]
    assert list(body["attributeScores"]) == ["TOXICITY", "INSULT"]
    for scores in body["attributeScores"].values():
        assert [(s["begin"], s["end"]) for s in scores["spanScores"]] == [(0, 31), (32, 56)]
    toxicity = body["attributeScores"]["TOXICITY"]["spanScores"]
    assert toxicity[0]["score"]["value"] > toxicity[1]["score"]["value"]  # "idiot" vs. "I like your name"


def test_the_quickstart_sample_answers_as_documented(live, key):
    # The sample's key=YOUR_KEY_HERE, with a key this server issued.
    r = httpx.post(f"{live.url}{URL}?key={key}", json=SAMPLE_REQUEST, timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert_shaped_like(body, SAMPLE_RESPONSE)
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.7


def test_coral_request_and_the_value_it_reads(live, key):
    # As coralproject/talk's perspective.ts sends it: key in the URL, doNotStore, one model.
    body = {"comment": {"text": ABUSIVE}, "doNotStore": True, "requestedAttributes": {"TOXICITY": {}},
            "languages": ["en"]}
    r = httpx.post(f"{live.url}{URL}?key={key}", json=body, timeout=30)
    assert r.status_code == 200
    assert r.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.7


def test_abusive_and_civil_comments(http):
    abusive = analyze(http, ABUSIVE).json()["attributeScores"]["TOXICITY"]
    civil = analyze(http, CIVIL).json()["attributeScores"]["TOXICITY"]
    assert abusive["summaryScore"]["value"] > 0.7
    assert civil["summaryScore"]["value"] < 0.3
    # Without spanAnnotations, one span covers the whole text with the summary's score.
    assert abusive["spanScores"] == [{"begin": 0, "end": len(ABUSIVE), "score": abusive["summaryScore"]}]


def test_every_attribute_parley_scores_can_be_asked_for(http):
    r = analyze(http, ABUSIVE, *ATTRIBUTES)
    assert r.status_code == 200
    assert list(r.json()["attributeScores"]) == [
        "TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "THREAT", "IDENTITY_ATTACK", "SPAM", "OFF_TOPIC"]


def test_score_threshold_leaves_out_scores_below_it(http):
    body = {"comment": {"text": CIVIL},
            "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.9}, "INSULT": {"scoreThreshold": 0}}}
    scores = http.post(URL, json=body).json()["attributeScores"]
    assert "TOXICITY" not in scores and "summaryScore" in scores["INSULT"]
    # Per span too: only the abusive sentence clears 0.7; the summary does as well.
    text = f"{CIVIL} {ABUSIVE}"
    body = {"comment": {"text": text}, "spanAnnotations": True,
            "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.7, "scoreType": "PROBABILITY"}}}
    toxicity = http.post(URL, json=body).json()["attributeScores"]["TOXICITY"]
    assert [(s["begin"], s["end"]) for s in toxicity["spanScores"]] == [(len(CIVIL) + 1, len(text))]
    assert toxicity["summaryScore"]["value"] >= 0.7


def test_span_annotations_score_each_sentence_alone(http):
    text = f"{CIVIL}  {ABUSIVE}\nThanks for reading!"
    r = analyze(http, text, "TOXICITY", "PROFANITY", spanAnnotations=True)
    spans = r.json()["attributeScores"]["TOXICITY"]["spanScores"]
    pieces = [text[s["begin"]:s["end"]] for s in spans]
    assert pieces == [CIVIL, ABUSIVE, "Thanks for reading!"]
    for span, piece in zip(spans, pieces, strict=True):
        alone = analyze(http, piece).json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
        # Close, not equal: spans are scored together, and the second stage's scores
        # move a little with the padding a batch brings.
        assert span["score"]["value"] == pytest.approx(alone, abs=0.03)
    assert spans[1]["score"]["value"] > 0.7 > spans[0]["score"]["value"]


def test_offsets_count_utf16_code_units(http):
    text = "🙂 You are an idiot. 😀 Have a nice day."
    whole = analyze(http, text).json()["attributeScores"]["TOXICITY"]["spanScores"]
    assert whole[0]["begin"] == 0 and whole[0]["end"] == len(text.encode("utf-16-le")) // 2 == len(text) + 2
    spans = analyze(http, text, spanAnnotations=True).json()["attributeScores"]["TOXICITY"]["spanScores"]
    units = text.encode("utf-16-le")
    pieces = [units[2 * s["begin"]:2 * s["end"]].decode("utf-16-le") for s in spans]
    assert pieces == ["🙂 You are an idiot.", "😀 Have a nice day."]
    assert [(s["begin"], s["end"]) for s in spans] == [(0, 20), (21, 40)]


def test_languages_english_only(http):
    r = analyze(http, CIVIL, languages=["en-US"])
    assert r.json()["languages"] == ["en-US"] and r.json()["detectedLanguages"] == ["en"]
    assert analyze(http, CIVIL).json()["languages"] == ["en"]
    error = assert_error(analyze(http, CIVIL, "TOXICITY", languages=["en", "de"]), 400, "languages",
                         "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE")
    assert error["message"].startswith("Attribute TOXICITY does not support request languages: de")
    assert_error(analyze(http, CIVIL, languages="en"), 400, "languages")


def test_client_token_echoed_and_the_rest_accepted(http):
    body = analyze(http, CIVIL, clientToken="comment:42", sessionId="7", communityId="Coral:news",
                   doNotStore=True).json()
    assert body["clientToken"] == "comment:42"
    assert "clientToken" not in analyze(http, CIVIL).json()


def test_context_reaches_off_topic_only(http):
    article = "Blinken arrives in Paris for talks with Macron on Ukraine aid and NATO spending."
    text = "Does anyone know a good recipe for banana bread with walnuts?"
    pair = {"articleAndParentComment": {"article": {"text": article}}}
    scored = analyze(http, text, "OFF_TOPIC", "TOXICITY", context=pair).json()["attributeScores"]
    alone = analyze(http, text, "OFF_TOPIC", "TOXICITY").json()["attributeScores"]
    assert scored["OFF_TOPIC"]["summaryScore"]["value"] > 0.5 > alone["OFF_TOPIC"]["summaryScore"]["value"]
    assert scored["TOXICITY"] == alone["TOXICITY"]
    entries = analyze(http, text, "OFF_TOPIC", context={"entries": [{"text": article, "type": "PLAIN_TEXT"}]})
    assert entries.json()["attributeScores"]["OFF_TOPIC"]["summaryScore"]["value"] > 0.5
    both = pair | {"entries": [{"text": article}]}
    assert_error(analyze(http, text, context=both), 400, "context")


def test_bad_requests_name_the_field(http):
    empty = assert_error(http.post(URL, json={"requestedAttributes": {"TOXICITY": {}}}), 400, "comment.text",
                         "COMMENT_EMPTY")
    assert empty["message"].startswith("Comment must be non-empty.")
    assert_error(analyze(http, "   "), 400, "comment.text", "COMMENT_EMPTY")
    assert_error(http.post(URL, json={"comment": {"text": 5}, "requestedAttributes": {"TOXICITY": {}}}),
                 400, "comment.text")
    assert_error(http.post(URL, json={"comment": {"text": CIVIL}}), 400, "requestedAttributes",
                 "NO_REQUESTED_ATTRIBUTES")
    long = assert_error(analyze(http, "a" * (MAX_TEXT_BYTES + 1)), 400, "comment.text", "COMMENT_TOO_LONG")
    assert long["message"].startswith("Comment text too long.")
    html = {"comment": {"text": CIVIL, "type": "HTML"}, "requestedAttributes": {"TOXICITY": {}}}
    assert_error(http.post(URL, json=html), 400, "comment.type")
    raw = {"comment": {"text": CIVIL}, "requestedAttributes": {"TOXICITY": {"scoreType": "RAW"}}}
    assert_error(http.post(URL, json=raw), 400, "requestedAttributes.TOXICITY.scoreType")
    high = {"comment": {"text": CIVIL}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 2}}}
    assert_error(http.post(URL, json=high), 400, "requestedAttributes.TOXICITY.scoreThreshold")
    assert_error(analyze(http, CIVIL, spanAnnotations="yes"), 400, "spanAnnotations")
    assert_error(analyze(http, CIVIL, clientToken=7), 400, "clientToken")


def test_bodies_are_json_objects_within_the_limit(http):
    plain = http.post(URL, content=b'{"comment": {"text": "hi"}}', headers={"Content-Type": "text/plain"})
    assert_error(plain, 400, "body")
    assert_error(http.post(URL, content=b"{", headers={"Content-Type": "application/json"}), 400, "body")
    assert_error(http.post(URL, json=["a list"]), 400, "body")
    assert_error(http.post(URL, json={"comment": {"text": "x" * 300_000}}), 413, "body")
    assert http.get(URL).status_code == 405


def test_the_key_is_an_api_token_whose_role_may_score(live, key):
    body = {"comment": {"text": CIVIL}, "requestedAttributes": {"TOXICITY": {}}}
    with httpx.Client(base_url=live.url, timeout=30) as http:
        # No key (from loopback, which gains nothing, or claiming to be forwarded from it),
        # a key Parley never issued, a revoked one, and a reader's: refused, naming the key.
        assert_error(http.post(URL, json=body), 403, "key")
        assert_error(http.post(URL, json=body, headers={"X-Forwarded-For": "127.0.0.1"}), 403, "key")
        for wrong in ("wrong", "YOUR_KEY_HERE", "pk_" + "x" * 43):
            assert_error(http.post(URL, params={"key": wrong}, json=body), 403, "key")
            assert_error(http.post(URL, json=body, headers={"Authorization": f"Bearer {wrong}"}), 403, "key")
        accounts = live.services.accounts
        _, revoked = accounts.create_token(roles.SYSTEM, name="old-key", role=Role.STAFF)
        assert http.post(URL, params={"key": revoked}, json=body).status_code == 200
        accounts.revoke_token(roles.SYSTEM, "old-key")
        assert_error(http.post(URL, params={"key": revoked}, json=body), 403, "key")
        reader = roles.token(live, Role.COMMENTER)
        denied = assert_error(http.post(URL, params={"key": reader}, json=body), 403, "key")
        assert "staff role" in denied["message"]
        assert_error(http.post(URL, json=body, headers={"Authorization": f"Bearer {reader}"}), 403, "key")
        # Staff, moderators and admins score, by ?key= or as a bearer token.
        assert http.post(URL, params={"key": key}, json=body).status_code == 200
        assert http.post(URL, json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        for role in (Role.MODERATOR, Role.ADMIN):
            assert http.post(URL, params={"key": roles.token(live, role)}, json=body).status_code == 200
    # Signed in to a staff account, the session cookie scores from this site's pages only.
    with roles.signed_in(live, Role.STAFF) as browser:
        assert browser.post(URL, json=body).status_code == 200
        for cross in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            assert_error(browser.post(URL, json=body, headers=cross), 403, "origin")


def test_openapi_and_api_docs_describe_it(http):
    doc = http.get("/api/v1/openapi.json").json()
    operation = doc["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"200", "400", "403"}
    schemas = doc["components"]["schemas"]
    answer = analyze(http, CIVIL, clientToken="t").json()
    assert set(schemas["AnalyzeCommentResponse"]["required"]) <= set(answer)
    assert set(answer) <= set(schemas["AnalyzeCommentResponse"]["properties"])
    error = analyze(http, CIVIL, "UNSUBSTANTIAL").json()["error"]
    assert set(schemas["GoogleError"]["properties"]["error"]["required"]) <= set(error)
    assert f"POST {URL}" in (ROOT / "docs" / "api.md").read_text()
