"""The embed: Parley's thread on the publisher's own pages, in three forms that share the
one cached thread the story page shows (``pages._thread``):

    GET  /embed.js, /embed/count.js                 the widget and the comment-count script
    GET  /embed/fragment?url=&story=&title=&section= the thread as an HTML fragment (SSI/ESI,
                                                     and what the widget renders)
    GET  /embed/frame?url=...  -> /embed/frame/{slug} the no-JavaScript iframe, with its form
    POST /embed/frame/{slug}                          that form
    /api/v1/embed/...                                 the widget's JSON: token, post, report,
                                                      sign in and out, who am I, counts

A story is created on first view only for a page on one of PARLEY_ALLOWED_ORIGINS, and
only when its canonical URL is on one of them too; Parley never fetches that URL. A
request whose Origin (or, for the frame, Referer) is another site's gets a 403 and
nothing else. CORS is ``parley.web.cors``'s, framing ``parley.web.security``'s, the
widget's token ``parley.web.auth``'s.
"""

from __future__ import annotations

import secrets
from importlib import resources
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from parley.domain import WRITER_MESSAGES, Actor, Permission, Story
from parley.errors import Forbidden, ParleyError, Rephrase
from parley.service import NewComment
from parley.service.stories import EmbedRef
from parley.store import Sort
from parley.web import pages, reader
from parley.web.account import actor_json
from parley.web.auth import EMBED_HEADER, actor_of, frame_actor, widget_actor
from parley.web.cache import Rendered
from parley.web.embed_tokens import (
    new_form_token,
    new_guest_token,
    new_session_token,
    read_widget_token,
    widget_session_id,
)
from parley.web.format import iso, plural
from parley.web.origins import is_allowed, url_origin
from parley.web.responses import JSONResponse, cached_response, error_response, read_form, read_json, wants_json
from parley.web.routing import PUBLIC, route
from parley.web.security import CSRF_FIELD, client_addr

#: A CDN may hold the fragment briefly and serve it stale while it asks again (ETag);
#: a browser always asks (a 304 when nothing changed).
FRAGMENT_CACHE = "public, max-age=0, s-maxage=15, stale-while-revalidate=60"
SCRIPT_CACHE = "public, max-age=300"
SCRIPTS = {"/embed.js": "embed.js", "/embed/count.js": "count.js"}


# --- which story, and may this page have it --------------------------------------------
def _ref(request: Request) -> EmbedRef:
    q = request.query_params
    return EmbedRef(url=q.get("url", ""), story_id=q.get("story", ""), title=q.get("title", ""),
                    section=q.get("section", ""))


def _check_origin(request: Request) -> str | None:
    """The embedding site's origin as the browser states it (Origin, or a frame's
    Referer), or None when the request says nothing (a server-side include, a direct
    visit). A site that is not allowed is refused outright."""
    config = request.app.state.config
    origin = source = request.headers.get("origin")
    if origin is None:
        source = request.headers.get("referer")
        origin = url_origin(source) if source else None
    # The frame's own links (Referer) and its form answered with an error (a POST's Origin).
    if origin is not None and urlsplit(source).netloc == request.headers.get("host"):
        return None
    if origin is not None and not is_allowed(config, origin):
        raise Forbidden("this site may not embed Parley's comments; its operator lists the sites that may "
                        "in PARLEY_ALLOWED_ORIGINS", field="origin")
    return origin


async def _embedded_story(request: Request) -> Story:
    _check_origin(request)
    ref = _ref(request)
    # Created only for a canonical URL on an allowed site (whatever site the request
    # says it is from): a page elsewhere cannot make stories in the publisher's name.
    create = is_allowed(request.app.state.config, url_origin(ref.url) if ref.url else None)
    return await run_in_threadpool(request.app.state.services.stories.embedded, ref, create=create)


def _use_slug(request: Request, slug: str) -> None:
    """Point ``pages._thread`` (which reads the path's slug) at this story."""
    request.scope.setdefault("path_params", {})["slug"] = slug


