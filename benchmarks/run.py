#!/usr/bin/env python3
"""Parley against Isso 0.14 on loopback: writes, thread reads, memory.

    .venv/bin/python benchmarks/run.py                        # full run, prints the tables
    .venv/bin/python benchmarks/run.py --out docs/performance.md
    .venv/bin/python benchmarks/run.py --quick                # a short smoke run

Both servers run here, on 127.0.0.1 only, one after the other, each on a fresh
database in benchmarks/.work/. See benchmarks/README.md for what is measured and how.
This is a benchmark, not a test: it asserts nothing and only reports.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psutil  # noqa: E402
import report  # noqa: E402
from loadgen import BenchError, Client, WriteResult, median, post_thread, run_async  # noqa: E402
from peers import HOST, CoreLoad, Isso, MemorySampler, Nginx, Parley, Server, ensure_nginx, isso_venv, isso_version  # noqa: E402
from workload import Item, Thread, make_thread  # noqa: E402
from wrkrun import Wrk, WrkRun, ensure_wrk, wrk_version  # noqa: E402

WORKROOT = HERE / ".work"


@dataclasses.dataclass
class Settings:
    small: int = 500
    large: int = 10_000
    conns: tuple[int, ...] = (8, 64)
    warmup_s: float = 2.0
    rep_s: float = 3.0  # one wrk run
    reps: int = 3  # runs per row when a row is quick; medians are quoted
    slow_row_cap_s: float = 40.0  # a slow row gets one longer run instead, at most this long
    single_reps: int = 5  # sequential single requests per scenario (after one untimed)
    cold_reps: int = 5
    full_large_budget_s: float = 25.0  # Isso's whole 10k thread is one very slow request
    write_time_limit_s: float = 300.0
    max_foreign: float = 0.10  # a run where other processes took more of the server's core is run again...
    retry_budget_s: float = 150.0  # ...while this server has spent less than this on re-runs
    trickle_interval_s: float = 1.0  # one new comment a second during the hot-story reads
    idle_wait_s: float = 10.0  # longer than this to finish abandoned requests: restart the server
    quick: bool = False
    page_only: bool = False  # only the small thread's reader page against nginx (--page-only)

    @classmethod
    def quick_run(cls) -> Settings:
        return cls(small=500, large=1000, warmup_s=1.0, rep_s=1.0, reps=1, slow_row_cap_s=4.0, single_reps=2,
                   cold_reps=2, full_large_budget_s=10.0, write_time_limit_s=120.0, idle_wait_s=5.0,
                   retry_budget_s=20.0, quick=True)


@dataclasses.dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    thread: str  # "small" | "large"
    what: str  # "full" | "first" | "page"
    kind: str  # "json" | "html"


SCENARIOS = (
    Scenario("small-full", "{small}-comment thread, whole thread (JSON)", "small", "full", "json"),
    Scenario("small-first", "{small}-comment thread, first page (JSON)", "small", "first", "json"),
    Scenario("small-page", "{small}-comment thread, reader page (HTML)", "small", "page", "html"),
    Scenario("large-first", "{large}-comment thread, first page (JSON)", "large", "first", "json"),
    Scenario("large-page", "{large}-comment thread, reader page (HTML)", "large", "page", "html"),
)


# The hot story: the whole small thread read while one writer posts a comment a second.
MIXED = Scenario("small-full-writes", "{small}-comment thread, whole thread (JSON), 1 new comment/s",
                 "small", "full", "json")


@dataclasses.dataclass
class Probe:
    """A scenario fetched alone, sequentially: what it returns and how long it takes."""

    path: str
    count: int
    wire_bytes: int
    raw_bytes: int
    encoding: str
    seconds: list[float]


@dataclasses.dataclass
class ReadRow:
    scenario: Scenario
    conns: int
    runs: list[WrkRun]
    server_busy: list[float]  # share of the server's core(s) in use, per run (by anything)
    server_own: list[float]  # ...used by the server's own processes
    foreign: list[float]  # ...used by other processes (runs with too much were run again)
    restarts: int  # times the server was restarted to drop requests abandoned at a run's end
    discarded: int  # runs thrown away because other processes took the server's core
    posted: list[float] = dataclasses.field(default_factory=list)  # latencies of comments posted meanwhile
    post_failures: int = 0

    def med(self, attr: str) -> float:
        return median([getattr(r, attr) for r in self.runs])

    @property
    def censored(self) -> bool:
        """Fewer than two requests per connection finished: the latencies are those of
        the requests that finished within the run, and understate the steady state."""
        return sum(r.requests for r in self.runs) < 2 * self.conns * len(self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


@dataclasses.dataclass
class StaticRow:
    """The reader page from Parley and the same bytes from nginx, one after the other."""

    encoding: str  # "gzip" | "identity": what the client asked for
    parley: ReadRow
    nginx: ReadRow
    wire_bytes: int
    raw_bytes: int


# The small thread's reader page (its first page of comments) against nginx serving the same bytes.
STATIC = Scenario("small-page-static", "{small}-comment thread, reader page (HTML) against nginx", "small", "page",
                  "html")


@dataclasses.dataclass
class PeerResult:
    name: str
    setup: str
    version: str
    writes: list[tuple[str, WriteResult]] = dataclasses.field(default_factory=list)
    probes: dict[str, Probe] = dataclasses.field(default_factory=dict)
    reads: list[ReadRow] = dataclasses.field(default_factory=list)
    mixed: ReadRow | None = None
    full_large: dict = dataclasses.field(default_factory=dict)
    cold: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    memory: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
    memory_samples: int = 0
    background_before: float = 0.0  # cores other processes used just before this server's turn
    static: list[StaticRow] = dataclasses.field(default_factory=list)  # the reader page against nginx


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tree_cpu(server: Server) -> float:
    """CPU seconds used so far by the server's processes (user + system)."""
    total = 0.0
    for p in server.tree():
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def wait_idle(server: Server, limit_s: float) -> bool:
    """Wait until the server's processes stop using CPU: requests wrk gave up on at
    the end of a run are still being served, and must not count against the next
    run. False when the server is still busy after ``limit_s``."""
    t0 = time.monotonic()
    before = tree_cpu(server)
    while time.monotonic() - t0 < limit_s:
        time.sleep(0.5)
        now = tree_cpu(server)
        if now - before < 0.5 * 0.05:  # under 5% of a core over the last half second
            return True
        before = now
    return False


