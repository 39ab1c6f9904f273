#!/usr/bin/env python3
"""Parley's embed against Isso's on the same 500-comment thread, in Chromium.

    .venv/bin/python benchmarks/embed.py                         # prints the table
    .venv/bin/python benchmarks/embed.py --out docs/performance.md  # and replaces its section there

Both servers run here on 127.0.0.1 (Parley: `parley serve`, one worker; Isso 0.14 under
gunicorn, as benchmarks/run.py starts it), each given the same thread (benchmarks/workload.py,
seed 1). A publisher's article page on http://localhost:PORT (another site than both)
embeds each one the way its docs say: Parley's `<div data-parley-story>` and embed.js,
Isso's `<script data-isso src=.../js/embed.min.js>` and `<section id="isso-thread">`,
each with its default settings. Each load is a fresh browser context (nothing cached),
one untimed, then ``--runs`` timed; medians are quoted.

Measured per load: time to first render (from navigation start, `performance.now()`,
to the first comment element in the page: Parley's inside its shadow root), time until
every comment of the first view is in the page, and the bytes the embed moved (Chromium's
encoded body sizes for every request to the peer's origin until the network is idle:
the script, then whatever it fetches for the first view). The script's own size is
also given as gzip -6 of its body, whatever the server sent.
This is a benchmark, not a test: it asserts nothing and only reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import http.server
import json
import os
import shutil
import socket
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
from loadgen import Client, post_thread, run_async  # noqa: E402
from peers import HOST, Isso, Parley, isso_venv, isso_version  # noqa: E402
from workload import make_thread  # noqa: E402
from workspace import replace_section  # noqa: E402

WORKROOT = HERE / ".work"
CHROMIUM = "/usr/bin/chromium"
HEADING = "## The embed against Isso's"

# How each page knows its embed has drawn the thread: the first comment element, and all of them.
FIRST_RENDER = {
    "isso-50": "document.querySelectorAll('#isso-thread .isso-comment').length",
    "parley": "(() => { const r = document.querySelector('[data-parley-story]'); "
              "return r && r.shadowRoot ? r.shadowRoot.querySelectorAll('li.comment').length : 0; })()",
    "isso": "document.querySelectorAll('#isso-thread .isso-comment').length",
}
PROBE = """(() => {
  window.__firstRender = null; window.__count = 0;
  const count = () => %s;
  const tick = () => {
    const n = count();
    if (n > 0 && window.__firstRender === null) window.__firstRender = performance.now();
    if (n !== window.__count) { window.__count = n; window.__settled = performance.now(); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();"""


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class EmbedParley(Parley):
    """Parley allowing the publisher's origin, unscored (the thread is the same either way;
    scoring only slows the loading of it)."""

    def __init__(self, workdir: Path, origin: str) -> None:
        super().__init__(workdir, None, 1)
        self.origin = origin

    def _env(self) -> dict[str, str]:
        return super()._env() | {"PARLEY_ALLOWED_ORIGINS": self.origin, "PARLEY_MODERATION": "0"}


class EmbedIsso(Isso):
    """Isso whose website is the publisher's page (it answers CORS for that origin only)."""

    def __init__(self, workdir: Path, venv: Path, origin: str) -> None:
        super().__init__(workdir, None, 1, venv)
        self.origin = origin

    def prepare(self) -> None:
        super().prepare()
        text = self.config.read_text().splitlines()
        self.config.write_text("\n".join(f"host = {self.origin}/" if line.startswith("host = ") else line
                                         for line in text) + "\n")


class Publisher:
    """The publisher's site: one article page per peer, served as written."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.pages: dict[str, bytes] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer((HOST, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, embed: str) -> str:
        self.pages[path] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Council passes budget | The Daily Example</title><link rel="canonical" href="{self.origin}{path}"></head>
<body><main><h1>Council passes budget</h1><p>The council voted on the budget last night.</p>
{embed}</main></body></html>""".encode()
        return f"{self.origin}{path}"


def load(server, thread) -> None:
    client = Client(HOST, server.port)
    server.create_thread(client, thread)
    result = run_async(post_thread(HOST, server.port, thread.items, functools.partial(server.comment_request, thread),
                                   server.answer, 4, 600))
    log(f"  {server.name}: {len(thread.items)} comments loaded in {result.seconds:.1f} s")


def script_bytes(url: str) -> tuple[int, int, str]:
    """The script as the server sends it to a browser that takes gzip: (bytes on the
    wire, gzip -6 of its body, Content-Encoding)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        raw = answer.read()
        encoding = answer.headers.get("Content-Encoding", "")
    body = gzip.decompress(raw) if encoding == "gzip" else raw
    return len(raw), len(gzip.compress(body, compresslevel=6, mtime=0)), encoding or "none"


def measure(browser, url: str, peer: str, peer_origin: str) -> dict:
    context = browser.new_context()
    context.add_init_script(PROBE % FIRST_RENDER[peer])
    page = context.new_page()
    moved = {"bytes": 0, "requests": 0}

    def finished(request) -> None:
        if request.url.startswith(peer_origin):
            sizes = request.sizes()
            moved["bytes"] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            moved["requests"] += 1

    page.on("requestfinished", finished)
    page.goto(url)
    page.wait_for_function("window.__firstRender !== null", timeout=60_000)
    page.wait_for_load_state("networkidle")
    time.sleep(0.3)  # a last frame for the count to settle
    found = page.evaluate("({first: window.__firstRender, settled: window.__settled, count: window.__count})")
    context.close()
    return {"first_ms": found["first"], "all_ms": found["settled"], "comments": found["count"], **moved}


def run(runs: int) -> tuple[str, dict]:
    from playwright.sync_api import sync_playwright

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = WORKROOT / f"embed-{stamp}"
    thread = make_thread("council-budget", 500, seed=1)
    publisher = Publisher()
    venv = isso_venv(WORKROOT, log)
    parley = EmbedParley(workdir / "parley", publisher.origin)
    isso = EmbedIsso(workdir / "isso", venv, publisher.origin)
    results: dict[str, dict] = {}
    try:
        for server in (parley, isso):
            server.workdir.mkdir(parents=True)
            server.log_path = server.workdir / f"{server.name}.log"
            server.start()
            load(server, thread)
        base_p, base_i = f"http://{HOST}:{parley.port}", f"http://{HOST}:{isso.port}"
        pages = {
            "parley": publisher.add(f"/parley/{thread.slug}", f'<div data-parley-story="{thread.slug}"></div>'
                                                              f'<script src="{base_p}/embed.js" async></script>'),
            # Isso's thread is the page's path: /{slug}, as benchmarks/peers.py posts it.
            "isso": publisher.add(f"/{thread.slug}", f'<script data-isso="{base_i}/" src="{base_i}/js/embed.min.js">'
                                                     f'</script><section id="isso-thread"></section>'),
            # Isso told to show what Parley's first view shows: 50 top-level comments, all their replies.
            "isso-50": publisher.add(f"/isso-50/{thread.slug}", f'<script data-isso="{base_i}/" '
                                     f'data-isso-max-comments-top="50" data-isso-max-comments-nested="inf" '
                                     f'src="{base_i}/js/embed.min.js"></script>'
                                     f'<section id="isso-thread" data-isso-id="/{thread.slug}"></section>'),
        }
        isso_script = script_bytes(f"{base_i}/js/embed.min.js")
        scripts = {"parley": script_bytes(f"{base_p}/embed.js"), "isso": isso_script, "isso-50": isso_script}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for peer, origin in (("parley", base_p), ("isso", base_i), ("isso-50", base_i)):
                measure(browser, pages[peer], peer, origin)  # untimed: server caches and the OS warm up
                loads = [measure(browser, pages[peer], peer, origin) for _ in range(runs)]
                results[peer] = {"loads": loads, "script": scripts[peer]}
                log(f"  {peer}: first render {statistics.median(x['first_ms'] for x in loads):.0f} ms, "
                    f"{loads[-1]['comments']} comments, {loads[-1]['bytes']} bytes")
            browser.close()
        meta = {"stamp": stamp, "runs": runs, "isso": isso_version(venv), "thread": len(thread.items),
                "first_page": thread.first_page_count(), "load": os.getloadavg()[0], "cpus": os.cpu_count()}
    finally:
        for server in (parley, isso):
            server.stop()
        publisher.server.shutdown()
        publisher.server.server_close()
    shutil.rmtree(workdir, ignore_errors=True)
    return render(results, meta), results


def render(results: dict, meta: dict) -> str:
    def med(peer: str, key: str) -> float:
        return statistics.median(x[key] for x in results[peer]["loads"])

    rows = []
    for peer, name in (("parley", "Parley embed.js"), ("isso", f"Isso embed.min.js ({meta['isso']})"),
                       ("isso-50", "Isso, max-comments-top=50, nested=inf")):
        wire, gz, encoding = results[peer]["script"]
        last = results[peer]["loads"][-1]
        rows.append([name, f"{report.kib(wire)} ({encoding})", report.kib(gz), report.kib(int(med(peer, "bytes"))),
                     str(int(med(peer, "requests"))), str(last["comments"]), f"{med(peer, 'first_ms'):.0f} ms",
                     f"{med(peer, 'all_ms'):.0f} ms"])
    table = report.table(["embed", "script as sent", "script, gzip -6", "all it moved (first view)", "requests",
                          "comments shown", "first render", "all shown"], rows)
    return (f"The same {meta['thread']}-comment thread in each, embedded in a publisher's page on another "
            f"origin, each embed with its default settings, in Chromium; medians of {meta['runs']} cold loads "
            f"(a fresh browser context each) after one untimed. Parley's embed shows the first page (50 top-level "
            f"comments and their replies: {meta['first_page']} comments), Isso's the whole thread (it asks for "
            f"every comment by default); the third row tells Isso to show what Parley's first view shows. "
            f"\"All it moved\" is every response from the peer's origin (headers and "
            f"encoded body) until the network is idle: the script, then what it fetched. First render: from "
            f"navigation start to the first comment element in the page. Load average when the run ended: "
            f"{meta['load']:.1f} on {meta['cpus']} cores (the browser, both servers and anything else on the "
            f"machine share them), so the times are rough; the bytes are not.\n\n{table}\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Parley's embed against Isso's, in Chromium")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", help="replace this benchmark's section of this Markdown file")
    args = parser.parse_args(argv)
    text, results = run(args.runs)
    print(text)
    print(json.dumps({p: r["loads"] for p, r in results.items()}, indent=1), file=sys.stderr)
    if args.out:
        replace_section(Path(args.out), HEADING, text, "`benchmarks/embed.py` (`make bench-embed`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
