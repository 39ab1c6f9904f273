import pytest

from parley.domain import (
    MODERATION_NOTICE_KINDS,
    NOTICE_TEXTS,
    TOMBSTONE_HTML,
    Author,
    AuthorKind,
    Comment,
    CommentState,
    Notice,
    verdict_from_dict,
)
from parley.moderation import Action, Span, Verdict
from parley.moderation.policy import FOLD_NOTICES


def _comment(**kw):
    return Comment(story_id=1, author=Author("Ann"), body_source="hi", body_html="<p>hi</p>", **kw)


def test_only_published_and_folded_are_visible():
    assert {s for s in CommentState if s.visible} == {CommentState.PUBLISHED, CommentState.FOLDED}


def test_fold_adds_a_notice_once_and_folds():
    c = _comment()
    c.fold(Notice.of("spoiler"))
    c.fold(Notice.of("spoiler"))
    assert c.state is CommentState.FOLDED
    assert c.notices == (Notice("spoiler", "This comment contains spoilers. Click here if you want to read."),)


def test_folding_a_held_comment_keeps_it_held():
    c = _comment(state=CommentState.PENDING)
    c.fold(Notice.of("offensive"))
    assert c.state is CommentState.PENDING and c.notices


def test_delete_leaves_a_tombstone_without_the_words():
    c = _comment(notices=(Notice.of("spoiler"),), state=CommentState.FOLDED)
    c.delete()
    assert (c.state, c.body_source, c.body_html, c.notices) == (CommentState.DELETED, "", TOMBSTONE_HTML, ())


def test_attach_to_places_a_reply_in_its_thread():
    root = _comment(id=1)
    reply = _comment(id=2)
    reply.attach_to(root)
    deeper = _comment(id=3)
    deeper.attach_to(reply)
    assert (reply.parent_id, reply.root_id, reply.depth) == (1, 1, 1)
    assert (deeper.parent_id, deeper.root_id, deeper.depth) == (2, 1, 2)


def test_guests_are_one_author_per_name_and_email():
    assert Author("Bob", email="B@x.test").identity_key == Author("Bob", email="b@x.test").identity_key
    assert Author("Bob").identity_key != Author("bob").identity_key
    assert Author("Bob").identity_key != Author("Bob", email="b@x.test").identity_key
    assert Author("Bob", kind=AuthorKind.STAFF).badge == "Staff"
    assert Author("Bob").badge == "Guest"


# --- moderation's verdict --------------------------------------------------------
def _verdict(action: Action, notice: str | None = None) -> Verdict:
    return Verdict({"spam": 0.7, "toxicity": 0.1}, [Span(0, 2, "spam")], action, ["looks like spam"], "test-1", notice)


def test_a_verdict_sets_state_and_notice():
    assert _moderated(Action.PUBLISH).state is CommentState.PUBLISHED
    folded = _moderated(Action.FOLD, "spam")
    assert folded.state is CommentState.FOLDED and folded.notices == (Notice("spam", FOLD_NOTICES["spam"]),)
    assert _moderated(Action.FOLD, None).notices == (Notice.of("offensive"),)
    assert _moderated(Action.HOLD).state is CommentState.PENDING
    assert _moderated(Action.REJECT).state is CommentState.REJECTED
    assert _moderated(Action.HOLD).verdict.action is Action.HOLD


def _moderated(action: Action, notice: str | None = None) -> Comment:
    c = _comment()
    c.moderate(_verdict(action, notice))
    return c


def test_a_new_verdict_replaces_the_last_ones_notice_and_keeps_the_writers_own():
    c = _comment()
    c.fold(Notice.of("spoiler"))
    c.moderate(_verdict(Action.FOLD, "off_topic"))
    assert [n.kind for n in c.notices] == ["spoiler", "off_topic"]
    c.moderate(_verdict(Action.PUBLISH))
    assert [n.kind for n in c.notices] == ["spoiler"] and c.state is CommentState.FOLDED
    c.moderate(_verdict(Action.HOLD))
    assert c.state is CommentState.PENDING
    plain = _comment()
    plain.moderate(_verdict(Action.FOLD, "spam"))
    plain.moderate(_verdict(Action.PUBLISH))
    assert (plain.state, plain.notices) == (CommentState.PUBLISHED, ())


def test_a_verdict_to_rephrase_is_never_kept():
    with pytest.raises(ValueError):
        _comment().moderate(_verdict(Action.REPHRASE))


