"""The two servers under test: how to install, start, feed, read and stop each one,
and a sampler for the memory of a server's whole process tree."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import psutil
from loadgen import BenchError, created, wait_until_up
from workload import Item, Thread

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ISSO_REQUIREMENTS = HERE / "isso-requirements.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pinned(cmd: list[str], cpus: str | None) -> list[str]:
    return (["taskset", "-c", cpus] + cmd) if cpus else cmd


class Server:
    """A server process started by us, with its log, port and process tree."""

    name = "?"
    health_path = "/"

    def __init__(self, workdir: Path, cpus: str | None) -> None:
        self.workdir = workdir
        self.cpus = cpus
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{self.name}.log"

    # what a peer supplies ---------------------------------------------------------
    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Create the database (and config) before the first start."""

    def create_thread(self, client, thread: Thread) -> None:
        """Whatever must exist before comments can be posted to ``thread``."""

    def comment_request(self, thread: Thread, item: Item, parent_id: int | None) -> tuple[str, str, bytes]:
        raise NotImplementedError

    @staticmethod
    def answer(status: int, body: bytes) -> int | None:
        """The new comment's id (``loadgen.Answer``)."""
        return created(status, body)

    def count(self, body: bytes, kind: str) -> int:
        raise NotImplementedError

    # lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.prepare()
        cmd, env = self.command()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(pinned(cmd, self.cpus), cwd=self.workdir, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until_up(HOST, self.port, self.health_path, 60, self.proc)
        except BenchError:
            self.stop()
            raise BenchError(f"{self.name} did not start; see {self.log_path}:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def tree(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        """SIGTERM to the process we started (it stops its own workers); SIGKILL to
        what is left of its tree after 15 s. Only our own pids are signalled."""
        if self.proc is None:
            return
        procs = self.tree()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        for p in procs:
            try:
                if p.is_running():
                    p.kill()
            except psutil.NoSuchProcess:
                pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        self.proc = None


# --- Parley ------------------------------------------------------------------------------
class Parley(Server):
    name = "parley"
    health_path = "/healthz"

    def __init__(self, workdir: Path, cpus: str | None, workers: int) -> None:
        super().__init__(workdir, cpus)
        self.workers = workers
        self.db = workdir / "parley.db"
        self.unshown = 0  # posts moderation held or sent back (``answer``)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update(PARLEY_DATABASE_URL=f"sqlite:///{self.db}", PARLEY_RATE_LIMIT="0", PARLEY_MODERATION="1")
        return env

    def _parley(self) -> list[str]:
        script = Path(sys.executable).parent / "parley"
        return [str(script)] if script.exists() else [sys.executable, "-m", "parley.cli"]

    def prepare(self) -> None:
        if not self.db.exists():
            subprocess.run(self._parley() + ["migrate"], env=self._env(), cwd=self.workdir, check=True,
                           stdout=subprocess.DEVNULL, timeout=120)
            # Stories are the newsroom's to create: a staff token, as a CMS would hold.
            made = subprocess.run(self._parley() + ["token", "create", "bench", "--role", "staff"], env=self._env(),
                                  cwd=self.workdir, check=True, capture_output=True, text=True, timeout=120)
            (self.workdir / "parley.token").write_text(made.stdout.strip())

    def command(self):
        return (self._parley() + ["serve", "--host", HOST, "--port", str(self.port), "--workers", str(self.workers)],
                self._env())

    def describe(self) -> str:
        return (f"`parley serve --workers {self.workers}` (uvicorn, uvloop, httptools), SQLite in WAL mode, "
                f"moderation on (the shipped models score every post; moderation held, folded or sent back "
                f"{self.unshown} of the posts, and a reply to one of those was posted as a comment of its own)")

    def create_thread(self, client, thread: Thread) -> None:
        body = json.dumps({"slug": thread.slug, "title": thread.title,
                           "body": "A story for the benchmark.\n\nIts comments follow."}).encode()
        token = (self.workdir / "parley.token").read_text()
        got = client.request("POST", "/api/v1/stories", body, headers={"Authorization": f"Bearer {token}"})
        if got.status != 201:
            raise BenchError(f"creating story {thread.slug} answered {got.status}: {got.body[:300]!r}")

    def answer(self, status: int, body: bytes) -> int | None:
        """Moderation is on: a comment it holds or folds away is stored, and one it sends
        back to be rephrased (422, code "rephrase") is not; neither can be replied to."""
        if status == 422 and json.loads(body).get("error", {}).get("code") == "rephrase":
            self.unshown += 1
            return None
        if status != 201:
            return created(status, body)  # raises, naming the status
        comment = json.loads(body)
        if comment["state"] != "published":
            self.unshown += 1
            return None
        return comment["id"]

    def comment_request(self, thread, item, parent_id):
        payload = {"author_name": item.author, "body": item.body}
        if item.email:
            payload["email"] = item.email
        if parent_id is not None:
            payload["parent_id"] = parent_id
        return "POST", f"/api/v1/stories/{thread.slug}/comments", json.dumps(payload).encode()

    # reads
    @staticmethod
    def full_thread(slug: str) -> str:
        return f"/api/v1/stories/{slug}/comments?limit=500"

    @staticmethod
    def first_page(slug: str) -> str:
        return f"/api/v1/stories/{slug}/comments"

    @staticmethod
    def reader_page(slug: str) -> str:
        return f"/stories/{slug}"

    def count(self, body: bytes, kind: str) -> int:
        if kind == "html":
            return body.count(b'data-comment-id="')
        return len(json.loads(body)["comments"])

    def walk_thread(self, client, slug: str) -> tuple[int, int, int, float]:
        """Every comment of a story, page by page at the API's largest page (500
        top-level comments): (comments, requests, wire bytes, seconds)."""
        target = self.full_thread(slug)
        comments = requests = wire = 0
        t0 = time.perf_counter()
        while True:
            got = client.get(target)
            if got.status != 200:
                raise BenchError(f"GET {target} answered {got.status}")
            data = json.loads(got.body)
            comments += len(data["comments"])
            requests += 1
            wire += got.wire_bytes
            if not data["next_cursor"] or requests > 1000:
                break
            target = self.full_thread(slug) + "&sort=oldest&cursor=" + quote(data["next_cursor"])
        return comments, requests, wire, time.perf_counter() - t0


# --- Isso ----------------------------------------------------------------------------------
def isso_venv(workroot: Path, log) -> Path:
    """Isso 0.14.0 and gunicorn, pinned, in their own venv; made once and kept while
    ``isso-requirements.txt`` is unchanged."""
    venv = workroot / "isso-venv"
    stamp = venv / ".requirements-sha256"
    want = hashlib.sha256(ISSO_REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and (venv / "bin" / "gunicorn").exists():
        return venv
    base = getattr(sys, "_base_executable", sys.executable)
    log(f"creating Isso's venv at {venv} with {base}")
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ISSO_REQUIREMENTS)], check=True, timeout=900)
    stamp.write_text(want)
    return venv


def isso_version(venv: Path) -> str:
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import importlib.metadata as m;print(m.version('isso'), m.version('gunicorn'))"],
                         capture_output=True, text=True, check=True, timeout=60).stdout.split()
    return f"isso {out[0]}, gunicorn {out[1]}"


class Isso(Server):
    name = "isso"
    health_path = "/info"

    def __init__(self, workdir: Path, cpus: str | None, workers: int, venv: Path) -> None:
        super().__init__(workdir, cpus)
        self.workers = workers
        self.venv = venv
        self.db = workdir / "isso.db"
        self.config = workdir / "isso.cfg"

    def prepare(self) -> None:
        # The "website" Isso checks at start-up: a loopback port nobody listens on,
        # so the check fails at once and no traffic leaves the machine.
        website = f"http://{HOST}:{free_port()}/"
        self.config.write_text(f"""[general]
dbpath = {self.db}
host = {website}

[server]
listen = http://{HOST}:{self.port}/
public-endpoint = http://{HOST}:{self.port}

[guard]
enabled = false

[moderation]
enabled = false
""")

    def command(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ISSO_")}
        env["ISSO_SETTINGS"] = str(self.config)
        # As Isso's deployment docs say (gunicorn -w 4 --preload isso.run), plus a
        # long worker timeout so a slow full-thread read is not killed mid-way.
        return ([str(self.venv / "bin" / "gunicorn"), "-b", f"{HOST}:{self.port}", "-w", str(self.workers),
                 "--preload", "--timeout", "300", "--no-control-socket", "isso.run"], env)

    def describe(self) -> str:
        return f"gunicorn `-w {self.workers} --preload isso.run` (sync workers), Isso's default SQLite settings"

    def comment_request(self, thread, item, parent_id):
        payload = {"text": item.body, "author": item.author, "email": item.email, "website": None,
                   "parent": parent_id, "title": thread.title}
        return "POST", f"/new?uri=/{thread.slug}", json.dumps(payload).encode()

    @staticmethod
    def full_thread(slug: str) -> str:
        # No limit and no nested_limit: every top-level comment with every reply.
        return f"/?uri=/{slug}"

    @staticmethod
    def first_page(slug: str) -> str:
        # The first 50 top-level comments, each with all its replies (nested_limit
        # would otherwise default to the top-level limit).
        return f"/?uri=/{slug}&limit=50&nested_limit=100000"

    @staticmethod
    def reader_page(slug: str) -> str | None:
        return None  # Isso serves no page; its embed script builds one from the JSON.

    def count(self, body: bytes, kind: str) -> int:
        data = json.loads(body)
        return sum(1 + len(c.get("replies", ())) for c in data["replies"])


# --- memory ------------------------------------------------------------------------------------
class MemorySampler(threading.Thread):
    """Sums RSS (and PSS, which counts pages shared between forked workers once)
    over a server's whole process tree every ``interval`` s; keeps the peak per phase."""

    def __init__(self, server: Server, interval: float = 0.2) -> None:
        super().__init__(daemon=True, name=f"mem-{server.name}")
        self.server = server
        self.interval = interval
        self.phase = "start"
        self.peaks: dict[str, tuple[int, int]] = {}
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss = pss = 0
            for p in self.server.tree():
                try:
                    rss += p.memory_info().rss
                    pss += getattr(p.memory_full_info(), "pss", 0)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            if rss:
                old = self.peaks.get(self.phase, (0, 0))
                self.peaks[self.phase] = (max(old[0], rss), max(old[1], pss))
                self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)

    def peak(self, *phases: str) -> tuple[int, int]:
        chosen = [v for k, v in self.peaks.items() if not phases or k in phases]
        return (max((v[0] for v in chosen), default=0), max((v[1] for v in chosen), default=0))


