"""The SQL of reactions (readers' recommendations, staff's featured picks), shared by both
backends. Each write changes the reaction, the comment's count and the story's revision in
one transaction, so that a cached thread never shows a count the database does not hold."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from parley.domain import Comment
from parley.store.base import FeaturedPage, to_us
from parley.store.rows import COMMENT_SELECT, VISIBLE, comment_from_row


class ReactionsSQL:
    def add_recommendation(self, comment_id: int, story_id: int, reader_key: str, at: datetime) -> bool:
        with self._tx() as conn:
            # The primary key (comment, reader) decides a race between two clicks: one row.
            added = conn.execute(self._sql(
                "INSERT INTO recommendations (comment_id, reader_key, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (comment_id, reader_key) DO NOTHING"), (comment_id, reader_key, to_us(at))).rowcount
            if added:
                self._recount(conn, comment_id, story_id, +1)
        return bool(added)

    def remove_recommendation(self, comment_id: int, story_id: int, reader_key: str) -> bool:
        with self._tx() as conn:
            removed = conn.execute(self._sql(
                "DELETE FROM recommendations WHERE comment_id = ? AND reader_key = ?"),
                (comment_id, reader_key)).rowcount
            if removed:
                self._recount(conn, comment_id, story_id, -1)
        return bool(removed)

    def _recount(self, conn, comment_id: int, story_id: int, delta: int) -> None:
        conn.execute(self._sql("UPDATE comments SET recommend_count = recommend_count + ? WHERE id = ?"),
                     (delta, comment_id))
        self._bump(conn, story_id, comment_id)

    def _bump(self, conn, story_id: int, comment_id: int) -> None:
        """Move the story's revision (cached threads re-render) and record it on the comment
        (what live streams resume from, migration 0008), in the writing transaction."""
        (revision,) = conn.execute(self._sql("UPDATE stories SET revision = revision + 1 WHERE id = ?"
                                             " RETURNING revision"), (story_id,)).fetchone()
        self._changed_at(conn, comment_id, revision, False)  # False: never marks a hidden comment shown

    def recommended_by(self, reader_key: str, comment_ids: Sequence[int]) -> set[int]:
        if not comment_ids:
            return set()
        where, params = self._in("comment_id", list(comment_ids))
        rows = self._all(f"SELECT comment_id FROM recommendations WHERE reader_key = ? AND {where}",
                         [reader_key, *params])
        return {r[0] for r in rows}

    def recommended_on(self, reader_key: str, story_id: int) -> set[int]:
        rows = self._all("SELECT r.comment_id FROM recommendations r JOIN comments c ON c.id = r.comment_id"
                         " WHERE r.reader_key = ? AND c.story_id = ?", (reader_key, story_id))
        return {r[0] for r in rows}

    def set_featured(self, comment_id: int, story_id: int, at: datetime | None) -> bool:
        with self._tx() as conn:
            if at is None:
                changed = conn.execute(self._sql(
                    "UPDATE comments SET featured_at = NULL WHERE id = ? AND featured_at IS NOT NULL"),
                    (comment_id,)).rowcount
            else:
                changed = conn.execute(self._sql(
                    "UPDATE comments SET featured_at = ? WHERE id = ? AND featured_at IS NULL"),
                    (to_us(at), comment_id)).rowcount
            if changed:
                self._bump(conn, story_id, comment_id)
        return bool(changed)

    def list_featured(self, page: FeaturedPage) -> list[Comment]:
        return [comment_from_row(r) for r in self._all(*self.featured_query(page))]

    def featured_query(self, page: FeaturedPage) -> tuple[str, list]:
        """A page of picks, from the partial index of featured comments."""
        where = [f"c.story_id = ? AND c.featured_at IS NOT NULL AND c.state IN {VISIBLE}"]
        params: list = [page.story_id]
        if page.after:
            where.append("(c.featured_at, c.id) < (?, ?)")
            params += list(page.after)
        params.append(page.limit)
        return (f"{COMMENT_SELECT} WHERE {' AND '.join(where)} ORDER BY c.featured_at DESC, c.id DESC LIMIT ?",
                params)
