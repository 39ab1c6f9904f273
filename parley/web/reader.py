"""The reader's side of moderation: reporting a comment, the statement of reasons a
writer is told about a decision on theirs, their appeal, and their own page.

Pages (complete without JavaScript, CSRF-protected forms; ``parley.js`` sends the same
forms with ``fetch`` asking for JSON and shows the answer in place):

    GET/POST /stories/{slug}/comments/{comment_id}/report   the report form (?fragment=1: the form alone)
    POST     /stories/{slug}/comments/{comment_id}/appeal   a writer's one appeal
    GET      /me                                            "Your comments and reports"

Nothing here goes into the story's cached thread: the Report link in ``_comment.html`` is
the same for every reader, and what only a writer may see (statements, appeal forms)
is rendered per request in the page around the thread (``writer_panel``), or on ``/me``.
The services decide everything: who may report or appeal, rate limits, duplicates.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from urllib.parse import urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from parley.domain import Actor, Comment, Permission, ReportReason, Story
from parley.errors import NotFound, ParleyError
from parley.service.appeals import WriterView
from parley.service.posting import hidden_among
from parley.service.reports import ReportOutcome
from parley.web.auth import actor_of, ensure_guest_cookie
from parley.web.format import iso
from parley.web.responses import error_response, read_form, wants_json
from parley.web.routing import PUBLIC, route
from parley.web.security import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie

MAX_FORM_BYTES = 32 * 1024
REPORTED = "Thank you: a moderator will look at it."
APPEALED = "Your appeal is waiting for a moderator."
#: The status lines a plain POST comes back to (``?done=`` on the story page).
STATUS_LINES = {"reported": REPORTED,
                # After a recommendation or a pick (parley.web.reactions).
                "recommended": "You recommended this comment.",
                "unrecommended": "You took back your recommendation.",
                "featured": "The comment is featured: readers find it under Featured.",
                "unfeatured": "The comment is no longer featured."}
REASONS = list(ReportReason)
#: Where each of a writer's comments stands, as /me says it.
COMMENT_STATES = {"pending": "held for a moderator; only you can see it",
                  "rejected": "not published; only you can see it",
                  "folded": "shown to readers behind a notice", "published": "shown to readers"}


def status_line(request: Request) -> str | None:
    """What the story page says after a plain POST of a report came back to it."""
    return STATUS_LINES.get(request.query_params.get("done", ""))


def _services(request: Request):
    return request.app.state.services


def _render(request: Request, template: str, **context) -> tuple[str, str | None]:
    """A template with the reader's CSRF token; the token too when it is new (to set)."""
    token, new_token = csrf_token(request)
    html = request.app.state.templates.get_template(template).render(csrf_token=token, **context)
    return html, (token if new_token else None)


def _finish(request: Request, response: Response, new_token: str | None) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if new_token:
        set_csrf_cookie(response, new_token, bool(request.app.state.config.secure_cookies))
    ensure_guest_cookie(request, response)  # a guest finds their reports and appeals again on /me
    return response


async def _sent_form(request: Request, form: dict) -> Actor:
    """Read a form into ``form`` (so that an error can show it again), check its CSRF
    token, and say who sent it."""
    form.update(await read_form(request, MAX_FORM_BYTES))
    check_csrf(request, form.get(CSRF_FIELD))
    return await actor_of(request)


def comment_url(story: Story, comment: Comment, **query) -> str:
    """The comment where readers find it: its thread on the story page."""
    params = urlencode({"thread": comment.root_id or comment.id, **query})
    return f"/stories/{story.slug}?{params}#c{comment.id}"


# --- reporting ---------------------------------------------------------------------------
async def _reportable(request: Request, actor: Actor) -> tuple[Story, Comment]:
    """The story and the comment on it a reader may report: one readers can see."""
    services = _services(request)
    story = await run_in_threadpool(services.stories.get, request.path_params["slug"])
    comment = await run_in_threadpool(services.posting.get_comment, actor, request.path_params["comment_id"])
    if comment.story_id != story.id or not comment.state.visible:
        raise NotFound("there is no comment readers can see with that id on this story", field="comment_id")
    return story, comment


