"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

A test checks that every /api/v1 and /v1alpha1 route and method is described here, and
that each operation's ``x-permission`` is the permission its route declares
(``route(..., permission=...)``, ``parley.web.routing``); the roles that hold it are read
from ``ROLE_PERMISSIONS``. So this cannot drift far from the code.

Data only: nothing here imports from ``parley.web``, whose modules import this one.
"""

from __future__ import annotations

from parley.domain import ROLE_PERMISSIONS, DecisionKind, Permission, Queue, ReportReason, Role, SanctionKind

#: What ``x-permission`` says of a route anyone may use (``parley.web.routing.PUBLIC``).
PUBLIC = "public"
_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_TEXT = {
    400: "Bad request",
    401: "Unauthenticated: an Authorization header that is not Bearer, or whose API token is unknown or revoked (field authorization); never answered as a guest",
    403: "Forbidden: the role lacks the permission (field authorization, the message names the role needed), or a change sent with the session cookie from another site's page (field origin)",
    404: "Not found (field names what)",
    409: "Conflict (field names why)",
    413: "Request body over 256 KiB",
    422: "Invalid field (field names it)",
    429: "Too many requests; see Retry-After",
}


def _errors(*codes: int, notes: dict[int, str] | None = None) -> dict:
    """Error answers, each in the one error shape; ``notes`` says more for this operation."""
    notes = notes or {}
    return {str(c): {"description": notes.get(c, _ERROR_TEXT[c]), "content": {"application/json": {"schema": _ERROR}}}
            for c in codes}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(name: str) -> dict:
    return {"oneOf": [_ref(name), {"type": "null"}]}


def _answer(properties: dict, description: str = "OK", required: list[str] | None = None) -> dict:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return _json(schema, description)


def _body(required: list[str], properties: dict, *, optional: bool = False) -> dict:
    """A JSON object body (``Content-Type: application/json``); ``optional``: or none at all."""
    return {"required": not optional, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


def _roles(permission: Permission) -> list[str]:
    return [r.value for r, held in ROLE_PERMISSIONS.items() if permission in held and r is not Role.SYSTEM]


_SIGNED_IN = [{"apiToken": []}, {"sessionCookie": []}]
_ANYONE = [{}, *_SIGNED_IN]  # no credentials needed; sent, they say who acts


def _op(summary: str, permission: Permission | str, responses: dict, *, description: str = "",
        parameters: list | None = None, body: dict | None = None, security: list | None = None) -> dict:
    """One operation, saying in its description which permission it needs and which roles hold it."""
    if permission == PUBLIC:
        needs = "Public: no permission needed."
    else:
        roles = _roles(permission)
        needs = f"Needs the {permission.value} permission ({', '.join(roles)})" + (
            ": anyone may, a guest too." if Role.GUEST.value in roles else ".")
        if security is None:
            security = _ANYONE if Role.GUEST.value in roles else _SIGNED_IN
    op: dict = {"summary": summary, "description": f"{needs} {description}".strip(),
                "x-permission": permission if permission == PUBLIC else permission.value}
    if security:
        op["security"] = security
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = body
    op["responses"] = responses
    return op


def _path(name: str, description: str | None = None, schema: dict | None = None) -> dict:
    param = {"name": name, "in": "path", "required": True, "schema": schema or {"type": "integer"}}
    if description:
        param["description"] = description
    return param


def _query(name: str, schema: dict, description: str | None = None) -> dict:
    param = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    return param


def _limit(maximum: int, default: str) -> dict:
    return _query("limit", {"type": "integer", "minimum": 1, "maximum": maximum}, f"Default {default}.")


_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"}}
_COMMENT_ID = _path("comment_id")
_EDIT_TOKEN = {"name": "X-Edit-Token", "in": "header", "required": True, "schema": {"type": "string"},
               "description": "The edit_token returned when the comment was posted."}
_DATE = {"type": "string", "format": "date-time"}
_DATE_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": "string", "maxLength": 2000}
_REASON = {"type": "string", "maxLength": 1000, "description": "Told to the writer as written (whitespace runs become one space)."}
_LABELS = ["toxicity", "severe_toxicity", "insult", "profanity", "threat", "identity_attack", "spam", "off_topic"]
_NOTICES = ["offensive", "spam", "off_topic"]
_ROLE = {"type": "string", "enum": [r.value for r in (Role.COMMENTER, Role.STAFF, Role.MODERATOR, Role.ADMIN)]}
_JSON_LINES = {"description": "JSON Lines (one object a line), oldest first, as an attachment",
               "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}
_AFTER = _query("after_id", {"type": "integer", "minimum": 0}, "The last decision id already read; 0 or absent: from the start.")
_STORY = {"type": "object", "required": ["slug", "title"], "properties": {"slug": {"type": "string"}, "title": {"type": "string"}}}

OPENAPI: dict = {
    "openapi": "3.1.0",
    "info": {"title": "Parley API", "version": "1",
             "description": "Stories and their reader comments, the moderators' workspace, reports, appeals, "
                            "accounts and API tokens. Errors always read {\"error\": {\"code\", \"message\", "
                            "\"field\"?}}. Who acts: an API token (Authorization: Bearer), else the signed-in "
                            "session cookie, else a guest; each operation's description and x-permission say "
                            "which permission it needs and which roles hold it. See docs/api.md and docs/accounts.md."},
    "components": {
        "securitySchemes": {
            "apiToken": {"type": "http", "scheme": "bearer",
                         "description": "An API token (`parley token create NAME --role staff|moderator|admin`, or POST /api/v1/admin/tokens) whose role holds the permission the operation needs; see docs/accounts.md. An unknown or revoked token is a 401."},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "parley_session",
                              "description": "A signed-in account's session (POST /api/v1/auth/login, /login or /sso). With the cookie, a request that changes something is refused (403, field origin) when the browser says it comes from another site's page."}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string", "enum": ["invalid", "too_large", "rephrase", "unauthenticated", "not_found", "forbidden", "conflict", "closed", "rate_limited", "method_not_allowed", "bad_host", "internal"]},
                               "message": {"type": "string"},
                               "field": {"type": "string"},
                               "reasons": {"type": "array", "items": {"type": "string"},
                                           "description": "With code rephrase: why moderation sent the comment back."},
                               "spans": {"type": "array", "items": _ref("Span"),
                                         "description": "With code rephrase: the flagged words."}}}}},
            "Span": {"type": "object", "required": ["start", "end", "label"], "properties": {
                "start": {"type": "integer", "description": "Offset in characters (code points) of the comment's text as Parley read it (body_source: trimmed, NFC, newlines as \\n)."},
                "end": {"type": "integer", "description": "Exclusive."},
                "label": {"type": "string", "enum": _LABELS},
                "text": {"type": "string", "description": "The flagged words; in a rephrase answer only."}}},
            "Thresholds": {"type": ["object", "null"], "description": "{label: {action: threshold}}; action is fold, rephrase, hold or reject, a threshold within (0, 1]. Label by label: a label named here takes these actions instead of the site's; the others keep the site's.",
                           "additionalProperties": {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}},
            "Verdict": {"type": "object", "required": ["scores", "spans", "action", "reasons", "model"], "properties": {
                "scores": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
                "spans": {"type": "array", "items": _ref("Span")},
                "action": {"type": "string", "enum": ["publish", "fold", "rephrase", "hold", "reject"]},
                "reasons": {"type": "array", "items": {"type": "string"}},
                "model": {"type": "string"}}},
            "Notice": {"type": "object", "required": ["kind", "text"],
                       "properties": {"kind": {"type": "string"}, "text": {"type": "string"}}},
            "Comment": {"type": "object",
                        "required": ["id", "parent_id", "author", "created_at", "body_html", "state", "notices"],
                        "properties": {
                            "id": {"type": "integer"},
                            "parent_id": {"type": ["integer", "null"]},
                            "depth": {"type": "integer"},
                            "author": {"type": "object", "required": ["name", "guest"], "properties": {
                                "name": {"type": "string"}, "guest": {"type": "boolean"},
                                "kind": {"type": "string", "enum": ["guest", "registered", "staff"]}}},
                            "created_at": _DATE,
                            "edited_at": _DATE_OR_NULL,
                            "body_html": {"type": "string", "description": "Sanitised at write time."},
                            "state": {"type": "string", "enum": ["published", "folded", "pending", "rejected", "deleted"]},
                            "notices": {"type": "array", "items": _ref("Notice")},
                            "edit_token": {"type": "string", "description": "Only in the answer to a post; never for a rejected comment."},
                            "body_source": {"type": "string", "description": "The Markdown as written; only when one comment is posted, asked for or edited."},
                            "message": {"type": "string", "description": "For the writer of a pending or rejected comment: what happened to it."},
                            "recommend_count": {"type": "integer", "description": "Readers' recommendations, one each."},
                            "featured": {"type": "boolean", "description": "A staff pick, listed under Featured."}}},
            "ModeratedComment": {"allOf": [_ref("Comment"), {
                "type": "object", "required": ["body_source", "verdict", "queue", "priority", "report_count", "author_id"], "properties": {
                    "verdict": {"oneOf": [_ref("Verdict"), {"type": "null"}],
                                "description": "null when the comment was never scored (imported, staff, moderation off)."},
                    "queue": {"type": ["string", "null"], "enum": [*(q.value for q in Queue if q.open), None],
                              "description": "The open queue it waits in, or null."},
                    "priority": {"type": "integer", "description": "Its priority in that queue (0 in none); see docs/moderators.md#priority."},
                    "report_count": {"type": "integer", "description": "Readers' reports counted since a moderator last decided."},
                    "author_id": {"type": "integer", "description": "For the queue's author filter and the audit log's."}}}]},
            "QueuedComment": {"allOf": [_ref("ModeratedComment"), {
                "type": "object", "required": ["story"], "properties": {"story": _STORY}}]},
            "Queue": {"type": "object", "required": ["queue", "counts", "comments", "next_cursor"], "properties": {
                "queue": {"type": "string", "enum": [q.value for q in Queue]},
                "counts": {"type": "object", "description": "How many comments wait in each open queue (on the story filtered on, if any).",
                           "properties": {q.value: {"type": "integer"} for q in Queue if q.open}},
                "comments": {"type": "array", "items": _ref("QueuedComment"),
                             "description": "Open queues: by priority, highest first, then oldest first. Approved and rejected: latest decided first."},
                "next_cursor": {"type": ["string", "null"]}}},
            "Decision": {"type": "object", "description": "One entry of the audit log.",
                         "required": ["id", "at", "actor", "decision", "reason", "automated", "comment_id", "author_id", "prompted_by", "legal_ground", "undoes", "undone_at", "until"],
                         "properties": {
                             "id": {"type": "integer"}, "at": _DATE,
                             "actor": {"type": "string", "description": "token:NAME, account:ID:NAME, system:moderation (the models) or system:reports."},
                             "decision": {"type": "string", "enum": [k.value for k in DecisionKind]},
                             "reason": {"type": "string"}, "automated": {"type": "boolean"},
                             "comment_id": {"type": ["integer", "null"]}, "author_id": {"type": ["integer", "null"]},
                             "prompted_by": {"type": "string", "description": "verdict, report:ID, appeal:ID, rule or moderator."},
                             "legal_ground": {"type": "string"},
                             "undoes": {"type": ["integer", "null"], "description": "On an undo: the decision it took back."},
                             "undone_at": _DATE_OR_NULL,
                             "until": {**_DATE_OR_NULL, "description": "A suspension's end."}}},
            "DecidedComment": {"allOf": [_ref("ModeratedComment"), {
                "type": "object", "required": ["decision"], "properties": {"decision": _ref("Decision")}}]},
            "Sanction": {"type": "object", "required": ["id", "kind", "reason", "by", "at", "until", "lifted_at"], "properties": {
                "id": {"type": "integer"}, "kind": {"type": "string", "enum": [k.value for k in SanctionKind]},
                "reason": {"type": "string"}, "by": {"type": "string"}, "at": _DATE, "until": _DATE_OR_NULL, "lifted_at": _DATE_OR_NULL}},
            "Report": {"type": "object", "description": "A reader's report, as moderators see it (no reporter).",
                       "required": ["id", "reason", "text", "law", "good_faith", "at", "resolved_at", "outcome"], "properties": {
                           "id": {"type": "integer"}, "reason": {"type": "string", "enum": [r.value for r in ReportReason]},
                           "text": {"type": "string"}, "law": {"type": "string"}, "good_faith": {"type": "boolean"},
                           "at": _DATE, "resolved_at": _DATE_OR_NULL,
                           "outcome": {"type": ["string", "null"], "description": "The decision that resolved it."}}},
            "OwnReport": {"type": "object", "description": "A report as its reporter sees it (never anyone else's).",
                          "required": ["id", "comment_id", "reason", "text", "law", "good_faith", "name", "email", "at", "resolved_at", "outcome"], "properties": {
                              "id": {"type": "integer"}, "comment_id": {"type": "integer"},
                              "reason": {"type": "string", "enum": [r.value for r in ReportReason]},
                              "text": {"type": "string"}, "law": {"type": "string"}, "good_faith": {"type": "boolean"},
                              "name": {"type": "string"}, "email": {"type": "string"},
                              "at": _DATE, "resolved_at": _DATE_OR_NULL, "outcome": {"type": ["string", "null"]}}},
            "ReportOutcome": {"allOf": [_ref("OwnReport"), {"type": "object", "required": ["status", "message"], "properties": {
                "status": {"type": "string", "enum": ["open", "removed", "folded", "kept", "restored"]},
                "message": {"type": "string", "description": "The status in the reporter's words."}}}]},
            "Appeal": {"type": "object", "required": ["id", "comment_id", "decision_id", "text", "at", "decided_at", "outcome"], "properties": {
                "id": {"type": "integer"}, "comment_id": {"type": "integer"},
                "decision_id": {"type": "integer", "description": "The decision appealed."},
                "text": {"type": "string"}, "at": _DATE, "decided_at": _DATE_OR_NULL,
                "outcome": {"type": ["string", "null"], "enum": ["upheld", "reversed", None]}}},
            "Card": {"type": "object", "description": "Everything a moderator weighs about one comment.",
                     "required": ["comment", "story", "thread", "author", "reports", "decisions", "appeal"], "properties": {
                         "comment": _ref("ModeratedComment"),
                         "story": _STORY,
                         "thread": {"type": "array", "items": _ref("Comment"),
                                    "description": "The whole thread in every state, each comment followed by its replies, oldest first."},
                         "author": {"type": "object", "required": ["id", "name", "kind", "history", "sanctions"], "properties": {
                             "id": {"type": "integer"}, "name": {"type": "string"},
                             "kind": {"type": "string", "enum": ["guest", "registered", "staff"]},
                             "history": {"type": "object", "properties": {
                                 "comments": {"type": "integer"}, "published": {"type": "integer"},
                                 "approved": {"type": "integer", "description": "Published after a moderator looked."},
                                 "rejected": {"type": "integer"}, "held": {"type": "integer"}, "first_seen": _DATE_OR_NULL}},
                             "sanctions": {"type": "array", "items": _ref("Sanction"), "description": "Newest first; lifted ones too."}}},
                         "reports": {"type": "array", "items": _ref("Report"), "description": "Oldest first."},
                         "decisions": {"type": "array", "items": _ref("Decision"), "description": "On this comment, latest first, at most 50."},
                         "appeal": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                             "id": {"type": "integer"}, "decision_id": {"type": "integer"}, "text": {"type": "string"},
                             "at": _DATE, "outcome": {"type": ["string", "null"]}, "decided_at": _DATE_OR_NULL}}]}}},
            "Statement": {"type": "object", "description": "A statement of reasons (DSA Art. 17), as the writer reads it.",
                          "required": ["decision_id", "comment_id", "decision", "decided_at", "what", "why", "ground", "legal_ground", "automated_detection", "automated_decision", "based_on", "until", "appeal_until", "how_to_appeal", "lines"], "properties": {
                              "decision_id": {"type": "integer"}, "comment_id": {"type": ["integer", "null"]},
                              "decision": {"type": "string", "enum": [k.value for k in DecisionKind if k.restricts]},
                              "decided_at": _DATE, "what": {"type": "string"}, "why": {"type": "string"},
                              "ground": {"type": "string", "enum": ["law", "rules"]}, "legal_ground": {"type": ["string", "null"]},
                              "automated_detection": {"type": "boolean"}, "automated_decision": {"type": "boolean"},
                              "based_on": {"type": "string"}, "until": _DATE_OR_NULL, "appeal_until": _DATE,
                              "how_to_appeal": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string"}}}},
            "WriterView": {"type": "object", "required": ["comment_id", "statement", "can_appeal", "why_not", "appeal", "outcome"], "properties": {
                "comment_id": {"type": "integer"},
                "statement": {**_nullable("Statement"), "description": "The decision appealed, else the latest that restricts the comment and stands; null when none does."},
                "can_appeal": {"type": "boolean"}, "why_not": {"type": ["string", "null"]},
                "appeal": _nullable("Appeal"),
                "outcome": {"type": ["string", "null"], "description": "The appeal's state or outcome, in the writer's words."}}},
            "Account": {"type": "object", "properties": {
                "id": {"type": "integer"}, "email": {"type": "string"}, "display_name": {"type": "string"}, "role": _ROLE,
                "badges": {"type": "array", "items": {"type": "string"}}, "sso": {"type": "boolean"},
                "disabled": {"type": "boolean"}, "created_at": _DATE}},
            "ApiToken": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "role": _ROLE, "created_by": {"type": ["integer", "null"]},
                "created_at": _DATE, "last_used_at": _DATE_OR_NULL, "revoked_at": _DATE_OR_NULL}},
            "Actor": {"type": "object", "properties": {
                "role": {"type": "string", "enum": [r.value for r in Role]},
                "name": {"type": "string"}, "account_id": {"type": ["integer", "null"]},
                "token": {"type": ["string", "null"], "description": "The API token's name when one is acting."},
                "badges": {"type": "array", "items": {"type": "string"}}}},
            "NewComment": {"type": "object", "required": ["author_name", "body"], "properties": {
                "author_name": {"type": "string", "minLength": 1, "maxLength": 50},
                "body": {"type": "string", "minLength": 1, "maxLength": 5000},
                "parent_id": {"type": ["integer", "null"]},
                "spoiler": {"type": "boolean"},
                "staff": {"type": "boolean", "description": "Post with the Staff badge, unscored; needs the post_as_staff permission (staff, moderator, admin)."},
                "email": {"type": ["string", "null"]},
                "idempotency_key": {"type": "string", "maxLength": 200},
                "rephrased": {"type": "boolean", "description": "Sent again after a rephrase answer: still over the line, it is held for a moderator instead."}}},
            "Story": {"type": "object", "required": ["slug", "title"], "properties": {
                "slug": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
                "dateline": {"type": "string"}, "body": {"type": "string"}, "credit": {"type": "string"},
                "section": {"type": "string", "description": "The page's section, as an embedding page gave it (or as set here)."},
                "published_at": _DATE_OR_NULL,
                "comments_open": {"type": "boolean"}, "comment_count": {"type": "integer"},
                "moderation_thresholds": {"$ref": "#/components/schemas/Thresholds",
                                          "description": "Label by label over the site's; in story-management answers only."}}},
            "StoryChanges": {"type": "object", "properties": {
                "title": {"type": "string"}, "url": {"type": "string"}, "dateline": {"type": "string"},
                "body": {"type": "string"}, "credit": {"type": "string"}, "section": {"type": "string", "maxLength": 100},
                "published_at": _DATE, "comments_open": {"type": "boolean"},
                "moderation_thresholds": _ref("Thresholds")}},
            "CommentPage": {"type": "object", "required": ["comments", "next_cursor"], "properties": {
                "comments": {"type": "array", "items": _ref("Comment"),
                             "description": "Flat, each parent before its children."},
                "next_cursor": {"type": ["string", "null"]},
                "sort": {"type": "string"},
                "story": {"type": "object"}}},
        },
    },
    "paths": {},
}

_PATHS = OPENAPI["paths"]
MANAGE = Permission.MANAGE_STORIES
_STORY_ANSWER = _json(_ref("Story"))

# --- stories and comments (parley/web/api.py) ----------------------------------------------
_PATHS.update({
    "/api/v1/openapi.json": {"get": _op("This document", PUBLIC, {"200": {"description": "OK"}})},
    "/api/v1/stories": {"post": _op(
        "Create a story", MANAGE,
        {"201": _json(_ref("Story"), "Created"), **_errors(401, 403, 409, 413, 422, notes={409: "The slug is taken (field slug)"})},
        body={"required": True, "content": {"application/json": {"schema": _ref("Story")}}})},
    "/api/v1/stories/{slug}": {
        "get": _op("A story", PUBLIC, {"200": _STORY_ANSWER, **_errors(404)}, parameters=[_SLUG]),
        "patch": _op("Change a story (title, body, open or closed, thresholds...)", MANAGE,
                     {"200": _STORY_ANSWER, **_errors(401, 403, 404, 413, 422)}, parameters=[_SLUG],
                     body={"required": True, "content": {"application/json": {"schema": _ref("StoryChanges")}}})},
    "/api/v1/stories/{slug}/close": {"post": _op(
        "Close a story to new comments", MANAGE, {"200": _STORY_ANSWER, **_errors(401, 403, 404)}, parameters=[_SLUG])},
    "/api/v1/stories/{slug}/open": {"post": _op(
        "Open a story to comments again", MANAGE, {"200": _STORY_ANSWER, **_errors(401, 403, 404)}, parameters=[_SLUG])},
    "/api/v1/stories/{slug}/comments": {
        "get": _op("A page of the thread", PUBLIC,
                   {"200": _json(_ref("CommentPage")), **_errors(404, 422)},
                   parameters=[_SLUG,
                               _query("sort", {"type": "string", "enum": ["oldest", "newest", "replies", "top"]},
                                      "top: most recommended first, ties oldest first."),
                               _query("cursor", {"type": "string"}),
                               _query("limit", {"type": "integer", "minimum": 1, "maximum": 500},
                                      "Top-level comments per page; their replies come along.")]),
        "post": _op("Post a comment or a reply", Permission.POST,
                    {"201": _json(_ref("Comment"), "Posted"),
                     "200": _json(_ref("Comment"), "Already posted with this Idempotency-Key"),
                     **_errors(401, 403, 404, 409, 413, 422, 429, notes={
                         403: "Forbidden: \"staff\": true without the post_as_staff permission (field authorization), a banned or suspended writer, or a cookie-authenticated post from another site (field origin)",
                         409: "The story is closed to comments (code closed), or the Idempotency-Key was used for a different comment",
                         429: "Too many comments; see Retry-After"})},
                    description="Moderation scores it first. 201 with state published, folded (behind a notice), pending "
                                "(held for a moderator; its writer sees it with the edit token) or rejected (no edit token). "
                                "422 with code rephrase, reasons and spans: nothing was posted; send it again rephrased, "
                                "with \"rephrased\": true. \"staff\": true needs the post_as_staff permission (staff, moderator, admin). "
                                "A guest's answer sets the parley_guest cookie, by which that browser sees its own held comments.",
                    parameters=[_SLUG, {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
                                        "description": "A retried post with the same key returns the first comment (200)."}],
                    body={"required": True, "content": {"application/json": {"schema": _ref("NewComment")}}})},
    "/api/v1/comments/{comment_id}": {
        "get": _op("A comment", PUBLIC, {"200": _json(_ref("Comment")), **_errors(401, 404)},
                   description="A pending or rejected comment only to its writer: by the edit token, their account or their browser's guest cookie.",
                   parameters=[_COMMENT_ID, {**_EDIT_TOKEN, "required": False, "description": "A pending comment is shown to its writer, who sends this."}],
                   security=_ANYONE),
        "patch": _op("Edit your comment within the edit window (scored, as a new comment is)", Permission.POST,
                     {"200": _json(_ref("Comment")), **_errors(401, 403, 404, 413, 422, notes={
                         403: "Wrong edit token or the edit window is over (field edit_token), or a cookie-authenticated edit from another site (field origin)"})},
                     description="An edit never changes who may read the comment. New text moderation would ask to "
                                 "rephrase, hold or reject is answered 422 with code rephrase, reasons and spans, and "
                                 "the old text stays. A published or folded comment takes a verdict to publish or fold; "
                                 "a pending one stays pending until a moderator decides.",
                     parameters=[_COMMENT_ID, {**_EDIT_TOKEN, "required": False}],
                     body=_body(["body"], {"body": {"type": "string"}, "edit_token": {"type": "string"}})),
        "delete": _op("Delete your comment within the edit window (a tombstone stays if it has replies)", Permission.POST,
                      {"204": {"description": "Deleted"}, **_errors(401, 403, 404, notes={
                          403: "Wrong edit token or the edit window is over (field edit_token), or a cookie-authenticated delete from another site (field origin)"})},
                      parameters=[_COMMENT_ID, _EDIT_TOKEN])},
    "/api/v1/counts": {"get": _op(
        "Comment counts for many stories at once", PUBLIC,
        {"200": _answer({"counts": {"type": "object", "additionalProperties": {"type": "integer"}}}), **_errors(422)},
        parameters=[{"name": "slug", "in": "query", "required": True, "style": "form", "explode": True,
                     "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 200},
                     "description": "Repeat, or separate with commas; unknown slugs are left out of the answer."}])},
})

# --- reactions: recommendations and staff's picks (parley/web/reactions.py) ----------------
_RECOMMENDATION = _answer({"comment_id": {"type": "integer"}, "recommend_count": {"type": "integer"},
                           "recommended": {"type": "boolean", "description": "By you, after this call."}},
                          required=["comment_id", "recommend_count", "recommended"])
_RECOMMEND_NOTES = {403: "A guest browser that sent no parley_guest cookie yet, or no way to tell this reader apart "
                         "(field reader); your own comment (field comment_id); the role lacks the permission (field "
                         "authorization); a cookie-authenticated change from another site (field origin)",
                    404: "No comment readers can see with that id (field comment_id)",
                    429: "More than 30 changes of recommendation a minute; see Retry-After"}
_PATHS.update({
    "/api/v1/comments/{comment_id}/recommendation": {
        "put": _op("Recommend a comment", Permission.RECOMMEND, {"200": _RECOMMENDATION, **_errors(401, 403, 404, 429, notes=_RECOMMEND_NOTES)},
                   description="One recommendation per reader per comment, by their account, their guest cookie or their API "
                               "token: sending it again changes nothing. Only a comment readers can see, and never one's own. "
                               "No body.", parameters=[_COMMENT_ID]),
        "delete": _op("Take your recommendation back", Permission.RECOMMEND,
                      {"200": _RECOMMENDATION, **_errors(401, 403, 404, 429, notes=_RECOMMEND_NOTES)},
                      description="Idempotent: without a recommendation of yours, nothing changes.", parameters=[_COMMENT_ID])},
    "/api/v1/comments/{comment_id}/feature": {
        "post": _op("Feature a comment (a staff pick)", Permission.FEATURE,
                    {"200": _json(_ref("Comment")), **_errors(401, 403, 404, notes={404: "No comment readers can see with that id (field comment_id)"})},
                    description="Shown first, under the story page's Featured tab, with a Featured badge. Recorded in the audit "
                                "log (decision feature); featuring a featured comment changes and records nothing. No body.",
                    parameters=[_COMMENT_ID]),
        "delete": _op("Unfeature a comment", Permission.FEATURE, {"200": _json(_ref("Comment")), **_errors(401, 403, 404)},
                      description="Recorded in the audit log (decision unfeature). A pick is not undone with /undo: unfeature it.",
                      parameters=[_COMMENT_ID])},
    "/api/v1/stories/{slug}/recommended": {"get": _op(
        "Which of the story's comments you recommended", PUBLIC,
        {"200": _answer({"recommended": {"type": "array", "items": {"type": "integer"}}}), **_errors(401, 404)},
        description="Empty for a browser without a guest cookie. What the page's script marks: the thread is the same for every reader.",
        parameters=[_SLUG], security=_ANYONE)},
    "/api/v1/stories/{slug}/featured": {"get": _op(
        "The story's featured comments, latest pick first", PUBLIC,
        {"200": _answer({"story": {"type": "object"}, "comments": {"type": "array", "items": _ref("Comment")},
                         "next_cursor": {"type": ["string", "null"]}}), **_errors(404, 422)},
        description="Each comment on its own (a featured reply too); only comments readers can see.",
        parameters=[_SLUG, _query("cursor", {"type": "string"}), _limit(500, "the page size")])},
})

# --- the moderators' API (parley/web/admin.py) --------------------------------------------
MODERATE, SANCTION, AUDIT = Permission.MODERATE, Permission.SANCTION, Permission.AUDIT
_MODERATED = _json(_ref("ModeratedComment"))
_DECIDED = _json(_ref("DecidedComment"), "Decided: the comment as it now stands, with the decision (its id is what undo takes)")
_DECISION = _json(_ref("Decision"))
_NO_COMMENT = {404: "No such comment (field comment_id)"}
_DECIDE_CONFLICTS = ("The decision makes no sense for the comment: field state (a deleted comment), parent_id (approving a reply "
                     "under a comment that is itself pending or rejected: approve that one first), comment_id (rejecting a "
                     "comment with replies readers see)")
_DECIDE_BODY = _body([], {
    "reason": {**_REASON, "description": "Required to reject (the writer is told it); optional otherwise."},
    "notice": {"type": "string", "enum": _NOTICES, "default": "offensive", "description": "Fold only: the notice readers open."},
    "legal_ground": {"type": "string", "maxLength": 500, "description": "For illegal content: the law the decision rests on; the statement of reasons and the DSA export name it."}},
    optional=True)
_AUDIT_FILTERS = [
    _query("q", {"type": "string"}, "Words matched against who decided, the reason and the decision."),
    _query("decision", {"type": "string", "enum": [k.value for k in DecisionKind]}),
    _query("comment", {"type": "integer"}, "Only decisions on this comment."),
    _query("author", {"type": "integer"}, "Only decisions on this author's comments, or on them."),
    _query("before", {"type": "integer"}, "The id of the last entry already read (next_before)."),
]


def _decide(summary: str, description: str, *conflicts: int) -> dict:
    return {"post": _op(summary, MODERATE, {"200": _DECIDED, **_errors(401, 403, 404, *conflicts, 413, 422, notes={**_NO_COMMENT, 409: _DECIDE_CONFLICTS})},
                        description=description + " One transaction: the comment leaves the open queues, its open reports are "
                                                  "resolved and the audit log gets the decision. The body is a JSON object or nothing at all.",
                        parameters=[_COMMENT_ID], body=_DECIDE_BODY)}


_PATHS.update({
    "/api/v1/admin/queue": {"get": _op(
        "A page of one moderators' queue, in priority order, with every open queue's count", MODERATE,
        {"200": _json(_ref("Queue")), **_errors(401, 403, 404, 422, notes={404: "Unknown story slug (field story)"})},
        description="Open queues (held, reported, folded, resubmitted, appeals) are ordered by priority, highest first, then "
                    "oldest first; approved and rejected by when they were decided, latest first. A comment waits in at most "
                    "one open queue. The filters narrow the page, not the counts (which follow story only).",
        parameters=[_query("queue", {"type": "string", "enum": [q.value for q in Queue], "default": "held"}),
                    _query("story", _SLUG["schema"], "Only this story's comments."),
                    _query("label", {"type": "string", "enum": _LABELS}, "Only comments whose strongest label is this one."),
                    _query("min_score", {"type": "number", "minimum": 0, "maximum": 1}, "Only comments whose strongest label scores at least this."),
                    _query("author", {"type": "integer"}, "Only this author's comments (author_id)."),
                    _query("cursor", {"type": "string"}, "next_cursor from the page before."),
                    _limit(500, "PARLEY_PAGE_SIZE")])},
    "/api/v1/admin/comments/{comment_id}": {"get": _op(
        "A comment's card: the comment with its verdict, the whole thread, the author's history and sanctions, reports, decisions and appeal",
        MODERATE, {"200": _json(_ref("Card")), **_errors(401, 403, 404, notes=_NO_COMMENT)}, parameters=[_COMMENT_ID])},
    "/api/v1/admin/comments/{comment_id}/verdict": {"get": _op(
        "Any comment, held and rejected ones too, with moderation's verdict", MODERATE,
        {"200": _MODERATED, **_errors(401, 403, 404, notes=_NO_COMMENT)}, parameters=[_COMMENT_ID])},
    "/api/v1/admin/comments/{comment_id}/approve": _decide(
        "Approve: release a comment to readers",
        "Published without the notices moderation gave it (the writer's spoiler notice stays, so such a comment is "
        "folded behind it); the verdict is kept.", 409),
    "/api/v1/admin/comments/{comment_id}/reject": _decide(
        "Reject: keep a comment from readers (needs a reason)",
        "From pending, published or folded: moderators only see it, and its writer can no longer edit it; the writer "
        "is told the reason in a statement of reasons.", 409),
    "/api/v1/admin/comments/{comment_id}/fold": _decide(
        "Fold: publish a comment behind a notice (offensive, spam or off_topic)",
        "Shown to readers behind the notice chosen (offensive by default), which replaces the notices moderation gave it.", 409),
    "/api/v1/admin/comments/{comment_id}/dismiss": _decide(
        "Dismiss a comment's reports, leaving it as it is",
        "Its open reports are resolved; a comment that readers' reports alone had hidden is shown again.", 409),
    "/api/v1/admin/comments/{comment_id}/sanction": {"post": _op(
        "Sanction the comment's author: ban, suspend, pre-moderate or trust", SANCTION,
        {"200": _DECISION, **_errors(401, 403, 404, 409, 413, 422, notes={
            **_NO_COMMENT, 409: "The comment is deleted (field state), or rejecting it would strand replies readers see (field comment_id)",
            422: "Invalid field: an unknown sanction is named as field decision; reason (ban, suspend) or days (suspend) missing or wrong"})},
        description="A sanction holds on the author and on the browser or account they wrote from, until lifted (a "
                    "suspension until its days are over). A ban or suspension also rejects the comment it was decided on "
                    "unless \"reject\": false; \"reject\": true rejects it with the other sanctions too. The answer is the "
                    "decision (its id is what undo takes); the sanction's id is on the comment card.",
        parameters=[_COMMENT_ID],
        body=_body(["sanction"], {
            "sanction": {"type": "string", "enum": [k.value for k in SanctionKind]},
            "reason": {**_REASON, "description": "Required for ban and suspend; told to the writer."},
            "days": {"type": "number", "exclusiveMinimum": 0, "maximum": 3650, "description": "Suspend only, and required: how long."},
            "reject": {"type": "boolean", "description": "Reject the comment too; default true for ban and suspend, false otherwise."}}))},
    "/api/v1/admin/decisions/bulk": {"post": _op(
        "One decision on up to 200 comments, all or none", MODERATE,
        {"200": _answer({"decisions": {"type": "array", "items": _ref("Decision")}}, "Every comment decided: one decision each, in the order given (repeated ids once)"),
         **_errors(401, 403, 404, 409, 413, 422, notes={
             404: "A comment does not exist (field comment_ids; the message names it): nothing was decided",
             409: "A comment cannot take the decision (field comment_ids; the message names it and why): nothing was decided"})},
        description="One transaction: a comment that cannot take the decision stops the whole selection, and nothing is decided.",
        body=_body(["comment_ids", "decision"], {
            "comment_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 200},
            "decision": {"type": "string", "enum": ["approve", "reject", "fold", "dismiss"]},
            "reason": {**_REASON, "description": "Required to reject."},
            "notice": {"type": "string", "enum": _NOTICES, "default": "offensive", "description": "Fold only."}}))},
    "/api/v1/admin/decisions/{decision_id}/undo": {"post": _op(
        "Undo your own latest decision on a comment, within PARLEY_UNDO_SECONDS", MODERATE,
        {"200": _json(_ref("Decision"), "Undone: the undo decision (undoes names the one taken back)"),
         **_errors(401, 403, 404, 409, notes={
             404: "No such decision (field decision_id)",
             409: "Cannot be undone (field decision_id): made by another token or account, undone already (or itself an undo), "
                  "older than PARLEY_UNDO_SECONDS, a later decision was made on the comment, or its writer appealed it"})},
        description="Only the token or account that made the decision, for PARLEY_UNDO_SECONDS (60) after it. The comment "
                    "returns to what it was, with its queue and the reports the decision resolved; a sanction the decision "
                    "made ends. A bulk decision is undone comment by comment. No body.",
        parameters=[_path("decision_id")])},
    "/api/v1/admin/sanctions/{sanction_id}/lift": {"post": _op(
        "Lift a sanction before its time", SANCTION,
        {"200": _json(_ref("Decision"), "Lifted: the lift decision"),
         **_errors(401, 403, 404, 413, 422, notes={404: "No sanction in force with that id (field sanction_id)"})},
        parameters=[_path("sanction_id", "A sanction's id, from the comment card's author.sanctions.")],
        body=_body([], {"reason": _REASON}, optional=True))},
    "/api/v1/admin/audit": {"get": _op(
        "The audit log: every decision, a moderator's or automated, latest first", AUDIT,
        {"200": _answer({"decisions": {"type": "array", "items": _ref("Decision")},
                         "next_before": {"type": ["integer", "null"], "description": "The last entry's id: pass it as before for the next page (null on an empty page)."}},
                        required=["decisions", "next_before"]),
         **_errors(401, 403, 422)},
        parameters=[*_AUDIT_FILTERS, _limit(1000, "100")])},
    "/api/v1/admin/audit.csv": {"get": _op(
        "The audit log as CSV: every entry the filters match, latest first", AUDIT,
        {"200": {"description": "CSV with a header row: id, at, actor, decision, comment_id, author_id, reason, prompted_by, "
                                "automated, legal_ground, undoes, undone_at (a cell a spreadsheet would run as a formula starts with ')",
                 "content": {"text/csv": {"schema": {"type": "string"}}}},
         **_errors(401, 403, 422)},
        parameters=_AUDIT_FILTERS)},
})

# --- reports, appeals, statements and exports (parley/web/workspace_api.py) ----------------
_PATHS.update({
    "/api/v1/comments/{comment_id}/reports": {"post": _op(
        "Report a comment readers can see (once per reader)", Permission.REPORT,
        {"201": _answer({"report": _ref("OwnReport"), "message": {"type": "string"}}, "Reported", required=["report", "message"]),
         **_errors(401, 403, 404, 409, 413, 422, 429, notes={
             403: "Forbidden: the reporter cannot be told apart from others (field reporter), or a cookie-authenticated report from another site (field origin)",
             404: "No comment readers can see has that id (field comment_id)",
             409: "This reader reported the comment already (field comment_id)",
             429: "PARLEY_REPORTS_PER_HOUR reports this hour from this reader, or five times that from their address; see Retry-After"})},
        description="Illegal content (a DSA Art. 16 notice) needs law, text and good_faith: true; its name and email are optional "
                    "and kept on such reports only (other reasons keep neither, nor law). A guest's answer sets the parley_guest "
                    "cookie, so that the browser sees its reports later. At PARLEY_REPORT_THRESHOLD counted reports the comment "
                    "moves to the Reported queue; at PARLEY_REPORT_HIDE_THRESHOLD it is hidden until a moderator decides.",
        parameters=[_COMMENT_ID],
        body=_body(["reason"], {
            "reason": {"type": "string", "enum": [r.value for r in ReportReason]},
            "text": {**_TEXT, "description": "What the reader says; required for illegal."},
            "law": {"type": "string", "maxLength": 500, "description": "Illegal only, and required: the law it breaks."},
            "good_faith": {"type": "boolean", "description": "Illegal only, and must be true."},
            "name": {"type": "string", "maxLength": 100}, "email": {"type": "string"}}))},
    "/api/v1/me/reports": {"get": _op(
        "Your own reports, newest first, each with what became of it", Permission.REPORT,
        {"200": _answer({"reports": {"type": "array", "items": _ref("ReportOutcome")}}, required=["reports"]), **_errors(401, 422)},
        description="Yours: by your account, API token or browser's guest cookie.",
        parameters=[_limit(200, "50")])},
    "/api/v1/comments/{comment_id}/appeal": {"post": _op(
        "Appeal the decision on your own comment, once, within six months (184 days)", Permission.APPEAL,
        {"201": _answer({"appeal": _ref("Appeal"), "message": {"type": "string"}}, "Appealed", required=["appeal", "message"]),
         **_errors(401, 403, 404, 409, 413, 422, notes={
             404: "No comment of yours has that id (field comment_id): the writer is the account or browser that wrote it",
             409: "Nothing to appeal (field comment_id): deleted, appealed already, no decision restricts it, or the time to appeal is over"})},
        description="Against the latest decision that restricts the comment (or its writer) and still stands. The comment "
                    "moves to the Appeals queue, for a moderator other than the one who decided.",
        parameters=[_COMMENT_ID], body=_body([], {"text": _TEXT}))},
    "/api/v1/comments/{comment_id}/statement": {"get": _op(
        "The statement of reasons on a comment, whether its writer can appeal, and the appeal's outcome", PUBLIC,
        {"200": _json(_ref("WriterView")), **_errors(401, 404, notes={404: "No such comment, or not yours (field comment_id)"})},
        description="Its writer sees it on their own comment (by account or guest cookie), a moderator (moderate permission) "
                    "on any; to anyone else it is a 404.",
        parameters=[_COMMENT_ID], security=_ANYONE)},
    "/api/v1/admin/appeals/{appeal_id}/decide": {"post": _op(
        "Uphold or reverse an appealed decision", MODERATE,
        {"200": _answer({"appeal": _ref("Appeal"), "decision": _ref("Decision")}, required=["appeal", "decision"]),
         **_errors(401, 403, 404, 409, 413, 422, notes={
             403: "The moderator who made the decision cannot decide its appeal (DSA Art. 20(6); field appeal_id), or the role lacks moderate (field authorization)",
             404: "No such appeal (field appeal_id)",
             409: "Decided already (field appeal_id), or reversing would show a reply under a hidden comment (field parent_id)"})},
        description="Reverse shows the comment again and lifts a sanction the decision made; uphold leaves it as it is, "
                    "except that a comment held for a moderator is then rejected. Either is an uphold or reverse decision "
                    "in the audit log, prompted by appeal:ID; the writer and the reporters see the outcome.",
        parameters=[_path("appeal_id")],
        body=_body(["outcome"], {"outcome": {"type": "string", "enum": ["uphold", "reverse"]},
                                 "reason": {**_REASON, "description": "Required to uphold; told to the writer."}}))},
    "/api/v1/admin/statements.jsonl": {"get": _op(
        "Statements of reasons in the fields of the DSA Transparency Database (API v2), for its API", AUDIT,
        {"200": _JSON_LINES, **_errors(401, 403, 422)},
        description="Every decision that restricts (reject, fold, hold, ban, suspend, premoderate) and was not undone, "
                    "after after_id, one statement a line (puid parley-decision-ID); no personal data.",
        parameters=[_AFTER, _query("platform", {"type": "string"}, "platform_name, and the rules' name (default: the host).")])},
    "/api/v1/admin/decisions.jsonl": {"get": _op(
        "Moderators' decisions and suggested scores as labelled examples (parley train --decisions)", AUDIT,
        {"200": _JSON_LINES, **_errors(401, 403, 422)},
        description="Decisions after after_id first (source decision; label 1 kept from readers or folded, 0 shown; "
                    "automated and undone ones left out), then scores suggested through comments:suggestscore after "
                    "after_suggestion_id (source suggestscore).",
        parameters=[_AFTER, _query("after_suggestion_id", {"type": "integer", "minimum": 0}, "The last suggestion id already read.")])},
})

# --- signing in, accounts and API tokens (parley/web/account.py) ---------------------------
_SIGNED_IN_ANSWER = _answer({"account": _ref("Account")}, "Signed in: the answer sets the parley_session cookie")
_ACCOUNTS = Permission.MANAGE_ACCOUNTS
_PATHS.update({
    "/api/v1/auth/login": {"post": _op(
        "Sign in with email and password (a new session id every time, the old one revoked)", PUBLIC,
        {"200": _SIGNED_IN_ANSWER, **_errors(401, 403, 413, 422, 429, notes={
            401: "Wrong email or password (one message for both)", 403: "The account is disabled (field email)",
            429: "5 failures for one email, or 20 from one address, in 15 minutes; see Retry-After"})},
        body=_body(["email", "password"], {"email": {"type": "string"}, "password": {"type": "string"}}))},
    "/api/v1/auth/logout": {"post": _op(
        "End this browser's session (refused from other sites)", PUBLIC,
        {"200": _answer({"signed_out": {"const": True}}), **_errors(403, notes={403: "The browser says the request comes from another site (field origin)"})})},
    "/api/v1/auth/sso": {"post": _op(
        "Sign a reader in with the publisher's single sign-on JWT (HS256, Coral's claims); see docs/accounts.md", PUBLIC,
        {"200": _SIGNED_IN_ANSWER, **_errors(403, 404, 409, 413, 422, notes={
            403: "A wrong signature, or a disabled account (field token)", 404: "Single sign-on is off: PARLEY_SSO_SECRET is unset",
            409: "The token's email belongs to another account (field token)"})},
        body=_body(["token"], {"token": {"type": "string", "description": "The signed JWT"}}))},
    "/api/v1/auth/me": {"get": _op(
        "Who this request acts as: an API token, a signed-in account, or a guest", PUBLIC,
        {"200": _answer({"actor": _ref("Actor")}), **_errors(401)}, security=_ANYONE)},
    "/api/v1/admin/accounts": {
        "get": _op("Accounts, oldest first (never a password hash)", _ACCOUNTS,
                   {"200": _answer({"accounts": {"type": "array", "items": _ref("Account")}}), **_errors(401, 403, 422)},
                   parameters=[_limit(1000, "100")]),
        "post": _op("Create an account that signs in with email and password", _ACCOUNTS,
                    {"201": _answer({"account": _ref("Account")}, "Created"), **_errors(401, 403, 409, 413, 422, notes={409: "The email is taken (field email)"})},
                    body=_body(["email", "password", "display_name"], {
                        "email": {"type": "string"}, "password": {"type": "string", "minLength": 10},
                        "role": {**_ROLE, "default": "commenter"}, "display_name": {"type": "string", "maxLength": 50}}))},
    "/api/v1/admin/accounts/{account_id}": {"patch": _op(
        "Change an account's role, or disable it (its sessions end) or enable it", _ACCOUNTS,
        {"200": _answer({"account": _ref("Account")}), **_errors(401, 403, 404, 413, 422, notes={
            403: "Demoting or disabling your own account (field account), or the role lacks manage_accounts (field authorization)",
            404: "No such account (field account)"})},
        parameters=[_path("account_id")],
        body=_body([], {"role": _ROLE, "disabled": {"type": "boolean"}}))},
    "/api/v1/admin/tokens": {
        "get": _op("API tokens, live and revoked (never their secrets)", _ACCOUNTS,
                   {"200": _answer({"tokens": {"type": "array", "items": _ref("ApiToken")}}), **_errors(401, 403)}),
        "post": _op("Create a named API token with a role; its secret is in this answer only", _ACCOUNTS,
                    {"201": _answer({"token": _ref("ApiToken"), "secret": {"type": "string", "pattern": "^pk_"}}, "Created"),
                     **_errors(401, 403, 409, 413, 422, notes={409: "The name is taken, by a live or a revoked token (field name)"})},
                    body=_body(["name", "role"], {
                        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}, "role": _ROLE}))},
    "/api/v1/admin/tokens/{name}": {"delete": _op(
        "Revoke a token: it stops working at once (401); its name is never reused", _ACCOUNTS,
        {"204": {"description": "Revoked"}, **_errors(401, 403, 404, notes={404: "No live token has this name (field name)"})},
        parameters=[_path("name", schema={"type": "string"})])},
})

# Perspective's AnalyzeComment and SuggestCommentScore (parley/web/perspective.py and
# workspace_api.py, docs/api.md): Google's request, answer and error shapes rather than
# Parley's, so Perspective clients work unchanged.
_SCORE = {"type": "object", "required": ["value", "type"], "properties": {
    "value": {"type": "number", "minimum": 0, "maximum": 1}, "type": {"const": "PROBABILITY"}}}
_TEXT_ENTRY = {"type": "object", "properties": {"text": {"type": "string"},
                                                "type": {"type": "string", "enum": ["PLAIN_TEXT"]}}}
_ATTRIBUTES = [label.upper() for label in _LABELS]
_CONTEXT = {"type": "object", "description": "entries or articleAndParentComment, not both.",
            "properties": {"entries": {"type": "array", "items": _TEXT_ENTRY},
                           "articleAndParentComment": {"type": "object", "properties": {
                               "article": _TEXT_ENTRY, "parentComment": _TEXT_ENTRY}}}}
OPENAPI["components"]["securitySchemes"]["perspectiveKey"] = {
    "type": "apiKey", "in": "query", "name": "key",
    "description": "An API token with the staff role or higher, as Perspective's API key (comments:analyze only)."}
OPENAPI["components"]["schemas"].update({
    "AnalyzeCommentRequest": {"type": "object", "required": ["comment", "requestedAttributes"], "properties": {
        "comment": {**_TEXT_ENTRY, "required": ["text"], "description": "At most 20 KiB of UTF-8."},
        "context": {**_CONTEXT, "description": "Read by OFF_TOPIC only; entries or articleAndParentComment, not both."},
        "requestedAttributes": {"type": "object", "minProperties": 1,
                                "propertyNames": {"enum": _ATTRIBUTES},
                                "additionalProperties": {"type": "object", "properties": {
                                    "scoreType": {"type": "string", "enum": ["PROBABILITY", "SCORE_TYPE_UNSPECIFIED"]},
                                    "scoreThreshold": {"type": "number", "minimum": 0, "maximum": 1}}}},
        "spanAnnotations": {"type": "boolean", "description": "Score each sentence; otherwise one span covers the text."},
        "languages": {"type": "array", "items": {"type": "string", "pattern": "^[eE][nN]([-_].*)?$"}},
        "doNotStore": {"type": "boolean", "description": "Accepted; Parley never stores what it analyzes."},
        "clientToken": {"type": "string"}, "sessionId": {"type": "string"}, "communityId": {"type": "string"}}},
    "AnalyzeCommentResponse": {"type": "object", "required": ["attributeScores", "languages", "detectedLanguages"], "properties": {
        "attributeScores": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "summaryScore": _SCORE,
            "spanScores": {"type": "array", "items": {"type": "object", "required": ["begin", "end", "score"], "properties": {
                "begin": {"type": "integer", "description": "UTF-16 code units"}, "end": {"type": "integer"},
                "score": _SCORE}}}}}},
        "languages": {"type": "array", "items": {"type": "string"}},
        "detectedLanguages": {"type": "array", "items": {"const": "en"}},
        "clientToken": {"type": "string"}}},
    "SuggestCommentScoreRequest": {"type": "object", "required": ["comment", "attributeScores"], "properties": {
        "comment": {**_TEXT_ENTRY, "required": ["text"], "description": "Non-empty, at most 20 KiB of UTF-8."},
        "attributeScores": {"type": "object", "minProperties": 1, "propertyNames": {"enum": _ATTRIBUTES},
                            "description": "An attribute's score is its summaryScore, else the highest of its spanScores.",
                            "additionalProperties": {"type": "object", "properties": {
                                "summaryScore": {"type": "object", "required": ["value"], "properties": {
                                    "value": {"type": "number", "minimum": 0, "maximum": 1},
                                    "type": {"type": "string", "enum": ["PROBABILITY", "SCORE_TYPE_UNSPECIFIED"]}}},
                                "spanScores": {"type": "array", "items": {"type": "object", "required": ["begin", "end", "score"], "properties": {
                                    "begin": {"type": "integer"}, "end": {"type": "integer"},
                                    "score": {"type": "object", "required": ["value"], "properties": {"value": {"type": "number", "minimum": 0, "maximum": 1}}}}}}}}},
        "context": {**_CONTEXT, "description": "The story (article, or the entries together) and the comment replied to, kept with the example."},
        "languages": {"type": "array", "items": {"type": "string", "pattern": "^[eE][nN]([-_].*)?$"}, "description": "English only."},
        "communityId": {"type": "string"}, "sessionId": {"type": "string"}, "clientToken": {"type": "string"}}},
    "SuggestCommentScoreResponse": {"type": "object", "required": ["requestedLanguages", "detectedLanguages"], "properties": {
        "requestedLanguages": {"type": "array", "items": {"type": "string"}},
        "detectedLanguages": {"type": "array", "items": {"const": "en"}},
        "clientToken": {"type": "string"}}},
    "GoogleError": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "status"], "properties": {
            "code": {"type": "integer"}, "message": {"type": "string", "description": "Ends with the field at fault."},
            "status": {"type": "string", "enum": ["INVALID_ARGUMENT", "PERMISSION_DENIED", "INTERNAL", "UNAVAILABLE"]},
            "details": {"type": "array", "items": {"type": "object"}}}}}},
})
_GOOGLE_ERROR = {"content": {"application/json": {"schema": _ref("GoogleError")}}}
_PATHS["/v1alpha1/comments:analyze"] = {"post": _op(
    "Score a comment, answering as Google's Perspective API (AnalyzeComment)", Permission.SCORE,
    {"200": _json(_ref("AnalyzeCommentResponse")),
     "400": {"description": "Bad request; the message and a google.rpc.BadRequest detail name the field", **_GOOGLE_ERROR},
     "403": {"description": "Wrong or missing key, a role without score, or a browser request from another site (field key or origin)", **_GOOGLE_ERROR},
     "413": {"description": "Request body over 256 KiB", **_GOOGLE_ERROR},
     "503": {"description": "No moderation models installed", **_GOOGLE_ERROR}},
    description="The token goes as ?key= (as Perspective clients send it) or as Authorization: Bearer; a signed-in session works from this site's pages.",
    security=[{"perspectiveKey": []}, *_SIGNED_IN],
    body={"required": True, "content": {"application/json": {"schema": _ref("AnalyzeCommentRequest")}}})}
_PATHS["/v1alpha1/comments:suggestscore"] = {"post": _op(
    "Suggest scores for a text, as Perspective's SuggestCommentScore: kept as a labelled example", Permission.SCORE,
    {"200": _json(_ref("SuggestCommentScoreResponse")),
     "400": {"description": "Bad request; the message names the field", **_GOOGLE_ERROR},
     "403": {"description": "No credentials, an unknown or revoked token, a role without score, or a cookie-authenticated request from another site (field key)", **_GOOGLE_ERROR},
     "413": {"description": "Request body over 256 KiB", **_GOOGLE_ERROR}},
    description="The token goes as Authorization: Bearer (not ?key=), or a signed-in session. The example comes back "
                "in GET /api/v1/admin/decisions.jsonl (source suggestscore; label 1 when toxicity is 0.5 or more).",
    body={"required": True, "content": {"application/json": {"schema": _ref("SuggestCommentScoreRequest")}}})}

# --- the embed (parley/web/embed.py) ----------------------------------------------------------
OPENAPI["components"]["securitySchemes"]["embedToken"] = {
    "type": "apiKey", "in": "header", "name": "X-Parley-Embed",
    "description": "The embed widget's token, instead of cookies (which browsers block inside another site's page): "
                   "`g.…` for a guest (POST /api/v1/embed/token) or `s.…` for a reader signed in through the widget "
                   "(POST /api/v1/embed/auth/login). Cookies are not read when it is sent. A token that does not verify, "
                   "or whose sign-in ended, is a 401 (field x-parley-embed); from an Origin not in PARLEY_ALLOWED_ORIGINS, "
                   "a 403 (field origin). Browsers send the header only after a CORS preflight, which only those origins pass."}
_EMBED_AS = [{}, {"embedToken": []}]
_EMBED_PAGE = [_query("url", {"type": "string", "maxLength": 2000}, "The embedding page's canonical URL (never fetched); its "
                      "origin must be in PARLEY_ALLOWED_ORIGINS for the story to be created on first view."),
               _query("story", {"type": "string", "maxLength": 2000}, "The page's own story id (data-parley-story): a slug is "
                      "used as it is (an existing story), anything else is hashed; absent, the URL is."),
               _query("title", {"type": "string"}, "The story's title when it is created (first 300 characters)."),
               _query("section", {"type": "string", "maxLength": 100}, "The page's section.")]
_EMBED_ORIGIN = {403: "A request from a site not in PARLEY_ALLOWED_ORIGINS (field origin)",
                 404: "No story yet, and this page may not create one (field story)"}
_HTML = {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}
_PATHS.update({
    "/embed.js": {"get": _op("The embed widget's script (at most 10 KB gzipped)", PUBLIC,
                             {"200": {"description": "JavaScript, gzipped when asked; ETag, Cache-Control public, max-age=300",
                                      "content": {"text/javascript": {"schema": {"type": "string"}}}}})},
    "/embed/count.js": {"get": _op("The comment-count script for article lists", PUBLIC,
                                   {"200": {"description": "JavaScript", "content": {"text/javascript": {"schema": {"type": "string"}}}}})},
    "/embed/fragment": {"get": _op(
        "The story's thread as an HTML fragment, for server-side includes, ESI and the widget", PUBLIC,
        {"200": {**_HTML, "description": "`<section class=\"parley-thread\" data-slug data-count data-open>`: the count, the "
                 "first page of the thread and its Load more link (with `after`: the next page's list items alone). ETag "
                 "(304 on If-None-Match), Cache-Control `public, max-age=0, s-maxage=15, stale-while-revalidate=60`, Vary "
                 "Origin and Accept-Encoding; CORS for the allowed origins."},
         "304": {"description": "Not modified"}, **_errors(403, 404, 422, notes=_EMBED_ORIGIN)},
        parameters=[*_EMBED_PAGE, _query("sort", {"type": "string", "enum": ["oldest", "newest", "replies"]}),
                    _query("after", {"type": "string"}, "The next page's cursor, from Load more.")])},
    "/embed/frame": {"get": _op(
        "The no-JavaScript iframe's address: finds (or creates) the story and answers 303 to its frame", PUBLIC,
        {"303": {"description": "To /embed/frame/{slug}"}, **_errors(403, 404, 422, notes=_EMBED_ORIGIN)},
        parameters=_EMBED_PAGE)},
    "/embed/frame/{slug}": {
        "get": _op("The no-JavaScript iframe: the thread and the comment form, framable by the allowed origins", PUBLIC,
                   {"200": {**_HTML, "description": "A page whose CSP frame-ancestors names PARLEY_ALLOWED_ORIGINS"},
                    **_errors(403, 404)},
                   description="Its form carries a form token (csrf_token) bound to the story, good for two hours, "
                               "which also says who the guest is: no cookie reaches a frame on another site.",
                   parameters=[_SLUG, _query("reply", {"type": "integer"}), _query("thread", {"type": "integer"}),
                               _query("posted", {"type": "string"})]),
        "post": _op("The iframe's comment form (application/x-www-form-urlencoded)", Permission.POST,
                    {"303": {"description": "Back into the frame, to the comment (or to the writer's message)"},
                     **_errors(400, 401, 403, 404, 429, notes={
                         403: "The form token is missing, expired or for another story (field csrf_token), or the form "
                              "was sent from another site's page (field origin)"})},
                    parameters=[_SLUG], security=[{}])},
    "/api/v1/embed/token": {"post": _op(
        "A new guest token for the widget", PUBLIC,
        {"200": _answer({"token": {"type": "string"}}), **_errors(403, notes=_EMBED_ORIGIN)},
        description="Only for a request whose Origin is in PARLEY_ALLOWED_ORIGINS.")},
    "/api/v1/embed/me": {"get": _op(
        "Who the widget's token acts as", PUBLIC,
        {"200": _answer({"actor": {"type": "object"}}), **_errors(401, 403)}, security=_EMBED_AS)},
    "/api/v1/embed/counts": {"get": _op(
        "Comment counts for article lists (count.js)", PUBLIC,
        {"200": _answer({"counts": {"type": "object", "additionalProperties": {"type": "integer"}}}),
         **_errors(403, notes=_EMBED_ORIGIN)},
        description="Each key as asked (a page's id or canonical URL); a story that does not exist counts 0.",
        parameters=[_query("story", {"type": "string"}, "Repeated, at most 200.")])},
    "/api/v1/embed/auth/login": {"post": _op(
        "Sign in through the widget: the session comes back as a token, not a cookie", PUBLIC,
        {"200": _answer({"token": {"type": "string"}, "actor": {"type": "object"}}),
         **_errors(401, 403, 422, 429, notes={401: "Wrong email or password (field password)", **_EMBED_ORIGIN})},
        body=_body(["email", "password"], {"email": {"type": "string"}, "password": {"type": "string"}}))},
    "/api/v1/embed/auth/logout": {"post": _op(
        "Sign out the widget's session", PUBLIC, {"200": _answer({"signed_out": {"type": "boolean"}})},
        security=_EMBED_AS)},
    "/api/v1/embed/stories/{slug}/comments": {"post": _op(
        "Post a comment or reply through the widget", Permission.POST,
        {"201": _answer({"id": {"type": "integer"}, "state": {"type": "string"}, "html": {"type": "string"},
                         "anchor_id": {"type": ["integer", "null"]}, "edit_token": {"type": "string"},
                         "message": {"type": "string"}}),
         "200": {"description": "The same idempotency_key again: the comment it made"},
         **_errors(400, 401, 403, 404, 409, 422, 429)},
        description="The comment form's fields as JSON; the answer carries the comment's HTML as the thread renders it. "
                    "Edit it afterwards with PATCH /api/v1/comments/{id} and its edit_token.",
        parameters=[_SLUG], security=_EMBED_AS,
        body=_body(["body"], {"author_name": {"type": "string"}, "email": {"type": "string"}, "body": {"type": "string"},
                              "parent_id": {"type": ["integer", "null"]}, "spoiler": {"type": "boolean"},
                              "idempotency_key": {"type": "string"}, "rephrased": {"type": "boolean"}}))},
    "/api/v1/embed/stories/{slug}/comments/{comment_id}/report": {
        "get": _op("The report form's HTML, for the widget to open under a comment", PUBLIC,
                   {"200": _answer({"html": {"type": "string"}}), **_errors(404)}, parameters=[_SLUG, _COMMENT_ID]),
        "post": _op("Report a comment through the widget", Permission.REPORT,
                    {"201": _answer({"report": {"type": "object"}, "message": {"type": "string"}}),
                     **_errors(400, 401, 403, 404, 409, 422, 429)},
                    parameters=[_SLUG, _COMMENT_ID], security=_EMBED_AS,
                    body=_body(["reason"], {"reason": {"type": "string", "enum": [r.value for r in ReportReason]},
                                            "text": _TEXT, "law": {"type": "string"}, "explanation": _TEXT,
                                            "name": {"type": "string"}, "email": {"type": "string"},
                                            "good_faith": {"type": "boolean"}}))},
})

# --- live updates (parley/web/live.py) -----------------------------------------------------
_EVENT_STREAM = {"description": "A stream of Server-Sent Events (text/event-stream), open until the reader leaves; a comment line (`: ping`) every PARLEY_LIVE_HEARTBEAT_SECONDS",
                 "content": {"text/event-stream": {"schema": {"type": "string"}}}}
_STREAM_ERRORS = {"406": {"description": "Accept does not include text/event-stream (field accept)", "content": {"application/json": {"schema": _ERROR}}},
                  "503": {"description": "This process holds PARLEY_LIVE_CONNECTIONS streams already, or live updates are off (field live); see Retry-After", "content": {"application/json": {"schema": _ERROR}}}}
_PATHS["/api/v1/stories/{slug}/events"] = {"get": _op(
    "A story's changes as readers see them, live (Server-Sent Events)", PUBLIC,
    {"200": _EVENT_STREAM, **_errors(404, 422, notes={422: "since or Last-Event-ID is not a whole number (field since)"}), **_STREAM_ERRORS},
    description="Each event's id is the story's revision after the change. `event: comment` carries `{id, parent_id, root_id, anchor_id, state, html}`: "
                "a comment readers can see (new, edited, recommended, featured) or a deleted one's tombstone, `html` being the page's own "
                "rendering of it (an `li.comment` without its replies; `anchor_id` is the comment it is listed under). `event: removed` carries "
                "`{id}` alone: a comment readers saw and no longer may (rejected, held after reports). A comment readers never saw is never "
                "sent. The stream starts after Last-Event-ID (sent by EventSource on reconnecting), else after `since` (the page's "
                "`data-revision`), else now, and misses nothing in between, whichever instance answers.",
    parameters=[_SLUG, _query("since", {"type": "integer", "minimum": 0}, "A story revision: send what changed after it."),
                {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer", "minimum": 0},
                 "description": "The last event's id the reader had; wins over since."}])}
_PATHS["/api/v1/admin/queue/events"] = {"get": _op(
    "The moderators' queue counts, live (Server-Sent Events)", Permission.MODERATE,
    {"200": _EVENT_STREAM, **_errors(401, 403, 404, notes={404: "Unknown story slug (field story)"}), **_STREAM_ERRORS},
    description="`event: counts` carries `{counts: {queue: n}}` for the open queues, first at once and then whenever they change. "
                "The stream ends when the credential stops being valid (signed out, token revoked, role lowered).",
    parameters=[_query("story", _SLUG["schema"], "Only this story's counts.")])}
