"""The Python side of the load: concurrent comment writers (asyncio on uvloop, raw
HTTP/1.1 over keep-alive sockets, so each request costs the client tens of
microseconds) and single sequential requests with http.client.

Read load at 8 and 64 connections is wrk's job (see ``wrkrun.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import http.client
import json
import math
import os
import time
from collections.abc import Callable, Sequence

from workload import Item


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class BenchError(RuntimeError):
    pass


# --- a small HTTP/1.1 client over asyncio streams ------------------------------------
class Conn:
    """One client connection. Keeps it alive; reopens it when the server closes
    (gunicorn's sync workers answer every request with Connection: close)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = 0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, target: str, body: bytes = b"",
                      headers: Sequence[tuple[str, str]] = ()) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        hdrs: dict[str, str] = {}
        for line in header_lines:
            if line:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            data = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        elif status in (204, 304) or method == "HEAD":
            data = b""
        else:
            data = await self.reader.read()
            hdrs["connection"] = "close"
        if hdrs.get("connection", "").lower() == "close" or status_line.startswith("HTTP/1.0"):
            await self.close()
        return status, hdrs, data

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


# --- writers ------------------------------------------------------------------------
@dataclasses.dataclass
class WriteResult:
    clients: int
    comments: int
    seconds: float
    latencies: list[float]  # seconds, one per comment
    client_cpu_seconds: float  # this process's CPU while writing (an upper bound on the client's)
    connections_opened: int
    ids: list[int]
    # filled in by the caller: the server core's use during the run (all, the server's, others')
    server_busy: float = 0.0
    server_own: float = 0.0
    foreign: float = 0.0

    @property
    def rate(self) -> float:
        return self.comments / self.seconds

    @property
    def client_cpu_share(self) -> float:
        return self.client_cpu_seconds / self.seconds


# A peer turns (item, parent's id) into (method, target, JSON body), and (status, body)
# into the new comment's id: None when the comment is not shown (moderation held it or
# sent it back to its writer), a BenchError when the post failed.
RequestFor = Callable[[Item, int | None], tuple[str, str, bytes]]
Answer = Callable[[int, bytes], int | None]


async def post_thread(host: str, port: int, items: Sequence[Item], request_for: RequestFor,
                      answer: Answer, clients: int, time_limit: float) -> WriteResult:
    """Post every item with ``clients`` concurrent writers, each on its own connection.
    A reply waits until its parent exists (and is timed from when it is sent); a reply to
    a comment that is not shown is posted as a comment of its own, as a reader could
    only do.
    Bounded: one request per item, and the whole run gives up after ``time_limit`` s."""
    ids: list[int | None] = [None] * len(items)
    posted = [asyncio.Event() for _ in items]
    latencies: list[float] = []
    next_index = 0
    conns = [Conn(host, port) for _ in range(clients)]
    start = time.perf_counter()
    cpu0 = time.process_time()

    async def writer(conn: Conn) -> None:
        nonlocal next_index
        while next_index < len(items):
            item = items[next_index]
            next_index += 1
            parent_id = None
            if item.parent is not None:
                await posted[item.parent].wait()
                parent_id = ids[item.parent]
            method, target, body = request_for(item, parent_id)
            t0 = time.perf_counter()
            status, _, data = await conn.request(method, target, body, (("Content-Type", "application/json"),))
            latencies.append(time.perf_counter() - t0)
            ids[item.index] = answer(status, data)
            posted[item.index].set()
            if time.perf_counter() - start > time_limit:
                raise BenchError(f"writing took longer than {time_limit:.0f} s; gave up")

    try:
        async with asyncio.timeout(time_limit + 30):
            async with asyncio.TaskGroup() as group:
                for conn in conns:
                    group.create_task(writer(conn))
    finally:
        for conn in conns:
            await conn.close()
    seconds = time.perf_counter() - start
    return WriteResult(clients, len(items), seconds, latencies, time.process_time() - cpu0,
                       sum(c.opened for c in conns), [i for i in ids if i is not None])


def created(status: int, body: bytes) -> int:
    """``Answer`` for a server without moderation: 201 and the comment's id, or a failure."""
    if status != 201:
        raise BenchError(f"a post answered {status}: {body[:300]!r}")
    return json.loads(body)["id"]


def run_async(coro):
    """Run a coroutine on uvloop (as both servers' clients would see a fast client)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - the project's venv has it
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


# --- single requests ------------------------------------------------------------------
@dataclasses.dataclass
class Fetched:
    status: int
    seconds: float
    wire_bytes: int  # body bytes as sent (compressed if the server compressed)
    body: bytes  # decoded
    encoding: str
    headers: dict[str, str]


class Client:
    """Sequential requests on one keep-alive connection (reopened when closed)."""

    def __init__(self, host: str, port: int, timeout: float = 120) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, target: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Fetched:
        headers = dict(headers or {})
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            t0 = time.perf_counter()
            try:
                self._conn.request(method, target, body=body, headers=headers)
                resp = self._conn.getresponse()
                raw = resp.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt == 2 or method != "GET":
                    raise
                continue
            seconds = time.perf_counter() - t0
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if resp.will_close:
                self.close()
            encoding = hdrs.get("content-encoding", "identity")
            decoded = gzip.decompress(raw) if encoding == "gzip" else raw
            return Fetched(resp.status, seconds, len(raw), decoded, encoding, hdrs)
        raise AssertionError("unreachable")

    def get(self, target: str, gzip_ok: bool = True) -> Fetched:
        return self.request("GET", target, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})


def wait_until_up(host: str, port: int, path: str, time_limit: float, proc=None) -> None:
    deadline = time.monotonic() + time_limit
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode} before answering")
        client = Client(host, port, timeout=2)
        try:
            if client.get(path).status < 500:
                return
        except OSError as exc:
            last = exc
        finally:
            client.close()
        time.sleep(0.2)
    raise BenchError(f"no answer on {host}:{port}{path} within {time_limit:.0f} s ({last})")


def cpu_count() -> int:
    return os.cpu_count() or 1
