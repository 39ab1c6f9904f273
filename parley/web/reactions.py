"""Reactions on the web: readers' recommendations and staff's featured picks.

JSON (what ``parley.js`` and the embed call; cookies act only from this site's pages,
``auth.same_site_only``, and a bearer token needs no CSRF token)::

    PUT/DELETE  /api/v1/comments/{id}/recommendation   recommend / take it back (idempotent)
    POST/DELETE /api/v1/comments/{id}/feature          feature / unfeature (staff)
    GET         /api/v1/stories/{slug}/recommended     which comments this reader recommended
    GET         /api/v1/stories/{slug}/featured        the story's featured comments, latest pick first

Pages, complete without JavaScript (CSRF-protected forms that answer 303 back to the
comment, like the report form). The thread is cached and the same for every reader, so
its Recommend link cannot say whether this reader recommended the comment, nor carry
their CSRF token: it opens a page that does, with the button that changes it. The script
does the same in place::

    GET/POST /stories/{slug}/comments/{id}/recommend
    GET/POST /stories/{slug}/comments/{id}/feature      (staff)
"""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from parley.domain import Actor, Comment, Permission, Story
from parley.errors import InvalidInput, NotFound, ParleyError
from parley.service.reactions import Recommendation
from parley.web.api import comment_json, query_limit
from parley.web.auth import actor_of, ensure_guest_cookie
from parley.web.cache import cached_thread
from parley.web.reader import comment_url
from parley.web.responses import JSONResponse, cached_response, error_response, read_form, wants_json
from parley.web.routing import PUBLIC, route
from parley.web.security import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie

MAX_FORM_BYTES = 8 * 1024



def _services(request: Request):
    return request.app.state.services


def recommendation_json(result: Recommendation) -> dict:
    return {"comment_id": result.comment_id, "recommend_count": result.count, "recommended": result.recommended}


def _flag(raw, field: str) -> bool | None:
    """A form's 1/0 (or true/false); None when absent (the form without JavaScript toggles)."""
    if raw in (None, ""):
        return None
    if raw in ("1", "true", "on"):
        return True
    if raw in ("0", "false", "off"):
        return False
    raise InvalidInput(f"{field} must be 1 or 0", field=field)


# --- JSON -------------------------------------------------------------------------------
def _recommend(on: bool):
    async def handler(request: Request) -> Response:
        actor = await actor_of(request)
        result = await run_in_threadpool(_services(request).reactions.recommend, actor,
                                         request.path_params["comment_id"], on)
        response = JSONResponse(recommendation_json(result))
        ensure_guest_cookie(request, response)
        return response
    return handler


def _feature(on: bool):
    async def handler(request: Request) -> Response:
        actor = await actor_of(request)
        comment = await run_in_threadpool(_services(request).reactions.feature, actor,
                                          request.path_params["comment_id"], on)
        return JSONResponse(comment_json(comment))
    return handler


async def recommended(request: Request) -> Response:
    services = _services(request)
    actor = await actor_of(request)
    story = await run_in_threadpool(services.stories.get, request.path_params["slug"])
    ids = await run_in_threadpool(services.reactions.recommended_on, actor, story)
    return JSONResponse({"recommended": sorted(ids)}, headers={"Cache-Control": "no-store"})


async def featured(request: Request) -> Response:
    reactions = _services(request).reactions
    q = request.query_params
    cursor, limit = q.get("cursor") or None, query_limit(q.get("limit"))

    def render_for(story: Story):
        def render() -> bytes:
            view = reactions.featured(story, cursor=cursor, limit=limit)
            return orjson.dumps({"story": {"slug": story.slug}, "comments": [comment_json(c) for c in view.comments],
                                 "next_cursor": view.next_cursor})
        return render

    _, rendered = await cached_thread(request, request.path_params["slug"],
                                      lambda story: ("api-featured", story.id, story.revision, cursor, limit),
                                      render_for)
    return cached_response(request, rendered, "application/json")


# --- pages without JavaScript --------------------------------------------------------------
async def _comment_on_story(request: Request, actor: Actor, *, staff: bool = False) -> tuple[Story, Comment]:
    services = _services(request)
    story = await run_in_threadpool(services.stories.get, request.path_params["slug"])
    comment_id = request.path_params["comment_id"]
    if staff:
        comment = await run_in_threadpool(services.reactions.for_featuring, actor, comment_id)
    else:
        comment = await run_in_threadpool(services.posting.get_comment, actor, comment_id)
        if not comment.state.visible:
            comment = None
    if comment is None or comment.story_id != story.id:
        raise NotFound("there is no comment readers can see with that id on this story", field="comment_id")
    return story, comment


