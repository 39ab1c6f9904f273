"""The moderators' workspace under load: the first page of a 100,000-comment queue, and a
decision's round trip, on SQLite and on the local PostgreSQL.

    .venv/bin/python benchmarks/workspace.py                 # both backends, prints the table
    .venv/bin/python benchmarks/workspace.py --items 20000 --seconds 5 --backends sqlite   # a quick look
    .venv/bin/python benchmarks/workspace.py --out docs/performance.md   # and replaces its section there

One `parley serve` worker pinned to core 0; wrk (one thread, core 1) reads the queue at 8
connections as a signed-in moderator. The queue is filled by SQL (setup, not what is
measured): held and reported comments across 20 stories and 2,000 authors, each with a
verdict. A decision's round trip is what the workspace's script does on a key: the
decision (POST /api/v1/admin/comments/{id}/approve), then the next card
(GET /api/v1/admin/comments/{next}), sequential, one connection; in the browser (with
--browser) from keydown until the server has confirmed it and the next card is selected.
No peer is measured: none of the comment platforms we compare with ships a
moderation queue that runs here (Coral needs MongoDB and Redis), so the numbers are
against the issue's targets (p99 under 50 ms for the page, under 100 ms a decision).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from loadgen import BenchError, median, percentile, wait_until_up  # noqa: E402
from peers import free_port, pinned  # noqa: E402
from wrkrun import Wrk, ensure_wrk, wrk_version  # noqa: E402

from parley.config import Config  # noqa: E402
from parley.domain import Actor, Role  # noqa: E402
from parley.service import Services  # noqa: E402
from parley.store import open_store, to_us  # noqa: E402

POSTGRES_URL = os.environ.get("PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "b" * 64
PASSWORD = "workspace-bench-password"
#: The workspace's selected card (parley/web/static/moderate.js).
SELECTED = ".mod-card.is-selected"
LABELS = ("toxicity", "insult", "threat", "identity_attack", "spam", "profanity")


def log(msg: str) -> None:
    print(f"[workspace] {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def database(backend: str, workdir: Path):
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'workspace.db'}"
        return
    import psycopg

    schema = f"bench_ws_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def fill(url: str, items: int, seed: int) -> None:
    """Stories and authors through the services, then ``items`` queued comments by SQL."""
    store = open_store(url)
    store.migrate()
    config = Config.from_env({}, database_url=url, secret_key=SECRET, moderation=0, rate_limit=0)
    services = Services(store, config, secret=SECRET.encode())
    system = Actor.system("bench")
    story_ids = [services.stories.create(system, {"slug": f"story-{i}", "title": f"Story {i}"}).id
                 for i in range(20)]
    services.accounts.create_account(system, email="mod@example.org", password=PASSWORD, role=Role.MODERATOR,
                                     display_name="Bench Moderator")
    rng = random.Random(seed)
    sql = store._sql  # setup only: the benchmark's own bulk insert
    with store.atomic():
        conn = store._local.conn
        author_ids = []
        for i in range(2000):
            row = conn.execute(sql("INSERT INTO authors (kind, display_name, email, identity_key)"
                                   " VALUES ('guest', ?, NULL, ?) RETURNING id"), (f"Reader {i}", f"guest:r{i}:"))
            author_ids.append(row.fetchone()[0])
        now = to_us(services.deps.clock())
        rows = []
        for n in range(items):
            label, score = rng.choice(LABELS), round(rng.uniform(0.5, 1.0), 3)
            reported = rng.random() < 0.2
            reports = rng.randint(1, 4) if reported else 0
            verdict = {"scores": {lb: (score if lb == label else round(rng.uniform(0, 0.4), 3)) for lb in LABELS},
                       "spans": [{"start": 0, "end": 4, "label": label}], "action": "hold",
                       "reasons": [f"{label} scored {score}"], "model": "bench"}
            priority = round(1000 * score) + 250 * reports + 120
            rows.append((rng.choice(story_ids), rng.choice(author_ids), f"Comment number {n}, held for review.",
                         f"<p>Comment number {n}, held for review.</p>\n", "pending", "[]", now - n * 1000,
                         json.dumps(verdict), "reported" if reported else "held", priority, reports, label, score))
            if len(rows) == 5000:
                _insert(conn, sql, rows)
                rows = []
        if rows:
            _insert(conn, sql, rows)
    if store.dialect == "postgres":
        with store._read_connection() as c:
            c.execute("ANALYZE comments")
    else:
        with store._begin() as c:
            c.execute("ANALYZE")
    store.close()


def _insert(conn, sql, rows) -> None:
    query = sql("INSERT INTO comments (story_id, author_id, body_source, body_html, state, notices, created_at,"
                " verdict, queue, priority, report_count, top_label, top_score) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    if hasattr(conn, "executemany"):
        conn.executemany(query, rows)
    else:
        with conn.cursor() as cur:
            cur.executemany(query, rows)


class Parley:
    def __init__(self, url: str, workdir: Path, cpus: str) -> None:
        self.url, self.workdir, self.cpus = url, workdir, cpus
        self.port = free_port()
        self.proc = None

    def __enter__(self) -> Parley:
        env = dict(os.environ, PARLEY_DATABASE_URL=self.url, PARLEY_SECRET_KEY=SECRET, PARLEY_MODERATION="0",
                   PARLEY_RATE_LIMIT="0", PARLEY_ALLOWED_HOSTS="127.0.0.1")
        cmd = pinned([str(ROOT / ".venv" / "bin" / "parley"), "serve", "--port", str(self.port)], self.cpus)
        self.log = open(self.workdir / f"parley-{self.port}.log", "ab")  # noqa: SIM115 (closed in __exit__)
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        wait_until_up("127.0.0.1", self.port, "/healthz", 60, self.proc)
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def request(conn: http.client.HTTPConnection, method: str, path: str, cookie: str, body: bytes | None = None):
    headers = {"Cookie": cookie, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    if answer.status >= 400:
        raise BenchError(f"{method} {path}: {answer.status} {data[:300]!r}")
    return answer, data


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/auth/login", body=json.dumps({"email": "mod@example.org", "password": PASSWORD}),
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        raise BenchError(f"login answered {answer.status}")
    cookies = [v.split(";")[0] for k, v in answer.getheaders() if k.lower() == "set-cookie"]
    session = [c for c in cookies if c.startswith("parley_session=")]
    if not session:
        raise BenchError("login set no parley_session cookie")
    return session[0]


def decisions(port: int, cookie: str, count: int) -> list[float]:
    """Approve the top card and fetch the next one, ``count`` times: milliseconds each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _, data = request(conn, "GET", "/api/v1/admin/queue?limit=2", cookie)
    cards = [c["id"] for c in json.loads(data)["comments"]]
    times = []
    for _ in range(count):
        current, following = cards[0], cards[1]
        t0 = time.perf_counter()
        request(conn, "POST", f"/api/v1/admin/comments/{current}/approve", cookie, b"{}")
        request(conn, "GET", f"/api/v1/admin/comments/{following}", cookie)
        times.append((time.perf_counter() - t0) * 1000)
        _, data = request(conn, "GET", "/api/v1/admin/queue?limit=2", cookie)  # the page's look-ahead, not timed
        cards = [c["id"] for c in json.loads(data)["comments"]]
    return times


