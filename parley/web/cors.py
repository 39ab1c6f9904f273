"""CORS for the embed: the sites in PARLEY_ALLOWED_ORIGINS may read the embed's answers
and send its requests; no other site hears a CORS header at all.

Never ``Access-Control-Allow-Credentials``: the embed sends no cookies. It writes with a
token in ``X-Parley-Embed``, a header no page can add to a request elsewhere without a
preflight, and the preflight is answered only for the allowed origins. That, not a
cookie, is what keeps a forged request from another site out (see parley.web.auth).
"""

from __future__ import annotations

from parley.web.origins import allowed_origins, normalise_origin

#: Where the embed's script reads and writes: the thread fragment and counts, its JSON
#: API, and the comment endpoints it edits and recommends through.
CORS_PREFIXES = ("/embed/", "/api/v1/embed/", "/api/v1/comments/")
ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = b"content-type, x-parley-embed, x-edit-token, idempotency-key"
MAX_AGE = b"600"


def _covered(path: str) -> bool:
    # Which comments this reader recommended (parley.web.reactions), for the widget's buttons.
    return path.startswith(CORS_PREFIXES) or (path.startswith("/api/v1/stories/") and path.endswith("/recommended"))


class EmbedCORS:
    """Answers preflights from the allowed origins and marks their answers readable."""

    def __init__(self, app, *, embedding_origins: str = "") -> None:
        self.app = app
        self.origins = allowed_origins(embedding_origins)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not _covered(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = bool(origin) and normalise_origin(origin) in self.origins
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            answer = [(b"vary", b"Origin")]
            if allowed:
                answer += [(b"access-control-allow-origin", origin.encode("latin-1")),
                           (b"access-control-allow-methods", ALLOW_METHODS),
                           (b"access-control-allow-headers", ALLOW_HEADERS),
                           (b"access-control-max-age", MAX_AGE)]
            await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": answer})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_marked(message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"vary", b"Origin")]
                if allowed:
                    extra += [(b"access-control-allow-origin", origin.encode("latin-1")),
                              (b"access-control-expose-headers", b"etag")]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_marked)