async def report_page(request: Request, form: dict | None = None, error: ParleyError | None = None) -> Response:
    """The report form: a page of its own, or (``?fragment=1``) the form alone, which the
    page's script opens under the comment."""
    actor = await actor_of(request)
    story, comment = await _reportable(request, actor)
    if request.query_params.get("fragment") == "1" and error is None:
        token, new_token = csrf_token(request)
        macro = request.app.state.templates.get_template("_report.html").module.report_form
        html = str(macro(story, comment, token, REASONS, level=3))
        new_token = token if new_token else None
    else:
        html, new_token = _render(request, "report.html", story=story, comment=comment, reasons=REASONS,
                                  form=form or {}, error=error, back_url=comment_url(story, comment),
                                  now=datetime.now(timezone.utc))
    response = HTMLResponse(html, status_code=error.status if error else 200)
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return _finish(request, response, new_token)


def _report_fields(form: dict) -> dict:
    """The form as the service takes it. An illegal-content report's explanation is its
    text (what the reporter adds in the general box follows it)."""
    reason = form.get("reason") or None
    text = form.get("text") or ""
    if reason == ReportReason.ILLEGAL.value:
        text = "\n\n".join(t for t in (form.get("explanation", "").strip(), text.strip()) if t)
    return dict(reason=reason, text=text, law=form.get("law", ""),
                good_faith=form.get("good_faith") in ("1", "on", "true"),
                name=form.get("name", ""), email=form.get("email", ""))


async def report_form(request: Request) -> Response:
    """A reader's report. A plain POST answers 303 to the comment, with the status line;
    the script's asks for JSON and gets ``{"report": ..., "message"}``. An error shows the
    form again with it (or, for the script, the error's JSON)."""
    form: dict = {}
    try:
        actor = await _sent_form(request, form)
        story, comment = await _reportable(request, actor)
        report = await run_in_threadpool(_services(request).reports.report, actor, comment.id,
                                         **_report_fields(form))
    except ParleyError as exc:
        if wants_json(request):
            return _finish(request, error_response(exc), None)
        if exc.status == 404:
            raise
        form.pop(CSRF_FIELD, None)
        return await report_page(request, form=form, error=exc)
    if wants_json(request):
        answer = {"report": {"id": report.id, "comment_id": report.comment_id, "reason": report.reason.value,
                             "created_at": iso(report.created_at)}, "message": REPORTED}
        response = Response(orjson.dumps(answer), status_code=201, media_type="application/json")
    else:
        response = RedirectResponse(comment_url(story, comment, done="reported"), status_code=303)
    return _finish(request, response, None)


# --- the writer's side: statements of reasons and appeals ---------------------------------
@dataclasses.dataclass
class WriterPanel:
    """What the story page shows its reader alone, outside the cached thread."""

    hidden: list[Comment]  # their comments readers cannot see (held, rejected), oldest first
    statements: dict[int, WriterView]  # their held or rejected comments' ``WriterView``s, by comment id
    decided: list[tuple[Comment, WriterView]]  # their comments readers see, with a decision to read (folded, appealed)
    status: str | None  # after a plain POST of a report: its status line


async def writer_panel(request: Request, actor: Actor, story: Story) -> WriterPanel:
    """What the reader alone is shown of their own comments on this story, from one read
    of them: those readers cannot see, each with its statement of reasons, and those they
    see folded by a decision, or shown again after an appeal."""
    services = _services(request)
    if actor.writer_key is None or not actor.recognised:  # nothing written yet: no trip to the thread pool
        return WriterPanel([], {}, [], status_line(request))

    def gather() -> WriterPanel:
        restricted = services.posting.own_restricted(actor, story=story)
        hidden = hidden_among(restricted)
        statements = {c.id: services.appeals.statements_for(actor, c) for c in hidden}
        decided = []
        for comment in restricted:
            if comment.state.visible:
                view = services.appeals.statements_for(actor, comment)
                if view.statement is not None or view.appeal is not None:
                    decided.append((comment, view))
        return WriterPanel(hidden, statements, decided[::-1], status_line(request))

    if request.app.state.store.inline_reads:
        # A local SQLite file: the one indexed read of their comments on this story costs
        # less than the trip to the thread pool, and most writers have none restricted.
        restricted = services.posting.own_restricted(actor, story=story)
        if not restricted:
            return WriterPanel([], {}, [], status_line(request))
    return await run_in_threadpool(gather)


def _statement_html(request: Request, view: WriterView, comment: Comment, story: Story, token: str, **options) -> str:
    macro = request.app.state.templates.get_template("_statement.html").module.statement_box
    return str(macro(view, comment, story, token, **options))


