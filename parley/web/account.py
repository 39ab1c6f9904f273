"""Signing in and out, single sign-on, password resets, and the admins' API for accounts
and API tokens. Handlers turn the request into arguments and the answer into a page or
JSON; ``AccountService`` decides everything else.

Pages (work without JavaScript, CSRF-protected forms):
    GET/POST /login, POST /logout, GET /sso?token=..., GET/POST /reset/{token}
JSON:
    POST /api/v1/auth/login, /api/v1/auth/logout, /api/v1/auth/sso; GET /api/v1/auth/me
    GET/POST /api/v1/admin/accounts, PATCH /api/v1/admin/accounts/{id}
    GET/POST /api/v1/admin/tokens, DELETE /api/v1/admin/tokens/{name}
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from parley.domain import Account, Actor, ApiToken, Permission
from parley.errors import InvalidInput, ParleyError
from parley.web.api import query_limit
from parley.web.auth import SESSION_COOKIE, actor_of, clear_session_cookie, same_site_only, set_session_cookie
from parley.web.format import iso
from parley.web.responses import JSONResponse, read_form, read_json, wants_json
from parley.web.routing import PUBLIC, route
from parley.web.security import CSRF_FIELD, check_csrf, client_addr, csrf_token, set_csrf_cookie

MAX_FORM_BYTES = 16 * 1024


def _accounts(request: Request):
    return request.app.state.services.accounts


def local_path(raw: str | None, default: str = "/") -> str:
    """``raw`` when it is a path on this site, else ``default``: ``?next=`` never sends a
    browser elsewhere (``//host``, ``/\\host``, a scheme, or control characters that
    browsers drop, as in ``/\\t/host``)."""
    if (not isinstance(raw, str) or not raw.startswith("/") or raw.startswith("//") or "\\" in raw
            or len(raw) > 2000 or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in raw)):
        return default
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else default


def _page(request: Request, template: str, status: int = 200, error: ParleyError | None = None,
          **context) -> Response:
    token, new_token = csrf_token(request)
    html = request.app.state.templates.get_template(template).render(csrf_token=token, error=error, **context)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    if new_token:
        set_csrf_cookie(response, token, bool(request.app.state.config.secure_cookies))
    return response


def _signed_in(request: Request, session_id: str, to: str) -> Response:
    response = RedirectResponse(to, status_code=303)
    set_session_cookie(request, response, session_id)
    return response


# --- pages -------------------------------------------------------------------------------
_NOTICES = {"reset": "Your password is changed. Sign in with it.", "out": "You are signed out."}


async def login_page(request: Request, form: dict | None = None, error: ParleyError | None = None) -> Response:
    q = request.query_params
    form = form or {}
    actor = await actor_of(request)
    return _page(request, "login.html", status=error.status if error else 200, error=error,
                 next=local_path(form.get("next") or q.get("next"), ""), email=form.get("email", ""),
                 notice=None if error else _NOTICES.get(q.get("done", "")), actor=actor)


async def login_form(request: Request) -> Response:
    form: dict = {}
    try:
        form = await read_form(request, MAX_FORM_BYTES)
        check_csrf(request, form.get(CSRF_FIELD))
        _, session_id = await run_in_threadpool(
            _accounts(request).login, email=form.get("email"), password=form.get("password"),
            client_addr=client_addr(request), replacing=request.cookies.get(SESSION_COOKIE))
    except ParleyError as exc:
        if wants_json(request):  # the page's script, or a client: the error as JSON
            raise
        form.pop("password", None)
        return await login_page(request, form=form, error=exc)
    return _signed_in(request, session_id, local_path(form.get("next")))


async def logout_form(request: Request) -> Response:
    form = await read_form(request, MAX_FORM_BYTES)
    check_csrf(request, form.get(CSRF_FIELD))
    await run_in_threadpool(_accounts(request).logout, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(local_path(form.get("next"), "/login?done=out"), status_code=303)
    clear_session_cookie(request, response)
    return response


async def sso_page(request: Request) -> Response:
    """The publisher's site sends the reader here with a token; they come back signed in."""
    q = request.query_params
    _, session_id = await run_in_threadpool(
        _accounts(request).sso_login, token=q.get("token"), client_addr=client_addr(request),
        replacing=request.cookies.get(SESSION_COOKIE))
    return _signed_in(request, session_id, local_path(q.get("next")))


async def reset_page(request: Request, error: ParleyError | None = None) -> Response:
    return _page(request, "reset.html", status=error.status if error else 200, error=error,
                 token=request.path_params["token"])


async def reset_form(request: Request) -> Response:
    try:
        form = await read_form(request, MAX_FORM_BYTES)
        check_csrf(request, form.get(CSRF_FIELD))
        if form.get("password") != form.get("password_again"):
            raise InvalidInput("the two passwords differ; type the same one twice", field="password_again")
        await run_in_threadpool(_accounts(request).reset_password, token=request.path_params["token"],
                                password=form.get("password"), client_addr=client_addr(request))
    except ParleyError as exc:
        if wants_json(request):
            raise
        return await reset_page(request, error=exc)
    return RedirectResponse("/login?" + urlencode({"done": "reset"}), status_code=303)


# --- JSON: signing in and out ------------------------------------------------------------
def account_json(account: Account) -> dict:
    return {"id": account.id, "email": account.email, "display_name": account.display_name,
            "role": account.role.value, "badges": list(account.badges), "sso": account.sso_id is not None,
            "disabled": account.disabled, "created_at": iso(account.created_at)}