def test_an_edits_verdict_never_changes_who_may_read():
    c = _comment()
    c.fold(Notice.of("spoiler"))
    c.moderate_edit(_verdict(Action.FOLD, "spam"))
    assert c.state is CommentState.FOLDED and [n.kind for n in c.notices] == ["spoiler", "spam"]
    c.moderate_edit(None)  # not scored: no verdict, and moderation's notice was for the old text
    assert (c.verdict, [n.kind for n in c.notices], c.state) == (None, ["spoiler"], CommentState.FOLDED)
    for action in (Action.REPHRASE, Action.HOLD, Action.REJECT):
        with pytest.raises(ValueError):
            c.moderate_edit(_verdict(action))
    held = _moderated(Action.HOLD)
    held.moderate_edit(_verdict(Action.FOLD, "spam"))
    assert (held.state, held.notices, held.verdict.action) == (CommentState.PENDING, (), Action.FOLD)
    held.moderate_edit(None)
    assert (held.state, held.verdict) == (CommentState.PENDING, None)


def test_a_moderator_approves_and_rejects():
    c = _moderated(Action.HOLD)
    c.fold(Notice.of("spoiler"))
    c.approve()
    assert c.state is CommentState.FOLDED and c.verdict.action is Action.HOLD
    folded = _moderated(Action.FOLD, "spam")
    folded.approve()
    assert (folded.state, folded.notices) == (CommentState.PUBLISHED, ())
    folded.reject()
    assert folded.state is CommentState.REJECTED
    folded.approve()
    assert folded.state is CommentState.PUBLISHED
    gone = _comment()
    gone.delete()
    for change in (gone.approve, gone.reject):
        with pytest.raises(ValueError):
            change()
    assert gone.state is CommentState.DELETED


def test_moderation_notices_are_the_fold_notices():
    assert sorted(MODERATION_NOTICE_KINDS) == ["off_topic", "offensive", "spam"]
    for kind in MODERATION_NOTICE_KINDS:
        assert Notice.of(kind) == Notice(kind, NOTICE_TEXTS[kind])


def test_a_verdict_survives_its_dict():
    v = _verdict(Action.FOLD, "spam")
    again = verdict_from_dict(v.to_dict())
    assert again.to_dict() == v.to_dict() and again.spans == [Span(0, 2, "spam")] and again.action is Action.FOLD


# --- who is acting ------------------------------------------------------------------
def test_an_accounts_author_is_one_author_whatever_its_name():
    desk = Author("Editor", kind=AuthorKind.STAFF, account_id=1)
    assert desk.identity_key == Author("Chief Editor", kind=AuthorKind.STAFF, account_id=1).identity_key
    assert desk.identity_key != Author("Editor", kind=AuthorKind.STAFF, account_id=2).identity_key
    assert desk.identity_key != Author("Editor", kind=AuthorKind.STAFF).identity_key != Author("Editor").identity_key


def test_an_actors_writer_key_and_label():
    from parley.domain import Actor, Role

    assert Actor.guest().writer_key is None and Actor.guest().label == "guest"
    assert Actor.guest(guest_key="abc", client_addr="10.0.0.1").writer_key == "guest:abc"
    account = Actor(Role.STAFF, name="Editor", account_id=7)
    assert (account.is_account, account.writer_key, account.label) == (True, "account:7", "account:7:Editor")
    token = Actor(Role.STAFF, name="cms", account_id=7, token_id=3)  # a token acts for, but is not, its maker
    assert (token.is_account, token.writer_key, token.label) == (False, None, "token:cms")
    system = Actor.system("import")
    assert (system.role, system.writer_key, system.label) == (Role.SYSTEM, None, "system:import")


def test_require_refuses_naming_the_least_role_that_may():
    from parley.domain import ROLE_PERMISSIONS, Actor, Permission, Role
    from parley.errors import Forbidden

    for role in Role:
        actor = Actor(role, name="x")
        for permission in Permission:
            assert actor.can(permission) == (permission in ROLE_PERMISSIONS[role])
            if actor.can(permission):
                actor.require(permission)
            else:
                with pytest.raises(Forbidden) as err:
                    actor.require(permission, "doing it")
                assert err.value.field == "authorization" and err.value.message.startswith("doing it needs the ")
                assert f"you are acting as {role.value}" in err.value.message
    with pytest.raises(Forbidden) as err:
        Actor.guest().require(Permission.MODERATE)
    assert "needs the moderator role" in err.value.message
    assert ROLE_PERMISSIONS[Role.ADMIN] == ROLE_PERMISSIONS[Role.SYSTEM] == frozenset(Permission)
    # Each role may do all its juniors may.
    ranked = sorted(Role, key=lambda r: r.rank)
    assert all(ROLE_PERMISSIONS[a] <= ROLE_PERMISSIONS[b] for a, b in zip(ranked, ranked[1:], strict=False))


def test_open_queues_are_the_ones_a_comment_waits_in():
    from parley.domain import OPEN_QUEUES, Queue

    assert [q.value for q in OPEN_QUEUES] == ["held", "reported", "folded", "resubmitted", "appeals"]
    assert not Queue.APPROVED.open and not Queue.REJECTED.open
