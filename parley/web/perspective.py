"""Perspective's ``AnalyzeComment`` at ``POST /v1alpha1/comments:analyze``, answered by
the models that ship with Parley, so a Perspective client (Coral, or anything built on
Google's client libraries) moves to Parley by changing its endpoint.

Requests and answers follow Perspective's published shapes: ``attributeScores`` with a
``summaryScore`` and ``spanScores`` per attribute, span offsets in UTF-16 code units, and
errors as Google APIs write them (``{"error": {"code", "message", "status", "details"}}``),
with Perspective's own messages followed by the request field at fault. What Parley does
differently (its two extra attributes, English only, no language detection, the key) is
listed in ``docs/api.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from parley.domain import Permission
from parley.errors import Forbidden, InvalidInput, TooLarge, Unauthenticated
from parley.moderation import LABELS, Context
from parley.moderation.moderator import ModelsMissing, Moderator
from parley.web.auth import actor_of
from parley.web.responses import JSONResponse, read_json
from parley.web.routing import route
from parley.web.security import client_addr

logger = logging.getLogger("parley")

#: Perspective's attribute names for Parley's labels: its six production attributes,
#: and SPAM and OFF_TOPIC, which Parley scores its own way.
ATTRIBUTES: dict[str, str] = {label.upper(): label for label in LABELS}
#: Longest ``comment.text``, in UTF-8 bytes (Perspective documents 3,000; Parley takes more).
MAX_TEXT_BYTES = 20 * 1024
_SCORE_TYPES = (None, "", "SCORE_TYPE_UNSPECIFIED", "PROBABILITY")
_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 413: "INVALID_ARGUMENT", 500: "INTERNAL",
           503: "UNAVAILABLE"}
# A sentence: from its first visible character to the stop that ends it (with any
# closing quote or bracket) before whitespace, or to the end of its line or the text.
_SENTENCE = re.compile(r"\S.*?(?:[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)|(?=\n)|$)", re.S)


class AnalyzeError(Exception):
    """A request Parley cannot answer, in Google's error shape.

    ``field`` is the request field at fault, named at the end of ``message`` and in a
    ``google.rpc.BadRequest`` detail; a bad request also carries Perspective's
    ``errorType`` (``COMMENT_EMPTY``, ``NO_REQUESTED_ATTRIBUTES``..., else ``INVALID_REQUEST``)."""

    def __init__(self, message: str, *, field: str | None = None, code: int = 400,
                 error_type: str = "INVALID_REQUEST") -> None:
        super().__init__(message)
        self.message = f"{message} ({field})" if field else message
        self.field = field
        self.code = code
        self.error_type = error_type

    def to_dict(self) -> dict:
        details: list[dict] = []
        if _STATUS[self.code] == "INVALID_ARGUMENT":
            details.append({"@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
                            "errorType": self.error_type})
        if self.field:
            details.append({"@type": "type.googleapis.com/google.rpc.BadRequest",
                            "fieldViolations": [{"field": self.field, "description": self.message}]})
        return {"error": {"code": self.code, "message": self.message, "status": _STATUS[self.code],
                          "details": details}}


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One AnalyzeComment request, checked: what to score and how to answer."""

    text: str
    context: Context
    thresholds: dict[str, float | None]  # attribute -> scoreThreshold, in the order asked
    span_annotations: bool = False
    languages: tuple[str, ...] = ()
    client_token: str | None = None


# --- reading the request ------------------------------------------------------------------

def _object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AnalyzeError(f"{field} must be a JSON object", field=field)
    return value


