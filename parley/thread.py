"""Putting a page of comments in reading order, and in the shape a reader sees.

``arrange`` gives the flat order the API returns (each parent before its children);
``nest`` gives the page's tree: three levels, deeper replies flattened under the third.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from parley.domain import Comment, CommentState

MAX_NESTING = 3


def arrange(roots: list[Comment], replies: list[Comment]) -> list[Comment]:
    """Roots in the order given, each followed depth-first by its replies (oldest
    first). Comments readers cannot see are left out; so are tombstones with no
    visible reply below them, since nothing would hang under them.

    Iterative, not recursive: reply chains can be as deep as writers make them."""
    children: dict[int, list[Comment]] = defaultdict(list)
    for reply in replies:  # already oldest first
        children[reply.parent_id].append(reply)

    def listable(c: Comment) -> bool:
        return c.state.visible or c.state is CommentState.DELETED

    # Whether anything in a comment's subtree shows: children before parents.
    shows: dict[int, bool] = {}
    for root in roots:
        order, stack = [], [root]
        while stack:
            c = stack.pop()
            if listable(c):
                order.append(c)
                stack.extend(children.get(c.id, ()))
        for c in reversed(order):
            shows[c.id] = c.state.visible or any(shows.get(k.id, False) for k in children.get(c.id, ()))

    out: list[Comment] = []
    stack = list(reversed(roots))
    while stack:
        c = stack.pop()
        if shows.get(c.id):
            out.append(c)
            stack.extend(reversed(children.get(c.id, ())))
    return out


@dataclasses.dataclass
class Node:
    comment: Comment
    replies: list[Node]
    # For a reply flattened below the third level: whom it answers.
    replying_to: str | None = None


def nest(comments: list[Comment]) -> list[Node]:
    """The reader page's tree, from ``arrange``'s flat list."""
    by_id: dict[int, Node] = {}
    anchors: dict[int, Node] = {}
    top: list[Node] = []
    for comment in comments:
        node = Node(comment, [])
        by_id[comment.id] = node
        if comment.parent_id is None:
            top.append(node)
            continue
        parent = by_id[comment.parent_id]
        if comment.depth < MAX_NESTING:
            parent.replies.append(node)
            continue
        # Deeper replies hang under their parent's anchor, the ancestor on the third level.
        anchor = anchors.get(parent.comment.id, parent)
        anchors[comment.id] = anchor
        if anchor is not parent:
            node.replying_to = parent.comment.author.display_name
        anchor.replies.append(node)
    for node in by_id.values():
        if node.comment.depth == MAX_NESTING - 1:
            node.replies.sort(key=lambda n: (n.comment.created_at, n.comment.id))
    return top
