"""Moderation speed, Parley beside alt-profanity-check, in one run on one core.

    .venv/bin/python benchmarks/moderation.py [--runs 3] [--out docs/performance.md]

1. Throughput, start-up included: each command is a fresh process pinned to one core
   (``taskset``), reading real comments (held-out and training rows of ../shared/data,
   cycled to the batch size) as JSON Lines and writing one JSON line per comment:
   ``parley score`` on 20,000, ``parley score --fast`` on 200,000, and a script doing the
   same with alt-profanity-check's ``predict_prob`` on both sizes.
2. Latency moderation adds to posting: real HTTP posts to ``parley serve`` (one worker,
   pinned to one core) with moderation on and off, sequentially; p50 and p99 of each,
   and of one comment's ``Moderator.assess_one`` in process.
3. Memory of two workers with moderation on (``workers_memory``): ``parley serve
   --workers 2`` beside uvicorn's spawned workers on the same app, RSS and PSS summed
   over every process of each.

Medians over ``--runs``; the machine is shared, so read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
CORE = os.environ.get("BENCH_CORE", "1")

ALT_SCRIPT = """
import sys, orjson
from profanity_check import predict_prob
out = sys.stdout.buffer
batch = []
def flush():
    texts = [t for _, t in batch]
    for (i, _), p in zip(batch, predict_prob(texts)):
        out.write(orjson.dumps({"id": i, "scores": {"profanity": float(p)}}, option=orjson.OPT_APPEND_NEWLINE))
    batch.clear()
for line in sys.stdin.buffer:
    item = orjson.loads(line)
    batch.append((item["id"], item["text"]))
    if len(batch) == 2048:
        flush()
if batch:
    flush()
