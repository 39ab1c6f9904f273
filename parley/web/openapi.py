"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

A test checks that every /api/v1 route is described here and that live answers
match the schemas, so this cannot drift far from the code.
"""

from __future__ import annotations

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    text = {400: "Bad request", 403: "Forbidden", 404: "Unknown story or comment", 409: "Conflict",
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
                                           "description": "PARLEY_ADMIN_TOKEN; without one set, loopback only."}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "field": {"type": "string"}}}}},
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
                            "edit_token": {"type": "string", "description": "Only in the answer to a post."},
                            "body_source": {"type": "string", "description": "The Markdown as written; only when one comment is asked for or edited."}}},
            "NewComment": {"type": "object", "required": ["author_name", "body"], "properties": {
                "author_name": {"type": "string", "minLength": 1, "maxLength": 50},
                "body": {"type": "string", "minLength": 1, "maxLength": 5000},
                "parent_id": {"type": ["integer", "null"]},
                "spoiler": {"type": "boolean"},
                "staff": {"type": "boolean", "description": "Post with the Staff badge; needs the admin token."},
                "email": {"type": ["string", "null"]},
                "idempotency_key": {"type": "string", "maxLength": 200}}},
            "Story": {"type": "object", "required": ["slug", "title"], "properties": {
                "slug": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
                "dateline": {"type": "string"}, "body": {"type": "string"}, "credit": {"type": "string"},
                "published_at": {"type": ["string", "null"], "format": "date-time"},
                "comments_open": {"type": "boolean"}, "comment_count": {"type": "integer"}}},
            "StoryChanges": {"type": "object", "properties": {
                "title": {"type": "string"}, "url": {"type": "string"}, "dateline": {"type": "string"},
                "body": {"type": "string"}, "credit": {"type": "string"},
                "published_at": {"type": "string", "format": "date-time"}, "comments_open": {"type": "boolean"}}},
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
                     "parameters": [_SLUG, {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
                                            "description": "A retried post with the same key returns the first comment (200)."}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewComment"}}}},
                     "responses": {"201": _json({"$ref": "#/components/schemas/Comment"}, "Posted"),
                                   "200": _json({"$ref": "#/components/schemas/Comment"}, "Already posted with this Idempotency-Key"),
                                   **_errors(404, 409, 413, 422, 429)}}},
        "/api/v1/comments/{comment_id}": {
            "get": {"summary": "A comment", "parameters": [_COMMENT_ID],
                    "responses": {"200": _json({"$ref": "#/components/schemas/Comment"}), **_errors(404)}},
            "patch": {"summary": "Edit your comment within the edit window", "parameters": [_COMMENT_ID, {**_EDIT_TOKEN, "required": False}],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "required": ["body"], "properties": {"body": {"type": "string"}, "edit_token": {"type": "string"}}}}}},
                      "responses": {"200": _json({"$ref": "#/components/schemas/Comment"}), **_errors(403, 404, 422)}},
            "delete": {"summary": "Delete your comment within the edit window (a tombstone stays if it has replies)",
                       "parameters": [_COMMENT_ID, _EDIT_TOKEN],
                       "responses": {"204": {"description": "Deleted"}, **_errors(403, 404)}}},
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
