"""Every error Parley raises on purpose, in one tree.

    ParleyError                     code             HTTP
    ├── InvalidInput(field)         invalid          422
    │   ├── TooLarge                too_large        413
    │   └── Rephrase(reasons,spans) rephrase         422
    ├── Unauthenticated             unauthenticated  401
    ├── NotFound                    not_found        404
    ├── Forbidden                   forbidden        403
    ├── Conflict                    conflict         409
    │   └── CommentsClosed          closed           409
    ├── RateLimited(retry_after)    rate_limited     429
    ├── NotAcceptable               not_acceptable   406
    ├── Busy(retry_after)           busy             503
    └── ImportFormatError(line)     (CLI only)

The web layer maps ``status`` and ``code`` onto ``{"error": {"code", "message", "field"?}}``
(``Rephrase`` adds ``reasons`` and ``spans``); the CLI prints ``message`` and exits non-zero.
"""

from __future__ import annotations


class ParleyError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class InvalidInput(ParleyError):
    code = "invalid"
    status = 422


class TooLarge(InvalidInput):
    code = "too_large"
    status = 413


class Rephrase(InvalidInput):
    """Moderation sends the comment back to its writer: nothing was written. ``spans``
    mark the flagged words as ``{"start", "end", "label", "text"}``, with offsets in
    characters of ``body``, the text as Parley read it (trimmed, NFC, newlines as \\n)."""

    code = "rephrase"

    def __init__(self, message: str, *, body: str, reasons: list[str], spans: list[dict]):
        super().__init__(message, field="body")
        self.body = body
        self.reasons = reasons
        self.spans = spans

    def to_dict(self) -> dict:
        answer = super().to_dict()
        answer["error"].update(reasons=self.reasons, spans=self.spans)
        return answer


class Unauthenticated(ParleyError):
    """Credentials were presented and are no good (a wrong password, an unknown or revoked
    API token): never silently treated as a guest."""

    code = "unauthenticated"
    status = 401


class NotFound(ParleyError):
    code = "not_found"
    status = 404


class Forbidden(ParleyError):
    code = "forbidden"
    status = 403


class Conflict(ParleyError):
    code = "conflict"
    status = 409


class CommentsClosed(Conflict):
    code = "closed"


class RateLimited(ParleyError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class NotAcceptable(ParleyError):
    """Asked for a representation this endpoint does not send (a live stream without
    ``Accept: text/event-stream``)."""
    code = "not_acceptable"
    status = 406


class Busy(ParleyError):
    """This process has no room for it now (live streams past their bound); try later."""
    code = "busy"
    status = 503
    retry_after = 30


class ImportFormatError(ParleyError):
    code = "import_format"

    def __init__(self, message: str, *, line: int):
        super().__init__(f"line {line}: {message}")
        self.line = line
