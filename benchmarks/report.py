"""Tables for the terminal and for docs/performance.md (the same Markdown)."""

from __future__ import annotations

import math
from pathlib import Path

from loadgen import median, percentile

BEGIN = "<!-- BEGIN BENCHMARK RESULTS (written by benchmarks/run.py; edits here are replaced) -->"
END = "<!-- END BENCHMARK RESULTS -->"


def num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:,.1f}×" if a / b < 100 else f"{a / b:,.0f}×"


def kib(n: int | None) -> str:
    if n is None:
        return "–"
    return f"{n / 1024:,.1f} KiB" if n < 10 * 2**20 else f"{n / 2**20:,.1f} MiB"


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB" if n else "–"


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _row(res, key: str, conns: int):
    if res is None:
        return None
    return next((r for r in res.reads if r.scenario.key == key and r.conns == conns), None)


def _write(res, key: str):
    if res is None:
        return None
    return next((w for k, w in res.writes if k == key), None)


def _peak(mem: dict, *phases: str) -> tuple[int, int]:
    vals = [mem[p] for p in phases if p in mem]
    return (max(v[0] for v in vals), max(v[1] for v in vals)) if vals else (0, 0)


def render(results: dict, meta: dict) -> str:
    P, I = results.get("parley"), results.get("isso")  # noqa: E741
    threads = meta["threads"]
    sizes = {"small": f"{len(threads['small'].items):,}", "large": f"{len(threads['large'].items):,}"}

    def label(sc) -> str:
        return sc.label.format(**sizes)
    s = meta["settings"]
    out: list[str] = []
    when = meta["when"].strftime("%Y-%m-%d %H:%M UTC")
    m = meta["machine"]
    bg = meta.get("background_cores", (0, 0))
    out.append(f"Run {when}{' — QUICK SMOKE RUN, not for quoting' if meta['quick'] else ''}: "
               f"{m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python {m['python']}; "
               f"{', '.join(meta['versions'].values())}. Took {meta['elapsed_s'] / 60:.1f} min. "
               f"Other processes on the machine used {bg[0]:.2f} cores just before the run and {bg[1]:.2f} "
               "just after.")
    out.append("")
    setup = []
    for res in (P, I):
        if res is not None:
            setup.append(f"- **{res.name}** ({res.version}): {res.setup}. Other processes used "
                         f"{res.background_before:.2f} cores just before its turn.")
    if meta["pinned"]:
        setup.append(f"- Pinned with `taskset`: server process tree on CPU {meta['server_cpus']}, load generator "
                     f"(wrk, the Python writers, the sampler) on CPU {meta['client_cpus']} — the same for both.")
    else:
        setup.append("- Not pinned: server and load generator share every core.")
    small, large = threads["small"], threads["large"]
    for t in (small, large):
        lo, hi, avg = t.body_chars()
        setup.append(f"- Thread `{t.slug}`: {len(t.items):,} comments, {t.replies:,} of them replies "
                     f"({t.replies / len(t.items):.0%}), bodies {lo}–{hi} characters (mean {avg:.0f}), "
                     "same text, authors and reply structure on both servers.")
    setup.append(f"- Reads: wrk, one thread, `Accept-Encoding: gzip`; each row is the median of {s.reps} runs of "
                 f"{s.rep_s:.0f} s after a {s.warmup_s:.0f} s warm-up, or one longer run (≤ {s.slow_row_cap_s:.0f} s) "
                 "when a row is too slow for short runs. p50/p99 are wrk's latency percentiles.")
    out += setup
    out.append("")

    # writes
    out.append("### Writes (comments/s over loopback, JSON API, each comment one request)")
    out.append("")
    rows = []
    for key, clients in (("small", 1), ("large", 8)):
        pw, iw = _write(P, key), _write(I, key)
        cells = [f"`{threads[key].slug}` ({len(threads[key].items):,} comments)", str(clients)]
        for w in (pw, iw):
            if w is None:
                cells += ["–"] * 3
            else:
                cells += [num(w.rate), num(percentile(w.latencies, 50) * 1e3), num(percentile(w.latencies, 99) * 1e3)]
        cells.append(ratio(pw.rate if pw else None, iw.rate if iw else None))
        rows.append(cells)
    out.append(table(["thread written", "clients", "Parley comments/s", "p50 ms", "p99 ms", "Isso comments/s",
                      "p50 ms", "p99 ms", "Parley ÷ Isso"], rows))
    out.append("")

    # reads
    out.append("### Reads (requests/s and latency under load)")
    out.append("")
    rows = []
    censored: list[str] = []
    for conns in s.conns:
        for sc in meta["scenarios"]:
            pr, ir = _row(P, sc.key, conns), _row(I, sc.key, conns)
            if pr is None and ir is None:
                continue
            counts = " / ".join(str(res.probes[sc.key].count) if res and sc.key in res.probes else "–"
                                for res in (P, I))
            cells = [label(sc), str(conns), counts]
            for r in (pr, ir):
                if r is None:
                    cells += ["–"] * 3
                    continue
                mark = "†" if r.censored else ""
                if r.censored:
                    censored.append(f"{r.med('rps') and r.conns / r.med('rps'):.0f} s")
                cells += [num(r.med("rps")), num(r.med("p50_ms")) + mark, num(r.med("p99_ms")) + mark]
            cells.append(ratio(pr.med("rps") if pr else None, ir.med("rps") if ir else None))
            rows.append(cells)
    out.append(table(["read", "conns", "comments P / I", "Parley req/s", "p50 ms", "p99 ms", "Isso req/s",
                      "p50 ms", "p99 ms", "Parley ÷ Isso"], rows))
    out.append("")
    if censored:
        out.append("† Fewer than two requests per connection finished within the run: these latencies are "
                   "those of the requests that did finish, and understate the steady state, where a request "
                   "waits about connections ÷ req/s (" + ", ".join(censored) + ").")
        out.append("")
    # hot story
    mixed = [res.mixed if res else None for res in (P, I)]
    if any(mixed):
        sc = meta["mixed"]
        conns = next(m.conns for m in mixed if m)
        out.append(f"### Reads while comments arrive ({conns} connections, one writer posting a comment a second)")
        out.append("")
        cells = [label(sc), str(conns)]
        for m in mixed:
            if m is None:
                cells += ["–"] * 4
                continue
            mark = "†" if m.censored else ""
            done = f"{len(m.posted)}" + (f", {m.post_failures} failed" if m.post_failures else "")
            if m.posted:
                done += f" (p50 {num(percentile(m.posted, 50) * 1e3)} ms)"
            cells += [num(m.med("rps")), num(m.med("p50_ms")) + mark, num(m.med("p99_ms")) + mark, done]
        cells.append(ratio(mixed[0].med("rps") if mixed[0] else None, mixed[1].med("rps") if mixed[1] else None))
        out.append(table(["read", "conns", "Parley req/s", "p50 ms", "p99 ms", "comments posted", "Isso req/s",
                          "p50 ms", "p99 ms", "comments posted", "Parley ÷ Isso"], [cells]))
        out.append("")
        same = [_row(res, "small-full", conns) for res in (P, I)]
        parts = [f"{name} {num(r.med('rps'))} req/s, p99 {num(r.med('p99_ms'))} ms"
                 for name, r in zip(("Parley", "Isso"), same, strict=True) if r]
        out.append("The same read with no writes (the table above): " + "; ".join(parts) + ". Every new comment "
                   "changes the story's revision, so each of Parley's workers renders the thread again.")
        out.append("")
    out.append("Isso serves no reader page (its embed script builds the page from the JSON), so the HTML rows "
               "are Parley's alone. Isso's first page is `?limit=50&nested_limit=100000`: the first 50 "
               "top-level comments with all their replies, as Parley's first page.")
    out.append("")

    # sizes
    out.append("### Response sizes (one response, asked with `Accept-Encoding: gzip`)")
    out.append("")
    rows = []
    for sc in meta["scenarios"]:
        cells = [label(sc)]
        for res in (P, I):
            pr = res.probes.get(sc.key) if res else None
            cells += ([kib(pr.raw_bytes), f"{kib(pr.wire_bytes)} ({pr.encoding})"] if pr else ["–", "–"])
        rows.append(cells)
    out.append(table(["read", "Parley body", "Parley on the wire", "Isso body", "Isso on the wire"], rows))
    out.append("")

    # single requests
    out.append("### One request at a time (1 connection, median)")
    out.append("")
    rows = []
    for sc in meta["scenarios"]:
        pp = P.probes.get(sc.key) if P else None
        ip = I.probes.get(sc.key) if I else None
        cold = P.cold.get(sc.key) if P else None
        rows.append([label(sc), f"{num(median(pp.seconds) * 1e3)} ms" if pp else "–",
                     f"{num(median(cold) * 1e3)} ms" if cold else "–",
                     f"{num(median(ip.seconds) * 1e3)} ms" if ip else "–"])
    fl = [(res, res.full_large) for res in (P, I) if res and res.full_large]
    if fl:
        cells = [f"{sizes['large']}-comment thread, every comment (JSON)"]
        pf = P.full_large if P else None
        iff = I.full_large if I else None
        cells.append(f"{num(median(pf['seconds'][1:] or pf['seconds']) * 1e3)} ms ({pf['requests']} pages, "
                     f"{pf['comments']:,} comments)" if pf else "–")
        cells.append(f"{num(pf['seconds'][0] * 1e3)} ms (first walk)" if pf else "–")
        cells.append(f"{num(median(iff['seconds']) * 1e3)} ms (1 request, {iff['comments']:,} comments, "
                     f"n={len(iff['seconds'])})" if iff else "–")
        rows.append(cells)
    out.append(table(["read", "Parley, cached", "Parley, right after a write", "Isso"], rows))
    out.append("")
    out.append("Parley keeps each rendered page (JSON and gzip) per story revision in each worker; "
               "\"right after a write\" is the first read after a new comment, which renders it again. "
               f"Isso renders every read. Parley walks the whole {sizes['large']}-comment thread 500 top-level "
               "comments per page (the API's largest page); the cached column is the median of the later walks.")
    out.append("")

    # memory
    out.append("### Server memory (peak, summed over the server's whole process tree, sampled every 0.2 s)")
    out.append("")
    rows = []
    for res in (P, I):
        if res is None:
            continue
        mem = res.memory
        hi = s.conns[-1]
        w, r8, r64, mixed, allp = (_peak(mem, "writes"), _peak(mem, f"reads c{s.conns[0]}"),
                                   _peak(mem, f"reads c{hi}"), _peak(mem, f"reads c{hi} + writes"),
                                   _peak(mem, *mem))
        rows.append([res.name, mib(w[0]), mib(r8[0]), mib(r64[0]), mib(mixed[0]), mib(allp[0]), mib(allp[1]),
                     str(res.memory_samples)])
    out.append(table(["server", "RSS writing", f"RSS reads, {s.conns[0]} conns", f"RSS reads, {s.conns[-1]} conns",
                      f"RSS reads, {s.conns[-1]} conns + 1 comment/s", "RSS peak, whole run",
                      "PSS peak, whole run (shared pages once)", "samples"], rows))
    out.append("")
    out.append("The whole run also holds the single-request reads at the end (the first walk of the large thread "
               "renders every page, and reads right after writes render again). RSS sums each process's resident "
               "pages, so pages that forked workers share are counted once per process; PSS counts them once.")
    out.append("")

    # load generator check
    out.append("### Was the load generator the bottleneck? Was the server's core its own?")
    out.append("")
    rows = []
    for res in (P, I):
        if res is None:
            continue
        for key, w in res.writes:
            rows.append([res.name, f"write `{threads[key].slug}`", str(w.clients), f"1 × {w.seconds:.1f} s",
                         f"{w.comments:,}", "0", f"{w.server_busy:.0%} / {w.server_own:.0%} / {w.foreign:.0%}",
                         f"{w.client_cpu_share:.0%} (Python)", "–", "–"])
        for r in res.reads + ([res.mixed] if res.mixed else []):
            rows.append([res.name, r.scenario.key, str(r.conns),
                         f"{len(r.runs)} × {median([x.seconds for x in r.runs]):.1f} s",
                         f"{sum(x.requests for x in r.runs):,}", str(r.errors),
                         f"{median(r.server_busy):.0%} / {median(r.server_own):.0%} / {max(r.foreign):.0%}",
                         f"{max(x.client_cpu for x in r.runs):.0%} (wrk)", str(r.discarded), str(r.restarts)])
    out.append(table(["server", "run", "conns", "runs", "requests", "errors",
                      "server core: busy / by the server / by others", "client CPU", "re-run", "restarts"], rows))
    out.append("")
    out.append("Server core: the share of the server's core in use during the run; the share the server's own "
               "processes used; and the share other processes on the machine took (the rest is interrupt "
               "handling, mostly loopback networking). A read run where others took over "
               f"{s.max_foreign:.0%} was thrown away and run again (re-run), while the server's re-run budget "
               f"({s.retry_budget_s:.0f} s) lasted; writes are not re-run. Client CPU: the load generator's CPU "
               "time over the run's wall time, on its own core; far from 100% means it was not the limit. "
               "Restarts: the server was restarted after a run to drop the requests wrk abandoned at its end, when "
               f"finishing them would have taken over {s.idle_wait_s:.0f} s (they would load the next run).")
    out.append("")

    # targets
    out.append("### Targets")
    out.append("")
    out.append(table(["target", "measured", "met?"], targets(P, I, meta)))
    return "\n".join(out) + "\n"