def settle(server: Server, limit_s: float) -> bool:
    """Let the server finish abandoned requests; restart it when that would take
    longer than ``limit_s`` (a slow server with a full backlog can need minutes).
    Returns whether it was restarted."""
    if wait_idle(server, limit_s):
        return False
    log(f"  {server.name}: still busy with abandoned requests after {limit_s:.0f} s; restarting it")
    server.stop()
    server.start()
    return True


def background_load(seconds: float = 2.0) -> float:
    """Cores' worth of CPU in use on the whole machine over ``seconds`` s."""
    load = CoreLoad()
    load.start()
    time.sleep(seconds)
    return sum(load.stop())


def wait_for_quiet(limit_s: float, threshold: float = 0.25) -> float:
    """Wait (up to ``limit_s``) until other processes use under ``threshold`` cores;
    return what they used at the last look."""
    t0 = time.monotonic()
    while True:
        load = background_load(3.0)
        if load <= threshold or time.monotonic() - t0 >= limit_s:
            if load > threshold:
                log(f"warning: other processes still use {load:.2f} cores; going on")
            return load
        log(f"other processes use {load:.2f} cores; waiting for a quieter machine")
        time.sleep(7)


def write_phase(server: Server, client: Client, thread: Thread, clients: int, s: Settings) -> WriteResult:
    server.create_thread(client, thread)
    request_for = functools.partial(server.comment_request, thread)
    result = run_async(post_thread(HOST, server.port, thread.items, request_for, server.answer, clients,
                                   s.write_time_limit_s))
    log(f"  {server.name}: {thread.slug} written by {clients} client(s): {result.rate:.0f} comments/s "
        f"({result.seconds:.1f} s)")
    return result