async def appeal_form(request: Request) -> Response:
    """A writer's one appeal against the decision on their comment. A plain POST answers
    303 to the statement (on the story page, or on /me when it came from there), which
    now says the appeal waits for a moderator; the script's asks for JSON and gets the
    statement's new HTML. An error shows the statement and the form again with it."""
    services = _services(request)
    form: dict = {}
    try:
        actor = await _sent_form(request, form)
        story, comment = await _own(request, actor)
        appeal = await run_in_threadpool(services.appeals.appeal, actor, comment.id, form.get("text", ""))
    except ParleyError as exc:
        if wants_json(request):
            return _finish(request, error_response(exc), None)
        if exc.status == 404:
            raise
        return await _appeal_again(request, form, exc)
    back = "me" if form.get("back") == "me" else ""
    if wants_json(request):
        view = await run_in_threadpool(services.appeals.statements_for, actor, comment)
        token, _ = csrf_token(request)
        html = _statement_html(request, view, comment, story, token, link=comment.state.visible, back=back)
        answer = {"appeal": {"id": appeal.id, "comment_id": comment.id, "created_at": iso(appeal.created_at)},
                  "message": view.outcome or APPEALED, "html": html}
        response = Response(orjson.dumps(answer), status_code=201, media_type="application/json")
    elif back:
        response = RedirectResponse(f"/me#statement-{comment.id}", status_code=303)
    else:
        response = RedirectResponse(f"/stories/{story.slug}#statement-{comment.id}", status_code=303)
    return _finish(request, response, None)


async def _own(request: Request, actor: Actor) -> tuple[Story, Comment]:
    """The story and the actor's own comment on it (in any state but deleted)."""
    services = _services(request)
    story = await run_in_threadpool(services.stories.get, request.path_params["slug"])
    comment = await run_in_threadpool(services.posting.own_comment, actor, request.path_params["comment_id"])
    if comment.story_id != story.id:
        raise NotFound("no comment of yours has that id on this story", field="comment_id")
    return story, comment


async def _appeal_again(request: Request, form: dict, error: ParleyError) -> Response:
    """A plain POST's error: the comment, its statement and the form, with the error named."""
    services = _services(request)
    actor = await actor_of(request)
    story, comment = await _own(request, actor)
    view = await run_in_threadpool(services.appeals.statements_for, actor, comment)
    html, new_token = _render(request, "appeal.html", story=story, comment=comment, view=view, error=error,
                              text=form.get("text", ""), back="me" if form.get("back") == "me" else "",
                              now=datetime.now(timezone.utc))
    return _finish(request, HTMLResponse(html, status_code=error.status), new_token)


# --- /me: the reader's own comments and reports -------------------------------------------
@dataclasses.dataclass
class OwnReport:
    outcome: ReportOutcome  # the report, its status and the message
    comment: Comment | None  # None once readers cannot see it
    story: Story | None


async def me_page(request: Request) -> Response:
    """Your comments and reports: the reader's recent comments moderation restricted, each
    with its statement of reasons and appeal, and their reports with what became of
    them. A guest's are this browser's (its cookie); an account's, the account's."""
    services = _services(request)
    actor = await actor_of(request)

    def gather():
        stories: dict[int, Story] = {}

        def story_of(story_id: int) -> Story:
            if story_id not in stories:
                stories[story_id] = services.stories.by_id(story_id)
            return stories[story_id]

        comments = [(c, story_of(c.story_id), services.appeals.statements_for(actor, c))
                    for c in services.posting.own_restricted(actor)]
        reports = []
        for outcome in services.reports.reports_of(actor):
            try:
                comment = services.posting.get_comment(actor, outcome.report.comment_id)
            except NotFound:
                comment = None
            shown = comment is not None and comment.state.visible
            reports.append(OwnReport(outcome, comment if shown else None,
                                     story_of(comment.story_id) if shown else None))
        return comments, reports

    comments, reports = await run_in_threadpool(gather)
    html, new_token = _render(request, "me.html", actor=actor, comments=comments, reports=reports,
                              comment_states=COMMENT_STATES, now=datetime.now(timezone.utc))
    return _finish(request, HTMLResponse(html), new_token)


routes = [
    route("/stories/{slug}/comments/{comment_id}/report", report_page, permission=PUBLIC),
    route("/stories/{slug}/comments/{comment_id}/report", report_form, methods=["POST"],
          permission=Permission.REPORT),
    route("/stories/{slug}/comments/{comment_id}/appeal", appeal_form, methods=["POST"],
          permission=Permission.APPEAL),
    route("/me", me_page, permission=PUBLIC),
]