class CoreLoad:
    """How busy each CPU was between start() and stop(), from /proc/stat: ``busy`` counts
    everything but idle and iowait; ``tasks`` only time spent running processes (user,
    nice, system), leaving out interrupt handling, such as loopback packet processing."""

    def __init__(self) -> None:
        self._t0 = None
        self.busy: list[float] = []
        self.tasks: list[float] = []

    def start(self) -> None:
        self._t0 = psutil.cpu_times(percpu=True)

    def stop(self) -> list[float]:
        t1 = psutil.cpu_times(percpu=True)
        self.busy, self.tasks = [], []
        for a, b in zip(self._t0, t1, strict=True):
            # guest time is already counted in user time
            total = sum(getattr(b, f) - getattr(a, f) for f in b._fields if not f.startswith("guest"))
            idle = (b.idle - a.idle) + (getattr(b, "iowait", 0) - getattr(a, "iowait", 0))
            tasks = (b.user - a.user) + (b.nice - a.nice) + (b.system - a.system)
            self.busy.append(0.0 if total <= 0 else 1 - idle / total)
            self.tasks.append(0.0 if total <= 0 else tasks / total)
        return self.busy

    def share(self, values: list[float], cpus: list[int]) -> float:
        chosen = [values[i] for i in cpus] if cpus else values
        return sum(chosen) / len(chosen)


