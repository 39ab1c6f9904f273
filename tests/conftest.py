"""Shared fixtures: real stores (a SQLite file, the local PostgreSQL) and a real
server on a loopback port. Nothing here is mocked."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import uvicorn

from parley.config import Config
from parley.service import Services
from parley.store import open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = SHARED / "examples" / "scraped-story-with-comments.txt"
POSTGRES_URL = os.environ.get("PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: The server key every test runs with: given outright, so that no test ever creates a
#: ``parley.secret`` key file (in the repository or anywhere else).
TEST_SECRET = "t" * 32


def make_config(**overrides) -> Config:
    return Config.from_env({}, **{"rate_limit": 0, "secret_key": TEST_SECRET, **overrides})


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'parley.db'}"


@pytest.fixture
def postgres_url():
    """A schema of its own in the local PostgreSQL, dropped afterwards."""
    schema = f"parley_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def _migrated(url: str):
    s = open_store(url)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def store(database_url):
    yield from _migrated(database_url)


@pytest.fixture
def sqlite_store(sqlite_url):
    yield from _migrated(sqlite_url)


@pytest.fixture
def services(store) -> Services:
    return Services(store, make_config(), secret=TEST_SECRET.encode())


class LiveServer:
    """The real app under uvicorn on a loopback port, in a thread of the test process.
    uvicorn's own X-Forwarded-For handling is off, as `parley serve` runs it: the client
    address is always the connecting peer, and only Parley decides whether to believe a
    forwarded one."""

    def __init__(self, app) -> None:
        self.app = app
        # Bound here and handed to uvicorn: a port only looked up and bound later could be
        # taken in between by a server of another test worker.
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        from parley.web.protocol import PROTOCOL  # `parley serve`'s: it answers first-time readers' pages

        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="off", proxy_headers=False, http=PROTOCOL,
                                                     access_log=False))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    @property
    def services(self) -> Services:
        return self.app.state.services


def serve(store, **config) -> LiveServer:
    from parley.web.app import create_app  # here, so the non-web tests need none of the web layer

    return LiveServer(create_app(make_config(**config), store))


@pytest.fixture
def server(store):
    with serve(store) as live:
        yield live
