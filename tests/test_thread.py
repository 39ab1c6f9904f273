from datetime import timedelta

from parley.domain import Author, Comment, CommentState, utcnow
from parley.thread import arrange, nest

T0 = utcnow()


_BY_ID: dict[int, Comment] = {}


def _c(cid, parent=None, state=CommentState.PUBLISHED, name="A", minutes=0):
    c = Comment(story_id=1, author=Author(name), body_source="x", body_html="<p>x</p>", id=cid, state=state,
                created_at=T0 + timedelta(minutes=minutes or cid))
    if parent is not None:
        c.attach_to(_BY_ID[parent])
    _BY_ID[cid] = c
    return c


def test_arrange_puts_parents_before_children_depth_first():
    roots = [_c(1), _c(2)]
    replies = [_c(3, 1), _c(4, 2), _c(5, 3), _c(6, 1)]
    assert [c.id for c in arrange(roots, replies)] == [1, 3, 5, 6, 2, 4]


def test_arrange_drops_hidden_and_empty_tombstones_keeps_useful_ones():
    roots = [_c(10, state=CommentState.DELETED), _c(11, state=CommentState.DELETED), _c(12, state=CommentState.PENDING)]
    replies = [_c(13, 10), _c(14, 11, state=CommentState.DELETED), _c(15, 14, state=CommentState.REJECTED)]
    assert [c.id for c in arrange(roots, replies)] == [10, 13]


def test_nest_shows_three_levels_and_flattens_deeper_replies_under_the_third():
    chain = [_c(20), _c(21, 20, name="B"), _c(22, 21, name="C"), _c(23, 22, name="D"), _c(24, 23, name="E"),
             _c(25, 22, name="F", minutes=60)]
    (top,) = nest(arrange(chain[:1], chain[1:]))
    third = top.replies[0].replies[0]
    assert third.comment.id == 22
    assert [(n.comment.id, n.replying_to) for n in third.replies] == [(23, None), (24, "D"), (25, None)]
    assert all(not n.replies for n in third.replies)


def test_a_very_deep_chain_is_arranged_and_nested_without_recursion():
    chain = [_c(1000)] + [_c(1000 + i, 1000 + i - 1) for i in range(1, 3000)]
    flat = arrange(chain[:1], chain[1:])
    assert [c.id for c in flat] == [c.id for c in chain]
    (top,) = nest(flat)
    third = top.replies[0].replies[0]
    assert len(third.replies) == 2997 and third.replies[-1].replying_to == "A"
