"""`parley serve --workers 2`: two workers forked from a parent that loaded the models,
over real HTTP, with moderation on."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from parley.demo import SLUG
from tests.deploy.cluster import PARLEY, _wait_for, free_port

INSULT = "You are a worthless pathetic idiot and everyone here knows it."
NEWS = "The library's new opening hours suit families who work late."


def _start(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(PARLEY_DATABASE_URL=f"sqlite:///{workdir / 'parley.db'}", PARLEY_RATE_LIMIT="0", PARLEY_MODERATION="1")
    for command in (["migrate"], ["demo"]):
        subprocess.run([str(PARLEY), *command], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = workdir / "serve.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(PARLEY), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    _wait_for(f"http://127.0.0.1:{port}/healthz", proc, log, seconds=90)
    return proc, f"http://127.0.0.1:{port}"


def _workers(proc: subprocess.Popen, expected: int = 2, seconds: float = 60) -> list[psutil.Process]:
    """The server's worker processes, once there are ``expected`` of them."""
    deadline = time.monotonic() + seconds
    while True:
        children = psutil.Process(proc.pid).children()
        if len(children) == expected or time.monotonic() > deadline:
            return children
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
            raise
    return proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, url = _start(tmp_path_factory.mktemp("prefork"))
    yield proc, url
    _stop(proc)


def test_two_forked_workers_serve_and_moderate(server):
    proc, url = server
    workers = _workers(proc)
    assert len(workers) == 2 and all(w.ppid() == proc.pid for w in workers)
    with httpx.Client(base_url=url, timeout=30) as http:
        insult = http.post(f"/api/v1/stories/{SLUG}/comments", json={"author_name": "Ann", "body": INSULT})
        news = http.post(f"/api/v1/stories/{SLUG}/comments", json={"author_name": "Ann", "body": NEWS})
    # The workers' models are the parent's, and they still judge: the insult goes back to
    # its writer with the words marked, the news is published.
    assert insult.status_code == 422 and insult.json()["error"]["code"] == "rephrase", insult.text
    assert "idiot" in insult.json()["error"]["spans"][0]["text"]
    assert news.status_code == 201 and news.json()["state"] == "published", news.text


def test_the_workers_share_the_parents_models(server):
    proc, url = server
    with httpx.Client(base_url=url, timeout=30) as http:  # both workers have scored comments
        for i in range(40):
            http.post(f"/api/v1/stories/{SLUG}/comments", json={"author_name": f"R{i}", "body": f"{NEWS} ({i})"})
    for worker in _workers(proc):
        memory = worker.memory_full_info()
        # A spawned worker that loaded the models itself owned three quarters of its pages
        # (152 of 206 MiB); forked after the parent loaded them, most are the parent's.
        assert memory.uss < 0.5 * memory.rss, (memory.uss >> 20, memory.rss >> 20)


def test_a_worker_that_dies_is_replaced(server):
    proc, url = server
    before = _workers(proc)
    before[0].kill()
    before[0].wait(10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _workers(proc, seconds=0)
        if len(now) == 2 and before[0].pid not in [w.pid for w in now]:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the parent did not start a worker in place of the one killed")
    assert httpx.get(url + "/healthz", timeout=10).status_code == 200


def test_sigterm_stops_the_parent_and_every_worker(tmp_path):
    proc, _ = _start(tmp_path)
    workers = _workers(proc)
    assert len(workers) == 2
    assert _stop(proc) == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
