"""Read load with wrk (C, epoll, one thread pinned to the client core), which keeps
the load generator far from being the bottleneck. Installed with apt when missing."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from loadgen import BenchError
from peers import pinned

# wrk calls done() once at the end; it prints one JSON line we parse. Latencies are
# in microseconds. Non-2xx/3xx answers count in errors.status.
_DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def ensure_wrk(log) -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if os.path.exists("/usr/bin/wrk") else None)
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed; run `apt-get install -y wrk` as root, or run this as root")
    log("installing wrk with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, timeout=600).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL, check=True, timeout=600)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True, timeout=600)
    found = shutil.which("wrk") or "/usr/bin/wrk"
    if not os.path.exists(found):
        raise BenchError("apt-get install wrk did not install /usr/bin/wrk")
    return found


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0].split(" [")[0] if text else "wrk"


@dataclasses.dataclass
class WrkRun:
    conns: int
    seconds: float
    requests: int
    bytes: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu: float  # wrk's own CPU time / wall time (1.0 = its core fully busy)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Wrk:
    def __init__(self, wrk: str, workdir: Path, cpus: str | None) -> None:
        self.wrk = wrk
        self.cpus = cpus
        self.script = workdir / "report.lua"
        self.script.write_text(_DONE_LUA)

    def run(self, url: str, conns: int, seconds: float, gzip: bool = True, timeout_s: int = 120,
            headers: dict[str, str] | None = None) -> WrkRun:
        """One wrk run: ``conns`` connections on one thread for ``seconds`` s. Bounded
        in time by wrk's -d, and killed if it is not done 90 s after that."""
        cmd = [self.wrk, "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", f"--timeout={timeout_s}s",
               "-s", str(self.script)]
        if gzip:
            cmd += ["-H", "Accept-Encoding: gzip"]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        cmd.append(url)
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(pinned(cmd, self.cpus), stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            killer = threading.Timer(seconds + 90, proc.kill)
            killer.start()
            t0 = time.perf_counter()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                killer.cancel()
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            text = out.read().decode(errors="replace")
        line = next((ln for ln in text.splitlines() if ln.startswith("WRKJSON ")), None)
        if proc.returncode != 0 or line is None:
            raise BenchError(f"wrk failed ({proc.returncode}) on {url}:\n{text[-2000:]}")
        data = json.loads(line.removeprefix("WRKJSON "))
        errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
        return WrkRun(conns=conns, seconds=data["duration_us"] / 1e6, requests=data["requests"],
                      bytes=data["bytes"], errors=errors, p50_ms=data["p50_us"] / 1e3, p90_ms=data["p90_us"] / 1e3,
                      p99_ms=data["p99_us"] / 1e3, max_ms=data["max_us"] / 1e3,
                      client_cpu=(usage.ru_utime + usage.ru_stime) / wall)
