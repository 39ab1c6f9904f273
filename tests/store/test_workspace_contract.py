"""The storage contract for the moderators' workspace as its readers see it (reports,
decisions and appeals on their own comments), on every backend (a SQLite file, the
local PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from parley.domain import Author, Comment, CommentState, Decision, DecisionKind, Notice, Story, utcnow


def _story(store, slug="story") -> Story:
    return store.add_story(Story(slug=slug, title="A story"))


def _comment(store, story, *, at, writer_key="guest:g1", state=CommentState.PUBLISHED, notices=()) -> Comment:
    author = store.find_or_add_author(Author(display_name="Ann"))
    return store.add_comment(Comment(story_id=story.id, author=author, body_source="hi", body_html="<p>hi</p>",
                                     state=state, notices=tuple(notices), created_at=at, writer_key=writer_key))


def _decided(store, comment, kind: DecisionKind, *, automated=False) -> Decision:
    return store.add_decision(Decision(kind=kind, actor="system:moderation" if automated else "account:1:Mo",
                                       reason="why", automated=automated, comment_id=comment.id,
                                       author_id=comment.author.id))


def _ids(comments) -> list[int]:
    return [c.id for c in comments]


def test_a_writers_restricted_comments_come_newest_first_on_any_story_or_one(store):
    story, other = _story(store), _story(store, "other")
    t0 = utcnow() - timedelta(hours=1)
    at = [t0 + timedelta(minutes=i) for i in range(12)]
    held = _comment(store, story, at=at[0], state=CommentState.PENDING)  # held by a rule: no decision needed
    _comment(store, story, at=at[1])  # published, never decided on
    spoiler = _comment(store, story, at=at[2], state=CommentState.FOLDED, notices=[Notice.of("spoiler")])
    folded = _comment(store, story, at=at[3], state=CommentState.FOLDED, notices=[Notice.of("offensive")])
    _decided(store, folded, DecisionKind.FOLD, automated=True)
    rejected = _comment(store, other, at=at[4], state=CommentState.REJECTED)
    # Rejected, appealed and published again: its writer still reads the outcome.
    reversed_ = _comment(store, other, at=at[5])
    _decided(store, reversed_, DecisionKind.REJECT)
    _decided(store, reversed_, DecisionKind.REVERSE)
    # Approved after a moderator looked: a decision that restricts nothing.
    approved = _comment(store, story, at=at[6])
    _decided(store, approved, DecisionKind.APPROVE)
    # Rejected, then the rejection undone: as if it never was.
    undone = _comment(store, story, at=at[7])
    taken_back = _decided(store, undone, DecisionKind.REJECT)
    store.mark_undone(taken_back.id, utcnow())
    banned = _comment(store, story, at=at[8])
    _decided(store, banned, DecisionKind.BAN)
    deleted = _comment(store, story, at=at[9], state=CommentState.FOLDED, notices=[Notice.of("offensive")])
    _decided(store, deleted, DecisionKind.FOLD)
    was = deleted.state
    deleted.delete()
    store.update_comment(deleted, was=was)
    _comment(store, story, at=at[10], writer_key="guest:g2", state=CommentState.PENDING)  # another writer's
    _comment(store, story, at=at[11], writer_key=None, state=CommentState.PENDING)  # a writer we cannot recognise

    assert _ids(store.list_writer_comments("guest:g1", 50)) == _ids([banned, reversed_, rejected, folded, held])
    assert spoiler.id not in _ids(store.list_writer_comments("guest:g1", 50))
    assert _ids(store.list_writer_comments("guest:g1", 2)) == _ids([banned, reversed_])
    assert _ids(store.list_writer_comments("guest:g1", 50, story_id=story.id)) == _ids([banned, folded, held])
    assert _ids(store.list_writer_comments("guest:g1", 50, story_id=other.id)) == _ids([reversed_, rejected])
    got = store.list_writer_comments("guest:g1", 50, story_id=story.id)[1]
    assert (got.state, got.notices, got.writer_key, got.author.display_name) == (
        CommentState.FOLDED, (Notice.of("offensive"),), "guest:g1", "Ann")
    assert store.list_writer_comments("guest:nobody", 50) == []


def test_a_page_of_cards_reads_each_kind_for_several_comments_at_once(store):
    from parley.domain import Appeal, Report, ReportReason, Sanction, SanctionKind

    story = _story(store)
    t0 = utcnow() - timedelta(hours=1)
    ann = _comment(store, story, at=t0)
    bob_author = store.find_or_add_author(Author(display_name="Bob"))
    bob = store.add_comment(Comment(story_id=story.id, author=bob_author, body_source="yo", body_html="<p>yo</p>",
                                    state=CommentState.REJECTED, created_at=t0 + timedelta(minutes=1),
                                    reviewed_at=t0 + timedelta(minutes=2)))
    store.add_report(Report(comment_id=ann.id, reason=ReportReason.SPAM, reporter_key="guest:r1"))
    store.add_report(Report(comment_id=ann.id, reason=ReportReason.ABUSIVE, reporter_key="guest:r2"))
    decided = _decided(store, bob, DecisionKind.REJECT)
    store.add_appeal(Appeal(comment_id=bob.id, decision_id=decided.id, writer_key="guest:g2", text="Please."))
    store.add_sanction(Sanction(author_id=bob_author.id, kind=SanctionKind.PREMODERATE, reason="r", decided_by="m"))

    ids, authors = [ann.id, bob.id], [ann.author.id, bob_author.id]
    reports = store.reports_for(ids)
    assert [r.reason for r in reports[ann.id]] == [ReportReason.SPAM, ReportReason.ABUSIVE] and reports[bob.id] == []
    assert [d.id for d in store.decisions_for(ids)[bob.id]] == [decided.id] and store.decisions_for(ids)[ann.id] == []
    assert set(store.appeals_for(ids)) == {bob.id}
    sanctions = store.sanctions_for(authors)
    assert [s.kind for s in sanctions[bob_author.id]] == [SanctionKind.PREMODERATE] and sanctions[ann.author.id] == []
    histories = store.author_histories(authors)
    assert (histories[ann.author.id].comments, histories[ann.author.id].published) == (1, 1)
    assert (histories[bob_author.id].rejected, histories[bob_author.id].first_seen) == (1, bob.created_at)
    assert histories[bob_author.id] == store.author_history(bob_author.id)
    assert store.reports_for([]) == {} and store.author_histories([]) == {}
