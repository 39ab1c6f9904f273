"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

A test checks that every /api/v1 route is described here and that live answers
match the schemas, so this cannot drift far from the code.
"""

from __future__ import annotations

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    text = {400: "Bad request", 403: "Forbidden", 404: "Unknown story or comment", 409: "Conflict (field names why)",
            413: "Request body over 256 KiB", 422: "Invalid field", 429: "Too many comments; see Retry-After"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ERROR}}} for c in codes}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"}}
_COMMENT_ID = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_EDIT_TOKEN = {"name": "X-Edit-Token", "in": "header", "required": True, "schema": {"type": "string"},
               "description": "The edit_token returned when the comment was posted."}
_ADMIN = [{"adminToken": []}]

OPENAPI: dict = {
    "openapi": "3.1.0",
    "info": {"title": "Parley API", "version": "1",
             "description": "Stories and their reader comments. Errors always read "
                            "{\"error\": {\"code\", \"message\", \"field\"?}}."},
    "components": {
        "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer",
                                           "description": "An API token (`parley token create NAME --role R`) whose role holds the permission the operation needs; see docs/accounts.md."}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "field": {"type": "string"},
                               "reasons": {"type": "array", "items": {"type": "string"},
                                           "description": "With code rephrase: why moderation sent the comment back."},
                               "spans": {"type": "array", "items": {"$ref": "#/components/schemas/Span"},
                                         "description": "With code rephrase: the flagged words."}}}}},
            "Span": {"type": "object", "required": ["start", "end", "label"], "properties": {
                "start": {"type": "integer", "description": "Offset in characters (code points) of the comment's text as Parley read it (body_source: trimmed, NFC, newlines as \\n)."},
                "end": {"type": "integer", "description": "Exclusive."},
                "label": {"type": "string", "enum": ["toxicity", "severe_toxicity", "insult", "profanity", "threat", "identity_attack", "spam", "off_topic"]},
                "text": {"type": "string", "description": "The flagged words; in a rephrase answer only."}}},
            "Thresholds": {"type": ["object", "null"], "description": "{label: {action: threshold}}; action is fold, rephrase, hold or reject, a threshold within (0, 1]. Label by label: a label named here takes these actions instead of the site's; the others keep the site's.",
                           "additionalProperties": {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}},
            "Verdict": {"type": "object", "required": ["scores", "spans", "action", "reasons", "model"], "properties": {
                "scores": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
                "spans": {"type": "array", "items": {"$ref": "#/components/schemas/Span"}},
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
                            "created_at": {"type": "string", "format": "date-time"},
                            "edited_at": {"type": ["string", "null"], "format": "date-time"},
                            "body_html": {"type": "string", "description": "Sanitised at write time."},
                            "state": {"type": "string", "enum": ["published", "folded", "pending", "rejected", "deleted"]},
                            "notices": {"type": "array", "items": {"$ref": "#/components/schemas/Notice"}},
                            "edit_token": {"type": "string", "description": "Only in the answer to a post; never for a rejected comment."},
                            "body_source": {"type": "string", "description": "The Markdown as written; only when one comment is posted, asked for or edited."},
                            "message": {"type": "string", "description": "For the writer of a pending or rejected comment: what happened to it."}}},
            "ModeratedComment": {"allOf": [{"$ref": "#/components/schemas/Comment"}, {
                "type": "object", "required": ["body_source", "verdict"], "properties": {
                    "verdict": {"oneOf": [{"$ref": "#/components/schemas/Verdict"}, {"type": "null"}],
                                "description": "null when the comment was never scored (imported, staff, moderation off)."}}}]},
            "QueuedComment": {"allOf": [{"$ref": "#/components/schemas/ModeratedComment"}, {
                "type": "object", "required": ["story"], "properties": {
                    "story": {"type": "object", "required": ["slug", "title"], "properties": {
                        "slug": {"type": "string"}, "title": {"type": "string"}}}}}]},
            "Queue": {"type": "object", "required": ["comments", "next_cursor"], "properties": {
                "comments": {"type": "array", "items": {"$ref": "#/components/schemas/QueuedComment"},
                             "description": "Pending comments, oldest first."},
                "next_cursor": {"type": ["string", "null"]}}},
            "NewComment": {"type": "object", "required": ["author_name", "body"], "properties": {
                "author_name": {"type": "string", "minLength": 1, "maxLength": 50},
                "body": {"type": "string", "minLength": 1, "maxLength": 5000},
                "parent_id": {"type": ["integer", "null"]},
                "spoiler": {"type": "boolean"},
                "staff": {"type": "boolean", "description": "Post with the Staff badge; needs the admin token."},
                "email": {"type": ["string", "null"]},
                "idempotency_key": {"type": "string", "maxLength": 200},
                "rephrased": {"type": "boolean", "description": "Sent again after a rephrase answer: still over the line, it is held for a moderator instead."}}},
            "Story": {"type": "object", "required": ["slug", "title"], "properties": {
                "slug": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
                "dateline": {"type": "string"}, "body": {"type": "string"}, "credit": {"type": "string"},
                "published_at": {"type": ["string", "null"], "format": "date-time"},
                "comments_open": {"type": "boolean"}, "comment_count": {"type": "integer"},
                "moderation_thresholds": {"$ref": "#/components/schemas/Thresholds",
                                          "description": "Label by label over the site's; in story-management answers only."}}},
            "StoryChanges": {"type": "object", "properties": {
                "title": {"type": "string"}, "url": {"type": "string"}, "dateline": {"type": "string"},
                "body": {"type": "string"}, "credit": {"type": "string"},
                "published_at": {"type": "string", "format": "date-time"}, "comments_open": {"type": "boolean"},
                "moderation_thresholds": {"$ref": "#/components/schemas/Thresholds"}}},
            "CommentPage": {"type": "object", "required": ["comments", "next_cursor"], "properties": {
                "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"},
                             "description": "Flat, each parent before its children."},
                "next_cursor": {"type": ["string", "null"]},
                "sort": {"type": "string"},
                "story": {"type": "object"}}},
        },
    },
    "paths": {
        "/api/v1/stories": {"post": {
            "summary": "Create a story", "security": _ADMIN,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Story"}}}},
            "responses": {"201": _json({"$ref": "#/components/schemas/Story"}, "Created"), **_errors(403, 409, 413, 422)}}},
        "/api/v1/stories/{slug}": {
            "get": {"summary": "A story", "parameters": [_SLUG],
                    "responses": {"200": _json({"$ref": "#/components/schemas/Story"}), **_errors(404)}},
            "patch": {"summary": "Change a story (title, body, open or closed...)", "security": _ADMIN,
                      "parameters": [_SLUG],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StoryChanges"}}}},
                      "responses": {"200": _json({"$ref": "#/components/schemas/Story"}), **_errors(403, 404, 422)}}},
        "/api/v1/stories/{slug}/close": {"post": {
            "summary": "Close a story to new comments", "security": _ADMIN, "parameters": [_SLUG],
            "responses": {"200": _json({"$ref": "#/components/schemas/Story"}), **_errors(403, 404)}}},
        "/api/v1/stories/{slug}/open": {"post": {
            "summary": "Open a story to comments again", "security": _ADMIN, "parameters": [_SLUG],
            "responses": {"200": _json({"$ref": "#/components/schemas/Story"}), **_errors(403, 404)}}},
        "/api/v1/stories/{slug}/comments": {
            "get": {"summary": "A page of the thread",
                    "parameters": [_SLUG,
                                   {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["oldest", "newest", "replies"]}},
                                   {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                                   {"name": "limit", "in": "query", "description": "Top-level comments per page; their replies come along.",
                                    "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                    "responses": {"200": _json({"$ref": "#/components/schemas/CommentPage"}), **_errors(404, 422)}},
            "post": {"summary": "Post a comment or a reply",
                     "description": "Moderation scores it first. 201 with state published, folded (behind a notice), pending "
                                    "(held for a moderator; its writer sees it with the edit token) or rejected (no edit token). "
                                    "422 with code rephrase, reasons and spans: nothing was posted; send it again rephrased, "
                                    "with \"rephrased\": true.",
                     "parameters": [_SLUG, {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
                                            "description": "A retried post with the same key returns the first comment (200)."}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewComment"}}}},
                     "responses": {"201": _json({"$ref": "#/components/schemas/Comment"}, "Posted"),
                                   "200": _json({"$ref": "#/components/schemas/Comment"}, "Already posted with this Idempotency-Key"),
                                   **_errors(404, 409, 413, 422, 429)}}},
        "/api/v1/comments/{comment_id}": {
            "get": {"summary": "A comment", "parameters": [_COMMENT_ID, {**_EDIT_TOKEN, "required": False,
                                                                       "description": "A pending comment is shown to its writer, who sends this."}],
                    "responses": {"200": _json({"$ref": "#/components/schemas/Comment"}), **_errors(404)}},
            "patch": {"summary": "Edit your comment within the edit window (scored, as a new comment is)",
                      "description": "An edit never changes who may read the comment. New text moderation would ask to "
                                     "rephrase, hold or reject is answered 422 with code rephrase, reasons and spans, and "
                                     "the old text stays. A published or folded comment takes a verdict to publish or fold; "
                                     "a pending one stays pending until a moderator decides.",
                      "parameters": [_COMMENT_ID, {**_EDIT_TOKEN, "required": False}],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "required": ["body"], "properties": {"body": {"type": "string"}, "edit_token": {"type": "string"}}}}}},
                      "responses": {"200": _json({"$ref": "#/components/schemas/Comment"}), **_errors(403, 404, 422)}},
            "delete": {"summary": "Delete your comment within the edit window (a tombstone stays if it has replies)",
                       "parameters": [_COMMENT_ID, _EDIT_TOKEN],
                       "responses": {"204": {"description": "Deleted"}, **_errors(403, 404)}}},
        "/api/v1/admin/comments/{comment_id}/verdict": {"get": {
            "summary": "Any comment, held and rejected ones too, with moderation's verdict", "security": _ADMIN,
            "parameters": [_COMMENT_ID],
            "responses": {"200": _json({"$ref": "#/components/schemas/ModeratedComment"}), **_errors(403, 404)}}},
        "/api/v1/admin/queue": {"get": {
            "summary": "The moderators' queue: pending comments, oldest first", "security": _ADMIN,
            "parameters": [{"name": "story", "in": "query", "schema": _SLUG["schema"], "description": "Only this story's."},
                           {"name": "cursor", "in": "query", "schema": {"type": "string"},
                            "description": "next_cursor from the page before."},
                           {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": {"200": _json({"$ref": "#/components/schemas/Queue"}), **_errors(403, 404, 422)}}},
        "/api/v1/admin/comments/{comment_id}/approve": {"post": {
            "summary": "Release a pending, rejected or folded comment to readers",
            "description": "Published without the notices moderation gave it (the writer's spoiler notice stays, "
                           "so such a comment is folded behind it); the verdict is kept. Approving a comment readers "
                           "already see as approved changes nothing. 409 with field state for a deleted comment, "
                           "parent_id when the comment it replies to is hidden.",
            "security": _ADMIN, "parameters": [_COMMENT_ID],
            "responses": {"200": _json({"$ref": "#/components/schemas/ModeratedComment"}), **_errors(403, 404, 409)}}},
        "/api/v1/admin/comments/{comment_id}/reject": {"post": {
            "summary": "Reject a comment: moderators only see it",
            "description": "From pending, published or folded; rejecting a rejected comment changes nothing. 409 with "
                           "field state for a deleted comment, comment_id when replies readers see hang under it.",
            "security": _ADMIN, "parameters": [_COMMENT_ID],
            "responses": {"200": _json({"$ref": "#/components/schemas/ModeratedComment"}), **_errors(403, 404, 409)}}},
        "/api/v1/counts": {"get": {
            "summary": "Comment counts for many stories at once",
            "parameters": [{"name": "slug", "in": "query", "required": True, "style": "form", "explode": True,
                            "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 200},
                            "description": "Repeat, or separate with commas."}],
            "responses": {"200": _json({"type": "object", "properties": {"counts": {
                "type": "object", "additionalProperties": {"type": "integer"}}}}), **_errors(422)}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
    },
}

# Perspective's AnalyzeComment (parley/web/perspective.py, docs/api.md): Google's request,
# answer and error shapes rather than Parley's, so Perspective clients work unchanged.
_SCORE = {"type": "object", "required": ["value", "type"], "properties": {
    "value": {"type": "number", "minimum": 0, "maximum": 1}, "type": {"const": "PROBABILITY"}}}
_TEXT_ENTRY = {"type": "object", "properties": {"text": {"type": "string"},
                                                "type": {"type": "string", "enum": ["PLAIN_TEXT"]}}}
OPENAPI["components"]["securitySchemes"]["perspectiveKey"] = {
    "type": "apiKey", "in": "query", "name": "key",
    "description": "An API token with the staff role or higher, as Perspective's API key."}
OPENAPI["components"]["schemas"].update({
    "AnalyzeCommentRequest": {"type": "object", "required": ["comment", "requestedAttributes"], "properties": {
        "comment": {**_TEXT_ENTRY, "required": ["text"], "description": "At most 20 KiB of UTF-8."},
        "context": {"type": "object", "description": "Read by OFF_TOPIC only; entries or articleAndParentComment, not both.",
                    "properties": {"entries": {"type": "array", "items": _TEXT_ENTRY},
                                   "articleAndParentComment": {"type": "object", "properties": {
                                       "article": _TEXT_ENTRY, "parentComment": _TEXT_ENTRY}}}},
        "requestedAttributes": {"type": "object", "minProperties": 1,
                                "propertyNames": {"enum": ["TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "THREAT",
                                                           "IDENTITY_ATTACK", "SPAM", "OFF_TOPIC"]},
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
    "GoogleError": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "status"], "properties": {
            "code": {"type": "integer"}, "message": {"type": "string", "description": "Ends with the field at fault."},
            "status": {"type": "string", "enum": ["INVALID_ARGUMENT", "PERMISSION_DENIED", "INTERNAL", "UNAVAILABLE"]},
            "details": {"type": "array", "items": {"type": "object"}}}}}},
})
_GOOGLE_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GoogleError"}}}}
OPENAPI["paths"]["/v1alpha1/comments:analyze"] = {"post": {
    "summary": "Score a comment, answering as Google's Perspective API (AnalyzeComment)",
    "security": [{"perspectiveKey": []}, {"adminToken": []}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnalyzeCommentRequest"}}}},
    "responses": {"200": _json({"$ref": "#/components/schemas/AnalyzeCommentResponse"}),
                  "400": {"description": "Bad request; the message and a google.rpc.BadRequest detail name the field", **_GOOGLE_ERROR},
                  "403": {"description": "Wrong or missing key, or a browser request from another site", **_GOOGLE_ERROR},
                  "413": {"description": "Request body over 256 KiB", **_GOOGLE_ERROR},
                  "503": {"description": "No moderation models installed", **_GOOGLE_ERROR}}}}