# --- nginx, the static-file peer -------------------------------------------------------------
NGINX = Path("/usr/sbin/nginx")


def ensure_nginx(log) -> Path:
    """Debian's nginx binary, installed by scripts/ensure-nginx when missing (only the
    binary: the package's own server is kept from starting)."""
    if not NGINX.exists():
        log("installing nginx with scripts/ensure-nginx")
        subprocess.run([str(ROOT / "scripts" / "ensure-nginx")], check=True, stdout=subprocess.DEVNULL, timeout=900)
    return NGINX


class Nginx(Server):
    """nginx serving files from a directory of its own: the bytes Parley answered with,
    as static files, to show how far Parley is from serving a file. One worker process,
    pinned to the server's core with its master; the gzip form of a file is served as
    a precompressed ``.gz`` beside it (``gzip_static``), so nginx compresses nothing per
    request either. No access log: Parley writes none."""

    name = "nginx"
    health_path = "/healthz"

    def __init__(self, workdir: Path, cpus: str | None) -> None:
        super().__init__(workdir, cpus)
        self.root = workdir / "root"
        self.config = workdir / "nginx.conf"

    def serve(self, name: str, body: bytes, gzipped: bytes | None) -> str:
        """Keep ``body`` (and its gzip form) as ``/{name}``; returns the path to ask for."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_bytes(body)
        gz = self.root / f"{name}.gz"
        if gzipped is not None:
            gz.write_bytes(gzipped)
        elif gz.exists():
            gz.unlink()
        return f"/{name}"

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.workdir / "temp"
        temp.mkdir(exist_ok=True)
        temps = "".join(f"  {kind}_temp_path {temp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
        self.config.write_text(f"""worker_processes 1;
daemon off;
master_process on;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
{temps}  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  types {{ text/html html; application/json json; }}
  default_type application/octet-stream;
  server {{
    listen {HOST}:{self.port};
    root {self.root};
    gzip_static on;
    location = /healthz {{ return 200 "ok"; }}
  }}
}}
""")

    def command(self):
        return ([str(NGINX), "-e", str(self.workdir / "nginx-error.log"), "-c", str(self.config),
                 "-p", str(self.workdir)], dict(os.environ))

    def describe(self) -> str:
        return "nginx `worker_processes 1`, sendfile, `gzip_static on` (the .gz made once), no access log"
