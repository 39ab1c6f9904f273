"""What moderators ask over HTTP, under /api/v1/admin: the admin token, or loopback
while none is set (``require_admin``). Handlers stay thin; ``parley.service`` decides."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain import Comment
from parley.web.api import comment_json, query_limit
from parley.web.responses import JSONResponse
from parley.web.security import require_admin

_TASK = "moderation"


def moderated_comment_json(comment: Comment) -> dict:
    """A comment as moderators see it: in any state, with its Markdown and its verdict."""
    verdict = comment.verdict.to_dict() if comment.verdict is not None else None
    return comment_json(comment) | {"body_source": comment.body_source, "verdict": verdict}


async def comment_verdict(request: Request) -> Response:
    """Any comment, held and rejected ones too, with the verdict that decided what readers see."""
    service = request.app.state.service
    require_admin(request, request.app.state.config.admin_token, what=_TASK)
    comment = await run_in_threadpool(service.verdict_of, request.path_params["comment_id"])
    return JSONResponse(moderated_comment_json(comment))


async def queue(request: Request) -> Response:
    """Held comments, oldest first, each with the story it is on."""
    service = request.app.state.service
    require_admin(request, request.app.state.config.admin_token, what=_TASK)
    q = request.query_params
    page = await run_in_threadpool(service.queue, story_slug=q.get("story") or None,
                                   cursor=q.get("cursor") or None, limit=query_limit(q.get("limit")))
    return JSONResponse({
        "comments": [moderated_comment_json(e.comment) | {"story": {"slug": e.story.slug, "title": e.story.title}}
                     for e in page.entries],
        "next_cursor": page.next_cursor,
    })


async def approve(request: Request) -> Response:
    """Release a held, rejected or folded comment to readers."""
    return await _decide(request, request.app.state.service.approve)


async def reject(request: Request) -> Response:
    """Keep a comment from readers: moderators only see it."""
    return await _decide(request, request.app.state.service.reject)


async def _decide(request: Request, decision) -> Response:
    require_admin(request, request.app.state.config.admin_token, what=_TASK)
    comment = await run_in_threadpool(decision, request.path_params["comment_id"])
    return JSONResponse(moderated_comment_json(comment))


routes = [
    Route("/api/v1/admin/queue", queue),
    Route("/api/v1/admin/comments/{comment_id:int}/verdict", comment_verdict),
    Route("/api/v1/admin/comments/{comment_id:int}/approve", approve, methods=["POST"]),
    Route("/api/v1/admin/comments/{comment_id:int}/reject", reject, methods=["POST"]),
]
