"""Storage: one interface (``Store``), SQLite and PostgreSQL behind it."""

from parley.store.base import (
    AuditQuery,
    AuthorHistory,
    FeaturedPage,
    QueuePage,
    RootPage,
    Sort,
    Store,
    from_us,
    queue_key,
    sort_key,
    to_us,
)

__all__ = ["AuditQuery", "AuthorHistory", "FeaturedPage", "QueuePage", "RootPage", "Sort", "Store", "open_store",
           "from_us", "queue_key", "sort_key", "to_us"]


def open_store(url: str) -> Store:
    """A store for ``sqlite:///path`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        from parley.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///") or "parley.db")
    if url.startswith(("postgresql://", "postgres://")):
        from parley.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"PARLEY_DATABASE_URL must start with sqlite:/// or postgresql://, not {url!r}")
