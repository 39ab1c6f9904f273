"""The JSON API of readers' reports, statements of reasons and appeals, and the exports
that make decisions data: the DSA Transparency Database's statements and the labelled
examples ``parley train --decisions`` reads; and Perspective's ``SuggestCommentScore``
at ``POST /v1alpha1/comments:suggestscore``, stored as labelled examples too.

Handlers turn the request into an actor and its fields; ``parley.service.reports``,
``.appeals`` and ``.training`` decide who may do what."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from parley.domain import Appeal, Permission, Report
from parley.errors import InvalidInput, ParleyError, TooLarge
from parley.service.appeals import AppealDecided, WriterView
from parley.service.reports import ReportOutcome
from parley.service.training import TrainingService
from parley.web.admin import decision_json
from parley.web.api import query_limit
from parley.web.auth import actor_of, ensure_guest_cookie
from parley.web.format import iso
from parley.web.perspective import AnalyzeError, scoring_actor
from parley.web.responses import JSONResponse, read_json
from parley.web.routing import PUBLIC, route

JSON_LINES = "application/x-ndjson; charset=utf-8"


def own_report_json(r: Report) -> dict:
    """A report as its reporter sees it (never anyone else's)."""
    return {"id": r.id, "comment_id": r.comment_id, "reason": r.reason.value, "text": r.text, "law": r.law,
            "good_faith": r.good_faith, "name": r.reporter_name, "email": r.reporter_email, "at": iso(r.created_at),
            "resolved_at": iso(r.resolved_at), "outcome": r.outcome}


def report_outcome_json(o: ReportOutcome) -> dict:
    return own_report_json(o.report) | {"status": o.status, "message": o.message}


def appeal_json(a: Appeal) -> dict:
    return {"id": a.id, "comment_id": a.comment_id, "decision_id": a.decision_id, "text": a.text,
            "at": iso(a.created_at), "decided_at": iso(a.decided_at), "outcome": a.outcome}


def writer_view_json(view: WriterView) -> dict:
    return {"comment_id": view.comment_id, "statement": view.statement.to_dict() if view.statement else None,
            "can_appeal": view.can_appeal, "why_not": view.why_not,
            "appeal": appeal_json(view.appeal) if view.appeal else None, "outcome": view.outcome}


async def report_comment(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    report = await run_in_threadpool(
        request.app.state.services.reports.report, actor, request.path_params["comment_id"],
        reason=data.get("reason"), text=data.get("text", ""), law=data.get("law", ""),
        good_faith=data.get("good_faith", False), name=data.get("name", ""), email=data.get("email", ""))
    response = JSONResponse({"report": own_report_json(report),
                             "message": "Thank you: a moderator will look at it. You can follow what becomes of "
                                        "your report at /api/v1/me/reports."}, status_code=201)
    ensure_guest_cookie(request, response)  # so that this browser can see its report later
    return response


async def my_reports(request: Request) -> Response:
    actor = await actor_of(request)
    limit = query_limit(request.query_params.get("limit"))
    found = await run_in_threadpool(request.app.state.services.reports.reports_of, actor,
                                    50 if limit is None else limit)
    return JSONResponse({"reports": [report_outcome_json(o) for o in found]})


async def appeal_comment(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    appeal = await run_in_threadpool(request.app.state.services.appeals.appeal, actor,
                                     request.path_params["comment_id"], data.get("text", ""))
    return JSONResponse({"appeal": appeal_json(appeal),
                         "message": "Your appeal is with a moderator other than the one who decided. You will see "
                                    "the outcome on your comment."}, status_code=201)


async def comment_statement(request: Request) -> Response:
    actor = await actor_of(request)
    view = await run_in_threadpool(request.app.state.services.appeals.statements_for, actor,
                                   request.path_params["comment_id"])
    return JSONResponse(writer_view_json(view))


async def decide_appeal(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    decided: AppealDecided = await run_in_threadpool(request.app.state.services.appeals.decide, actor,
                                                     request.path_params["appeal_id"], data.get("outcome"),
                                                     data.get("reason", ""))
    return JSONResponse({"appeal": appeal_json(decided.appeal), "decision": decision_json(decided.decision)})


async def _json_lines(request: Request, rows, filename: str) -> Response:
    first = await run_in_threadpool(next, rows)  # the permission check runs here, before any byte is sent

    def chunks():
        yield first
        yield from rows

    return StreamingResponse(chunks(), media_type=JSON_LINES,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def statements_jsonl(request: Request) -> Response:
    actor = await actor_of(request)
    rows = request.app.state.services.appeals.export_statements(
        actor, request.query_params.get("after_id") or 0,
        platform_name=request.query_params.get("platform") or request.url.hostname or "Parley")
    return await _json_lines(request, rows, "parley-statements-of-reasons.jsonl")


async def decisions_jsonl(request: Request) -> Response:
    actor = await actor_of(request)
    q = request.query_params
    rows = _training(request).export_examples(actor, q.get("after_id") or 0, q.get("after_suggestion_id") or 0)
    return await _json_lines(request, rows, "parley-decisions.jsonl")


async def suggest_score(request: Request) -> Response:
    """Perspective's SuggestCommentScore, answered in its shape and with its errors."""
    try:
        try:
            actor = await scoring_actor(request)  # a Perspective client's ?key=, as comments:analyze takes it
            data = await read_json(request)
            suggested = await run_in_threadpool(_training(request).suggest_score, actor, data)
        except TooLarge as exc:
            raise AnalyzeError(exc.message, field="body", code=413) from None
        except InvalidInput as exc:
            raise AnalyzeError(exc.message, field=exc.field) from None
        except ParleyError as exc:  # no credentials, or a role that may not score
            raise AnalyzeError(exc.message, field="key", code=403) from None
    except AnalyzeError as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.code)
    answer = {"requestedLanguages": list(suggested.languages), "detectedLanguages": ["en"]}
    if suggested.client_token is not None:
        answer["clientToken"] = suggested.client_token
    return JSONResponse(answer)


def _training(request: Request) -> TrainingService:
    return request.app.state.services.training


_COMMENT = "/api/v1/comments/{comment_id:int}"
routes = [
    route(f"{_COMMENT}/reports", report_comment, methods=["POST"], permission=Permission.REPORT),
    route("/api/v1/me/reports", my_reports, permission=Permission.REPORT),
    route(f"{_COMMENT}/appeal", appeal_comment, methods=["POST"], permission=Permission.APPEAL),
    # The writer sees it on their own comment, a moderator on any; to anyone else it is a 404.
    route(f"{_COMMENT}/statement", comment_statement, permission=PUBLIC),
    route("/api/v1/admin/appeals/{appeal_id:int}/decide", decide_appeal, methods=["POST"],
          permission=Permission.MODERATE),
    route("/api/v1/admin/statements.jsonl", statements_jsonl, permission=Permission.AUDIT),
    route("/api/v1/admin/decisions.jsonl", decisions_jsonl, permission=Permission.AUDIT),
    route("/v1alpha1/comments:suggestscore", suggest_score, methods=["POST"], permission=Permission.SCORE),
]
