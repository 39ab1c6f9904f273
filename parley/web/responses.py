"""JSON in and out, and errors in the one shape every client can rely on."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from parley.errors import InvalidInput, ParleyError, TooLarge
from parley.web.cache import Rendered

MAX_JSON_BYTES = 256 * 1024


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content)


def error_response(exc: ParleyError) -> JSONResponse:
    headers = {}
    if getattr(exc, "retry_after", None):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


async def read_json(request: Request) -> dict:
    """The request's JSON object, or InvalidInput saying what is wrong with it."""
    # Exactly application/json: any other type (text/plain; x=json) is one a browser
    # sends cross-site without asking, which would let any page post here.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise InvalidInput("send JSON with Content-Type: application/json", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():  # stop reading at the limit, not after the whole body
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise TooLarge(f"a request body has at most {MAX_JSON_BYTES // 1024} KiB", field="body")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    return data


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def cached_response(request: Request, rendered: Rendered, media_type: str) -> Response:
    """Serve a cached rendering: 304 on a matching ETag, gzip when the client takes it."""
    headers = {"ETag": rendered.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == rendered.etag:
        return Response(status_code=304, headers=headers)
    if _accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(rendered.gzipped, media_type=media_type, headers=headers)
    return Response(rendered.body, media_type=media_type, headers=headers)


def _accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding takes gzip: named (or *) and not refused with q=0."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return False
    return False
