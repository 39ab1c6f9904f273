from parley.domain import TOMBSTONE_HTML, Author, AuthorKind, Comment, CommentState, Notice


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
