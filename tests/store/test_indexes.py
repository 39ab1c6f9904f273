"""A thread read must cost what its page holds, not what the database holds:
every query behind it walks an index, never the comments table."""

from __future__ import annotations

import re

import pytest

from parley.domain import OPEN_QUEUES, Queue
from parley.store import FeaturedPage, QueuePage, RootPage, Sort
from parley.store.postgres import PostgresStore
from parley.store.sqlite import SQLiteStore

CURSORS = {Sort.OLDEST: (1, 1), Sort.NEWEST: (1, 1), Sort.REPLIES: (0, 1, 1), Sort.TOP: (0, 1, 1)}
INDEX_FOR = {Sort.OLDEST: "comments_roots_by_time", Sort.NEWEST: "comments_roots_by_time",
             Sort.REPLIES: "comments_roots_by_replies", Sort.TOP: "comments_roots_by_recommends"}


def _plan(store, sql: str, params) -> str:
    if isinstance(store, SQLiteStore):
        with store._reader() as conn:
            return "\n".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert isinstance(store, PostgresStore)
    with store._tx() as conn:
        # The planner rightly prefers a scan (or a bitmap of an index, or any index, then a
        # sort) of a near-empty table; forbid them to see which index it would walk for a page
        # once the table is big.
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        conn.execute("SET LOCAL enable_sort = off")
        rows = conn.execute(store._sql("EXPLAIN " + sql), params).fetchall()
        return "\n".join(r[0] for r in rows)


@pytest.mark.parametrize("sort", list(Sort))
@pytest.mark.parametrize("with_cursor", [False, True])
def test_root_pages_walk_their_index(store, sort, with_cursor):
    page = RootPage(1, sort, CURSORS[sort] if with_cursor else None, 50)
    plan = _plan(store, *store.roots_query(page))
    assert INDEX_FOR[sort] in plan, plan
    assert "SCAN c" not in plan and "Seq Scan" not in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("with_cursor", [False, True])
def test_the_featured_tab_walks_the_index_of_picks(store, with_cursor):
    plan = _plan(store, *store.featured_query(FeaturedPage(1, (1, 1) if with_cursor else None, 50)))
    assert "comments_featured" in plan, plan
    assert _walks_without_sorting(plan), plan


def test_replies_walk_the_root_index(store):
    plan = _plan(store, *store.replies_query([1, 2, 3]))
    assert "comments_by_root" in plan, plan
    assert "SCAN c" not in plan and "Seq Scan on comments" not in plan, plan


def test_an_authors_latest_comments_walk_the_author_index(store):
    plan = _plan(store, *store.by_author_query("guest:Ann:", 5))
    assert "comments_by_author" in plan, plan
    assert "SCAN c" not in plan and "Seq Scan on comments" not in plan and "TEMP B-TREE" not in plan, plan


def _walks_without_sorting(plan: str) -> bool:
    return not re.search(r"SCAN c$", plan, re.M) and "Seq Scan" not in plan and "TEMP B-TREE" not in plan \
        and not re.search(r"^\s*(->\s*)?(Incremental )?Sort\b", plan, re.M)


@pytest.mark.parametrize("queue", OPEN_QUEUES)
@pytest.mark.parametrize("story_id, index", [(None, "comments_open_queue"), (1, "comments_open_queue_by_story")])
@pytest.mark.parametrize("with_cursor", [False, True])
def test_an_open_queue_walks_the_partial_index_of_queued_comments(store, queue, story_id, index, with_cursor):
    page = QueuePage(queue=queue, story_id=story_id, after=(1, 1) if with_cursor else None, limit=50)
    plan = _plan(store, *store.queue_query(page))
    assert re.search(rf"\b{index}\b", plan), plan
    # Walking its part of the partial index is fine: it holds the queued comments and nothing else,
    # already in the queue's order (priority, highest first).
    assert _walks_without_sorting(plan), plan


DECIDED_INDEX = {Queue.APPROVED: "comments_reviewed", Queue.REJECTED: "comments_rejected"}


@pytest.mark.parametrize("queue", [Queue.APPROVED, Queue.REJECTED])
@pytest.mark.parametrize("story_id", [None, 1])
@pytest.mark.parametrize("with_cursor", [False, True])
def test_a_decided_queue_reads_the_partial_index_of_decided_comments(store, queue, story_id, with_cursor):
    page = QueuePage(queue=queue, story_id=story_id, after=(1, 1) if with_cursor else None, limit=50)
    plan = _plan(store, *store.queue_query(page))
    assert re.search(rf"\b{DECIDED_INDEX[queue]}\b", plan), plan
    assert not re.search(r"SCAN c$", plan, re.M) and "Seq Scan" not in plan, plan


@pytest.mark.parametrize("queue", [Queue.APPROVED, Queue.REJECTED])
@pytest.mark.parametrize("with_cursor", [False, True])
def test_a_decided_queue_walks_its_index_in_order_without_sorting(store, queue, with_cursor):
    page = QueuePage(queue=queue, after=(1, 1) if with_cursor else None, limit=50)
    plan = _plan(store, *store.queue_query(page))
    assert _walks_without_sorting(plan), plan
