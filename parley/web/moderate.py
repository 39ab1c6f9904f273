"""The moderators' workspace: server-rendered pages under /moderate.

Complete without JavaScript: a queue is a page of comment cards, and every decision is a
plain POST form (CSRF-protected) that answers 303 back to where it came from, with the
next card selected and a flash line saying what was done (with an Undo button).
``static/moderate.js`` makes the same page keyboard first and sends decisions through
the moderators' JSON API (``parley.web.admin``) without a reload.

Pages:  GET /moderate (a queue), /moderate/comments/{id} (a card and its thread),
        /moderate/audit (the audit log; its CSV is /api/v1/admin/audit.csv)
Forms:  POST /moderate/comments/{id}/decide, /moderate/comments/{id}/sanction,
        /moderate/decisions/{id}/undo, /moderate/bulk, /moderate/sanctions/{id}/lift,
        /moderate/appeals/{id}/decide

Who may do what is the services' to say: a handler calls the service and lets
``Forbidden`` rise. It only chooses how a refusal reads: a 403 page saying why, with a
link to sign in that comes back (/login?next=...). A form the rules refuse (no reason,
an expired CSRF token) shows its page again with the reason, unless the actor may not
read that page either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from parley.domain import Actor, Comment, Decision, DecisionKind, Permission, Queue, Sanction
from parley.errors import Forbidden, InvalidInput, ParleyError
from parley.moderation import LABELS
from parley.service.decisions import FOLD_KINDS, MAX_BULK, Card
from parley.store import AuditQuery
from parley.web.account import local_path
from parley.web.admin import audit_query, queue_query
from parley.web.auth import actor_of
from parley.web.cache import RenderCache
from parley.web.format import flagged_runs
from parley.web.responses import _read_body, read_form, wants_json
from parley.web.routing import route
from parley.web.security import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie

MAX_FORM_BYTES = 16 * 1024
#: Cards on a page of a queue unless ``limit`` says otherwise. Ten keeps the first page
#: quick to render and to lay out (benchmarks/workspace.py; 25 cards were 165 KB of HTML);
#: the script fetches the next page while five cards are left, so the keyboard never waits.
CARDS_PER_PAGE = 10
MAX_BULK_FORM_BYTES = 32 * 1024  # MAX_BULK ticked ids and a reason
#: The query parameters that say which page of which queue is shown, kept across decisions.
QUEUE_PARAMS = ("queue", "story", "label", "min_score", "author", "cursor", "limit")
QUEUE_NAMES = {Queue.HELD: "Held", Queue.REPORTED: "Reported", Queue.FOLDED: "Folded",
               Queue.RESUBMITTED: "Resubmitted", Queue.APPEALS: "Appeals", Queue.APPROVED: "Approved",
               Queue.REJECTED: "Rejected"}
QUEUE_HINTS = {Queue.HELD: "held by the models or by a rule (pre-moderation)",
               Queue.REPORTED: "reported by readers",
               Queue.FOLDED: "published behind a notice by the models, not yet looked at",
               Queue.RESUBMITTED: "sent again after the models asked for a rephrase",
               Queue.APPEALS: "their writers appealed a decision",
               Queue.APPROVED: "decided: shown to readers, latest first",
               Queue.REJECTED: "decided: kept from readers, latest first"}
#: The reasons a Reject form offers first; a moderator may add their own words.
REJECT_REASONS = ("Personal attack or harassment", "Hate speech or an attack on identity", "Threat of violence",
                  "Spam or advertising", "Off topic", "Profanity or obscenity", "Illegal content")
BAN_REASONS = ("Repeated abuse", "Spam account", "Threats of violence", "Evading an earlier ban")
NOTICE_NAMES = {"offensive": "May be offensive", "spam": "May be spam", "off_topic": "May be off topic"}
#: The fold notices in the order a Fold form offers them, the most common (and the default) first.
NOTICE_ORDER = [k for k in NOTICE_NAMES if k in FOLD_KINDS] + [k for k in FOLD_KINDS if k not in NOTICE_NAMES]
#: What the flash line says was done; the page's script reads the same words.
DONE = {DecisionKind.APPROVE: "Approved comment {c}", DecisionKind.REJECT: "Rejected comment {c}",
        DecisionKind.FOLD: "Folded comment {c} behind a notice",
        DecisionKind.DISMISS: "Dismissed the reports on comment {c}",
        DecisionKind.BAN: "Banned the author of comment {c} and rejected the comment",
        DecisionKind.SUSPEND: "Suspended the author of comment {c} and rejected the comment",
        DecisionKind.PREMODERATE: "The author of comment {c} is pre-moderated from now on",
        DecisionKind.TRUST: "The author of comment {c} is trusted from now on",
        DecisionKind.LIFT: "Lifted a sanction on author {a}", DecisionKind.UPHOLD: "Upheld the decision on comment {c}",
        DecisionKind.REVERSE: "Reversed the decision on comment {c}", DecisionKind.HOLD: "Held comment {c}",
        DecisionKind.UNDO: "{r} on comment {c}"}
DONE_MANY = {DecisionKind.APPROVE: "Approved {n} comments", DecisionKind.REJECT: "Rejected {n} comments",
             DecisionKind.FOLD: "Folded {n} comments behind a notice",
             DecisionKind.DISMISS: "Dismissed the reports on {n} comments", DecisionKind.UNDO: "Undid {n} decisions"}
#: The same words for the page's script (``data-done``): ``{c}`` the comment, ``{a}`` the author,
#: ``{r}`` the reason, ``{n}`` how many.
DONE_JSON = orjson.dumps({k.value: v for k, v in DONE.items()}
                         | {"many": {k.value: v for k, v in DONE_MANY.items()}}).decode()
#: Decisions an Undo button is offered for (the service still says whether it may).
UNDOABLE = frozenset({DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.FOLD, DecisionKind.DISMISS,
                      DecisionKind.BAN, DecisionKind.SUSPEND, DecisionKind.PREMODERATE, DecisionKind.TRUST})
#: The keyboard, as the page lists it (``static/moderate.js`` is the other half).
KEYS = (("j", "next card"), ("k", "previous card"), ("a", "approve"),
        ("r", "reject: type a reason or keep the one chosen, Enter sends"),
        ("f", "fold behind the chosen notice"), ("b", "ban the author: type a reason, Enter sends"),
        ("u", "undo the last decision"), ("x", "select the card; a, r and f then act on every selected card"),
        ("o", "open the card with its thread"), ("Esc", "leave a reason box"), ("?", "show or hide the keys"))


@dataclasses.dataclass
class CardView:
    """A comment card as a page shows it."""

    card: Card
    runs: list[tuple[str, str | None]]  # the comment's text, cut where the verdict's spans flag it
    scores: list[tuple[str, float]]  # each label's score, highest first
    sanctions: list[Sanction]  # those in force on its author
    thread: list[Comment]  # its thread, parents before children, itself among them
    next_url: str  # where its forms land: its queue with the next card selected, or its own page
    selected: bool = False


@dataclasses.dataclass
class Flash:
    """The line after a decision: what was done, and the decisions an Undo button takes back."""

    text: str
    undo: list[int]


def card_view(card: Card, now: datetime, next_url: str, *, selected: bool = False) -> CardView:
    verdict = card.comment.verdict
    spans = [s.to_dict() for s in verdict.spans] if verdict else []
    scores = sorted(verdict.scores.items(), key=lambda kv: (-kv[1], kv[0])) if verdict else []
    return CardView(card, flagged_runs(card.comment.body_source, spans), scores,
                    [s for s in card.sanctions if s.active(now)], card.thread, next_url, selected)


def page_url(path: str, params: Mapping[str, object], **changes) -> str:
    """``path`` with ``params`` and ``changes`` (empty values left out). A ``selected``
    card is the fragment too, so that the browser scrolls to it."""
    merged = {k: str(v) for k, v in {**params, **changes}.items() if v not in (None, "")}
    query = urlencode(merged)
    url = path + (f"?{query}" if query else "")
    return url + (f"#card-{merged['selected']}" if "selected" in merged else "")


def reason_of(form: Mapping[str, str]) -> str:
    """A reason chosen from the list, typed, or both (``chosen: typed``)."""
    chosen, typed = (form.get("reason") or "").strip(), (form.get("reason_text") or "").strip()
    return f"{chosen}: {typed}" if chosen and typed else chosen or typed


def done_text(made: list[Decision]) -> str:
    """What the flash line says of decisions just made (``static/moderate.js`` says the same)."""
    first = made[0]
    if len(made) > 1:
        return DONE_MANY.get(first.kind, "{n} decisions").format(n=len(made)) + "."
    text = DONE[first.kind].format(c=first.comment_id, a=first.author_id, r=first.reason[:1].upper() + first.reason[1:])
    if first.reason and first.kind is not DecisionKind.UNDO:
        text += f": {first.reason}"
    return text + "."


def _flash(actor: Actor, made: list[Decision]) -> Flash | None:
    if not made:
        return None
    undo = all(d.kind in UNDOABLE and d.undone_at is None and d.actor == actor.label for d in made)
    return Flash(done_text(made), [d.id for d in made] if undo else [])


def _made(services, actor: Actor, raw: str | None) -> list[Decision]:
    """The decisions a flash line reports (``done=<ids>`` after a form), as the audit log has them."""
    ids = {int(p) for p in (raw or "").split(",")[:MAX_BULK] if p.isascii() and p.isdigit() and len(p) < 19}
    if not ids:
        return []
    with contextlib.suppress(ParleyError):  # no flash rather than no page
        found = services.decisions.audit(actor, AuditQuery(before_id=max(ids) + 1,
                                                           limit=min(1000, max(ids) - min(ids) + 1)))
        return sorted((d for d in found if d.id in ids), key=lambda d: d.id)
    return []


def _ids(raw: str | None) -> list[str]:
    return [p for p in (raw or "").split(",") if p.strip()][:MAX_BULK]  # each checked by the service


# --- rendering -------------------------------------------------------------------------
# The same on every card: made once, not once a card.
REJECT_OPTIONS = Markup("".join(f"<option>{escape(r)}</option>" for r in REJECT_REASONS)
                        + '<option value="">Other (say why)</option>')
FOLD_OPTIONS = Markup("".join(f'<option value="{escape(k)}">{escape(NOTICE_NAMES.get(k, k))}</option>'
                              for k in NOTICE_ORDER))


def _render(request: Request, template: str, **context) -> str:
    return request.app.state.templates.get_template(template).render(
        queue_names=QUEUE_NAMES, queue_hints=QUEUE_HINTS, keys=KEYS, reject_options=REJECT_OPTIONS,
        fold_options=FOLD_OPTIONS, ban_reasons=BAN_REASONS, done_texts=DONE_JSON,
        now=request.app.state.services.deps.clock(), **context)


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    token, new_token = csrf_token(request)
    return _respond(request, _render(request, template, csrf_token=token, **context), token, new_token, status)


def _respond(request: Request, html: str | bytes, token: str, new_token: bool, status: int = 200) -> Response:
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    if new_token:
        set_csrf_cookie(response, token, bool(request.app.state.config.secure_cookies))
    return response


# --- a queue page, made once for every moderator ------------------------------------------
#: How long a queue page is served as it was made, when nothing it shows has changed: its
#: relative times ("3 minutes ago") and suspensions that end by the clock are this fresh.
#: Anything a moderator, a writer or a reader changes moves the workspace's revision
#: (migration 0010) and is on the next page at once, on every instance.
PAGE_SECONDS = 10
#: Where a shared page takes each moderator's own parts. Every value a page shows is
#: escaped, so no comment can make a "<" (let alone this process's random nonce): a
#: marker cannot be forged into the text it is replaced in.
_NONCE = secrets.token_hex(8)
SLOTS = {name: Markup(f"<!--parley-{name}-{_NONCE}-->") for name in ("csrf", "who", "flash")}


def _shared_pages(request: Request) -> RenderCache:
    """The app's cache of queue pages (made on first use; the event loop is one thread)."""
    cache = getattr(request.app.state, "workspace_pages", None)
    if cache is None:
        cache = request.app.state.workspace_pages = RenderCache(max_entries=64, max_bytes=16 * 1024 * 1024)
    return cache