async def _page(request: Request, kind: str, error: ParleyError | None = None) -> Response:
    """The one-button page: recommend (or take it back), feature (or unfeature)."""
    services = _services(request)
    actor = await actor_of(request)
    story, comment = await _comment_on_story(request, actor, staff=kind == "feature")
    if kind == "feature":
        on = comment.featured
    else:
        on = comment.id in await run_in_threadpool(services.reactions.recommended, actor, [comment.id])
    token, new_token = csrf_token(request)
    html = request.app.state.templates.get_template("reaction.html").render(
        kind=kind, on=on, story=story, comment=comment, csrf_token=token, error=error,
        back_url=comment_url(story, comment), now=datetime.now(timezone.utc))
    response = HTMLResponse(html, status_code=error.status if error else 200, headers={"Cache-Control": "no-store"})
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    if new_token:
        set_csrf_cookie(response, token, bool(request.app.state.config.secure_cookies))
    ensure_guest_cookie(request, response)
    return response


async def recommend_page(request: Request) -> Response:
    return await _page(request, "recommend")


async def feature_page(request: Request) -> Response:
    return await _page(request, "feature")


def _form(kind: str):
    async def handler(request: Request) -> Response:
        """A plain POST answers 303 to the comment with a status line; asked for JSON, what
        the API answers. An error shows the page again with it."""
        services = _services(request)
        try:
            form = await read_form(request, MAX_FORM_BYTES)
            check_csrf(request, form.get(CSRF_FIELD))
            actor = await actor_of(request)
            comment_id = request.path_params["comment_id"]
            if kind == "feature":
                on = _flag(form.get("featured"), "featured")
                if on is None:
                    current = await run_in_threadpool(services.reactions.for_featuring, actor, comment_id)
                    on = not current.featured
                comment = await run_in_threadpool(services.reactions.feature, actor, comment_id, on)
                answer = comment_json(comment)
                done = "featured" if on else "unfeatured"
            else:
                on = _flag(form.get("recommended"), "recommended")
                if on is None:
                    result = await run_in_threadpool(services.reactions.toggle, actor, comment_id)
                else:
                    result = await run_in_threadpool(services.reactions.recommend, actor, comment_id, on)
                answer = recommendation_json(result)
                done = "recommended" if result.recommended else "unrecommended"
            story, comment = await _comment_on_story(request, actor, staff=kind == "feature")
        except ParleyError as exc:
            if wants_json(request):
                return error_response(exc)
            if exc.status == 404:
                raise
            return await _page(request, kind, exc)
        if wants_json(request):
            response: Response = JSONResponse(answer)
        else:
            response = RedirectResponse(comment_url(story, comment, done=done), status_code=303)
        ensure_guest_cookie(request, response)
        return response
    return handler


COMMENT = "/api/v1/comments/{comment_id:int}"
ON_STORY = "/stories/{slug}/comments/{comment_id}"
routes = [
    route(f"{COMMENT}/recommendation", _recommend(True), methods=["PUT"], permission=Permission.RECOMMEND),
    route(f"{COMMENT}/recommendation", _recommend(False), methods=["DELETE"], permission=Permission.RECOMMEND),
    route(f"{COMMENT}/feature", _feature(True), methods=["POST"], permission=Permission.FEATURE),
    route(f"{COMMENT}/feature", _feature(False), methods=["DELETE"], permission=Permission.FEATURE),
    route("/api/v1/stories/{slug}/recommended", recommended, permission=PUBLIC),
    route("/api/v1/stories/{slug}/featured", featured, permission=PUBLIC),
    route(f"{ON_STORY}/recommend", recommend_page, permission=PUBLIC),
    route(f"{ON_STORY}/recommend", _form("recommend"), methods=["POST"], permission=Permission.RECOMMEND),
    route(f"{ON_STORY}/feature", feature_page, permission=Permission.FEATURE),
    route(f"{ON_STORY}/feature", _form("feature"), methods=["POST"], permission=Permission.FEATURE),
]
