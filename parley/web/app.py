"""The ASGI application: routes, templates, error mapping. Thin on purpose."""

from __future__ import annotations

import logging
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from parley.bus import broker_for
from parley.config import Config
from parley.domain import WRITER_MESSAGES
from parley.errors import ParleyError
from parley.keys import server_key
from parley.service import Services
from parley.store import Store, open_store
from parley.web import account, admin, api, embed, moderate, pages, perspective, reader, workspace_api
from parley.web.cache import RenderCache
from parley.web.compression import Compression
from parley.web.cors import EmbedCORS
from parley.web.first_visit import FirstVisitPages, RememberFirstVisits
from parley.web.format import absolute_time, flagged_runs, iso, plural, relative_time
from parley.web.live import Live
from parley.web.live import routes as live_routes
from parley.web.reactions import routes as reaction_routes
from parley.web.responses import JSONResponse, error_response, wants_json
from parley.web.routing import PUBLIC, route
from parley.web.security import HostCheck, SecurityHeaders, check_settings

logger = logging.getLogger("parley")


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("parley.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(iso=iso, absolute_time=absolute_time, relative_time=relative_time, plural=plural,
                       flagged_runs=flagged_runs, writer_messages=WRITER_MESSAGES)
    return env


async def _healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or wants_json(request)


async def _parley_error(request: Request, exc: ParleyError) -> Response:
    if _is_api(request):
        return error_response(exc)
    html = request.app.state.templates.get_template("error.html").render(status=exc.status, message=exc.message)
    return HTMLResponse(html, status_code=exc.status)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = {404: "no such page", 405: "that method is not allowed here"}.get(exc.status_code, str(exc.detail))
    if _is_api(request):
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
    html = request.app.state.templates.get_template("error.html").render(status=exc.status_code, message=message)
    return HTMLResponse(html, status_code=exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: still the error shape clients rely on, never a traceback."""
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    if _is_api(request):
        return JSONResponse({"error": {"code": "internal", "message": "something went wrong on our side"}},
                            status_code=500)
    html = request.app.state.templates.get_template("error.html").render(
        status=500, message="Something went wrong on our side.")
    return HTMLResponse(html, status_code=500)


def create_app(config: Config | None = None, store: Store | None = None) -> Starlette:
    config = config or Config.from_env()
    check_settings(config)
    store = store or open_store(config.database_url)
    static = resources.files("parley.web") / "static"
    secret = server_key(config)
    broker = broker_for(config)
    first_visits = FirstVisitPages(secret, secure_cookies=bool(config.secure_cookies), max_age_ms=config.fast_page_ms)
    app = Starlette(
        # The reader's pages first: Starlette tries routes in order, and the story page is the
        # one read most (60 routes tried before it were a tenth of its cost).
        routes=[*pages.routes, *api.routes, *admin.routes, *account.routes, *workspace_api.routes, *moderate.routes,
                *perspective.routes, *reaction_routes, *live_routes, *reader.routes, *embed.routes,
                route("/healthz", _healthz, permission=PUBLIC),
                Mount("/static", StaticFiles(directory=str(static)), name="static")],
        exception_handlers={ParleyError: _parley_error, HTTPException: _http_error, Exception: _unexpected},
        # First: it keeps a first-time reader's page with the headers the others add.
        middleware=[Middleware(RememberFirstVisits, pages=first_visits, broker=broker), Middleware(Compression),
                    Middleware(SecurityHeaders, embedding_origins=config.allowed_origins),
                    Middleware(HostCheck, allowed_hosts=config.allowed_hosts),
                    Middleware(EmbedCORS, embedding_origins=config.allowed_origins)],
    )
    app.state.config = config
    app.state.store = store
    app.state.secret = secret
    app.state.services = Services(store, config, secret=app.state.secret, moderator=_moderator(config))
    app.state.templates = _templates()
    app.state.render_cache = RenderCache()
    app.state.first_visits = first_visits  # answered by parley.web.protocol, under `parley serve`
    # Live updates: wake-ups after each commit, through Redis when instances share one.
    app.state.live = Live(app.state, broker)
    app.state.live.attach(app.state.services.events)
    return app


def preload(config: Config) -> None:
    """Load what every worker would load the same (the shipped models), in a process
    about to fork its workers (``web/prefork.py``)."""
    _moderator(config)


def _moderator(config: Config):
    """The shipped models, loaded once per process, when PARLEY_MODERATION is on."""
    if not config.moderation:
        return None
    from parley.moderation.moderator import ModelsMissing, shipped

    try:
        moderator = shipped()
    except ModelsMissing as exc:
        raise SystemExit(f"PARLEY_MODERATION=1 but {exc}; or set PARLEY_MODERATION=0 to publish unscored") from None
    # What loads on first use (under its own locks, so requests may share it from the
    # start) loads now, so the first readers do not wait for it.
    moderator.warm()
    return moderator


def app_from_env() -> Starlette:
    """Entry point for ``uvicorn --factory`` (used by ``parley serve`` with workers)."""
    return create_app()