async def _revision(request: Request, actor: Actor) -> int:
    """The workspace's revision; where the store's reads are local and cheap, read on
    the event loop, with no trip to the thread pool."""
    decisions = request.app.state.services.decisions
    if request.app.state.store.inline_reads:
        return decisions.queue_revision(actor)
    return await run_in_threadpool(decisions.queue_revision, actor)


def _workspace(handler: Callable) -> Callable:
    """A workspace handler whose refusal by a service (``Forbidden``) reads as a 403 page
    (or, to a client asking for JSON, as the API's error)."""
    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Forbidden as exc:
            if wants_json(request):
                raise
            return await _refused(request, exc)
    return run


async def _refused(request: Request, exc: Forbidden) -> Response:
    """The 403 page: why, and a way to sign in that comes back here. A refusal is a 403
    for everyone, a signed-out visitor too, so that every route refuses the same way."""
    actor = await actor_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    back = here if request.method == "GET" else "/moderate"
    return _page(request, "moderate.html", status=403, denied=exc, actor=actor,
                 login_url="/login?" + urlencode({"next": back}))


# --- pages -----------------------------------------------------------------------------
@_workspace
async def queue_page(request: Request) -> Response:
    """One queue, a page of cards in priority order, with every queue's count."""
    return await _queue(request, dict(request.query_params))