"""


def comments(n: int, seed: int = 7) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from parley.moderation import data

    texts = [r.text for r in data.held_out_rows()]
    random.Random(seed).shuffle(texts)
    return [texts[i % len(texts)] for i in range(n)]


def write_jsonl(path: Path, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": i, "text": text}) + "\n")


def timed(cmd: list[str], source: Path) -> float:
    with open(source, "rb") as stdin:
        started = time.perf_counter()
        result = subprocess.run(["taskset", "-c", CORE, *cmd], stdin=stdin, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
        elapsed = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"{cmd} failed: {result.stderr.decode()[-2000:]}")
    return elapsed


def throughput(runs: int, work: Path) -> list[tuple[str, int, float]]:
    rows = []
    for size, label, cmd in ((20_000, "parley score", [PY, "-m", "parley.cli", "score"]),
                             (20_000, "alt-profanity-check", [PY, "-c", ALT_SCRIPT]),
                             (200_000, "parley score --fast", [PY, "-m", "parley.cli", "score", "--fast"]),
                             (200_000, "alt-profanity-check", [PY, "-c", ALT_SCRIPT])):
        source = work / f"{size}.jsonl"
        if not source.exists():
            write_jsonl(source, comments(size))
        times = [timed(cmd, source) for _ in range(runs)]
        rows.append((label, size, size / statistics.median(times)))
        print(f"  {label} on {size:,}: {rows[-1][2]:,.0f} comments/s", file=sys.stderr, flush=True)
    return rows


def in_process_latency(n: int = 400) -> tuple[float, float]:
    sys.path.insert(0, str(ROOT))
    from parley.moderation import Context
    from parley.moderation.moderator import shipped

    moderator = shipped()
    story = Context("Blinken in Paris", (ROOT.parent / "shared/examples/scraped-story-with-comments.txt").read_text()
                    [:3000])
    texts = comments(n, seed=11)
    moderator.assess_one(texts[0], story)  # load the models
    times = []
    for text in texts:
        started = time.perf_counter()
        moderator.assess_one(text, story)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def posting_latency(moderation: bool, n: int, work: Path) -> tuple[float, float]:
    import httpx

    db = work / f"post-{moderation}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    env = {**os.environ, "PARLEY_DATABASE_URL": f"sqlite:///{db}", "PARLEY_RATE_LIMIT": "0",
           "PARLEY_MODERATION": "1" if moderation else "0", "OMP_NUM_THREADS": "1"}
    subprocess.run([PY, "-m", "parley.cli", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([PY, "-m", "parley.cli", "demo"], env=env, check=True, capture_output=True)
    port = 8765 if moderation else 8766
    server = subprocess.Popen(["taskset", "-c", CORE, PY, "-m", "parley.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            from parley.demo import SLUG as slug
            texts = comments(n + 20, seed=5)
            times = []
            for i, text in enumerate(texts):
                started = time.perf_counter()
                r = client.post(f"/api/v1/stories/{slug}/comments",
                                json={"author_name": f"Reader {i}", "body": text[:5000] or "ok"})
                elapsed = (time.perf_counter() - started) * 1000
                if r.status_code not in (201, 422):
                    raise SystemExit(f"posting failed: {r.status_code} {r.text[:300]}")
                if i >= 20:  # the first posts warm the models up
                    times.append(elapsed)
    finally:
        server.terminate()
        server.wait(10)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workers_memory(work: Path, posts: int = 1000) -> list[tuple[str, int, float, float]]:
    """Two workers with moderation on, after ``posts`` real comments from eight clients:
    ``parley serve --workers 2`` (forked after the models load) beside uvicorn's own
    ``--workers 2`` on the same app (spawned: each worker loads the models). Per way,
    (label, processes, RSS summed in MiB, PSS summed in MiB). RSS counts a page shared
    by several processes in each of them; PSS divides it among them, so its sum is the
    memory the workers take together."""
    import concurrent.futures

    import httpx
    import psutil

    from parley.demo import SLUG as slug

    texts = comments(posts, seed=9)
    out = []
    for label, command in (
            ("`parley serve --workers 2`: forked after the models load", ["serve", "--workers", "2"]),
            ("uvicorn `--workers 2` on the same app: spawned, each loads the models", None)):
        db = work / "memory.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        env = {**os.environ, "PARLEY_DATABASE_URL": f"sqlite:///{db}", "PARLEY_RATE_LIMIT": "0",
               "PARLEY_MODERATION": "1"}
        subprocess.run([PY, "-m", "parley.cli", "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([PY, "-m", "parley.cli", "demo"], env=env, check=True, capture_output=True)
        port = _free_port()
        argv = ([PY, "-m", "parley.cli", *command, "--port", str(port)] if command else
                [PY, "-m", "uvicorn", "--factory", "parley.web.app:app_from_env", "--port", str(port),
                 "--workers", "2", "--loop", "uvloop", "--log-level", "warning"])
        server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)

            def post(chunk: list[tuple[int, str]], base: str = base) -> None:
                with httpx.Client(base_url=base, timeout=60) as client:
                    for i, text in chunk:
                        client.post(f"/api/v1/stories/{slug}/comments",
                                    json={"author_name": f"Reader {i % 50}", "body": text[:5000] or "ok"})

            items = list(enumerate(texts))
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                list(pool.map(post, [items[k::8] for k in range(8)]))
            tree = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
            memory = [p.memory_full_info() for p in tree]
            out.append((label, len(tree), sum(m.rss for m in memory) / 2**20, sum(m.pss for m in memory) / 2**20))
            print(f"  {label}: {out[-1][1]} processes, RSS {out[-1][2]:.0f} MiB, PSS {out[-1][3]:.0f} MiB",
                  file=sys.stderr, flush=True)
        finally:
            server.terminate()
            server.wait(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--out", help="rewrite the moderation block of this Markdown file")
    args = parser.parse_args()
    work = ROOT / "benchmarks" / ".work" / "moderation"
    work.mkdir(parents=True, exist_ok=True)
    print("throughput (one core, start-up included)...", file=sys.stderr)
    rates = throughput(args.runs, work)
    print("latency...", file=sys.stderr)
    assess = in_process_latency()
    with tempfile.TemporaryDirectory() as tmp:
        off = posting_latency(False, args.posts, Path(tmp))
        on = posting_latency(True, args.posts, Path(tmp))
        print("memory of two workers...", file=sys.stderr)
        memory = workers_memory(Path(tmp))
    alt = {size: rate for label, size, rate in rates if label == "alt-profanity-check"}
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, median of {args.runs} runs, "
             f"one core (`taskset -c {CORE}`), start-up included.", "",
             "| command | comments | comments/s | vs alt-profanity-check |", "|---|---:|---:|---:|"]
    for label, size, rate in rates:
        ratio = "" if label == "alt-profanity-check" else f"{rate / alt[size]:.2f}×"
        lines.append(f"| {label} | {size:,} | {rate:,.0f} | {ratio} |")
    lines += ["", "| latency, ms | p50 | p99 |", "|---|---:|---:|",
              f"| `Moderator.assess_one` in process | {assess[0]:.2f} | {assess[1]:.2f} |",
              f"| POST a comment, moderation off | {off[0]:.2f} | {off[1]:.2f} |",
              f"| POST a comment, moderation on | {on[0]:.2f} | {on[1]:.2f} |",
              f"| added by moderation | {on[0] - off[0]:.2f} | {on[1] - off[1]:.2f} |",
              "", "Two workers with moderation on, after 1,000 comments from eight clients (every process of the "
              "server counted, the parent's too):", "",
              "| workers | processes | RSS summed, MiB | PSS summed, MiB |", "|---|---:|---:|---:|",
              *(f"| {label} | {n} | {rss:,.0f} | {pss:,.0f} |" for label, n, rss, pss in memory)]
    table = "\n".join(lines)
    print(table)
    if args.out:
        path = Path(args.out)
        text = path.read_text()
        begin, end = "<!-- moderation:begin -->", "<!-- moderation:end -->"
        block = f"{begin}\n{table}\n{end}"
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):] if begin in text \
            else text.rstrip() + "\n\n## Moderation\n\n" + block + "\n"
        path.write_text(text)


if __name__ == "__main__":
    main()