def browser_decisions(port: int, cookie: str, count: int) -> list[float]:
    """In Chromium: press a (approve) ``count`` times on /moderate; from keydown until the
    server has confirmed the decision (the decided card leaves the list) with the next card
    selected, by the page's clock. The page selects the next card at once and removes the
    decided one when the answer comes, so this is the whole round trip, not the optimistic
    half of it."""
    from playwright.sync_api import sync_playwright

    name, value = cookie.split("=", 1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        context.add_cookies([{"name": name, "value": value, "url": f"http://127.0.0.1:{port}"}])
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/moderate")
        page.wait_for_selector(SELECTED)
        times = []
        for _ in range(count):
            page.evaluate("""(sel) => { window.__t0 = performance.now(); window.__t1 = null;
                const seen = document.querySelector(sel);
                const obs = new MutationObserver(() => {
                    const now = document.querySelector(sel);
                    if (!seen.isConnected && now && now !== seen) { window.__t1 = performance.now(); obs.disconnect(); }
                });
                obs.observe(document.body, {subtree: true, childList: true, attributes: true}); }""", SELECTED)
            page.keyboard.press("a")
            page.wait_for_function("() => window.__t1 !== null", timeout=10_000)
            times.append(page.evaluate("() => window.__t1 - window.__t0"))
        errors = page.evaluate("() => (document.getElementById('mod-error') || {}).textContent || ''")
        if errors:
            raise BenchError(f"the workspace showed an error: {errors}")
        browser.close()
    return times


def run_backend(backend: str, args, wrk: Wrk, workdir: Path) -> dict:
    with database(backend, workdir) as url:
        t0 = time.perf_counter()
        fill(url, args.items, args.seed)
        log(f"{backend}: {args.items:,} queued comments in {time.perf_counter() - t0:.0f} s")
        with Parley(url, workdir, "0") as server:
            cookie = login(server.port)
            base = f"http://127.0.0.1:{server.port}"
            result = {"backend": backend}
            for name, path in (("page", "/moderate"), ("json", "/api/v1/admin/queue")):
                wrk.run(base + path, 8, 2, headers={"Cookie": cookie})  # warm up
                runs = [wrk.run(base + path, 8, args.seconds, headers={"Cookie": cookie}) for _ in range(args.reps)]
                if any(r.errors for r in runs):
                    raise BenchError(f"{backend} {path}: {sum(r.errors for r in runs)} errors under load")
                result[name] = {"rps": median([r.rps for r in runs]), "p50": median([r.p50_ms for r in runs]),
                                "p99": median([r.p99_ms for r in runs]), "p99_max": max(r.p99_ms for r in runs)}
            times = decisions(server.port, cookie, args.decisions)
            result["decision"] = {"p50": median(times), "p99": percentile(times, 99), "n": len(times)}
            if args.browser:
                keyed = browser_decisions(server.port, cookie, args.browser)
                result["keypress"] = {"p50": median(keyed), "p99": percentile(keyed, 99), "n": len(keyed)}
    return result


def table(results: list[dict], args) -> str:
    lines = [f"Queue of {args.items:,} held and reported comments; one worker on core 0, wrk on core 1 at "
             f"8 connections, {args.reps} runs of {args.seconds:.0f} s (medians).", "",
             "| backend | request | req/s | p50 ms | p99 ms | worst run's p99 ms |", "|---|---|---:|---:|---:|---:|"]
    for r in results:
        for name, label in (("page", "`GET /moderate` (first page, HTML)"),
                            ("json", "`GET /api/v1/admin/queue` (first page, JSON)")):
            m = r[name]
            lines.append(f"| {r['backend']} | {label} | {m['rps']:,.0f} | {m['p50']:.1f} | {m['p99']:.1f} | "
                         f"{m['p99_max']:.1f} |")
    lines += ["", "| backend | decision round trip | n | p50 ms | p99 ms |", "|---|---|---:|---:|---:|"]
    for r in results:
        d = r["decision"]
        lines.append(f"| {r['backend']} | approve, then the next card (HTTP, sequential) | {d['n']} | "
                     f"{d['p50']:.1f} | {d['p99']:.1f} |")
        if "keypress" in r:
            k = r["keypress"]
            lines.append(f"| {r['backend']} | keypress `a` to the decision confirmed, next card selected "
                         f"(Chromium) | {k['n']} | {k['p50']:.1f} | {k['p99']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--browser", type=int, default=100, help="keypresses timed in Chromium (0: none)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", help="replace the workspace section of this Markdown file")
    args = parser.parse_args(argv)
    workdir = HERE / ".work" / f"workspace-{int(time.time())}"
    workdir.mkdir(parents=True, exist_ok=True)
    wrk = Wrk(ensure_wrk(log), workdir, "1")
    log(wrk_version(wrk.wrk))
    results = [run_backend(b.strip(), args, wrk, workdir) for b in args.backends.split(",") if b.strip()]
    text = table(results, args)
    print(text)
    if args.out:
        replace_section(Path(args.out), "## The moderators' workspace", text)
    return 0


def replace_section(path: Path, heading: str, body: str, source: str = "`benchmarks/workspace.py`") -> None:
    """Put ``body`` under ``heading`` in the Markdown file, replacing what was there; the
    section says it came from ``source``, and when."""
    text = path.read_text() if path.exists() else ""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = f"{heading}\n\n{source}, {stamp}.\n\n{body}"
    if heading in text:
        start = text.index(heading)
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[nxt:] if nxt != -1 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
