"""Live fan-out: comments posted to one story while 1,000 readers hold its Server-Sent
Events stream open.

    .venv/bin/python benchmarks/live.py                          # 1,000 streams, SQLite, one process
    .venv/bin/python benchmarks/live.py --connections 200 --posts 50      # a quick look
    .venv/bin/python benchmarks/live.py --redis redis://127.0.0.1:6379/0  # wake-ups through Redis

One `parley serve` process (pinned to core 0 when the machine has two or more) on a fresh
SQLite file, moderation and rate limits off. The readers are one asyncio loop in this
process (core 1), each a plain socket reading its own stream. A writer thread posts
comments through the JSON API, one at a time, as fast as the server answers ("posts
per second in"). Post to delivery is from the moment the writer sent the post until
a reader had read its event, over every (post, reader) pair; every reader must get every
post, or the run fails. Memory per connection is the server's RSS with the streams open
less its RSS before any were opened (both after a warm-up), divided by the streams.
The readers share the machine's two cores with the server, so a loaded machine
lengthens post to delivery: rerun on a quiet one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from loadgen import percentile  # noqa: E402
from peers import free_port, pinned  # noqa: E402

PARLEY = Path(sys.executable).parent / "parley"


def _raise_open_files(n: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n)
    if hard != resource.RLIM_INFINITY and want > hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))  # root may raise the hard limit
            return
        except (ValueError, OSError):
            want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Server:
    def __init__(self, workdir: Path, redis_url: str | None, cpus: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update({"PARLEY_DATABASE_URL": f"sqlite:///{workdir / 'live.db'}", "PARLEY_SECRET_KEY": "b" * 32,
                    "PARLEY_MODERATION": "0", "PARLEY_RATE_LIMIT": "0", "PARLEY_LIVE_CONNECTIONS": "100000",
                    "PARLEY_WORKERS": "1"})
        if redis_url:
            env.update({"PARLEY_REDIS_URL": redis_url, "PARLEY_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:"})
        self.env = env
        self.log = workdir / "parley.log"
        self.cpus = cpus
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        subprocess.run([str(PARLEY), "migrate"], env=self.env, check=True, capture_output=True)
        token = subprocess.run([str(PARLEY), "token", "create", "bench", "--role", "staff"], env=self.env, check=True,
                               capture_output=True, text=True).stdout.strip().split()[-1]
        self.token = token
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(pinned([str(PARLEY), "serve", "--host", "127.0.0.1", "--port",
                                                 str(self.port)], self.cpus), env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"parley serve did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        return self

    def rss(self) -> int:
        return psutil.Process(self.proc.pid).memory_info().rss

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Readers:
    """``n`` streams on one story, each a socket; records when each comment id arrived."""

    def __init__(self, port: int, slug: str, n: int) -> None:
        self.port, self.slug, self.n = port, slug, n
        self.arrivals: dict[int, list[float]] = {}
        self.opened = 0
        self._tasks: list[asyncio.Task] = []

    async def _one(self, all_open: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)
        writer.write(f"GET /api/v1/stories/{self.slug}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise SystemExit(f"a stream was refused: {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # the response's headers
        self.opened += 1
        if self.opened == self.n:
            all_open.set()
        arrivals = self.arrivals
        while True:
            line = await reader.readline()
            if not line:
                return
            # Chunked transfer: chunk sizes and blank lines are not events.
            if line.startswith(b"data: {"):
                now = time.monotonic()
                data = json.loads(line[6:])
                arrivals.setdefault(data["id"], []).append(now)

    async def run(self, started: threading.Event, stop: asyncio.Event, loop_ready) -> None:
        all_open = asyncio.Event()
        loop_ready(asyncio.get_running_loop(), stop)
        for i in range(self.n):
            self._tasks.append(asyncio.create_task(self._one(all_open)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)  # not 1,000 connects in one burst on the accept queue
        await asyncio.wait_for(all_open.wait(), 120)
        started.set()
        await stop.wait()
        for t in self._tasks:
            t.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--redis", help="a Redis URL: wake-ups go through it (PARLEY_REDIS_URL)")
    args = parser.parse_args()
    _raise_open_files(args.connections * 2 + 1024)
    cpus = os.cpu_count() or 1
    server_cpus, client_cpus = ("0", "1") if cpus >= 2 else (None, None)
    if client_cpus:
        os.sched_setaffinity(0, {int(client_cpus)})
    with tempfile.TemporaryDirectory(prefix="parley-live-") as tmp, Server(Path(tmp), args.redis, server_cpus) as srv:
        http = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {srv.token}"}, timeout=30)
        http.post("/api/v1/stories", json={"slug": "live", "title": "Live"}).raise_for_status()
        for i in range(20):  # warm-up: templates, connections, code paths
            http.post("/api/v1/stories/live/comments", json={"author_name": "Warm", "body": f"Warm-up {i}"})
        time.sleep(0.5)
        rss_before = srv.rss()

        readers = Readers(srv.port, "live", args.connections)
        started = threading.Event()
        handle: dict = {}

        def loop_ready(loop, stop):
            handle["loop"], handle["stop"] = loop, stop

        def run_readers():
            async def go():
                await readers.run(started, asyncio.Event(), loop_ready)
            asyncio.run(go())
        thread = threading.Thread(target=run_readers, daemon=True)
        thread.start()
        if not started.wait(180):
            raise SystemExit(f"only {readers.opened} of {args.connections} streams opened")
        time.sleep(1.0)
        rss_open = srv.rss()

        sent: dict[int, float] = {}
        server_cpu = psutil.Process(srv.proc.pid).cpu_times()
        client_cpu = time.process_time()
        t0 = time.monotonic()
        for i in range(args.posts):
            at = time.monotonic()
            r = http.post("/api/v1/stories/live/comments", json={"author_name": f"Writer {i % 50}",
                                                                  "body": f"Comment {i} of the benchmark."})
            r.raise_for_status()
            sent[r.json()["id"]] = at
        posting = time.monotonic() - t0
        after = psutil.Process(srv.proc.pid).cpu_times()
        server_cpu = (after.user + after.system - server_cpu.user - server_cpu.system) / len(sent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(len(readers.arrivals.get(cid, ())) >= args.connections for cid in sent):
                break
            time.sleep(0.2)
        client_cpu = (time.process_time() - client_cpu) / len(sent)
        handle["loop"].call_soon_threadsafe(handle["stop"].set)
        thread.join(10)

    missing = sum(args.connections - len(readers.arrivals.get(cid, ())) for cid in sent)
    if missing:
        raise SystemExit(f"{missing} deliveries never arrived (of {args.connections * len(sent)})")
    delays = [(t - sent[cid]) * 1000 for cid in sent for t in readers.arrivals[cid]]
    per_conn = (rss_open - rss_before) / args.connections
    rows = [("posts per second in", f"{len(sent) / posting:,.1f}"),
            ("streams open", f"{args.connections:,}"),
            ("deliveries", f"{len(delays):,}"),
            ("post to delivery p50 (ms)", f"{percentile(delays, 50):,.1f}"),
            ("post to delivery p99 (ms)", f"{percentile(delays, 99):,.1f}"),
            ("post to delivery max (ms)", f"{max(delays):,.1f}"),
            ("server CPU a post, fan-out included (ms)", f"{server_cpu * 1000:,.1f}"),
            ("readers' CPU a post, this process (ms)", f"{client_cpu * 1000:,.1f}"),
            ("server RSS before streams (MB)", f"{rss_before / 1e6:,.1f}"),
            ("server RSS with streams (MB)", f"{rss_open / 1e6:,.1f}"),
            ("memory per connection (KB)", f"{per_conn / 1024:,.1f}")]
    print(f"Live fan-out: one parley serve process (SQLite{', wake-ups through Redis' if args.redis else ''}), "
          f"{args.posts} posts, {args.connections:,} SSE readers")
    print()
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
