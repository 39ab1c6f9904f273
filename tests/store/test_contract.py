"""The storage contract: every backend passes the same tests (SQLite file, local PostgreSQL)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from parley.domain import Author, Comment, CommentState, Notice, Queue, Story, utcnow
from parley.errors import Conflict
from parley.moderation import Action, Span, Verdict
from parley.store import QueuePage, RootPage, Sort, queue_key, sort_key


def _story(store, slug="story") -> Story:
    return store.add_story(Story(slug=slug, title="A story", body="One.\n\nTwo."))


def _comment(store, story, *, parent=None, name="Ann", at=None, state=CommentState.PUBLISHED, key=None) -> Comment:
    author = store.find_or_add_author(Author(display_name=name))
    c = Comment(story_id=story.id, author=author, body_source="hi", body_html="<p>hi</p>", state=state,
                created_at=at or utcnow(), idempotency_key=key)
    if parent is not None:
        c.attach_to(parent)
    return store.add_comment(c)


def test_migrate_is_versioned_and_idempotent(store):
    assert store.schema_version() >= 2
    assert store.migrate() == []


def test_story_round_trip_and_duplicate_slug(store):
    story = store.add_story(Story(slug="s1", title="T", body="b", credit="AFP", url="https://x.test/s1",
                                  published_at=utcnow().replace(microsecond=0)))
    again = store.get_story("s1")
    assert (again.id, again.title, again.credit, again.url, again.published_at, again.comments_open) == \
        (story.id, "T", "AFP", "https://x.test/s1", story.published_at, True)
    with pytest.raises(Conflict):
        store.add_story(Story(slug="s1", title="other"))
    assert store.get_story("missing") is None


def test_update_story_bumps_revision(store):
    story = _story(store)
    before = store.story_revision(story.id)
    story.comments_open = False
    store.update_story(story)
    assert store.get_story("story").comments_open is False
    assert store.story_revision(story.id) > before


def test_authors_are_found_by_identity(store):
    a = store.find_or_add_author(Author(display_name="Bob", email="b@x.test"))
    b = store.find_or_add_author(Author(display_name="Bob", email="B@x.test"))
    c = store.find_or_add_author(Author(display_name="Bob"))
    d = store.find_or_add_author(Author(display_name="bob", email="b@x.test"))
    assert a.id == b.id
    assert len({a.id, c.id, d.id}) == 3 and d.display_name == "bob"


def test_comment_round_trip(store):
    story = _story(store)
    root = _comment(store, story)
    root_again = store.get_comment(root.id)
    assert root_again.author.display_name == "Ann" and root_again.author.guest
    reply = Comment(story_id=story.id, author=root_again.author, body_source="x", body_html="<p>x</p>",
                    notices=(Notice.of("spoiler"),), state=CommentState.FOLDED)
    reply.attach_to(root_again)
    store.add_comment(reply)
    got = store.get_comment(reply.id)
    assert (got.parent_id, got.root_id, got.depth, got.state) == (root.id, root.id, 1, CommentState.FOLDED)
    assert got.notices == (Notice.of("spoiler"),)
    assert abs(got.created_at - reply.created_at) < timedelta(milliseconds=1)


def test_counts_follow_visibility(store):
    story = _story(store)
    root = _comment(store, story)
    reply = _comment(store, story, parent=root)
    _comment(store, story, state=CommentState.PENDING)
    assert store.comment_counts(["story", "nope"]) == {"story": 2}
    assert store.get_comment(root.id).reply_total == 1
    was = reply.state
    reply.delete()
    store.update_comment(reply, was=was)
    assert store.comment_counts(["story"]) == {"story": 1}
    assert store.get_comment(root.id).reply_total == 0


def test_revision_changes_with_every_comment_write(store):
    story = _story(store)
    r0 = store.story_revision(story.id)
    c = _comment(store, story)
    r1 = store.story_revision(story.id)
    store.update_comment(c, was=c.state)
    assert r0 < r1 < store.story_revision(story.id)


def test_idempotency_key_is_unique_per_story(store):
    story, other = _story(store), _story(store, "other")
    first = _comment(store, story, key="k1")
    assert store.find_by_idempotency_key(story.id, "k1").id == first.id
    assert store.find_by_idempotency_key(other.id, "k1") is None
    _comment(store, other, key="k1")  # another story may use the same key
    with pytest.raises(Conflict):
        _comment(store, story, key="k1")


def test_atomic_rolls_back_everything(store):
    story = _story(store)
    with pytest.raises(RuntimeError), store.atomic():
        _comment(store, story)
        _comment(store, story)
        raise RuntimeError("half way")
    assert store.comment_counts(["story"]) == {"story": 0}
    assert store.list_roots(RootPage(story.id)) == []


def _ids(comments):
    return [c.id for c in comments]


@pytest.fixture
def forum(store):
    """Five roots an hour apart; the third has two replies, the fifth one."""
    story = _story(store)
    t0 = utcnow() - timedelta(days=1)
    roots = [_comment(store, story, at=t0 + timedelta(hours=i)) for i in range(5)]
    replies = [_comment(store, story, parent=roots[2], at=t0 + timedelta(hours=6)),
               _comment(store, story, parent=roots[2], at=t0 + timedelta(hours=7)),
               _comment(store, story, parent=roots[4], at=t0 + timedelta(hours=8))]
    return story, roots, replies


@pytest.mark.parametrize("sort", list(Sort))
def test_cursor_pages_cover_every_root_once_in_order(store, forum, sort):
    story, roots, _ = forum
    for reader in ("r1", "r2"):  # what the Top sort orders by; the other sorts ignore it
        store.add_recommendation(roots[3].id, story.id, reader, utcnow())
    store.add_recommendation(roots[1].id, story.id, "r1", utcnow())
    seen, after = [], None
    while True:
        page = store.list_roots(RootPage(story.id, sort, after, 2))
        if not page:
            break
        seen += page
        after = sort_key(page[-1], sort)
    expected = {Sort.OLDEST: roots, Sort.NEWEST: roots[::-1],
                Sort.REPLIES: [roots[2], roots[4], roots[0], roots[1], roots[3]],
                Sort.TOP: [roots[3], roots[1], roots[0], roots[2], roots[4]]}[sort]
    assert _ids(seen) == _ids(expected)


def test_replies_come_oldest_first_for_the_roots_asked(store, forum):
    story, roots, replies = forum
    assert _ids(store.list_replies([roots[2].id])) == _ids(replies[:2])
    assert _ids(store.list_replies([roots[2].id, roots[4].id])) == _ids(replies)
    assert store.list_replies([]) == []


def test_hidden_roots_are_skipped_but_tombstones_with_replies_stay(store, forum):
    story, roots, _ = forum
    for root in (roots[0], roots[2]):
        was = root.state
        root.delete()
        store.update_comment(root, was=was)
    _comment(store, story, state=CommentState.PENDING)
    listed = store.list_roots(RootPage(story.id, Sort.OLDEST, None, 50))
    assert _ids(listed) == _ids([roots[1], roots[2], roots[3], roots[4]])
    assert listed[1].state is CommentState.DELETED


def test_meta_default_is_kept(store):
    assert store.set_meta_default("k", "first") == "first"
    assert store.set_meta_default("k", "second") == "first"
    assert store.get_meta("k") == "first"


def test_list_stories_newest_first(store):
    a = store.add_story(Story(slug="a", title="A", created_at=utcnow() - timedelta(hours=1)))
    b = store.add_story(Story(slug="b", title="B"))
    assert [s.slug for s in store.list_stories(10)] == [b.slug, a.slug]


def test_sqlite_reader_connections_do_not_pile_up_as_threads_come_and_go(sqlite_store):
    import threading

    import psutil

    story = _story(sqlite_store)

    def database_files_open() -> int:
        """Open files of this database (itself, its -wal and -shm): counting every file the
        process has open would also count what other tests' connection pools are still
        opening or closing in their own threads, which made this test flaky."""
        return sum(1 for f in psutil.Process().open_files() if f.path.startswith(os.path.realpath(sqlite_store.path)))

    before = database_files_open()
    for _ in range(5):  # five generations of short-lived threads, 20 at a time
        threads = [threading.Thread(target=sqlite_store.list_roots, args=(RootPage(story.id),)) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # 100 threads read; the pool keeps its few connections and closes the rest. SQLite's Unix
    # layer may hold a closed connection's files open while other connections hold locks on
    # the database (closing them would drop the process's locks), so up to one generation's
    # connections may linger: a leak of one per thread would be all 100 of them.
    assert len(sqlite_store._idle_readers) <= sqlite_store.MAX_IDLE_READERS
    assert database_files_open() - before <= 3 * (sqlite_store.MAX_IDLE_READERS + 20)


# --- moderation ----------------------------------------------------------------
def _verdict(action=Action.FOLD) -> Verdict:
    return Verdict({"toxicity": 0.12, "spam": 0.6988}, [Span(43, 53, "spam")], action,
                   ["looks like spam (spam 0.70 ≥ 0.50)"], "parley-test")


def test_a_comments_verdict_is_saved_with_it_and_with_its_changes(store):
    story = _story(store)
    author = store.find_or_add_author(Author(display_name="Ann"))
    c = Comment(story_id=story.id, author=author, body_source="x", body_html="<p>x</p>")
    c.moderate(_verdict(Action.HOLD))
    store.add_comment(c)
    got = store.get_comment(c.id)
    assert got.state is CommentState.PENDING and got.verdict == _verdict(Action.HOLD)
    assert store.comment_counts(["story"]) == {"story": 0}
    was = got.state
    got.moderate(_verdict(Action.PUBLISH))
    store.update_comment(got, was=was)
    again = store.get_comment(c.id)
    assert again.verdict.action is Action.PUBLISH and again.state is CommentState.PUBLISHED
    assert store.comment_counts(["story"]) == {"story": 1}
    unscored = _comment(store, story)
    assert store.get_comment(unscored.id).verdict is None


def test_a_storys_moderation_thresholds_round_trip(store):
    story = store.add_story(Story(slug="s", title="T", moderation_thresholds={"spam": {"fold": 0.5}}))
    assert store.get_story("s").moderation_thresholds == {"spam": {"fold": 0.5}}
    assert store.get_story_by_id(story.id).slug == "s"
    story.moderation_thresholds = {"toxicity": {"hold": 0.9, "fold": 0.4}}
    store.update_story(story)
    assert store.get_story_by_id(story.id).moderation_thresholds == {"toxicity": {"hold": 0.9, "fold": 0.4}}
    story.moderation_thresholds = None
    store.update_story(story)
    assert store.get_story("s").moderation_thresholds is None
    assert _story(store, "plain").moderation_thresholds is None and store.get_story_by_id(999999) is None


def test_an_authors_latest_comments_come_newest_first_on_any_story_but_not_deleted(store):
    story, other = _story(store), _story(store, "other")
    t0 = utcnow() - timedelta(hours=1)
    first = _comment(store, story, at=t0)
    held = _comment(store, other, at=t0 + timedelta(minutes=1), state=CommentState.PENDING)
    gone = _comment(store, story, at=t0 + timedelta(minutes=2))
    latest = _comment(store, story, at=t0 + timedelta(minutes=3))
    _comment(store, story, name="Bob", at=t0 + timedelta(minutes=4))
    was = gone.state
    gone.delete()
    store.update_comment(gone, was=was)
    key = Author(display_name="Ann").identity_key
    assert _ids(store.list_by_author(key, 5)) == [latest.id, held.id, first.id]
    assert _ids(store.list_by_author(key, 2)) == [latest.id, held.id]
    assert store.list_by_author("guest:Nobody:", 5) == []


def _queued(store, story, queue: Queue | None, *, priority=0, name="Ann", at=None, state=None, reviewed=None,
            verdict=None, writer_key=None) -> Comment:
    """A comment as the service leaves it: in an open queue with its priority, or decided."""
    author = store.find_or_add_author(Author(display_name=name))
    default_state = CommentState.PENDING if queue in (Queue.HELD, Queue.REPORTED) else CommentState.PUBLISHED
    c = Comment(story_id=story.id, author=author, body_source="hi", body_html="<p>hi</p>",
                state=state or default_state, created_at=at or utcnow(), verdict=verdict,
                queue=queue.value if queue is not None and queue.open else None, priority=priority,
                reviewed_at=reviewed, writer_key=writer_key)
    return store.add_comment(c)


def test_an_open_queue_lists_its_comments_highest_priority_first_on_any_story_or_one(store):
    story, other = _story(store), _story(store, "other")
    t0 = utcnow() - timedelta(hours=1)
    first = _queued(store, story, Queue.HELD, priority=500, at=t0)
    _comment(store, story, at=t0 + timedelta(minutes=1))  # published: in no queue
    _queued(store, other, None, at=t0 + timedelta(minutes=2), state=CommentState.REJECTED, reviewed=t0)
    urgent = _queued(store, other, Queue.HELD, priority=900, at=t0 + timedelta(minutes=3))
    tied = _queued(store, story, Queue.HELD, priority=500, at=t0 + timedelta(minutes=4))  # ties: oldest first
    reported = _queued(store, story, Queue.REPORTED, priority=2000, at=t0 + timedelta(minutes=5))
    assert _ids(store.list_queue(QueuePage())) == _ids([urgent, first, tied])
    assert _ids(store.list_queue(QueuePage(queue=Queue.HELD, story_id=story.id))) == _ids([first, tied])
    assert _ids(store.list_queue(QueuePage(limit=2))) == _ids([urgent, first])
    assert _ids(store.list_queue(QueuePage(after=queue_key(first, Queue.HELD)))) == _ids([tied])
    assert _ids(store.list_queue(QueuePage(after=queue_key(urgent, Queue.HELD)))) == _ids([first, tied])
    assert _ids(store.list_queue(QueuePage(story_id=story.id, after=queue_key(first, Queue.HELD)))) == _ids([tied])
    assert _ids(store.list_queue(QueuePage(queue=Queue.REPORTED))) == _ids([reported])
    assert store.list_queue(QueuePage(queue=Queue.APPEALS)) == []
    got = store.list_queue(QueuePage(story_id=other.id))[0]
    assert (got.story_id, got.author.display_name, got.body_source, got.queue, got.priority) == (
        other.id, "Ann", "hi", "held", 900)
    assert store.queue_counts() == {Queue.HELD: 3, Queue.REPORTED: 1, Queue.FOLDED: 0, Queue.RESUBMITTED: 0,
                                    Queue.APPEALS: 0}
    assert store.queue_counts(story.id) == {Queue.HELD: 2, Queue.REPORTED: 1, Queue.FOLDED: 0,
                                            Queue.RESUBMITTED: 0, Queue.APPEALS: 0}
    was = first.state
    first.approve()
    first.queue, first.priority, first.reviewed_at = None, 0, utcnow()
    store.update_comment(first, was=was)
    assert _ids(store.list_queue(QueuePage())) == _ids([urgent, tied])
    assert store.queue_counts()[Queue.HELD] == 2
    assert store.comment_counts(["story"]) == {"story": 2}
    # The counts follow every way a comment moves: between open queues, and by update_review too.
    tied.queue = Queue.APPEALS.value
    store.update_review(tied)
    reported.queue = None
    store.update_review(reported)
    assert store.queue_counts() == {Queue.HELD: 1, Queue.REPORTED: 0, Queue.FOLDED: 0, Queue.RESUBMITTED: 0,
                                    Queue.APPEALS: 1}
    assert store.queue_counts(other.id) == {Queue.HELD: 1, Queue.REPORTED: 0, Queue.FOLDED: 0,
                                            Queue.RESUBMITTED: 0, Queue.APPEALS: 0}
    store.update_review(tied)  # no move, no count
    assert store.queue_counts(story.id)[Queue.APPEALS] == 1


def test_the_decided_queues_list_the_latest_decision_first(store):
    story, other = _story(store), _story(store, "other")
    t0 = utcnow() - timedelta(hours=1)
    old = _queued(store, story, Queue.APPROVED, reviewed=t0)
    late = _queued(store, other, Queue.APPROVED, reviewed=t0 + timedelta(minutes=2),
                   state=CommentState.FOLDED)
    same = _queued(store, story, Queue.APPROVED, reviewed=t0 + timedelta(minutes=2))  # a tie: the newer id first
    _comment(store, story)  # published, never decided: not in Approved
    gone = _queued(store, story, None, reviewed=t0 + timedelta(minutes=3), state=CommentState.DELETED)
    rejected = _queued(store, story, None, reviewed=t0 + timedelta(minutes=1), state=CommentState.REJECTED)
    rejected_later = _queued(store, other, None, reviewed=t0 + timedelta(minutes=4), state=CommentState.REJECTED)
    assert _ids(store.list_queue(QueuePage(queue=Queue.APPROVED))) == _ids([same, late, old])
    assert gone.id not in _ids(store.list_queue(QueuePage(queue=Queue.APPROVED)))
    assert _ids(store.list_queue(QueuePage(queue=Queue.APPROVED, limit=1))) == _ids([same])
    assert _ids(store.list_queue(QueuePage(queue=Queue.APPROVED, after=queue_key(same, Queue.APPROVED)))) == \
        _ids([late, old])
    assert _ids(store.list_queue(QueuePage(queue=Queue.APPROVED, after=queue_key(late, Queue.APPROVED)))) == \
        _ids([old])
    assert _ids(store.list_queue(QueuePage(queue=Queue.APPROVED, story_id=story.id))) == _ids([same, old])
    assert _ids(store.list_queue(QueuePage(queue=Queue.REJECTED))) == _ids([rejected_later, rejected])
    assert _ids(store.list_queue(QueuePage(queue=Queue.REJECTED, story_id=story.id))) == _ids([rejected])
    assert _ids(store.list_queue(QueuePage(queue=Queue.REJECTED,
                                           after=queue_key(rejected_later, Queue.REJECTED)))) == _ids([rejected])
    assert store.queue_counts() == dict.fromkeys((Queue.HELD, Queue.REPORTED, Queue.FOLDED, Queue.RESUBMITTED,
                                                  Queue.APPEALS), 0)


def test_a_queue_narrows_to_a_label_a_least_score_and_an_author(store):
    story = _story(store)
    spam = Verdict({"toxicity": 0.1, "spam": 0.9}, [], Action.HOLD, ["spam"], "parley-test")
    rude = Verdict({"toxicity": 0.6, "spam": 0.2}, [], Action.HOLD, ["rude"], "parley-test")
    a = _queued(store, story, Queue.HELD, priority=900, verdict=spam)
    b = _queued(store, story, Queue.HELD, priority=600, verdict=rude, name="Bob")
    c = _queued(store, story, Queue.HELD, priority=100)  # unscored (a rule held it)
    assert _ids(store.list_queue(QueuePage(label="spam"))) == _ids([a])
    assert _ids(store.list_queue(QueuePage(label="toxicity"))) == _ids([b])
    assert _ids(store.list_queue(QueuePage(min_score=0.5))) == _ids([a, b])
    assert _ids(store.list_queue(QueuePage(min_score=0.7))) == _ids([a])
    assert _ids(store.list_queue(QueuePage(author_id=b.author.id))) == _ids([b])
    assert _ids(store.list_queue(QueuePage(author_id=a.author.id))) == _ids([a, c])


def test_an_accounts_author_is_one_author_whatever_its_name(store):
    from parley.domain import Account, AuthorKind, Role

    one = store.add_account(Account(email="desk@x.test", display_name="Editor", role=Role.STAFF))
    two = store.add_account(Account(email="night@x.test", display_name="Editor", role=Role.STAFF))
    a = store.find_or_add_author(Author(display_name="Editor", kind=AuthorKind.STAFF, account_id=one.id))
    b = store.find_or_add_author(Author(display_name="Editor", kind=AuthorKind.STAFF, account_id=two.id))
    guest = store.find_or_add_author(Author(display_name="Editor"))
    assert len({a.id, b.id, guest.id}) == 3 and (a.account_id, b.account_id, guest.account_id) == (one.id, two.id, None)
    renamed = store.find_or_add_author(Author(display_name="Chief Editor", kind=AuthorKind.STAFF, account_id=one.id))
    assert renamed.id == a.id and renamed.display_name == "Chief Editor"
    assert store.get_author(a.id).display_name == "Chief Editor"


def test_stories_are_read_by_their_ids_at_once(store):
    a, b = store.add_story(Story(slug="a", title="A")), store.add_story(Story(slug="b", title="B"))
    found = store.stories_by_id([b.id, a.id, 999_999])
    assert {k: v.slug for k, v in found.items()} == {a.id: "a", b.id: "b"}
    assert store.stories_by_id([]) == {}


def test_reads_share_one_connection_inside_reading_and_writes_still_commit(store):
    with store.reading():
        story = store.add_story(Story(slug="inside", title="Written while reading"))
        assert store.get_story("inside").id == story.id and store.stories_by_id([story.id])
    assert store.get_story("inside") is not None