def _parley_links(thread: bytes, base: str, slug: str) -> bytes:
    """The thread's links made absolute, to Parley's story page: in a page elsewhere
    (a server-side include) a path would be the host site's."""
    return (thread.replace(b'href="/stories/', f'href="{base}/stories/'.encode())
            .replace(b'href="?reply=', f'href="{base}/stories/{slug}?reply='.encode()))


# --- the fragment -------------------------------------------------------------------------
async def fragment(request: Request) -> Response:
    """The thread as HTML: the count, the first page and "Load more", in one ``<section>``
    whose data attributes tell the widget the story's slug, count and whether it is open.
    With ``after`` (the next page), the list items alone."""
    story = await _embedded_story(request)
    _use_slug(request, story.slug)
    # Public (FRAGMENT_CACHE): a staff member's Feature links must not reach a CDN's copy.
    story, thread = await pages._thread(request, readers=True)
    base = f"{request.url.scheme}://{request.url.netloc}"
    more = bool(request.query_params.get("after"))
    key = ("embed-fragment", story.id, thread.etag, story.comment_count, story.comments_open, base, more)

    def render() -> bytes:
        items = _parley_links(thread.body, base, story.slug)
        if more:
            return items
        head = Markup('<section class="parley-thread" data-slug="{}" data-count="{}" data-open="{}" '
                      'data-frame="{}"><h2 class="parley-count">{}</h2><ol class="thread">').format(
            story.slug, story.comment_count, int(story.comments_open), f"{base}/embed/frame/{story.slug}",
            plural(story.comment_count, "comment"))
        tail = Markup('</ol><p class="parley-join"><a href="{}">{}</a></p></section>').format(
            f"{base}/embed/frame/{story.slug}", "Join the discussion" if story.comments_open else "Comments")
        return b"".join((str(head).encode(), items, str(tail).encode()))

    rendered = await run_in_threadpool(request.app.state.render_cache.get_or_render, key, render)
    response = cached_response(request, rendered, "text/html; charset=utf-8")
    response.headers["Cache-Control"] = FRAGMENT_CACHE
    return response


# --- the scripts --------------------------------------------------------------------------
_scripts: dict[str, Rendered] = {}


async def script(request: Request) -> Response:
    """The built widget (``make widget`` writes it from ``widget/``), gzipped once per process."""
    name = SCRIPTS[request.url.path]
    if name not in _scripts:
        body = (resources.files("parley.web") / "static" / name).read_bytes()
        _scripts[name] = await run_in_threadpool(Rendered.of, body)
    response = cached_response(request, _scripts[name], "text/javascript; charset=utf-8")
    response.headers["Cache-Control"] = SCRIPT_CACHE
    return response


# --- the no-JavaScript iframe -------------------------------------------------------------
async def frame_entry(request: Request) -> Response:
    """The iframe's address names the page (url, story, title, section); its story's
    frame is at a path of its own, so that the thread's relative links stay in it."""
    story = await _embedded_story(request)
    keep = {k: v for k, v in request.query_params.items() if k in ("sort", "reply")}
    query = f"?{urlencode(keep)}" if keep else ""
    return RedirectResponse(f"/embed/frame/{story.slug}{query}", status_code=303)


def _frame_links(thread: bytes, slug: str) -> bytes:
    """Inside the frame: "Load more" stays in it; reporting and recommending open Parley in
    a tab of its own, where their cookie-protected forms work."""
    thread = thread.replace(f'href="/stories/{slug}?'.encode(), f'href="/embed/frame/{slug}?'.encode())
    for link in (b'class="report-link"', b'class="recommend-link"'):
        thread = thread.replace(link + b" href=", link + b' target="_blank" rel="noopener" href=')
    return thread


