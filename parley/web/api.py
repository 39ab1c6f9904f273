"""The public JSON API under /api/v1. Handlers read the request, call the service,
and shape its answer; the rules live in ``parley.service``."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from parley.domain import WRITER_MESSAGES, Comment, CommentState, Permission, Story
from parley.errors import InvalidInput
from parley.service import NewComment
from parley.web.auth import actor_of, ensure_guest_cookie
from parley.web.cache import cached_thread
from parley.web.format import iso
from parley.web.openapi import OPENAPI
from parley.web.responses import JSONResponse, cached_response, read_json
from parley.web.routing import PUBLIC, route


def comment_json(comment: Comment) -> dict:
    deleted = comment.state is CommentState.DELETED  # a tombstone names no one
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "author": {"name": "" if deleted else comment.author.display_name, "guest": comment.author.guest,
                   "kind": comment.author.kind.value},
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "body_html": comment.body_html,
        "state": comment.state.value,
        "notices": [n.to_dict() for n in comment.notices],
        "recommend_count": comment.recommend_count,
        "featured": comment.featured,
    }


def writers_comment_json(comment: Comment, edit_token: str | None = None) -> dict:
    """One comment, as its writer is answered: with its Markdown (for the edit box), the
    edit token when one is given and, when readers cannot see it, what the writer is told."""
    answer = comment_json(comment) | {"body_source": comment.body_source}
    if edit_token:
        answer["edit_token"] = edit_token
    if comment.state in WRITER_MESSAGES:
        answer["message"] = WRITER_MESSAGES[comment.state]
    return answer


def story_json(story: Story, *, managing: bool = False) -> dict:
    """A story; its moderation thresholds only in answers to story management."""
    answer = {
        "slug": story.slug, "title": story.title, "url": story.url, "dateline": story.dateline,
        "body": story.body, "credit": story.credit, "section": story.section, "published_at": iso(story.published_at),
        "comments_open": story.comments_open, "comment_count": story.comment_count,
    }
    if managing:
        answer["moderation_thresholds"] = story.moderation_thresholds
    return answer


async def create_story(request: Request) -> Response:
    actor = await actor_of(request)
    fields = await read_json(request)
    story = await run_in_threadpool(request.app.state.services.stories.create, actor, fields)
    return JSONResponse(story_json(story, managing=True), status_code=201,
                        headers={"Location": f"/api/v1/stories/{story.slug}"})


async def get_story(request: Request) -> Response:
    story = await run_in_threadpool(request.app.state.services.stories.get, request.path_params["slug"])
    return JSONResponse(story_json(story))


async def update_story(request: Request) -> Response:
    actor = await actor_of(request)
    fields = await read_json(request)
    story = await run_in_threadpool(request.app.state.services.stories.update, actor,
                                    request.path_params["slug"], fields)
    return JSONResponse(story_json(story, managing=True))


def _set_open(is_open: bool):
    async def handler(request: Request) -> Response:
        actor = await actor_of(request)
        story = await run_in_threadpool(request.app.state.services.stories.update, actor,
                                        request.path_params["slug"], {"comments_open": is_open})
        return JSONResponse(story_json(story, managing=True))
    return handler


async def list_comments(request: Request) -> Response:
    service = request.app.state.services.posting
    q = request.query_params
    sort, cursor = q.get("sort", "oldest"), q.get("cursor") or None
    limit = query_limit(q.get("limit"))

    def render_for(story: Story):
        def render() -> bytes:
            page = service.thread_page(story, sort=sort, cursor=cursor, limit=limit)
            return orjson.dumps({"story": {"slug": story.slug, "comment_count": story.comment_count,
                                           "comments_open": story.comments_open},
                                 "comments": [comment_json(c) for c in page.comments],
                                 "next_cursor": page.next_cursor, "sort": page.sort.value})
        return render

    _, rendered = await cached_thread(request, request.path_params["slug"],
                                      lambda story: ("api", story.id, story.revision, sort, cursor, limit), render_for)
    return cached_response(request, rendered, "application/json")


def query_limit(raw: str | None) -> int | None:
    """``?limit=`` as a number, None when absent; the service checks its range."""
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("limit must be a whole number", field="limit") from None


async def post_comment(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    spoiler, staff, rephrased = _flags(data, "spoiler", "staff", "rephrased")
    new = NewComment(
        story_slug=request.path_params["slug"],
        author_name=data.get("author_name"),
        body=data.get("body"),
        parent_id=data.get("parent_id"),
        spoiler=spoiler,
        email=data.get("email"),
        idempotency_key=request.headers.get("idempotency-key") or data.get("idempotency_key"),
        staff=staff,
        rephrased=rephrased,
    )
    posted = await run_in_threadpool(request.app.state.services.posting.post, actor, new)
    body = writers_comment_json(posted.comment, posted.edit_token)
    response = JSONResponse(body, status_code=201 if posted.created else 200,
                            headers={"Location": f"/api/v1/comments/{posted.comment.id}"})
    ensure_guest_cookie(request, response)  # the guest's own cookie: they see their held comment, and retry safely
    return response


def _flags(data: dict, *names: str) -> list[bool]:
    """Optional true/false fields, false when absent."""
    values = [data.get(name, False) for name in names]
    for name, value in zip(names, values, strict=True):
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true or false", field=name)
    return values


async def get_comment(request: Request) -> Response:
    actor = await actor_of(request)
    # A held comment is shown to its writer: by the edit token, their account or their browser.
    comment = await run_in_threadpool(request.app.state.services.posting.get_comment, actor,
                                      request.path_params["comment_id"], request.headers.get("x-edit-token"))
    return JSONResponse(writers_comment_json(comment))


def _edit_token(request: Request, data: dict) -> str | None:
    return request.headers.get("x-edit-token") or data.get("edit_token")


async def edit_comment(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    comment = await run_in_threadpool(request.app.state.services.posting.edit, actor,
                                      request.path_params["comment_id"], _edit_token(request, data), data.get("body"))
    return JSONResponse(writers_comment_json(comment))


async def delete_comment(request: Request) -> Response:
    actor = await actor_of(request)
    token = request.headers.get("x-edit-token")  # a header: a token in the URL would land in access logs
    await run_in_threadpool(request.app.state.services.posting.delete, actor, request.path_params["comment_id"],
                            token)
    return Response(status_code=204)


async def counts(request: Request) -> Response:
    slugs = [s for raw in request.query_params.getlist("slug") for s in raw.split(",") if s]
    found = await run_in_threadpool(request.app.state.services.stories.counts, slugs)
    return JSONResponse({"counts": found})


async def openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


MANAGE = Permission.MANAGE_STORIES
routes = [
    route("/api/v1/openapi.json", openapi, permission=PUBLIC),
    route("/api/v1/stories", create_story, methods=["POST"], permission=MANAGE),
    route("/api/v1/stories/{slug}", get_story, permission=PUBLIC),
    route("/api/v1/stories/{slug}", update_story, methods=["PATCH"], permission=MANAGE),
    route("/api/v1/stories/{slug}/close", _set_open(False), methods=["POST"], permission=MANAGE),
    route("/api/v1/stories/{slug}/open", _set_open(True), methods=["POST"], permission=MANAGE),
    route("/api/v1/stories/{slug}/comments", list_comments, permission=PUBLIC),
    route("/api/v1/stories/{slug}/comments", post_comment, methods=["POST"], permission=Permission.POST),
    route("/api/v1/comments/{comment_id:int}", get_comment, permission=PUBLIC),
    route("/api/v1/comments/{comment_id:int}", edit_comment, methods=["PATCH"], permission=Permission.POST),
    route("/api/v1/comments/{comment_id:int}", delete_comment, methods=["DELETE"], permission=Permission.POST),
    route("/api/v1/counts", counts, permission=PUBLIC),
]
