"""PostgreSQL, for publishers who run several app instances on one database."""

from __future__ import annotations

import contextlib

import psycopg
from psycopg_pool import ConnectionPool

from parley.store.sql import SQLStore, qmark_to_format


class PostgresStore(SQLStore):
    dialect = "postgres"
    integrity_errors = (psycopg.errors.IntegrityError,)
    missing_table_errors = (psycopg.errors.UndefinedTable,)
    row_lock = " FOR UPDATE OF c"

    def __init__(self, url: str, *, max_size: int = 10) -> None:
        super().__init__()
        self.url = url
        self._pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True,
                                    kwargs={"autocommit": True})

    def _sql(self, query: str) -> str:
        return qmark_to_format(query)

    def _in(self, column: str, values):
        return f"{column} = ANY(?)", [list(values)]

    @contextlib.contextmanager
    def _begin(self):
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    @contextlib.contextmanager
    def _read_connection(self):
        with self._pool.connection() as conn:
            yield conn

    def _lock_for_migration(self, conn) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(72616)")

    def _run_script(self, conn, script: str) -> None:
        conn.execute(script)

    def close(self) -> None:
        self._pool.close()