def token_json(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "role": token.role.value, "created_by": token.created_by,
            "created_at": iso(token.created_at),
            "last_used_at": iso(token.last_used_at) if token.last_used_at else None,
            "revoked_at": iso(token.revoked_at) if token.revoked_at else None}


def actor_json(actor: Actor) -> dict:
    return {"role": actor.role.value, "name": actor.name, "account_id": actor.account_id,
            "token": actor.name if actor.token_id is not None else None, "badges": list(actor.badges)}


def _signed_in_json(request: Request, account: Account, session_id: str) -> Response:
    response = JSONResponse({"account": account_json(account)})
    set_session_cookie(request, response, session_id)
    return response


async def api_login(request: Request) -> Response:
    data = await read_json(request)
    account, session_id = await run_in_threadpool(
        _accounts(request).login, email=data.get("email"), password=data.get("password"),
        client_addr=client_addr(request), replacing=request.cookies.get(SESSION_COOKIE))
    return _signed_in_json(request, account, session_id)


async def api_sso(request: Request) -> Response:
    data = await read_json(request)
    account, session_id = await run_in_threadpool(
        _accounts(request).sso_login, token=data.get("token"), client_addr=client_addr(request),
        replacing=request.cookies.get(SESSION_COOKIE))
    return _signed_in_json(request, account, session_id)


async def api_logout(request: Request) -> Response:
    same_site_only(request)  # a POST with no JSON body is one any page may send
    await run_in_threadpool(_accounts(request).logout, request.cookies.get(SESSION_COOKIE))
    response = JSONResponse({"signed_out": True})
    clear_session_cookie(request, response)
    return response


async def api_me(request: Request) -> Response:
    return JSONResponse({"actor": actor_json(await actor_of(request))})


# --- JSON: the admins' accounts and tokens -----------------------------------------------
async def list_accounts(request: Request) -> Response:
    actor = await actor_of(request)
    limit = query_limit(request.query_params.get("limit"))
    accounts = await run_in_threadpool(_accounts(request).list_accounts, actor,
                                       limit=min(max(limit or 100, 1), 1000))
    return JSONResponse({"accounts": [account_json(a) for a in accounts]})


async def create_account(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    account = await run_in_threadpool(_accounts(request).create_account, actor, email=data.get("email"),
                                      password=data.get("password"), role=data.get("role", "commenter"),
                                      display_name=data.get("display_name"))
    return JSONResponse({"account": account_json(account)}, status_code=201)


async def change_account(request: Request) -> Response:
    actor = await actor_of(request)
    data = await read_json(request)
    account = await run_in_threadpool(_accounts(request).change_account, actor, request.path_params["account_id"],
                                      role=data.get("role"), disabled=data.get("disabled"))
    return JSONResponse({"account": account_json(account)})


async def list_tokens(request: Request) -> Response:
    actor = await actor_of(request)
    tokens = await run_in_threadpool(_accounts(request).list_tokens, actor)
    return JSONResponse({"tokens": [token_json(t) for t in tokens]})


async def create_token(request: Request) -> Response:
    """A new token; its secret is in this answer and nowhere else, ever."""
    actor = await actor_of(request)
    data = await read_json(request)
    token, secret = await run_in_threadpool(_accounts(request).create_token, actor, name=data.get("name"),
                                            role=data.get("role"))
    return JSONResponse({"token": token_json(token), "secret": secret}, status_code=201,
                        headers={"Cache-Control": "no-store"})


async def revoke_token(request: Request) -> Response:
    actor = await actor_of(request)
    await run_in_threadpool(_accounts(request).revoke_token, actor, request.path_params["name"])
    return Response(status_code=204)


routes = [
    route("/login", login_page, permission=PUBLIC),
    route("/login", login_form, methods=["POST"], permission=PUBLIC),
    route("/logout", logout_form, methods=["POST"], permission=PUBLIC),
    route("/sso", sso_page, permission=PUBLIC),
    route("/reset/{token}", reset_page, permission=PUBLIC),
    route("/reset/{token}", reset_form, methods=["POST"], permission=PUBLIC),
    route("/api/v1/auth/login", api_login, methods=["POST"], permission=PUBLIC),
    route("/api/v1/auth/logout", api_logout, methods=["POST"], permission=PUBLIC),
    route("/api/v1/auth/sso", api_sso, methods=["POST"], permission=PUBLIC),
    route("/api/v1/auth/me", api_me, permission=PUBLIC),
    route("/api/v1/admin/accounts", list_accounts, permission=Permission.MANAGE_ACCOUNTS),
    route("/api/v1/admin/accounts", create_account, methods=["POST"], permission=Permission.MANAGE_ACCOUNTS),
    route("/api/v1/admin/accounts/{account_id:int}", change_account, methods=["PATCH"],
          permission=Permission.MANAGE_ACCOUNTS),
    route("/api/v1/admin/tokens", list_tokens, permission=Permission.MANAGE_ACCOUNTS),
    route("/api/v1/admin/tokens", create_token, methods=["POST"], permission=Permission.MANAGE_ACCOUNTS),
    route("/api/v1/admin/tokens/{name}", revoke_token, methods=["DELETE"], permission=Permission.MANAGE_ACCOUNTS),
]
