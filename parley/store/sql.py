"""The SQL both backends share. A subclass supplies connections and dialect details.

Queries are written with ``?`` placeholders; ``_sql`` turns them into the driver's own.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources

from parley.domain import Author, Comment, CommentState, Story, utcnow
from parley.errors import Conflict
from parley.store.base import RootPage, Sort, Store, to_us
from parley.store.rows import (
    AUTHOR_COLUMNS,
    COMMENT_COLUMNS,
    COMMENT_SELECT,
    STORY_COLUMNS,
    VISIBLE,
    author_from_row,
    comment_from_row,
    notices_json,
    review_columns,
    story_from_row,
    thresholds_json,
    verdict_json,
)
from parley.store.sql_accounts import AccountsSQL
from parley.store.sql_reactions import ReactionsSQL
from parley.store.sql_workspace import WorkspaceSQL


class SQLStore(AccountsSQL, WorkspaceSQL, ReactionsSQL, Store):
    dialect: str  # names the folder of migrations
    integrity_errors: tuple[type[Exception], ...]

    def __init__(self) -> None:
        self._local = threading.local()

    # --- what a backend supplies ---------------------------------------------
    @abc.abstractmethod
    def _begin(self) -> contextlib.AbstractContextManager:
        """A new write transaction on a connection; yields the connection."""

    @abc.abstractmethod
    def _read_connection(self) -> contextlib.AbstractContextManager: ...

    def _sql(self, query: str) -> str:
        return query

    def _in(self, column: str, values: Sequence) -> tuple[str, list]:
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    # --- connections and transactions ----------------------------------------
    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        with self._tx():
            yield

    @contextlib.contextmanager
    def _tx(self):
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._begin() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        current = getattr(self._local, "conn", None) or getattr(self._local, "read_conn", None)
        if current is not None:
            yield
            return
        with self._read_connection() as conn:
            self._local.read_conn = conn
            try:
                yield
            finally:
                self._local.read_conn = None

    @contextlib.contextmanager
    def _reader(self):
        current = getattr(self._local, "conn", None) or getattr(self._local, "read_conn", None)
        if current is not None:
            yield current
        else:
            with self._read_connection() as conn:
                yield conn

    def _one(self, query: str, params: Sequence = ()):
        with self._reader() as conn:
            return conn.execute(self._sql(query), params).fetchone()

    def _all(self, query: str, params: Sequence = ()) -> list:
        with self._reader() as conn:
            return conn.execute(self._sql(query), params).fetchall()

    # --- migrations ----------------------------------------------------------
    def _migrations(self) -> list[tuple[int, str]]:
        folder = resources.files("parley.store") / "migrations" / self.dialect
        found = []
        for entry in folder.iterdir():
            if entry.name.endswith(".sql"):
                found.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
        return sorted(found)

    def migrate(self) -> list[int]:
        applied = []
        with self._tx() as conn:
            self._lock_for_migration(conn)
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                         "(version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")
            done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, script in self._migrations():
                if version in done:
                    continue
                self._run_script(conn, script)
                conn.execute(self._sql("INSERT INTO schema_migrations VALUES (?, ?)"),
                             (version, to_us(utcnow())))
                applied.append(version)
        return applied

    def _lock_for_migration(self, conn) -> None:
        """Keep two processes from migrating at once (SQLite's write lock already does)."""

    @abc.abstractmethod
    def _run_script(self, conn, script: str) -> None: ...

    def schema_version(self) -> int:
        try:
            row = self._one("SELECT MAX(version) FROM schema_migrations")
        except self.missing_table_errors:
            return 0
        return row[0] or 0

    # --- meta ----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM parley_meta WHERE key = ?", (key,))
        return row[0] if row else None

    def set_meta_default(self, key: str, value: str) -> str:
        with self._tx() as conn:
            conn.execute(self._sql("INSERT INTO parley_meta (key, value) VALUES (?, ?) "
                                   "ON CONFLICT (key) DO NOTHING"), (key, value))
            return conn.execute(self._sql("SELECT value FROM parley_meta WHERE key = ?"), (key,)).fetchone()[0]

    # --- stories -------------------------------------------------------------
    def add_story(self, story: Story) -> Story:
        try:
            with self._tx() as conn:
                row = conn.execute(self._sql(
                    "INSERT INTO stories (slug, url, title, dateline, body, credit, published_at,"
                    " comments_open, created_at, moderation_thresholds, section, external_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                    (story.slug, story.url, story.title, story.dateline, story.body, story.credit,
                     to_us(story.published_at) if story.published_at else None,
                     story.comments_open, to_us(story.created_at), thresholds_json(story), story.section,
                     story.external_id)).fetchone()
        except self.integrity_errors:
            raise Conflict(f"a story with slug {story.slug!r} exists", field="slug") from None
        story.id = row[0]
        return story

    def get_story(self, slug: str) -> Story | None:
        row = self._one(f"SELECT {STORY_COLUMNS} FROM stories WHERE slug = ?", (slug,))
        return story_from_row(row) if row else None

    def get_story_by_id(self, story_id: int) -> Story | None:
        row = self._one(f"SELECT {STORY_COLUMNS} FROM stories WHERE id = ?", (story_id,))
        return story_from_row(row) if row else None

    def stories_by_id(self, story_ids: Sequence[int]) -> dict[int, Story]:
        ids = list(story_ids)
        if not ids:
            return {}
        where, params = self._in("id", ids)
        return {s.id: s for s in map(story_from_row, self._all(f"SELECT {STORY_COLUMNS} FROM stories WHERE {where}",
                                                                params))}

    def update_story(self, story: Story) -> Story:
        with self._tx() as conn:
            row = conn.execute(self._sql(
                "UPDATE stories SET url = ?, title = ?, dateline = ?, body = ?, credit = ?,"
                " published_at = ?, comments_open = ?, moderation_thresholds = ?, section = ?,"
                " revision = revision + 1 WHERE id = ? RETURNING revision"),
                (story.url, story.title, story.dateline, story.body, story.credit,
                 to_us(story.published_at) if story.published_at else None,
                 story.comments_open, thresholds_json(story), story.section, story.id)).fetchone()
        story.revision = row[0]
        return story

    def list_stories(self, limit: int) -> list[Story]:
        rows = self._all(f"SELECT {STORY_COLUMNS} FROM stories ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
        return [story_from_row(r) for r in rows]

    def story_revision(self, story_id: int) -> int:
        row = self._one("SELECT revision FROM stories WHERE id = ?", (story_id,))
        return row[0] if row else -1

    def comment_counts(self, slugs: Sequence[str]) -> dict[str, int]:
        if not slugs:
            return {}
        where, params = self._in("slug", slugs)
        return dict(self._all(f"SELECT slug, comment_count FROM stories WHERE {where}", params))

    # --- authors -------------------------------------------------------------
    def find_or_add_author(self, author: Author) -> Author:
        with self._tx() as conn:
            # An account's author takes the account's current name and kind.
            conn.execute(self._sql(
                "INSERT INTO authors (kind, display_name, email, identity_key, account_id) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (identity_key) DO " + ("UPDATE SET display_name = excluded.display_name,"
                                                     " kind = excluded.kind" if author.account_id else "NOTHING")),
                (author.kind.value, author.display_name, author.email, author.identity_key, author.account_id))
            row = conn.execute(self._sql(f"SELECT {AUTHOR_COLUMNS} FROM authors"
                                         " WHERE identity_key = ?"), (author.identity_key,)).fetchone()
        return author_from_row(row)

    def find_author(self, identity_key: str) -> Author | None:
        row = self._one(f"SELECT {AUTHOR_COLUMNS} FROM authors WHERE identity_key = ?", (identity_key,))
        return author_from_row(row) if row else None

    def get_author(self, author_id: int) -> Author | None:
        row = self._one(f"SELECT {AUTHOR_COLUMNS} FROM authors WHERE id = ?", (author_id,))
        return author_from_row(row) if row else None

    # --- comments ------------------------------------------------------------
    def add_comment(self, comment: Comment) -> Comment:
        try:
            with self._tx() as conn:
                (comment.id,) = conn.execute(self._sql(
                    "INSERT INTO comments (story_id, parent_id, root_id, depth, author_id, body_source,"
                    " body_html, state, notices, created_at, edited_at, idempotency_key, verdict,"
                    " writer_key, queue, priority, report_count, resubmitted, reviewed_at, top_label, top_score)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                    (comment.story_id, comment.parent_id, comment.root_id, comment.depth,
                     comment.author.id, comment.body_source, comment.body_html, comment.state.value,
                     notices_json(comment), to_us(comment.created_at),
                     to_us(comment.edited_at) if comment.edited_at else None,
                     comment.idempotency_key, verdict_json(comment), *review_columns(comment))).fetchone()
                self._count(conn, comment, int(comment.state.visible))
        except self.integrity_errors:
            # The one constraint a valid comment can break: its idempotency key is taken.
            raise Conflict("this idempotency key was already used on this story", field="idempotency_key") from None
        return comment

    def _count(self, conn, comment: Comment, delta: int) -> None:
        """Keep the story's count, the root's reply total and the revision in step, and
        record the revision on the comment (what the live streams resume from)."""
        (revision,) = conn.execute(self._sql("UPDATE stories SET comment_count = comment_count + ?,"
                                             " revision = revision + 1 WHERE id = ? RETURNING revision"),
                                   (delta, comment.story_id)).fetchone()
        self._changed_at(conn, comment.id, revision, comment.state.visible)
        if delta and comment.root_id is not None:
            conn.execute(self._sql("UPDATE comments SET reply_total = reply_total + ? WHERE id = ?"),
                         (delta, comment.root_id))

    # --- what changed, for live updates (migration 0008) -----------------------
    def _changed_at(self, conn, comment_id: int, revision: int, visible: bool) -> None:
        conn.execute(self._sql("UPDATE comments SET changed_rev = ?, shown = shown OR ? WHERE id = ?"),
                     (revision, visible, comment_id))

    def changes_since(self, story_id: int, revision: int, limit: int) -> list[tuple[int, bool, Comment]]:
        # changed_rev > 0 names the partial index's own condition, so that the planner takes it.
        rows = self._all(f"SELECT c.changed_rev, c.shown, {COMMENT_COLUMNS} FROM comments c"
                         " JOIN authors a ON a.id = c.author_id"
                         " WHERE c.story_id = ? AND c.changed_rev > 0 AND c.changed_rev > ?"
                         " ORDER BY c.changed_rev LIMIT ?", (story_id, revision, limit))
        return [(r[0], bool(r[1]), comment_from_row(r[2:])) for r in rows]

    #: How this dialect locks a row read for update ("" where transactions already queue).
    row_lock = ""

    def get_comment(self, comment_id: int, *, for_update: bool = False) -> Comment | None:
        lock = self.row_lock if for_update else ""
        row = self._one(f"{COMMENT_SELECT} WHERE c.id = ?{lock}", (comment_id,))
        return comment_from_row(row) if row else None

    def comments_by_id(self, comment_ids: Sequence[int]) -> list[Comment]:
        if not comment_ids:
            return []
        where, params = self._in("c.id", list(comment_ids))
        return [comment_from_row(r) for r in self._all(f"{COMMENT_SELECT} WHERE {where}", params)]

    def find_by_idempotency_key(self, story_id: int, key: str) -> Comment | None:
        row = self._one(f"{COMMENT_SELECT} WHERE c.story_id = ? AND c.idempotency_key = ?", (story_id, key))
        return comment_from_row(row) if row else None

    def update_comment(self, comment: Comment, was: CommentState) -> Comment:
        with self._tx() as conn:
            conn.execute(self._sql(
                "UPDATE comments SET body_source = ?, body_html = ?, state = ?, notices = ?, edited_at = ?,"
                " verdict = ?, writer_key = ?, queue = ?, priority = ?, report_count = ?, resubmitted = ?,"
                " reviewed_at = ?, top_label = ?, top_score = ? WHERE id = ?"),
                (comment.body_source, comment.body_html, comment.state.value, notices_json(comment),
                 to_us(comment.edited_at) if comment.edited_at else None, verdict_json(comment),
                 *review_columns(comment), comment.id))
            self._count(conn, comment, int(comment.state.visible) - int(was.visible))
        return comment

    def list_by_author(self, identity_key: str, limit: int) -> list[Comment]:
        return [comment_from_row(r) for r in self._all(*self.by_author_query(identity_key, limit))]

    def by_author_query(self, identity_key: str, limit: int) -> tuple[str, list]:
        """An author's latest comments: the author by its unique key, then their comments
        newest first from ``comments_by_author``."""
        return (f"{COMMENT_SELECT} WHERE a.identity_key = ? AND c.state <> 'deleted'"
                " ORDER BY c.created_at DESC LIMIT ?", [identity_key, limit])

    def list_roots(self, page: RootPage) -> list[Comment]:
        return [comment_from_row(r) for r in self._all(*self.roots_query(page))]

    def roots_query(self, page: RootPage) -> tuple[str, list]:
        """The SQL for a page of roots; each sort walks its own partial index."""
        where = [f"c.story_id = ? AND c.parent_id IS NULL AND (c.state IN {VISIBLE} OR c.reply_total > 0)"]
        params: list = [page.story_id]
        after = page.after
        if page.sort is Sort.OLDEST:
            order = "c.created_at, c.id"
            if after:
                where.append("(c.created_at, c.id) > (?, ?)")
                params += after
        elif page.sort is Sort.NEWEST:
            order = "c.created_at DESC, c.id DESC"
            if after:
                where.append("(c.created_at, c.id) < (?, ?)")
                params += after
        else:
            count = "c.recommend_count" if page.sort is Sort.TOP else "c.reply_total"
            order = f"{count} DESC, c.created_at, c.id"
            if after:
                where.append(f"({count} < ? OR ({count} = ? AND (c.created_at, c.id) > (?, ?)))")
                params += [after[0], *after]
        params.append(page.limit)
        return f"{COMMENT_SELECT} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?", params

    def replies_query(self, root_ids: Sequence[int]) -> tuple[str, list]:
        where, params = self._in("c.root_id", root_ids)
        return f"{COMMENT_SELECT} WHERE {where} ORDER BY c.root_id, c.created_at, c.id", params

    def list_replies(self, root_ids: Sequence[int]) -> list[Comment]:
        if not root_ids:
            return []
        return [comment_from_row(r) for r in self._all(*self.replies_query(root_ids))]


@lru_cache(maxsize=512)
def qmark_to_format(query: str) -> str:
    """``?`` placeholders to psycopg's ``%s``."""
    return query.replace("?", "%s")
