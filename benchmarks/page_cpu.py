#!/usr/bin/env python3
"""What one cached reader page costs in process, the server's HTTP layer left out.

    .venv/bin/python benchmarks/page_cpu.py [--n 2000] [--profile CASE]

Builds the benchmark's 500-comment thread (workload.make_thread, the same seed as run.py)
in a fresh SQLite database in a temporary directory, then calls the ASGI app directly
(a raw scope, receive and send, on one event loop) for each case below, ``--n`` times
after a warm-up, in turns of 50 calls a case, and prints the 10th, 50th and 90th
percentiles of the CPU time each call took (``time.process_time_ns``, worker threads
included). Other load on the machine (a test run) slows this much less than wall time,
but still moves it by up to 2x: compare cases within one run, and trees by running
each a few times in turn. ``/healthz`` is there for scale: the smallest answer, though
not the cheapest route (it is the last of the ~95 routes Starlette tries).

Cases: the first page (91 comments) for a client with no cookies asking for gzip (what
wrk sends: each request makes a new guest and CSRF cookie), for a reader whose guest
and CSRF cookies verify, and for the same reader without gzip. ``--profile CASE``
prints cProfile's top functions for that case instead. Asserts only that each answer
is the page (status 200 and its size), so a broken page cannot pass as a fast one.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from compression import build  # noqa: E402


def scope_for(app, path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    path, _, query = path.partition("?")
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), *headers],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def call(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, list, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope_for(app, path, headers), receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], start["headers"], body


async def warmed(app, path: str, headers, expect_min: int) -> None:
    """Fifty untimed calls, each checked: a case that fails is not timed."""
    for _ in range(50):
        status, _, body = await call(app, path, headers)
        if status != 200 or len(body) < expect_min:
            raise SystemExit(f"{path}: status {status}, {len(body)} bytes")


async def timed(app, path: str, headers, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.process_time_ns()
        await call(app, path, headers)
        times.append((time.process_time_ns() - t0) / 1000)
    return times


async def interleaved(app, cases: dict, n: int, block: int = 50) -> dict[str, list[float]]:
    """Each case ``n`` times, in turns of ``block`` calls, so that a change in the
    machine's load while this runs falls on every case alike."""
    for path, headers, expect in cases.values():
        await warmed(app, path, headers, expect)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for done in range(0, n, block):
        for name, (path, headers, _) in cases.items():
            times[name] += await timed(app, path, headers, min(block, n - done))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="timed calls per case")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime or cumulative")
    parser.add_argument("--profile", metavar="CASE", help="print cProfile's top functions for this case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-page-cpu-") as tmp:
        app, client = build(Path(tmp))
        # A reader who has been here before: the cookies a first visit set.
        first = client.get("/stories/t500", headers={"Accept-Encoding": "gzip"})
        cookies = "; ".join(f"{k}={v}" for k, v in first.cookies.items())
        if "parley_guest" not in cookies or "parley_csrf" not in cookies:
            raise SystemExit(f"the first visit set no guest and CSRF cookies: {first.headers}")
        gzip = (b"accept-encoding", b"gzip")
        cookie = (b"cookie", cookies.encode())
        cases = {
            "healthz": ("/healthz", [gzip], 5),
            "page, no cookies, gzip": ("/stories/t500", [gzip], 10_000),
            "page, cookies, gzip": ("/stories/t500", [gzip, cookie], 10_000),
            "page, cookies, identity": ("/stories/t500", [cookie], 50_000),
        }
        loop = asyncio.new_event_loop()
        if args.profile:
            path, headers, expect = cases[args.profile]
            loop.run_until_complete(warmed(app, path, headers, expect))
            profile = cProfile.Profile()
            profile.enable()
            loop.run_until_complete(timed(app, path, headers, args.n))
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(30)
            return 0
        rows = []
        for name, times in loop.run_until_complete(interleaved(app, cases, args.n)).items():
            times.sort()
            rows.append((name, times[len(times) // 10], statistics.median(times), times[int(len(times) * 0.9)]))
    floor = rows[0][2]
    print(f"CPU per request, the ASGI app called in process, {args.n} calls per case in turns (µs)\n")
    print("| request | p10 | median | p90 | median / healthz |")
    print("|---|---:|---:|---:|---:|")
    for name, p10, median, p90 in rows:
        print(f"| {name} | {p10:,.0f} | {median:,.0f} | {p90:,.0f} | {median / floor:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
