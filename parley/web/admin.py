"""What moderators ask over HTTP, under /api/v1/admin: the admin token, or loopback
while none is set (``require_admin``). Handlers stay thin; ``parley.service`` decides."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.web.api import comment_json
from parley.web.responses import JSONResponse
from parley.web.security import require_admin


async def comment_verdict(request: Request) -> Response:
    """Any comment, held and rejected ones too, with the verdict that decided what readers see."""
    service, config = request.app.state.service, request.app.state.config
    require_admin(request, config.admin_token, what="moderation")
    comment = await run_in_threadpool(service.verdict_of, request.path_params["comment_id"])
    verdict = comment.verdict.to_dict() if comment.verdict is not None else None
    return JSONResponse(comment_json(comment) | {"body_source": comment.body_source, "verdict": verdict})


routes = [
    Route("/api/v1/admin/comments/{comment_id:int}/verdict", comment_verdict),
]