async def frame_page(request: Request, form: dict | None = None, form_error: ParleyError | None = None,
                     guest_id: str | None = None) -> Response:
    _check_origin(request)
    state = request.app.state
    q = request.query_params
    story, thread = await pages._thread(request)
    reply_to = None
    if q.get("reply"):
        try:
            reply_to = await run_in_threadpool(state.services.posting.get_comment, Actor.guest(), q["reply"])
        except ParleyError:  # a stale or made-up reply link: no reply form
            reply_to = None
        if reply_to is not None and (reply_to.story_id != story.id or not reply_to.state.visible):
            reply_to = None
    status = None if form_error else pages._writer_message(q.get("posted"))
    html = state.templates.get_template("embed_frame.html").render(
        story=story, sort=q.get("sort", Sort.OLDEST.value), sorts=pages.SORTS, thread_html=Markup(pages._THREAD_SLOT),
        csrf_token=new_form_token(state.secret, story.slug, guest_id), reply_to=reply_to, form=form or {},
        form_error=form_error, form_status=status, idempotency_key=secrets.token_urlsafe(16),
        max_body_chars=state.config.max_body_chars, single_thread=bool(q.get("thread")))
    before, _, after = html.rpartition(pages._THREAD_SLOT)
    response = Response(b"".join((before.encode(), _frame_links(thread.body, story.slug), after.encode())),
                        media_type="text/html", status_code=form_error.status if form_error else 200,
                        headers={"Cache-Control": "no-store"})
    if getattr(form_error, "retry_after", None):
        response.headers["Retry-After"] = str(form_error.retry_after)
    return response


async def frame_post(request: Request) -> Response:
    """The iframe's form: CSRF and the writer's identity come from its form token, not a
    cookie (see ``auth.frame_actor``). Answers 303 back into the frame."""
    state = request.app.state
    slug = request.path_params["slug"]
    form: dict = {}
    guest_id = None
    try:
        form = await read_form(request, pages.MAX_FORM_BYTES)
        actor = frame_actor(request, slug, form.get(CSRF_FIELD))
        guest_id = actor.guest_key
        posted = await run_in_threadpool(state.services.posting.post, actor, _new_comment(slug, form))
    except ParleyError as exc:
        if exc.status == 404:
            raise
        if wants_json(request):
            return error_response(exc)
        if form.get("parent_id"):
            request.scope["query_string"] = urlencode({"reply": form["parent_id"]}).encode()
        form.pop(CSRF_FIELD, None)
        return await frame_page(request, form=form, form_error=exc, guest_id=guest_id)
    comment = posted.comment
    if comment.state in WRITER_MESSAGES:
        return RedirectResponse(f"/embed/frame/{slug}?{urlencode({'posted': comment.state.value})}#comment-form",
                                status_code=303)
    root = comment.root_id or comment.id
    return RedirectResponse(f"/embed/frame/{slug}?thread={root}#c{comment.id}", status_code=303)


def _new_comment(slug: str, fields: dict) -> NewComment:
    def flag(name: str) -> bool:
        return fields.get(name) in ("1", "on", "true", True)

    return NewComment(story_slug=slug, author_name=fields.get("author_name"), body=fields.get("body"),
                      parent_id=fields.get("parent_id") or None, spoiler=flag("spoiler"),
                      email=fields.get("email") or None, idempotency_key=fields.get("idempotency_key") or None,
                      rephrased=flag("rephrased"))


# --- the widget's JSON --------------------------------------------------------------------
def _from_allowed_site(request: Request) -> None:
    """The widget's own calls come from a page on an allowed site, and say so."""
    if not is_allowed(request.app.state.config, request.headers.get("origin")):
        raise Forbidden("only a page on one of the sites in PARLEY_ALLOWED_ORIGINS may ask", field="origin")


async def new_token(request: Request) -> Response:
    """A guest's widget token. Harmless to hand out: it is a new guest, no one's identity."""
    _from_allowed_site(request)
    return JSONResponse({"token": new_guest_token(request.app.state.secret)}, headers={"Cache-Control": "no-store"})


async def post_comment(request: Request) -> Response:
    """The widget's comment or reply: the page form's fields as JSON; the answer is the
    page script's (the comment's HTML, its edit token, what its writer is told)."""
    slug = request.path_params["slug"]
    actor = await actor_of(request)
    data = await read_json(request)
    try:
        posted = await run_in_threadpool(request.app.state.services.posting.post, actor, _new_comment(slug, data))
    except Rephrase as exc:
        box = request.app.state.templates.get_template("_rephrase.html").module.rephrase(exc)
        return JSONResponse(exc.to_dict() | {"html": str(box)}, status_code=exc.status)
    return JSONResponse(await pages.posted_answer(request, posted, slug), status_code=201 if posted.created else 200)


