"""SQLite, the embedded default: WAL, and one writer path.

Every write runs on one connection under one lock with ``BEGIN IMMEDIATE``, so writers
queue in this process instead of failing with "database is locked"; other processes
sharing the file wait on SQLite's own lock (``busy_timeout``). Readers borrow a
connection from a small pool and never block the writer.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

from parley.store.sql import SQLStore


class SQLiteStore(SQLStore):
    dialect = "sqlite"
    inline_reads = True
    # Every write transaction holds the one writer lock, so rows need no lock of their own.
    integrity_errors = (sqlite3.IntegrityError,)
    missing_table_errors = (sqlite3.OperationalError,)

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._write_lock = threading.Lock()
        self._writer = self._connect()
        # Idle reader connections. Worker threads come and go (the server's thread pool
        # retires idle ones), so connections belong to the pool, not to threads.
        self._idle_readers: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()

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

    MAX_IDLE_READERS = 8

    @contextlib.contextmanager
    def _read_connection(self):
        with self._pool_lock:
            conn = self._idle_readers.pop() if self._idle_readers else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._pool_lock:
                if len(self._idle_readers) < self.MAX_IDLE_READERS:
                    self._idle_readers.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def _run_script(self, conn, script: str) -> None:
        # executescript() would commit the open transaction; run statement by statement, each
        # ended where SQLite's own tokenizer says it is complete (a trigger's body holds ";",
        # and so may a comment).
        pending = ""
        for piece in script.split(";"):
            pending += piece + ";"
            if sqlite3.complete_statement(pending):
                if _has_code(pending):
                    conn.execute(pending)
                pending = ""
        if _has_code(pending.rstrip(";")):
            raise ValueError(f"migration ends inside a statement: {pending.strip()[:80]!r}")

    def close(self) -> None:
        with self._pool_lock:
            for conn in self._idle_readers:
                conn.close()
            self._idle_readers.clear()
        with self._write_lock:
            self._writer.close()


def _has_code(sql: str) -> bool:
    """Whether ``sql`` holds anything but blanks, comments and semicolons."""
    return any(line.strip().strip(";") and not line.strip().startswith("--") for line in sql.splitlines())
