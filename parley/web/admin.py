"""The moderators' JSON API under /api/v1/admin: queues, comment cards, decisions,
sanctions, undo and the audit log. Handlers turn the request into an actor and its
fields; ``parley.service.decisions`` decides who may do what."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from parley.domain import Comment, Decision, Permission, Report, Sanction
from parley.errors import InvalidInput
from parley.service import QueueQuery
from parley.service.cleaning import whole_number
from parley.service.decisions import Card
from parley.store import AuditQuery
from parley.web.api import comment_json, query_limit
from parley.web.auth import actor_of
from parley.web.format import iso
from parley.web.responses import JSONResponse, read_json
from parley.web.routing import route


def moderated_comment_json(comment: Comment) -> dict:
    """A comment as moderators see it: in any state, with its Markdown, its verdict and
    where it stands in the queues."""
    verdict = comment.verdict.to_dict() if comment.verdict is not None else None
    return comment_json(comment) | {"body_source": comment.body_source, "verdict": verdict,
                                    "queue": comment.queue, "priority": comment.priority,
                                    "report_count": comment.report_count, "author_id": comment.author.id}


def decision_json(d: Decision) -> dict:
    return {"id": d.id, "at": iso(d.created_at), "actor": d.actor, "decision": d.kind.value, "reason": d.reason,
            "automated": d.automated, "comment_id": d.comment_id, "author_id": d.author_id,
            "prompted_by": d.prompted_by, "legal_ground": d.legal_ground, "undoes": d.undoes,
            "undone_at": iso(d.undone_at), "until": iso(d.until)}


def report_json(r: Report) -> dict:
    return {"id": r.id, "reason": r.reason.value, "text": r.text, "law": r.law, "good_faith": r.good_faith,
            "at": iso(r.created_at), "resolved_at": iso(r.resolved_at), "outcome": r.outcome}


def sanction_json(s: Sanction) -> dict:
    return {"id": s.id, "kind": s.kind.value, "reason": s.reason, "by": s.decided_by, "at": iso(s.created_at),
            "until": iso(s.until), "lifted_at": iso(s.lifted_at)}


def card_json(card: Card) -> dict:
    h = card.history
    return {"comment": moderated_comment_json(card.comment),
            "story": {"slug": card.story.slug, "title": card.story.title},
            "thread": [comment_json(c) for c in card.thread],
            "author": {"id": card.comment.author.id, "name": card.comment.author.display_name,
                       "kind": card.comment.author.kind.value,
                       "history": {"comments": h.comments, "published": h.published, "approved": h.approved,
                                   "rejected": h.rejected, "held": h.held, "first_seen": iso(h.first_seen)},
                       "sanctions": [sanction_json(s) for s in card.sanctions]},
            "reports": [report_json(r) for r in card.reports],
            "decisions": [decision_json(d) for d in card.decisions],
            "appeal": None if card.appeal is None else {
                "id": card.appeal.id, "decision_id": card.appeal.decision_id, "text": card.appeal.text,
                "at": iso(card.appeal.created_at), "outcome": card.appeal.outcome,
                "decided_at": iso(card.appeal.decided_at)}}


def queue_query(params) -> QueueQuery:
    """A queue's filters from query parameters (the API's and the workspace pages')."""
    min_score = params.get("min_score") or None
    author = params.get("author") or None
    try:
        min_score = float(min_score) if min_score is not None else None
    except ValueError:
        raise InvalidInput("min_score must be a number", field="min_score") from None
    author = whole_number(author, "author") if author is not None else None
    return QueueQuery(queue=params.get("queue") or "held", story=params.get("story") or None,
                      label=params.get("label") or None, min_score=min_score, author_id=author,
                      cursor=params.get("cursor") or None, limit=query_limit(params.get("limit")))


async def queue(request: Request) -> Response:
    """A page of one queue, in priority order, with every queue's count."""
    actor = await actor_of(request)
    view = await run_in_threadpool(request.app.state.services.decisions.queue, actor,
                                   queue_query(request.query_params))
    return JSONResponse({
        "queue": view.queue.value,
        "counts": {q.value: n for q, n in view.counts.items()},
        "comments": [moderated_comment_json(i.comment) | {"story": {"slug": i.story.slug, "title": i.story.title}}
                     for i in view.items],
        "next_cursor": view.next_cursor,
    })


async def comment_card(request: Request) -> Response:
    actor = await actor_of(request)
    card = await run_in_threadpool(request.app.state.services.decisions.card, actor,
                                   request.path_params["comment_id"])
    return JSONResponse(card_json(card))


async def comment_verdict(request: Request) -> Response:
    """Any comment, held and rejected ones too, with the verdict that decided what readers see."""
    actor = await actor_of(request)
    comment = await run_in_threadpool(request.app.state.services.decisions.verdict_of, actor,
                                      request.path_params["comment_id"])
    return JSONResponse(moderated_comment_json(comment))