def targets(P, I, meta) -> list[list[str]]:  # noqa: E741
    def yes(ok):
        return "n/a" if ok is None else ("**yes**" if ok else "**no**")

    rows = []
    threads = meta["threads"]
    small, large = f"{len(threads['small'].items):,}", f"{len(threads['large'].items):,}"
    pr, ir = _row(P, "small-full", 8), _row(I, "small-full", 8)
    r = pr.med("rps") / ir.med("rps") if pr and ir and ir.med("rps") else None
    rows.append([f"{small}-comment thread, whole-thread reads at 8 connections ≥ 100× Isso's req/s",
                 f"{num(pr.med('rps')) if pr else '–'} vs {num(ir.med('rps')) if ir else '–'} req/s = "
                 f"{ratio(pr.med('rps') if pr else None, ir.med('rps') if ir else None)}",
                 yes(None if r is None else r >= 100)])
    for key, clients in (("small", 1), ("large", 8)):
        pw, iw = _write(P, key), _write(I, key)
        r = pw.rate / iw.rate if pw and iw else None
        rows.append([f"writes ≥ 4× Isso's comments/s ({clients} client{'s' if clients > 1 else ''})",
                     f"{num(pw.rate) if pw else '–'} vs {num(iw.rate) if iw else '–'} comments/s = "
                     f"{ratio(pw.rate if pw else None, iw.rate if iw else None)}", yes(None if r is None else r >= 4)])
    for conns in meta["settings"].conns:
        row = _row(P, "large-first", conns)
        rows.append([f"{large}-comment thread, first page p99 < 50 ms ({conns} connections)",
                     f"{num(row.med('p99_ms'))} ms" if row else "–",
                     yes(None if row is None else row.med("p99_ms") < 50)])
    if P is not None and P.memory:
        hi = meta["settings"].conns[-1]
        for what, phases in ((f"{hi}-connection reads", [f"reads c{hi}"]),
                             (f"{hi}-connection reads with 1 comment/s arriving", [f"reads c{hi} + writes"]),
                             ("the whole run", list(P.memory))):
            peak = _peak(P.memory, *phases)[0]
            if peak:
                rows.append([f"Parley server RSS < 300 MB (summed over its processes), peak during {what}",
                             f"{peak / 1e6:.0f} MB ({peak / 2**20:.0f} MiB)", yes(peak < 300e6)])
    return rows


def write_doc(path: Path, text: str, meta: dict) -> None:
    """Put the results between the markers in ``path``, keeping what is around them;
    a new file gets a short frame."""
    block = f"{BEGIN}\n\n{text}\n{END}"
    if path.exists():
        old = path.read_text()
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            path.write_text(head + block + tail)
            return
        path.write_text(old.rstrip() + "\n\n" + block + "\n")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Performance\n\nParley against Isso 0.14 on one machine, measured by "
                    f"`{meta['command']}`.\n\n## Results\n\n{block}\n")
