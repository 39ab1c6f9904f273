"""A real deployment for the tests and the live benchmark: `parley serve` processes on
PostgreSQL and Redis behind Debian's nginx, each on a free loopback port, all started
here and stopped afterwards (nothing is left running).

nginx connects to the instances from 127.0.0.2 (``proxy_bind``) and overwrites
X-Forwarded-For with the address it saw; the instances trust that one proxy address
alone (PARLEY_FORWARDED_ALLOW_IPS), so a client cannot name its own address, and a
client connecting from another loopback address (127.0.0.5, say) is that reader."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")
PARLEY = Path(sys.executable).parent / "parley"
PROXY_ADDR = "127.0.0.2"

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream parley {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://parley;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_bind {proxy_addr};
            # Server-Sent Events: pass each event on at once, and keep idle streams open.
            proxy_buffering off;
            proxy_read_timeout 1h;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_nginx() -> Path:
    if not NGINX.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-nginx")], check=False, capture_output=True, timeout=900)
    if not NGINX.exists():
        raise RuntimeError(f"these tests need nginx at {NGINX}; scripts/ensure-nginx did not install it")
    return NGINX


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {seconds} s: {log.read_text()[-3000:]}")


class Instance:
    def __init__(self, env: dict, workdir: Path, name: str) -> None:
        self.port = free_port()
        self.name = name
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        self._env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> Instance:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([str(PARLEY), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                         env=self._env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(self.url + "/healthz", self.proc, self.log)
        return self

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, whatever was under way is cut."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Cluster:
    """``instances`` Parley processes behind one nginx."""

    def __init__(self, workdir: Path, database_url: str, redis_url: str, redis_prefix: str, *,
                 instances: int = 2, **settings) -> None:
        self.dir = workdir
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update({"PARLEY_DATABASE_URL": database_url, "PARLEY_REDIS_URL": redis_url,
                    "PARLEY_REDIS_PREFIX": redis_prefix, "PARLEY_SECRET_KEY": "d" * 32, "PARLEY_MODERATION": "0",
                    "PARLEY_FORWARDED_ALLOW_IPS": PROXY_ADDR, "PARLEY_WORKERS": "1"})
        env.update({f"PARLEY_{k.upper()}": str(v) for k, v in settings.items()})
        self.env = env
        self.instances = [Instance(env, workdir, f"parley-{i}") for i in range(instances)]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.nginx: subprocess.Popen | None = None

    def migrate(self) -> None:
        subprocess.run([str(PARLEY), "migrate"], env=self.env, check=True, capture_output=True, timeout=120)

    def __enter__(self) -> Cluster:
        self.migrate()
        try:
            for instance in self.instances:
                instance.start()
            self._start_nginx()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start_nginx(self) -> None:
        ensure_nginx()
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{i.port} max_fails=1 fail_timeout=30s;" for i in self.instances)
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.dir, port=self.port, servers=servers, proxy_addr=PROXY_ADDR,
                                          user="user root;" if os.geteuid() == 0 else ""))
        log = self.dir / "error.log"
        self.nginx = subprocess.Popen([str(NGINX), "-p", str(self.dir), "-c", str(conf), "-e", str(log)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_for(self.url + "/healthz", self.nginx, log)

    def __exit__(self, *exc) -> None:
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for instance in self.instances:
            instance.stop()


_TLS = ssl.create_default_context()  # made once: a client each is cheap (the tests make hundreds)


def client(base_url: str, source: str = "127.0.0.1", **options) -> httpx.Client:
    """An HTTP client whose connections come from ``source`` (any 127.0.0.0/8 address)."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=source, verify=_TLS),
                        **options)