async def report_form_html(request: Request) -> Response:
    """The report form's HTML, to open under a comment (the widget sends its fields as JSON)."""
    actor = await actor_of(request)
    story, comment = await reader._reportable(request, actor)
    macro = request.app.state.templates.get_template("_report.html").module.report_form
    return JSONResponse({"html": str(macro(story, comment, "", reader.REASONS, level=3))})


async def report(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    _, comment = await reader._reportable(request, actor)
    fields = reader._report_fields({k: v for k, v in data.items() if isinstance(v, str | bool)})
    made = await run_in_threadpool(request.app.state.services.reports.report, actor, comment.id, **fields)
    return JSONResponse({"report": {"id": made.id, "comment_id": made.comment_id, "reason": made.reason.value,
                                    "created_at": iso(made.created_at)}, "message": reader.REPORTED},
                        status_code=201)


async def login(request: Request) -> Response:
    """Signing in through the widget: a session like the cookie's, handed back as a token."""
    _from_allowed_site(request)
    data = await read_json(request)
    secret = request.app.state.secret
    token = new_session_token()
    # Signing in again through the same widget ends the session its old token held.
    previous = read_widget_token(secret, request.headers.get(EMBED_HEADER, ""))
    replacing = widget_session_id(secret, previous[1]) if previous and previous[0] == "session" else None
    account, _ = await run_in_threadpool(
        request.app.state.services.accounts.login, email=data.get("email"), password=data.get("password"),
        client_addr=client_addr(request), replacing=replacing,
        session_id=widget_session_id(secret, token.partition(".")[2]))
    actor = widget_actor(account.actor(client_addr=client_addr(request)))
    return JSONResponse({"token": token, "actor": actor_json(actor)}, headers={"Cache-Control": "no-store"})


async def logout(request: Request) -> Response:
    found = read_widget_token(request.app.state.secret, request.headers.get(EMBED_HEADER, ""))
    if found is not None and found[0] == "session":
        await run_in_threadpool(request.app.state.services.accounts.logout,
                                widget_session_id(request.app.state.secret, found[1]))
    return JSONResponse({"signed_out": True})


async def me(request: Request) -> Response:
    return JSONResponse({"actor": actor_json(await actor_of(request))}, headers={"Cache-Control": "no-store"})


async def counts(request: Request) -> Response:
    """Comment counts for an article list: ``?story=`` repeated, each a page's id or
    canonical URL (as its element's data-parley-count says); unknown stories count 0."""
    _check_origin(request)
    keys = request.query_params.getlist("story")[:200]
    slugs = {key: EmbedRef(url=key, story_id="" if "://" in key else key).slug for key in keys if key.strip()}
    found = await run_in_threadpool(request.app.state.services.stories.counts, list(set(slugs.values())))
    return JSONResponse({"counts": {key: found.get(slug, 0) for key, slug in slugs.items()}},
                        headers={"Cache-Control": "public, max-age=30"})


routes = [
    route("/embed.js", script, permission=PUBLIC),
    route("/embed/count.js", script, permission=PUBLIC),
    route("/embed/fragment", fragment, permission=PUBLIC),
    route("/embed/frame", frame_entry, permission=PUBLIC),
    route("/embed/frame/{slug}", frame_page, permission=PUBLIC),
    route("/embed/frame/{slug}", frame_post, methods=["POST"], permission=Permission.POST),
    route("/api/v1/embed/token", new_token, methods=["POST"], permission=PUBLIC),
    route("/api/v1/embed/me", me, permission=PUBLIC),
    route("/api/v1/embed/counts", counts, permission=PUBLIC),
    route("/api/v1/embed/auth/login", login, methods=["POST"], permission=PUBLIC),
    route("/api/v1/embed/auth/logout", logout, methods=["POST"], permission=PUBLIC),
    route("/api/v1/embed/stories/{slug}/comments", post_comment, methods=["POST"], permission=Permission.POST),
    route("/api/v1/embed/stories/{slug}/comments/{comment_id}/report", report_form_html, permission=PUBLIC),
    route("/api/v1/embed/stories/{slug}/comments/{comment_id}/report", report, methods=["POST"],
          permission=Permission.REPORT),
]
