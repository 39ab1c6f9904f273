#!/usr/bin/env python3
"""What compressing Parley's responses costs against the bytes it saves.

    .venv/bin/python benchmarks/compression.py

Builds the benchmark's 500-comment thread (workload.make_thread, the same seed as
run.py) in a fresh SQLite database in a temporary directory, asks the app in process for
the reader page, the thread fragment and the thread JSON (and a small JSON body), and
for each prints bytes and CPU microseconds per response at gzip levels 1-9 (zlib, as the
compression middleware calls it), at Brotli qualities when the ``brotli`` module is
importable (it is not a dependency; install it in a scratch place to see those rows),
and the reader page as Parley serves it: pieces deflated once, joined per response
(parley.web.gzip_splice). CPU time is process time over repeated runs, so other load
on the machine slows it less than wall time would. Asserts nothing; prints a table.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from workload import make_thread  # noqa: E402


def cpu_us(fn, budget_s: float = 0.4) -> float:
    fn()
    n, t0 = 0, time.process_time()
    while True:
        fn()
        n += 1
        spent = time.process_time() - t0
        if spent >= budget_s and n >= 3:
            return spent / n * 1e6


def build(workdir: Path):
    os.environ["PARLEY_DATABASE_URL"] = f"sqlite:///{workdir / 'parley.db'}"
    os.environ["PARLEY_RATE_LIMIT"] = "0"
    from starlette.testclient import TestClient

    from parley.config import Config
    from parley.domain import Actor
    from parley.service import NewComment
    from parley.store import open_store
    from parley.web.app import create_app

    config = Config.from_env()
    store = open_store(config.database_url)
    store.migrate()
    app = create_app(config, store)
    services = app.state.services
    thread = make_thread("t500", 500, seed=20240508)
    services.stories.create(Actor.system("bench"), {"slug": "t500", "title": "A story for the benchmark",
                                                    "body": "A story for the benchmark.\n\nIts comments follow."})
    ids: dict[int, int] = {}
    for item in thread.items:
        posted = services.posting.post(Actor.guest(), NewComment(
            story_slug="t500", author_name=item.author, body=item.body, email=item.email,
            parent_id=ids[item.parent] if item.parent is not None else None))
        ids[item.index] = posted.comment.id
    return app, TestClient(app, base_url="http://127.0.0.1")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="parley-compression-") as tmp:
        app, client = build(Path(tmp))
        plain = {"Accept-Encoding": "identity"}
        bodies = {
            "reader page (HTML)": client.get("/stories/t500", headers=plain).content,
            "thread fragment (HTML)": client.get("/stories/t500/comments?fragment=1", headers=plain).content,
            "thread JSON, first page": client.get("/api/v1/stories/t500/comments", headers=plain).content,
            "small JSON (one comment)": client.get("/api/v1/stories/t500/comments?limit=1", headers=plain).content,
        }
        for name, body in bodies.items():
            if len(body) < 200 or body.lstrip()[:1] not in (b"<", b"{"):
                raise SystemExit(f"{name}: unexpected answer {body[:200]!r}")
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            brotli = None

        rows = []
        for name, body in bodies.items():
            for level in range(1, 10):
                def gz(level=level, body=body):
                    c = zlib.compressobj(level, zlib.DEFLATED, 31)
                    return c.compress(body) + c.flush()
                rows.append((name, len(body), f"gzip {level}", len(gz()), cpu_us(gz)))
            if brotli is not None:
                for quality in (1, 4, 5, 6, 11):
                    def br(quality=quality, body=body):
                        return brotli.compress(body, quality=quality)
                    rows.append((name, len(body), f"brotli {quality}", len(br()), cpu_us(br)))

        # The page as served: the frame's pieces and the thread deflated once, joined per response.
        from starlette.requests import Request

        from parley.web import pages
        scope = {"type": "http", "method": "GET", "path": "/stories/t500", "query_string": b"", "headers": [],
                 "app": app, "path_params": {"slug": "t500"}, "client": ("127.0.0.1", 1), "state": {}}
        import asyncio
        loop = asyncio.new_event_loop()
        story, thread = loop.run_until_complete(pages._thread(Request(scope)))
        frames = loop.run_until_complete(pages._cached_frames(Request(scope), story))
        values = {"thread": thread, "csrf_token": b"t" * 76, "idempotency_key": b"k" * 22}
        thread.piece.shift  # noqa: B018
        joined = frames.plain.gzipped(values)
        raw = frames.plain.body(values)
        rows.append(("reader page (HTML)", len(raw), "gzip 6, pieces joined per response", len(joined),
                     cpu_us(lambda: frames.plain.gzipped(values))))
        rows.append(("reader page (HTML)", len(raw), "identity, joined per response", len(raw),
                     cpu_us(lambda: frames.plain.body(values))))

    print("| response | bytes | encoding | bytes sent | share | µs per response |")
    print("|---|---|---|---|---|---|")
    for name, size, how, out, us in rows:
        print(f"| {name} | {size:,} | {how} | {out:,} | {out / size:.1%} | {us:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
