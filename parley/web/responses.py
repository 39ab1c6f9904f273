"""JSON in and out, and errors in the one shape every client can rely on."""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from parley.errors import InvalidInput, ParleyError, TooLarge
from parley.web.cache import Rendered

MAX_JSON_BYTES = 256 * 1024
# Deeper than any request Parley takes (stories' thresholds are three levels) and far
# short of where recursive code on the parsed value (repr, a validator) runs out of stack.
MAX_JSON_DEPTH = 32
MAX_FORM_FIELDS = 20


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
    if _media_type(request) != "application/json":
        raise InvalidInput("send JSON with Content-Type: application/json", field="body")
    raw = await _read_body(request, MAX_JSON_BYTES)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    if _too_deep(data, MAX_JSON_DEPTH):
        raise InvalidInput(f"the request body nests objects and lists more than {MAX_JSON_DEPTH} deep",
                           field="body")
    return data


async def read_form(request: Request, max_bytes: int) -> dict[str, str]:
    """The request's form fields, or InvalidInput (TooLarge past ``max_bytes``, counted as
    the body arrives, so a chunked body without Content-Length is stopped too).

    Takes application/x-www-form-urlencoded (a plain form post) and multipart/form-data
    without files (what the page's script sends, ``new FormData(form)``). A name sent
    twice keeps its last value."""
    media_type = _media_type(request)
    if media_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise InvalidInput("send the form as application/x-www-form-urlencoded or multipart/form-data", field="body")
    raw = await _read_body(request, max_bytes)
    if media_type == "multipart/form-data":
        async def replay():
            yield raw

        try:
            fields = (await MultiPartParser(request.headers, replay(), max_files=0,
                                            max_fields=MAX_FORM_FIELDS).parse()).multi_items()
        except MultiPartException as exc:
            raise InvalidInput(f"the form could not be read: {exc.message}", field="body") from None
        return {name: value for name, value in fields if isinstance(value, str)}
    try:
        fields = parse_qsl(raw.decode(), keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise InvalidInput("the form is not UTF-8", field="body") from None
    except ValueError:
        raise InvalidInput(f"a form has at most {MAX_FORM_FIELDS} fields", field="body") from None
    return dict(fields)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The body, stopped at ``max_bytes``: at once when Content-Length says more, else as it comes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"a request body has at most {max_bytes // 1024} KiB", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"a request body has at most {max_bytes // 1024} KiB", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_deep(value: object, limit: int) -> bool:
    """Whether objects and lists nest more than ``limit`` deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def cached_response(request: Request, rendered: Rendered, media_type: str) -> Response:
    """Serve a cached rendering: 304 on a matching ETag, gzip when the client takes it."""
    headers = {"ETag": rendered.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == rendered.etag:
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(rendered.gzipped, media_type=media_type, headers=headers)
    return Response(rendered.body, media_type=media_type, headers=headers)


def accepts_gzip(header: str) -> bool:
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
