"""uvicorn's httptools protocol, answering first-time readers' story pages itself.

``parley serve`` runs uvicorn with this protocol (``http=``). For a request that
``FirstVisitPages`` can answer (parley.web.first_visit), the response is written here,
as soon as the request's headers are in: no ASGI scope, task or middleware, which were
most of what such a page cost. Every other request, and any request while an earlier
one on the connection is still being answered (HTTP pipelining keeps responses in
order), goes to the app as uvicorn would send it.

It leans on uvicorn's protocol internals (``cycle``, ``pipeline``, ``flow``, the parser
callbacks), so uvicorn is pinned, and tests/web/test_first_visit.py drives this class
through real sockets: pipelined, keep-alive, ``Connection: close`` and HTTP/1.0.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from parley.web.first_visit import FirstVisitPages


class _NobodyWaits:
    def set(self) -> None:
        pass


class _Answered:
    """Stands in for the request cycle of a request answered here: it is complete, and
    nothing waits on it (uvicorn looks at these when the body ends or the peer leaves)."""

    response_complete = True  # so uvicorn never touches keep_alive or disconnected
    message_event = _NobodyWaits()


_ANSWERED = _Answered()

#: uvicorn's ``http`` setting for this protocol.
PROTOCOL = "parley.web.protocol:ParleyHttpProtocol"


def _pages_of(app) -> FirstVisitPages | None:
    while app is not None:  # uvicorn may wrap the app (proxy headers, message logging)
        state = getattr(app, "state", None)
        pages = getattr(state, "first_visits", None) if state is not None else None
        if pages is not None:
            return pages if pages.enabled else None
        app = getattr(app, "app", None)
    return None


class ParleyHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages = _pages_of(self.app)
        self._server_headers: tuple[object, bytes] = (None, b"")

    def _formatted_server_headers(self) -> bytes:
        # uvicorn replaces the list once a second (its Date header): format it once per list.
        current = self.server_state.default_headers
        seen, formatted = self._server_headers
        if seen is not current:
            formatted = b"".join(name + b": " + value + b"\r\n" for name, value in current)
            self._server_headers = (current, formatted)
        return formatted

    def on_headers_complete(self) -> None:
        pages = self._pages
        if (pages is not None and not self.config.access_log and not self.pipeline
                and (self.cycle is None or self.cycle.response_complete) and not self.flow.write_paused
                and self.parser.get_method() == b"GET"):
            keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
            response = pages.answer(self.url, self.headers, keep_alive=keep_alive,
                                    server_headers=self._formatted_server_headers())
            if response is not None:
                self.cycle = _ANSWERED  # type: ignore[assignment]
                self.transport.write(response)
                if not keep_alive:
                    self.transport.close()
                self.on_response_complete()  # counts it, arms keep-alive, starts what is pipelined
                return
        super().on_headers_complete()