def path_for(server: Server, sc: Scenario, slug: str) -> str | None:
    return {"full": server.full_thread, "first": server.first_page, "page": server.reader_page}[sc.what](slug)


def probe(server: Server, client: Client, path: str, kind: str, reps: int) -> Probe:
    """One untimed request (it may render), then ``reps`` timed ones on one connection."""
    seconds = []
    for i in range(reps + 1):
        got = client.get(path)
        if got.status != 200:
            raise BenchError(f"{server.name} GET {path} answered {got.status}: {got.body[:300]!r}")
        if i:
            seconds.append(got.seconds)
    return Probe(path, server.count(got.body, kind), got.wire_bytes, len(got.body), got.encoding, seconds)


def measured_run(server: Server, server_cpus: list[int], go):
    """Run ``go()`` and say how busy the server's core was, by the server and by
    other processes: (result, core busy, server's own share, others' share)."""
    load = CoreLoad()
    cpu0, t0 = tree_cpu(server), time.perf_counter()
    load.start()
    result = go()
    load.stop()
    cores = len(server_cpus) or len(load.busy)
    own = (tree_cpu(server) - cpu0) / (time.perf_counter() - t0) / cores
    others = max(0.0, load.share(load.tasks, server_cpus) - own)
    return result, load.share(load.busy, server_cpus), own, others


class Trickle:
    """One writer posting a new top-level comment every ``interval`` s while a read run
    goes on: the hot story that readers read while comments arrive. Bounded by the
    number of items it is given; it stops when told to, or on a connection error."""

    def __init__(self, server: Server, thread: Thread, items: list[Item], interval: float) -> None:
        self.server, self.thread, self.items, self.interval = server, thread, items, interval
        self.latencies: list[float] = []
        self.failed = 0
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="trickle")

    def _run(self) -> None:
        client = Client(HOST, self.server.port, timeout=60)
        start = time.monotonic()
        try:
            for n, item in enumerate(self.items):
                if self._halt.is_set():
                    break
                method, target, body = self.server.comment_request(self.thread, item, None)
                try:
                    got = client.request(method, target, body)
                except OSError:
                    self.failed += 1
                    break
                if got.status == 201:
                    self.latencies.append(got.seconds)
                else:
                    self.failed += 1
                self._halt.wait(max(0.0, start + (n + 1) * self.interval - time.monotonic()))
        finally:
            client.close()

    def __enter__(self) -> Trickle:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._halt.set()
        self._thread.join(timeout=1)

    def finish(self) -> None:
        self._thread.join(timeout=90)