def _string(value, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise AnalyzeError(f"{field} must be a string", field=field)
    return value


def _text_entry(value, field: str) -> str:
    """The text of a TextEntry (``{"text", "type"}``), which must be plain text."""
    entry = _object(value, field)
    text_type = _string(entry.get("type"), f"{field}.type")
    if text_type == "HTML":
        raise AnalyzeError("Currently, only 'PLAIN_TEXT' comments are supported", field=f"{field}.type")
    if text_type not in (None, "", "TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT"):
        raise AnalyzeError("Unknown text type", field=f"{field}.type")
    return _string(entry.get("text"), f"{field}.text") or ""


def _context(value) -> Context:
    """Perspective's context, for the one attribute that reads it (OFF_TOPIC): the article
    and parent comment map onto the story and the parent; a list of entries (a thread, or
    whatever the client sends) is taken as the story."""
    context = _object(value, "context")
    entries, pair = context.get("entries"), context.get("articleAndParentComment")
    if entries is not None and pair is not None:
        raise AnalyzeError("Context can have either entries or article_and_parent_comment, "
                           "but both fields were populated.", field="context")
    if pair is not None:
        pair = _object(pair, "context.articleAndParentComment")
        parent = _text_entry(pair.get("parentComment"), "context.articleAndParentComment.parentComment")
        return Context(story_body=_text_entry(pair.get("article"), "context.articleAndParentComment.article"),
                       parent_text=parent or None)
    if entries is None:
        return Context()
    if not isinstance(entries, list):
        raise AnalyzeError("context.entries must be a list", field="context.entries")
    texts = [_text_entry(e, f"context.entries[{i}]") for i, e in enumerate(entries)]
    return Context(story_body="\n\n".join(t for t in texts if t))


def _thresholds(value) -> dict[str, float | None]:
    asked = _object(value, "requestedAttributes")
    if not asked:
        raise AnalyzeError("Missing requested_attributes", field="requestedAttributes",
                           error_type="NO_REQUESTED_ATTRIBUTES")
    thresholds = {}
    for name, params in asked.items():
        field = f"requestedAttributes.{name}"
        if name not in ATTRIBUTES:
            raise AnalyzeError(f"Unknown requested attribute: {name}; Parley scores "
                               + ", ".join(ATTRIBUTES), field=field)
        params = _object(params, field)
        score_type = params.get("scoreType")
        if score_type not in _SCORE_TYPES:
            raise AnalyzeError(f"Requested score type {score_type} is not supported by attribute {name}",
                               field=f"{field}.scoreType")
        threshold = params.get("scoreThreshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)
                                      or not 0 <= threshold <= 1):
            raise AnalyzeError(f"scoreThreshold for {name} must be a number from 0 to 1",
                               field=f"{field}.scoreThreshold")
        thresholds[name] = threshold
    return thresholds


def _languages(value, attributes: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnalyzeError("languages must be a list of language codes", field="languages")
    other = [v for v in value if v.replace("_", "-").split("-")[0].lower() != "en"]
    if other:
        raise AnalyzeError(f"Attribute {attributes[0]} does not support request languages: {', '.join(other)}"
                           "; Parley scores English only", field="languages",
                           error_type="LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE")
    return tuple(value)


def parse(data: dict) -> Analysis:
    """Check an AnalyzeComment request body; AnalyzeError names the first field at fault.
    Perspective's fields that change nothing here (``doNotStore``, ``sessionId``,
    ``communityId``) are type-checked, then ignored; fields it does not define are ignored."""
    text = _text_entry(data.get("comment"), "comment")
    if not text.strip():
        raise AnalyzeError("Comment must be non-empty.", field="comment.text", error_type="COMMENT_EMPTY")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise AnalyzeError(f"Comment text too long. {size} bytes; at most {MAX_TEXT_BYTES}",
                           field="comment.text", error_type="COMMENT_TOO_LONG")
    thresholds = _thresholds(data.get("requestedAttributes"))
    for name in ("spanAnnotations", "doNotStore"):
        if data.get(name) is not None and not isinstance(data[name], bool):
            raise AnalyzeError(f"{name} must be true or false", field=name)
    for name in ("sessionId", "communityId"):
        _string(data.get(name), name)
    return Analysis(text=text, context=_context(data.get("context")), thresholds=thresholds,
                    span_annotations=bool(data.get("spanAnnotations")),
                    languages=_languages(data.get("languages"), list(thresholds)),
                    client_token=_string(data.get("clientToken"), "clientToken"))


# --- scoring and answering ----------------------------------------------------------------

def sentences(text: str) -> list[tuple[int, int]]:
    """The [begin, end) of each sentence-like run of ``text``, in code points, trimmed of
    surrounding whitespace: a split after . ! ? or … before whitespace, and at line ends."""
    return [(m.start(), m.start() + len(m.group().rstrip())) for m in _SENTENCE.finditer(text)]


def utf16_offsets(text: str) -> Callable[[int], int]:
    """Maps a code point offset in ``text`` to its offset in UTF-16 code units, the unit
    Perspective's ``begin`` and ``end`` count in (a character outside the BMP counts 2)."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return int  # the same offset
    table = [0]
    for c in text:
        table.append(table[-1] + (2 if ord(c) >= 0x10000 else 1))
    return table.__getitem__


def _score(value: float) -> dict:
    return {"value": value, "type": "PROBABILITY"}


def analyze(moderator: Moderator, request: Analysis) -> dict:
    """The AnalyzeComment response for a checked request."""
    text = request.text
    spans = (sentences(text) if request.span_annotations else []) or [(0, len(text))]
    # The summary is the whole text's score, whatever the spans; each span is scored as a
    # text of its own, as Perspective scores each sentence (a span that is the whole text
    # is not scored twice).
    summary = moderator.scores([text], [request.context])[0]
    pieces = [text[b:e] for b, e in spans]
    span_scores = [summary] if pieces == [text] else moderator.scores(pieces, [request.context] * len(pieces))
    to16 = utf16_offsets(text)
    attribute_scores = {}
    for name, threshold in request.thresholds.items():
        label, floor = ATTRIBUTES[name], threshold or 0.0
        answer = {}
        kept = [{"begin": to16(b), "end": to16(e), "score": _score(s.values[label])}
                for (b, e), s in zip(spans, span_scores, strict=True) if s.values[label] >= floor]
        if kept:
            answer["spanScores"] = kept
        if summary.values[label] >= floor:
            answer["summaryScore"] = _score(summary.values[label])
        if answer:  # an attribute with every score under its threshold is left out
            attribute_scores[name] = answer
    response = {"attributeScores": attribute_scores, "languages": list(request.languages or ("en",)),
                "detectedLanguages": ["en"]}
    if request.client_token is not None:
        response["clientToken"] = request.client_token
    return response


# --- HTTP ---------------------------------------------------------------------------------

async def scoring_actor(request: Request):
    """Who asks: an API token as ``Authorization: Bearer`` or, since a Perspective client
    can only send its API key that way, as ``?key=``; or a signed-in account. Refusals
    come in Google's error shape."""
    key = request.query_params.get("key")
    try:
        if key and "authorization" not in request.headers:
            actor = await run_in_threadpool(request.app.state.services.accounts.actor_for_token, key,
                                            client_addr(request))
            if actor is None:
                raise AnalyzeError("the API key is not valid: it is unknown or was revoked", field="key", code=403)
            return actor
        return await actor_of(request)
    except Unauthenticated as exc:
        raise AnalyzeError(exc.message, field="key", code=403) from None
    except Forbidden as exc:  # cookies sent from another site's page (field "origin")
        raise AnalyzeError(exc.message, field=exc.field or "key", code=403) from None


async def analyze_comment(request: Request) -> Response:
    try:
        actor = await scoring_actor(request)
        try:
            moderator = await run_in_threadpool(request.app.state.services.scoring.moderator_for, actor)
        except Forbidden as exc:
            raise AnalyzeError(f"{exc.message}: use an API token with the staff role or higher (?key=)",
                               field="key", code=403) from None
        try:
            data = await read_json(request)
        except InvalidInput as exc:  # not JSON, not an object, or over the body limit
            raise AnalyzeError(exc.message, field="body", code=413 if isinstance(exc, TooLarge) else 400) from None
        checked = parse(data)
        body = await run_in_threadpool(analyze, moderator, checked)
    except AnalyzeError as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.code)
    except ModelsMissing as exc:
        logger.error("comments:analyze without models: %s", exc)
        return JSONResponse(AnalyzeError("Parley's moderation models are not installed; run `parley train`",
                                         code=503).to_dict(), status_code=503)
    except Exception:  # a bug, not bad input: still an answer a Perspective client can read
        logger.exception("unhandled error on comments:analyze")
        return JSONResponse(AnalyzeError("something went wrong on our side", code=500).to_dict(), status_code=500)
    return JSONResponse(body)


routes = [route("/v1alpha1/comments:analyze", analyze_comment, methods=["POST"], permission=Permission.SCORE)]