async def _queue(request: Request, params: dict[str, str], error: ParleyError | None = None) -> Response:
    """A page of a queue. The page is the same for every moderator but for their name,
    their CSRF token and their flash line, so it is made once per revision of the
    workspace (and at most ``PAGE_SECONDS`` old) and those are filled in per request; a
    page that says why a form was refused is made for its moderator alone."""
    actor = await actor_of(request)
    services = request.app.state.services
    query = queue_query(params)
    if query.limit is None:
        query = dataclasses.replace(query, limit=CARDS_PER_PAGE)
    made = await run_in_threadpool(_made, services, actor, params["done"]) if params.get("done") else []
    kept = {k: params[k] for k in QUEUE_PARAMS if params.get(k)}
    token, new_token = csrf_token(request)
    if error is not None:
        html = await run_in_threadpool(functools.partial(_queue_html, request, actor, query, params, kept,
                                                         csrf_token=token, flash=_flash(actor, made), error=error))
        return _respond(request, html, token, new_token, error.status)
    key = ("queue", await _revision(request, actor), int(time.monotonic() // PAGE_SECONDS),
           tuple(params.get(k, "") for k in (*QUEUE_PARAMS, "selected")))
    pages = _shared_pages(request)
    found = pages.peek(key)
    if found is None:
        found = await run_in_threadpool(pages.get_or_render, key, lambda: _queue_html(
            request, actor, query, params, kept, csrf_token=SLOTS["csrf"], slots=SLOTS).encode())
    here = page_url("/moderate", kept)
    who = _render(request, "moderate_who.html", actor=actor, csrf_token=token).encode()
    flash = _render(request, "moderate_flash.html", flash=_flash(actor, made), here=here, csrf_token=token).encode()
    html = (found.body.replace(SLOTS["csrf"].encode(), token.encode()).replace(SLOTS["who"].encode(), who)
            .replace(SLOTS["flash"].encode(), flash))
    return _respond(request, html, token, new_token)


def _queue_html(request: Request, actor: Actor, query, params: dict[str, str], kept: dict[str, str],
                **context) -> str:
    """A queue page's HTML (in a worker thread: it reads the store)."""
    services = request.app.state.services
    view, cards = services.decisions.queue_cards(actor, query)
    ids = [c.comment.id for c in cards]
    raw = params.get("selected", "")
    selected = int(raw) if raw.isascii() and raw.isdigit() and int(raw) in ids else (ids[0] if ids else None)
    now = services.deps.clock()
    views = []
    for i, card in enumerate(cards):
        neighbour = ids[i + 1] if i + 1 < len(ids) else ids[i - 1] if i else None
        views.append(card_view(card, now, page_url("/moderate", kept, selected=neighbour),
                               selected=card.comment.id == selected))
    filters = {k: params.get(k, "") for k in ("story", "label", "min_score", "author")}
    return _render(request, "moderate.html", actor=actor, view=view, cards=views, filters=filters, labels=LABELS,
                   here=page_url("/moderate", kept), queues=list(Queue),
                   tab_url=lambda q: page_url("/moderate", filters, queue=q.value),
                   more_url=page_url("/moderate", {**kept, "cursor": view.next_cursor}) if view.next_cursor else None,
                   **context)


@_workspace
async def card_page(request: Request) -> Response:
    """One comment's card in full: its thread around it and every decision taken on it."""
    return await _card(request, request.path_params["comment_id"], dict(request.query_params))


async def _card(request: Request, comment_id, params: dict[str, str], error: ParleyError | None = None) -> Response:
    actor = await actor_of(request)
    services = request.app.state.services
    card = await run_in_threadpool(services.decisions.card, actor, comment_id)
    made = await run_in_threadpool(_made, services, actor, params.get("done"))
    c = card.comment
    queue = c.queue or (Queue.REJECTED.value if c.state.value == "rejected" else
                        Queue.APPROVED.value if c.reviewed_at else Queue.HELD.value)
    here = f"/moderate/comments/{c.id}"
    return _page(request, "moderate.html", status=error.status if error else 200, actor=actor,
                 full=card_view(card, services.deps.clock(), here, selected=True), error=error,
                 flash=_flash(actor, made), here=here, back_url=page_url("/moderate", {"queue": queue}),
                 queues=list(Queue))


@_workspace
async def audit_page(request: Request) -> Response:
    """The audit log, latest first, searchable, a page at a time; exported as CSV by the API."""
    actor = await actor_of(request)
    params = request.query_params
    query = audit_query(params)
    entries = await run_in_threadpool(request.app.state.services.decisions.audit, actor, query)
    filters = {k: params.get(k, "") for k in ("q", "decision", "comment", "author")}
    older = page_url("/moderate/audit", filters, before=entries[-1].id) if len(entries) == query.limit else None
    return _page(request, "moderate_audit.html", actor=actor, entries=entries, filters=filters,
                 kinds=[k.value for k in DecisionKind], older_url=older,
                 newest_url=page_url("/moderate/audit", filters) if params.get("before") else None,
                 csv_url=page_url("/api/v1/admin/audit.csv", filters))


# --- forms -----------------------------------------------------------------------------
#: What a form's work returns: the decisions made, and the card to select (None: the one ``next`` says).
Done = tuple[list[Decision], int | None]
Work = Callable[..., Done]


async def _act(request: Request, form: dict, work: Callable[..., Done]) -> Response:
    """Check the form's CSRF token, run ``work(services, actor)`` (which returns the
    decisions made and the card to select), and answer 303 to the form's ``next`` with
    ``done=<ids>``. When the CSRF check or the rules refuse, the page the form came from
    is shown again with the reason; and when the actor may not read that page either
    (not a moderator), that refusal is the 403 page (``_workspace``)."""
    actor = await actor_of(request)
    back = local_path(form.get("next"), "/moderate")
    if not back.startswith("/moderate"):
        back = "/moderate"
    try:
        check_csrf(request, form.get(CSRF_FIELD))
        made, selected = await run_in_threadpool(work, request.app.state.services, actor)
    except ParleyError as exc:
        if wants_json(request):  # a client asking for JSON gets the API's error shape
            raise
        return await _again(request, back, exc)
    parts = urlsplit(back)
    params = {k: v for k, v in parse_qsl(parts.query) if k != "done"}
    if selected is not None:
        params["selected"] = str(selected)
    return RedirectResponse(page_url(parts.path, params, done=",".join(str(d.id) for d in made)), status_code=303)


async def _again(request: Request, back: str, exc: ParleyError) -> Response:
    """The page a form came from, again, saying why what it asked for was not done."""
    parts = urlsplit(back)
    params = {k: v for k, v in parse_qsl(parts.query) if k != "done"}
    card = re.fullmatch(r"/moderate/comments/(\d+)", parts.path)
    if card:
        return await _card(request, card[1], params, error=exc)
    return await _queue(request, params, error=exc)


def _form_route(work: Work, read: Callable | None = None) -> Callable:
    """The handler of one of the workspace's forms: read the form (``read_form``, or
    ``read``), then ``_act`` on ``work(services, actor, form, path_params)``."""
    async def handler(request: Request) -> Response:
        form = await (read(request) if read else read_form(request, MAX_FORM_BYTES))
        return await _act(request, form, lambda services, actor: work(services, actor, form, request.path_params))
    handler.__name__, handler.__doc__ = work.__name__.lstrip("_"), work.__doc__
    return _workspace(handler)


def _decide(services, actor: Actor, form: dict, path: Mapping) -> Done:
    """Approve, reject (reason), fold (notice) or dismiss the reports on one comment."""
    return [services.decisions.decide(actor, path["comment_id"], form.get("decision"), reason=reason_of(form),
                                      notice=form.get("notice") or None)], None


def _sanction(services, actor: Actor, form: dict, path: Mapping) -> Done:
    """Ban, suspend (days), pre-moderate or trust the author of a comment."""
    kind, days = form.get("sanction"), None
    if kind == "suspend":
        try:
            days = float(form.get("days") or "")
        except ValueError:
            raise InvalidInput("say for how many days", field="days") from None
    return [services.decisions.sanction(actor, path["comment_id"], kind, reason=reason_of(form), days=days)], None


def _undo(services, actor: Actor, form: dict, path: Mapping) -> Done:
    """Take back a decision (and, for a bulk decision, the others in ``also``); the card it
    was on comes back selected."""
    made = services.decisions.undo(actor, path["decision_id"], also=_ids(form.get("also")))
    return made, next(d.comment_id for d in made if d.undoes == path["decision_id"])


def _bulk(services, actor: Actor, form: dict, path: Mapping) -> Done:
    """One decision on every ticked card (a reason for a rejection only)."""
    kind = form.get("decision")
    reason = reason_of(form) if kind == DecisionKind.REJECT.value else ""
    return services.decisions.bulk(actor, form["ids"], kind, reason=reason, notice=form.get("notice") or None), None


async def _bulk_form(request: Request) -> dict:
    """The bulk form's fields, and in ``ids`` every ticked comment (a field each: up to
    MAX_BULK of them, more fields than ``read_form`` takes). A plain form post only."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise InvalidInput("send the form as application/x-www-form-urlencoded", field="body")
    raw = await _read_body(request, MAX_BULK_FORM_BYTES)
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, errors="strict", max_num_fields=MAX_BULK + 20)
    except UnicodeDecodeError:
        raise InvalidInput("the form is not UTF-8", field="body") from None
    except ValueError:
        raise InvalidInput(f"at most {MAX_BULK} comments at once", field="comment_ids") from None
    return {k: v for k, v in pairs if k != "ids"} | {"ids": [v for k, v in pairs if k == "ids"]}


def _lift(services, actor: Actor, form: dict, path: Mapping) -> Done:
    """End a sanction before its time."""
    return [services.decisions.lift(actor, path["sanction_id"], reason=reason_of(form))], None


def _decide_appeal(services, actor: Actor, form: dict, path: Mapping) -> Done:
    """Uphold or reverse the decision a writer appealed; never by the moderator who made it."""
    return [services.appeals.decide(actor, path["appeal_id"], form.get("outcome"), reason_of(form)).decision], None


MODERATE, SANCTION, AUDIT = Permission.MODERATE, Permission.SANCTION, Permission.AUDIT
_COMMENT = "/moderate/comments/{comment_id:int}"
routes = [
    route("/moderate", queue_page, permission=MODERATE),
    route(_COMMENT, card_page, permission=MODERATE),
    route("/moderate/audit", audit_page, permission=AUDIT),
    route(f"{_COMMENT}/decide", _form_route(_decide), methods=["POST"], permission=MODERATE),
    route(f"{_COMMENT}/sanction", _form_route(_sanction), methods=["POST"], permission=SANCTION),
    route("/moderate/decisions/{decision_id:int}/undo", _form_route(_undo), methods=["POST"], permission=MODERATE),
    route("/moderate/bulk", _form_route(_bulk, read=_bulk_form), methods=["POST"], permission=MODERATE),
    route("/moderate/sanctions/{sanction_id:int}/lift", _form_route(_lift), methods=["POST"], permission=SANCTION),
    route("/moderate/appeals/{appeal_id:int}/decide", _form_route(_decide_appeal), methods=["POST"],
          permission=MODERATE),
]