def read_row(server: Server, wrk: Wrk, sampler: MemorySampler, sc: Scenario, path: str, conns: int,
             single_s: float, s: Settings, server_cpus: list[int], warm: bool, budget: list[float],
             trickle=None, gzip: bool = True) -> ReadRow:
    url = f"http://{HOST}:{server.port}{path}"
    # Closed loop: with c connections a request waits for about c requests' worth of
    # server time. A row fast enough for several short runs gets s.reps of them;
    # a slow one gets a single run long enough for each connection to finish ~4
    # requests (a loaded server can be slower than one request alone suggests), or
    # as long as the cap allows (when fewer than 2 finish, its latencies are flagged).
    needed = 2 * conns * single_s
    if needed <= s.rep_s:
        reps, seconds = s.reps, s.rep_s
    else:
        reps, seconds = 1, min(s.slow_row_cap_s, max(s.reps * s.rep_s, 2 * needed))
    sampler.phase = f"reads c{conns}" + (" + writes" if trickle else "")
    restarts = discarded = 0
    if warm:
        wrk.run(url, conns, min(s.warmup_s, seconds), gzip=gzip)
        restarts += settle(server, s.idle_wait_s)
    runs, busy, own, others = [], [], [], []
    posted: list[float] = []
    failed = 0

    def go() -> tuple[WrkRun, Trickle | None]:
        if trickle is None:
            return wrk.run(url, conns, seconds, gzip=gzip), None
        with trickle() as writer:
            return wrk.run(url, conns, seconds, gzip=gzip), writer

    while len(runs) < reps:
        t0 = time.monotonic()
        (run, writer), b, o, f = measured_run(server, server_cpus, go)
        restarts += settle(server, s.idle_wait_s)
        if writer is not None:
            writer.finish()
        if f > s.max_foreign and budget[0] > 0:
            # Another process took the server's core: run it again (within the budget).
            budget[0] -= time.monotonic() - t0
            discarded += 1
            log(f"  {server.name}: {sc.key} c{conns}: other processes took {f:.0%} of the server's core; "
                "running it again")
            continue
        runs.append(run)
        busy.append(b)
        own.append(o)
        others.append(f)
        if writer is not None:
            posted += writer.latencies
            failed += writer.failed
    row = ReadRow(sc, conns, runs, busy, own, others, restarts, discarded, posted, failed)
    log(f"  {server.name}: {sc.key} c{conns}: {row.med('rps'):.1f} req/s, p50 {row.med('p50_ms'):.1f} ms, "
        f"p99 {row.med('p99_ms'):.1f} ms ({reps} x {seconds:.0f} s, {sum(r.requests for r in runs)} requests, "
        f"errors {row.errors}, wrk cpu {max(r.client_cpu for r in runs):.0%}, server core {median(busy):.0%}, "
        f"the server's own {median(own):.0%}, others {max(others):.0%})")
    return row


