"""The reader's pages, rendered on the server and complete without JavaScript.

The thread (the expensive part) is rendered once per story revision, sort, page and
minute (relative times move on) and cached; so is the page around it, per revision,
sort and view (``parley.web.frame``), with slots for what is the reader's own (their CSRF
token and form, their own hidden comments, a status line), filled per request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
from datetime import datetime, timezone
from urllib.parse import urlencode

import orjson
from markupsafe import escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from parley.domain import WRITER_MESSAGES, CommentState, Permission, Story
from parley.errors import ParleyError, Rephrase
from parley.service import NewComment, ThreadPage
from parley.store import Sort
from parley.thread import Node, nest
from parley.web import first_visit, reader
from parley.web.auth import actor_of, ensure_guest_cookie
from parley.web.cache import Rendered, cached_thread
from parley.web.frame import Frame, filled, slot
from parley.web.responses import JSONResponse, accepts_gzip, cached_response, error_response, read_form, wants_json
from parley.web.routing import PUBLIC, route
from parley.web.security import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie

SORTS = [(Sort.OLDEST.value, "Oldest"), (Sort.NEWEST.value, "Newest"), (Sort.REPLIES.value, "Most replies"),
         (Sort.TOP.value, "Top")]
#: The Featured tab (``?sort=featured``): staff's picks, latest first, each on its own.
FEATURED = "featured"
MAX_FORM_BYTES = 64 * 1024
MAX_PAGE = 500  # the most top-level comments one read of the thread takes (the service's limit)


def _render_thread(request: Request, page: ThreadPage, minute: int, base_url: str, staff: bool = False,
                   pages: int = 1, first_page: int = 1) -> str:
    return _render_listing(request, "_thread.html", nest(page.comments), page.story, page.sort.value,
                           page.next_cursor, minute, base_url, staff, pages, first_page)


def _render_listing(request: Request, template: str, nodes: list[Node], story: Story, sort: str,
                    cursor: str | None, minute: int, base_url: str, staff: bool, pages: int = 1,
                    first_page: int = 1) -> str:
    """A listing of comments ending in "Load more" when there are more: pages
    ``first_page`` to ``pages`` of the thread (the first ``pages`` for a page, one for a
    fragment after a cursor). Without JavaScript, the link asks for the first
    ``pages + 1`` pages and lands where the new one starts (``#page-N``), so what was
    shown stays above it; the script fetches only the next page (``data-fragment``)."""
    page_size = request.app.state.config.page_size
    next_url = next_fragment = None
    if cursor:
        after = urlencode({"sort": sort, "after": cursor, "pages": pages + 1})
        next_fragment = f"/stories/{story.slug}/comments?{after}&fragment=1"
        if (pages + 1) * page_size <= MAX_PAGE:
            next_url = f"{base_url}?{urlencode({'sort': sort, 'pages': pages + 1})}#page-{pages + 1}"
        else:  # past what one read may hold: the next page on its own, with the way back
            next_url = f"{base_url}?{after}#comments"
    # The time of rendering, not the minute it is cached under: relative times then never
    # read behind a comment's own age ("5 days ago" for an import's "6 days ago").
    return request.app.state.templates.get_template(template).render(
        nodes=nodes, now=datetime.now(timezone.utc), next_url=next_url, next_fragment_url=next_fragment,
        slug=story.slug, staff=staff, page_size=page_size, first_page=first_page)


def _pages(value: str | None) -> int:
    """The page number ``?pages=`` names: 1 unless it is a plain, sensible number."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 6:
        return 1
    return max(1, int(value))


async def home(request: Request) -> Response:
    stories = await run_in_threadpool(request.app.state.services.stories.latest, 50)
    html = request.app.state.templates.get_template("home.html").render(stories=stories)
    return HTMLResponse(html)


async def _thread(request: Request, *, readers: bool = False, minute: int | None = None) -> tuple[Story, Rendered]:
    """The story and its rendered thread for this request's sort and page, or for the
    one thread asked for. Relative times move on, so the minute is in the key too.
    ``readers``: the readers' rendering whoever asks (for a response a shared cache keeps)."""
    service = request.app.state.services.posting
    q = request.query_params
    slug = request.path_params["slug"]
    sort, after, single_root = q.get("sort", Sort.OLDEST.value), q.get("after") or None, q.get("thread")
    page_size = request.app.state.config.page_size
    pages = _pages(q.get("pages"))
    if not after:
        pages = min(pages, MAX_PAGE // page_size)
    # The first ``pages`` pages in one read; after a cursor, one page (page ``pages`` of the thread).
    limit, first = (page_size, pages) if after else (pages * page_size, 1)
    minute = first_visit.minute() if minute is None else minute
    reactions = request.app.state.services.reactions
    # Staff see Feature links in the thread: their rendering is cached apart from readers'.
    staff = not readers and reactions.may_feature(await actor_of(request))

    def key_for(story: Story) -> tuple:
        if single_root:
            return ("thread", story.id, story.revision, single_root, minute, staff)
        return ("page", story.id, story.revision, sort, after, pages, minute, staff)

    def render_for(story: Story):
        def render() -> bytes:
            base = f"/stories/{slug}"
            if single_root:
                page = service.thread_of(story, single_root)
            elif sort == FEATURED:
                view = reactions.featured(story, cursor=after, limit=limit)
                return _render_listing(request, "_featured.html", [Node(c, []) for c in view.comments], story,
                                       FEATURED, view.next_cursor, minute, base, staff, pages, first).encode()
            else:
                page = service.thread_page(story, sort=sort, cursor=after, limit=limit)
            return _render_thread(request, page, minute, base, staff, pages, first).encode()
        return render

    return await cached_thread(request, slug, key_for, render_for)


# Stands in a page template for the thread, which is spliced in as cached bytes (the
# embed's frame page uses it; story.html has slots of its own, parley.web.frame).
_THREAD_SLOT = "\x00parley-thread\x00"


async def story_page(request: Request, form: dict | None = None, form_error: ParleyError | None = None) -> Response:
    """The story and its comments. The page around the thread is a frame cached per story
    revision, sort and view; what is the reader's own is spliced into it per request, as
    the thread is. A reader with nothing of their own costs a revision read and a join."""
    state = request.app.state
    q = request.query_params
    actor = await actor_of(request)
    thread_minute = first_visit.minute()
    story, thread = await _thread(request, minute=thread_minute)
    posting = state.services.posting
    reply_to = None
    if q.get("reply"):
        with contextlib.suppress(ParleyError):  # a stale or made-up reply link: no reply form
            reply_to = await run_in_threadpool(posting.get_comment, actor, q["reply"])
        if reply_to is not None and (reply_to.story_id != story.id or not reply_to.state.visible):
            reply_to = None
    # The writer's own comments readers cannot see: shown to them alone, outside the
    # cached thread, on every visit (by their account or their browser's own cookie).
    writer = await reader.writer_panel(request, actor, story)  # with their statements of reasons, appeals
    token, new_token = csrf_token(request)
    # After a plain POST whose comment readers cannot see (held or rejected): what its writer is told.
    form_status = None if form_error else _writer_message(q.get("posted"))
    echo = bool(form) or form_error is not None  # a form sent back: its fields are this reader's
    own = [Node(c, []) for c in writer.hidden]  # each on its own: a held reply's parent is in the thread
    values = first_visit.reader_values(thread, token, secrets.token_urlsafe(16))
    # Nothing of their own but the form's tokens: most readers, most of the time.
    plain = not (echo or reply_to or form_status or own or writer.decided or writer.status)
    if echo:
        frame = await _frame(request, story, form or {}, form_error)
    else:
        frames = await _cached_frames(request, story)
        frame = frames.plain if plain else frames.general
    if not plain:
        parts = state.templates.get_template("_reader_parts.html").module
        values |= {
            "parent_id": _escaped(reply_to.id if reply_to else ""),
            "form_head": _markup(parts.form_head(story, reply_to, form_status, form_error)),
            "own_panel": _markup(parts.own_panel(story, own, writer, token, datetime.now(timezone.utc)))
                         if own or writer.decided else b"",
            "reader_status": _markup(parts.reader_status(writer)) if writer.status else b"",
        }
    headers = {"Cache-Control": "no-store"}
    gzip_ok = accepts_gzip(request.headers.get("accept-encoding", ""))
    if frame.pieces is not None and thread.piece is not None and gzip_ok:
        if "shift" not in thread.piece.__dict__:  # once per rendering of the thread, off the event loop
            await run_in_threadpool(lambda: thread.piece.shift)
        body = frame.gzipped(values)
        headers["Content-Encoding"] = "gzip"
    else:
        body = frame.body(values)
    headers["Vary"] = "Accept-Encoding"
    response = Response(body, media_type="text/html", status_code=form_error.status if form_error else 200,
                        headers=headers)
    if getattr(form_error, "retry_after", None):
        response.headers["Retry-After"] = str(form_error.retry_after)
    if plain and new_token and getattr(request.state, "new_guest_cookie", False) and request.method == "GET":
        # A first visit: nothing on the page but what is minted for every reader, so the
        # next one is answered from this page, before the app (parley.web.first_visit).
        request.scope[first_visit.RECIPE] = first_visit.Recipe(
            story.id, story.revision, thread_minute, frame, thread, gzipped="Content-Encoding" in headers)
    if new_token:
        set_csrf_cookie(response, token, bool(state.config.secure_cookies))
    ensure_guest_cookie(request, response)
    return response


_SLOTS = ("form_head", "csrf_token", "parent_id", "idempotency_key", "own_panel", "reader_status")


@dataclasses.dataclass(frozen=True)
class _Frames:
    general: Frame  # every slot open
    plain: Frame  # the reader's own parts filled with what a reader with none of them sees

    @property
    def size(self) -> int:
        return self.general.size + self.plain.size


def _escaped(value) -> bytes:
    return str(escape(value)).encode()


def _markup(value) -> bytes:
    return str(value).encode()


async def _cached_frames(request: Request, story: Story) -> _Frames:
    q = request.query_params
    key = ("frame", story.id, story.revision, q.get("sort", Sort.OLDEST.value), bool(q.get("thread")),
           bool(q.get("after")))
    cache = request.app.state.render_cache
    found = cache.peek(key)
    if found is None:
        found = await run_in_threadpool(cache.get_or_make, key, lambda: _make_frames(request, story))
    return found


async def _frame(request: Request, story: Story, form: dict, form_error: ParleyError | None) -> Frame:
    html = await run_in_threadpool(_render_frame, request, story, form, form_error)
    return Frame(html, compress=False)


def _make_frames(request: Request, story: Story) -> _Frames:
    html = _render_frame(request, story, {}, None)
    head = str(request.app.state.templates.get_template("_reader_parts.html").module.form_head(story))
    plain = filled(html, {"form_head": head, "parent_id": "", "own_panel": "", "reader_status": ""})
    return _Frames(Frame(html, compress=True), Frame(plain, compress=True))


def _render_frame(request: Request, story: Story, form: dict, form_error: ParleyError | None) -> str:
    state = request.app.state
    q = request.query_params
    html = state.templates.get_template("story.html").render(
        story=story, sort=q.get("sort", Sort.OLDEST.value), sorts=SORTS, thread_html=slot("thread"),
        form=form, form_error=form_error, max_body_chars=state.config.max_body_chars,
        edit_window_seconds=state.config.edit_window_seconds, single_thread=bool(q.get("thread")),
        paged=bool(q.get("after")), **{name: slot(name) for name in _SLOTS})
    return html


def _writer_message(posted: str | None) -> str | None:
    if posted is None:
        return None
    try:
        return WRITER_MESSAGES.get(CommentState(posted))
    except ValueError:
        return None


async def thread_fragment(request: Request) -> Response:
    """The next page of the thread as HTML list items, for "Load more" with JavaScript.
    A browser that navigates here (a reload or a shared link after a form posted here
    answered with an error) goes to the story page instead of a bare, unstyled list."""
    if _navigates(request):
        q = request.query_params
        kept = urlencode({k: q[k] for k in ("sort", "after", "pages", "thread") if q.get(k)})
        return RedirectResponse(f"/stories/{request.path_params['slug']}{'?' + kept if kept else ''}#comments",
                                status_code=303)
    _, rendered = await _thread(request)
    return cached_response(request, rendered, "text/html; charset=utf-8")


def _navigates(request: Request) -> bool:
    """Whether the browser is loading this address as a page, not fetching a part of one:
    Sec-Fetch-Mode says so where sent; else a browser's page Accept (it names XHTML, a
    script's fetch does not), unless the address asks for the fragment."""
    mode = request.headers.get("sec-fetch-mode")
    if mode is not None:
        return mode == "navigate"
    return "fragment" not in request.query_params and "application/xhtml+xml" in request.headers.get("accept", "")


async def post_comment(request: Request) -> Response:
    """The comment form. A plain POST answers 303 to the new comment; the page's
    script sends the same form asking for JSON and gets the comment's HTML to insert."""
    state = request.app.state
    slug = request.path_params["slug"]
    form: dict = {}
    try:
        form = await read_form(request, MAX_FORM_BYTES)
        check_csrf(request, form.get(CSRF_FIELD))
        actor = await actor_of(request)
        posted = await run_in_threadpool(state.services.posting.post, actor, NewComment(
            story_slug=slug,
            author_name=form.get("author_name"),
            body=form.get("body"),
            parent_id=form.get("parent_id") or None,
            spoiler=form.get("spoiler") in ("1", "on", "true"),
            email=form.get("email") or None,
            idempotency_key=form.get("idempotency_key") or None,
            rephrased=form.get("rephrased") in ("1", "on", "true"),
        ))
    except ParleyError as exc:
        if wants_json(request):
            if isinstance(exc, Rephrase):  # the script shows the marked words as the page would
                box = state.templates.get_template("_rephrase.html").module.rephrase(exc)
                return JSONResponse(exc.to_dict() | {"html": str(box)}, status_code=exc.status)
            return error_response(exc)
        if exc.status == 404:
            raise
        if form.get("parent_id"):
            request.scope["query_string"] = urlencode({"reply": form["parent_id"]}).encode()
        return await story_page(request, form=form, form_error=exc)

    comment = posted.comment
    message = WRITER_MESSAGES.get(comment.state)
    if wants_json(request):
        response = Response(orjson.dumps(await posted_answer(request, posted, slug)),
                            status_code=201 if posted.created else 200, media_type="application/json")
    elif message:
        response = RedirectResponse(f"/stories/{slug}?{urlencode({'posted': comment.state.value})}#own-comments",
                                    status_code=303)
    else:
        root = comment.root_id or comment.id
        response = RedirectResponse(f"/stories/{slug}?thread={root}#c{comment.id}", status_code=303)
    ensure_guest_cookie(request, response)  # the writer's browser keeps seeing what it wrote
    return response


async def posted_answer(request: Request, posted, slug: str) -> dict:
    """What a script that posted a comment is told: its state, and (unless rejected) its
    HTML and where in the page it goes; a held comment is shown to its writer only."""
    state = request.app.state
    comment = posted.comment
    answer = {"id": comment.id, "parent_id": comment.parent_id, "state": comment.state.value}
    if comment.state is not CommentState.REJECTED:
        anchor_id, replying_to = await run_in_threadpool(state.services.posting.place_in_page, comment)
        macro = state.templates.get_template("_comment.html").module.comment
        html = str(macro(Node(comment, [], replying_to), datetime.now(timezone.utc), slug))
        answer |= {"anchor_id": anchor_id, "html": html, "edit_token": posted.edit_token}
    if comment.state in WRITER_MESSAGES:
        answer["message"] = WRITER_MESSAGES[comment.state]
    return answer


routes = [
    route("/", home, permission=PUBLIC),
    route("/stories/{slug}", story_page, permission=PUBLIC),
    route("/stories/{slug}/comments", thread_fragment, permission=PUBLIC),
    route("/stories/{slug}/comments", post_comment, methods=["POST"], permission=Permission.POST),
]