def _decide(kind: str):
    async def handler(request: Request) -> Response:
        actor = await actor_of(request)
        data = await _optional_json(request)
        decisions = request.app.state.services.decisions
        decision = await run_in_threadpool(decisions.decide, actor, request.path_params["comment_id"], kind,
                                           reason=data.get("reason", ""), notice=data.get("notice"),
                                           legal_ground=data.get("legal_ground", ""))
        comment = await run_in_threadpool(decisions.verdict_of, actor, request.path_params["comment_id"])
        return JSONResponse(moderated_comment_json(comment) | {"decision": decision_json(decision)})
    handler.__name__ = kind
    return handler


async def _optional_json(request: Request) -> dict:
    """A decision's fields: a JSON object, or nothing at all (approve needs none)."""
    if not request.headers.get("content-type") and request.headers.get("content-length", "0") == "0":
        return {}
    return await read_json(request)


async def bulk(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    made = await run_in_threadpool(request.app.state.services.decisions.bulk, actor, data.get("comment_ids"),
                                   data.get("decision"), reason=data.get("reason", ""), notice=data.get("notice"))
    return JSONResponse({"decisions": [decision_json(d) for d in made]})


async def sanction(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    decision = await run_in_threadpool(request.app.state.services.decisions.sanction, actor,
                                       request.path_params["comment_id"], data.get("sanction"),
                                       reason=data.get("reason", ""), days=data.get("days"),
                                       reject=data.get("reject"))
    return JSONResponse(decision_json(decision))


async def lift(request: Request) -> Response:
    actor = await actor_of(request)
    data = await _optional_json(request)
    decision = await run_in_threadpool(request.app.state.services.decisions.lift, actor,
                                       request.path_params["sanction_id"], reason=data.get("reason", ""))
    return JSONResponse(decision_json(decision))


async def undo(request: Request) -> Response:
    """Undo a decision; ``{"also": [ids]}`` undoes the rest of a bulk decision with it, all or none."""
    actor = await actor_of(request)
    data = await _optional_json(request)
    also = data.get("also") or []
    if not isinstance(also, list):
        raise InvalidInput("also is a list of decision ids", field="also")
    made = await run_in_threadpool(request.app.state.services.decisions.undo, actor,
                                   request.path_params["decision_id"], also=also)
    named = request.path_params["decision_id"]
    answer = decision_json(next(d for d in made if d.undoes == named))
    if also:
        answer["undone"] = [decision_json(d) for d in made]
    return JSONResponse(answer)


def audit_query(params) -> AuditQuery:
    def number(name: str) -> int | None:
        raw = params.get(name)
        return whole_number(raw, name) if raw else None

    return AuditQuery(text=params.get("q") or None, kind=params.get("decision") or None,
                      comment_id=number("comment"), author_id=number("author"), before_id=number("before"),
                      limit=number("limit") or 100)


async def audit(request: Request) -> Response:
    actor = await actor_of(request)
    entries = await run_in_threadpool(request.app.state.services.decisions.audit, actor,
                                      audit_query(request.query_params))
    return JSONResponse({"decisions": [decision_json(d) for d in entries],
                         "next_before": entries[-1].id if entries else None})


async def audit_csv(request: Request) -> Response:
    actor = await actor_of(request)
    query = audit_query(request.query_params)
    rows = request.app.state.services.decisions.audit_csv(actor, query)
    first = await run_in_threadpool(next, rows)  # the permission check runs here, before any byte is sent

    def chunks():
        yield first
        yield from rows

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="parley-audit-log.csv"'})


MODERATE, SANCTION, AUDIT = Permission.MODERATE, Permission.SANCTION, Permission.AUDIT
_COMMENT = "/api/v1/admin/comments/{comment_id:int}"
routes = [
    route("/api/v1/admin/queue", queue, permission=MODERATE),
    route(_COMMENT, comment_card, permission=MODERATE),
    route(f"{_COMMENT}/verdict", comment_verdict, permission=MODERATE),
    *(route(f"{_COMMENT}/{kind}", _decide(kind), methods=["POST"], permission=MODERATE)
      for kind in ("approve", "reject", "fold", "dismiss")),
    route(f"{_COMMENT}/sanction", sanction, methods=["POST"], permission=SANCTION),
    route("/api/v1/admin/decisions/bulk", bulk, methods=["POST"], permission=MODERATE),
    route("/api/v1/admin/decisions/{decision_id:int}/undo", undo, methods=["POST"], permission=MODERATE),
    route("/api/v1/admin/sanctions/{sanction_id:int}/lift", lift, methods=["POST"], permission=SANCTION),
    route("/api/v1/admin/audit", audit, permission=AUDIT),
    route("/api/v1/admin/audit.csv", audit_csv, permission=AUDIT),
]