def fetch_raw(port: int, path: str, gzip: bool) -> tuple[bytes, bool]:
    """The body exactly as sent (still compressed, if it was), and whether it was gzipped."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip else {})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise BenchError(f"GET {path} answered {resp.status}")
        return body, resp.getheader("content-encoding") == "gzip"
    finally:
        conn.close()


def static_rows(parley: Parley, nginx: Nginx, wrk: Wrk, sampler: MemorySampler, slug: str, s: Settings,
                server_cpus: list[int], budget: list[float]) -> list[StaticRow]:
    """The reader page's first page from Parley, then the very bytes it answered with from
    nginx as a static file on the same core, row by row (so each ratio is from one stretch
    of the machine's load): for a client asking for gzip, and for one that does not."""
    import gzip as gz

    path = parley.reader_page(slug)
    rows = []
    for encoding in ("gzip", "identity"):
        asked = encoding == "gzip"
        wire, zipped = fetch_raw(parley.port, path, asked)
        raw = gz.decompress(wire) if zipped else wire
        if asked and not zipped:
            encoding = "gzip (sent uncompressed)"
        static_path = nginx.serve(f"{slug}.html", raw, wire if zipped else None)
        if fetch_raw(nginx.port, static_path, asked) != (wire, zipped):
            raise BenchError("nginx does not answer with the bytes Parley did")
        for n, conns in enumerate(s.conns):
            single_s = 0.002
            p = read_row(parley, wrk, sampler, STATIC, path, conns, single_s, s, server_cpus, n == 0, budget,
                         gzip=asked)
            x = read_row(nginx, wrk, sampler, STATIC, static_path, conns, single_s, s, server_cpus, n == 0, budget,
                         gzip=asked)
            rows.append(StaticRow(encoding, p, x, len(wire), len(raw)))
            log(f"  reader page ({encoding}) c{conns}: Parley {p.med('rps'):.0f} req/s, nginx {x.med('rps'):.0f}: "
                f"{p.med('rps') / x.med('rps'):.3f}x, Parley p99 {p.med('p99_ms'):.1f} ms")
    return rows


def static_table(rows: list[StaticRow], meta: dict) -> str:
    lines = ["### The reader page against nginx serving the same bytes", "",
             f"The first page of the {meta['settings'].small}-comment thread (`/stories/t500`), then the bytes "
             "Parley answered with, served by nginx as a static file on the same core "
             f"({Nginx.describe(None)}); each row's two halves run one after the other. Medians of "
             f"{meta['settings'].reps} wrk runs of {meta['settings'].rep_s:.0f} s.", "",
             "| client asks for | connections | bytes sent | Parley req/s | Parley p50 / p99 ms | nginx req/s | "
             "nginx p99 ms | Parley ÷ nginx |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pr, xr = r.parley.med("rps"), r.nginx.med("rps")
        lines.append(f"| {r.encoding} | {r.parley.conns} | {r.wire_bytes:,} of {r.raw_bytes:,} | {pr:,.0f} | "
                     f"{r.parley.med('p50_ms'):.1f} / {r.parley.med('p99_ms'):.1f} | {xr:,.0f} | "
                     f"{r.nginx.med('p99_ms'):.1f} | {pr / xr:.3f}× |")
    return "\n".join(lines) + "\n"


def bench_peer(server: Server, version: str, threads: dict[str, Thread], wrk: Wrk, s: Settings,
               server_cpus: list[int], seed: int, nginx: Nginx | None = None) -> PeerResult:
    res = PeerResult(server.name, server.describe(), version)
    budget = [s.retry_budget_s]  # seconds this server may spend re-running disturbed runs
    log(f"{server.name}: starting on port {server.port}")
    server.start()
    sampler = MemorySampler(server)
    sampler.start()
    client = Client(HOST, server.port)
    try:
        # --- writes: the small thread by one client, the large one by eight --------
        sampler.phase = "writes"
        for key, clients in (("small", 1),) if s.page_only else (("small", 1), ("large", 8)):
            result, busy, own, others = measured_run(
                server, server_cpus, functools.partial(write_phase, server, client, threads[key], clients, s))
            result.server_busy, result.server_own, result.foreign = busy, own, others
            res.writes.append((key, result))
        res.setup = server.describe()  # after the writes: it may say what moderation did to them

        if nginx is not None and s.page_only:
            res.static = static_rows(server, nginx, wrk, sampler, threads["small"].slug, s, server_cpus, budget)
            return res

        # --- what each read returns, and its latency alone ---------------------------
        sampler.phase = "probes"
        for sc in SCENARIOS:
            path = path_for(server, sc, threads[sc.thread].slug)
            if path is not None:
                res.probes[sc.key] = probe(server, client, path, sc.kind, s.single_reps)
        client.close()

        # --- read load ---------------------------------------------------------------
        for n, conns in enumerate(s.conns):
            for sc in SCENARIOS:
                pr = res.probes.get(sc.key)
                if pr is not None:
                    res.reads.append(read_row(server, wrk, sampler, sc, pr.path, conns, median(pr.seconds), s,
                                              server_cpus, n == 0, budget))

        if nginx is not None:
            res.static = static_rows(server, nginx, wrk, sampler, threads["small"].slug, s, server_cpus, budget)

        # --- reads of the small thread while comments arrive, at the most connections ------
        pr = res.probes["small-full"]
        fresh = [dataclasses.replace(it, parent=None) for it in make_thread("mix", 400, seed=seed + 7).items]
        res.mixed = read_row(server, wrk, sampler, MIXED, pr.path, s.conns[-1], median(pr.seconds), s,
                             server_cpus, False, budget,
                             trickle=lambda: Trickle(server, threads["small"], fresh, s.trickle_interval_s))
        log(f"  {server.name}: {len(res.mixed.posted)} comments posted during those reads "
            f"({res.mixed.post_failures} failed)")

        # --- the whole large thread, sequentially --------------------------------------
        sampler.phase = "extras"
        slug = threads["large"].slug
        if isinstance(server, Parley):
            walks = []
            for _ in range(3):
                walks.append(server.walk_thread(client, slug))
            res.full_large = {"requests": walks[0][1], "comments": walks[0][0], "wire_bytes": walks[0][2],
                              "seconds": [w[3] for w in walks], "note": "first walk renders every page"}
        else:
            times, count, wire = [], 0, 0
            t0 = time.monotonic()
            while len(times) < 3 and (not times or time.monotonic() - t0 < s.full_large_budget_s):
                got = client.get(server.full_thread(slug))
                if got.status != 200:
                    raise BenchError(f"isso full thread answered {got.status}")
                times.append(got.seconds)
                count, wire = server.count(got.body, "json"), got.wire_bytes
            res.full_large = {"requests": 1, "comments": count, "wire_bytes": wire, "seconds": times}
        log(f"  {server.name}: whole {slug} thread: {res.full_large['comments']} comments in "
            f"{res.full_large['requests']} request(s), median {median(res.full_large['seconds']):.3f} s")

        # --- Parley: a read right after a write re-renders (its cache keys on revision) ---
        if isinstance(server, Parley):
            res.cold = cold_reads(server, client, threads, s)
    finally:
        try:
            sampler.stop()
            res.memory = dict(sampler.peaks)
            res.memory_samples = sampler.samples
            client.close()
        finally:
            server.stop()  # whatever failed above, the server we started goes
        log(f"{server.name}: stopped; peak RSS {sampler.peak()[0] / 2**20:.0f} MiB")
    return res


def cold_reads(server: Parley, client: Client, threads: dict[str, Thread], s: Settings) -> dict[str, list[float]]:
    """Each time: one new comment (which bumps the story's revision), then the read,
    which finds no cached rendering. Runs last, as it adds comments to the threads."""
    import json

    out: dict[str, list[float]] = {}
    for key in ("small-full", "large-first", "large-page"):
        sc = next(x for x in SCENARIOS if x.key == key)
        thread = threads[sc.thread]
        path = path_for(server, sc, thread.slug)
        times = []
        for i in range(s.cold_reps):
            body = json.dumps({"author_name": "Bench Cold", "body": f"A new comment, number {i}, to change the "
                               "thread before the next read."}).encode()
            got = client.request("POST", f"/api/v1/stories/{thread.slug}/comments", body)
            if got.status != 201:
                raise BenchError(f"cold write answered {got.status}")
            times.append(client.get(path).seconds)
        out[key] = times
    return out


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short smoke run (smaller large thread, 1 s runs)")
    p.add_argument("--out", type=Path, help="write the results into this Markdown file (e.g. docs/performance.md)")
    p.add_argument("--peers", default="parley,isso,nginx",
                   help="which servers to run (default: parley,isso,nginx; nginx serves Parley's reader page "
                        "as a static file, so it needs parley)")
    p.add_argument("--page-only", action="store_true",
                   help="only the small thread's reader page against nginx (writes the small thread, ~2 minutes)")
    p.add_argument("--workers", type=int, default=1,
                   help="Parley's `serve --workers` (default 1: the server is pinned to one core)")
    p.add_argument("--isso-workers", type=int, default=4, help="gunicorn workers for Isso (default 4)")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client to separate cores")
    p.add_argument("--seed", type=int, default=20240508, help="seed for the threads' text and shape")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="S",
                   help="before each server's turn, wait up to S seconds for other processes to quieten")
    p.add_argument("--keep", action="store_true", help="keep the run's databases and logs in benchmarks/.work/")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    s = Settings.quick_run() if args.quick else Settings()
    s.page_only = args.page_only
    peers = [x.strip() for x in args.peers.split(",") if x.strip()]
    started = time.monotonic()
    when = dt.datetime.now(dt.timezone.utc)

    # Two cores: the server gets one, the load generator (wrk, the Python writers and
    # this process) the other; the same for both peers.
    cores = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cores) >= 2 and shutil.which("taskset")
    client_cpus = [cores[0]] if pin else []
    server_cpus = cores[1:] if pin else []
    if pin:
        os.sched_setaffinity(0, client_cpus)
    client_spec = ",".join(map(str, client_cpus)) or None
    server_spec = ",".join(map(str, server_cpus)) or None

    WORKROOT.mkdir(exist_ok=True)
    rundir = WORKROOT / f"run-{when:%Y%m%d-%H%M%S}"
    rundir.mkdir()
    wrk_path = ensure_wrk(log)
    versions = {"wrk": wrk_version(wrk_path)}
    venv = None
    if "isso" in peers:
        venv = isso_venv(WORKROOT, log)
        versions["isso"] = isso_version(venv)
    wrk = Wrk(wrk_path, rundir, client_spec)
    if "nginx" in peers:
        versions["nginx"] = subprocess.run([str(ensure_nginx(log)), "-v"], capture_output=True, text=True,
                                           timeout=30).stderr.strip().removeprefix("nginx version: ")

    threads = {"small": make_thread("t500", s.small, seed=args.seed),
               "large": make_thread(f"t{s.large // 1000}k", s.large, seed=args.seed + 1)}
    log(f"threads: {s.small} comments ({threads['small'].replies} replies) and {s.large} "
        f"({threads['large'].replies} replies); server cpus {server_spec or 'any'}, client cpus {client_spec or 'any'}")

    quiet_before = background_load()
    results: dict[str, PeerResult] = {}
    ok = True
    try:
        for name in peers:
            if name == "nginx":
                continue  # started beside Parley: it serves Parley's page
            workdir = rundir / name
            workdir.mkdir()
            nginx = None
            if name == "parley":
                import importlib.metadata as md
                server: Server = Parley(workdir, server_spec, args.workers)
                version = f"parley {md.version('parley')}"
                if "nginx" in peers:
                    (rundir / "nginx").mkdir()
                    nginx = Nginx(rundir / "nginx", server_spec)
            elif name == "isso":
                server = Isso(workdir, server_spec, args.isso_workers, venv)
                version = versions["isso"]
            else:
                raise SystemExit(f"unknown peer {name!r}")
            others = wait_for_quiet(args.wait_quiet)
            if nginx is not None:
                nginx.start()
            try:
                results[name] = bench_peer(server, version, threads, wrk, s, server_cpus, args.seed, nginx)
            finally:
                if nginx is not None:
                    nginx.stop()
            results[name].background_before = others
    except BenchError as exc:
        ok = False
        log(f"error: {exc}")
    finally:
        if not args.keep:
            shutil.rmtree(rundir, ignore_errors=True)

    quiet_after = background_load()
    meta = {
        "background_cores": (quiet_before, quiet_after),
        "when": when, "elapsed_s": time.monotonic() - started, "quick": s.quick, "settings": s,
        "machine": machine(), "versions": versions, "pinned": bool(pin), "server_cpus": server_spec,
        "client_cpus": client_spec, "threads": threads, "scenarios": SCENARIOS, "mixed": MIXED,
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    static = results["parley"].static if "parley" in results else []
    if s.page_only:
        text = static_table(static, meta) if static else "(no results)\n"
        print(text)
        log(f"done in {meta['elapsed_s']:.0f} s")
        return 0 if ok else 1
    text = report.render(results, meta)
    if static:
        text += "\n" + static_table(static, meta)
    print(text)
    if args.out and results and ok:
        report.write_doc(args.out, text, meta)
        log(f"wrote {args.out}")
    log(f"done in {meta['elapsed_s']:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
