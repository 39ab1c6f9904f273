"""A Server-Sent Events client for the tests: reads a stream on a thread of its own."""

from __future__ import annotations

import json
import queue
import threading

import httpx


class Reader:
    """An SSE client on a thread of its own: the events it has read, in order."""

    def __init__(self, url: str, headers: dict | None = None) -> None:
        self.events: queue.Queue = queue.Queue()
        self.status: int | None = None
        self._url, self._headers = url, {"Accept": "text/event-stream", **(headers or {})}
        self._ready = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Reader:
        self._thread.start()
        assert self._ready.wait(10), "the stream did not answer"
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True

    def _run(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(30, read=60)) as client, \
                client.stream("GET", self._url, headers=self._headers) as answer:
            self.status = answer.status_code
            self._ready.set()
            event: dict = {}
            for line in answer.iter_lines():
                if self._stop:
                    return
                if line == "":
                    if "data" in event:
                        self.events.put(event)
                    event = {}
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(": ")
                    event[name] = value

    def next(self, timeout: float = 10) -> dict:
        event = self.events.get(timeout=timeout)
        return {"id": event.get("id"), "event": event.get("event"), "data": json.loads(event["data"])}

    def nothing_for(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False
