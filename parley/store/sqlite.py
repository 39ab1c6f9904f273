"""SQLite, the embedded default: WAL, and one writer path.

Every write runs on one connection under one lock with ``BEGIN IMMEDIATE``, so writers
queue in this process instead of failing with "database is locked"; other processes
sharing the file wait on SQLite's own lock (``busy_timeout``). Readers get a
connection per thread and never block the writer.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

from parley.store.sql import SQLStore


class SQLiteStore(SQLStore):
    dialect = "sqlite"
    inline_reads = True
    integrity_errors = (sqlite3.IntegrityError,)
    missing_table_errors = (sqlite3.OperationalError,)

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._write_lock = threading.Lock()
        self._writer = self._connect()
        self._readers = threading.local()
        self._all_readers: list[sqlite3.Connection] = []

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode loses at most the last commits on power loss, never consistency.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    @contextlib.contextmanager
    def _begin(self):
        with self._write_lock:
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    @contextlib.contextmanager
    def _read_connection(self):
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = self._connect()
            with self._write_lock:
                self._all_readers.append(conn)
        yield conn

    def _run_script(self, conn, script: str) -> None:
        # executescript() would commit the open transaction; run statement by statement.
        for statement in script.split(";"):
            if statement.strip() and not all(
                    line.strip().startswith("--") or not line.strip() for line in statement.splitlines()):
                conn.execute(statement)

    def close(self) -> None:
        with self._write_lock:
            for conn in self._all_readers:
                conn.close()
            self._writer.close()
