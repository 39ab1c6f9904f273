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
    visible reply below them, since nothing would hang under them."""
    children: dict[int, list[Comment]] = defaultdict(list)
    for reply in replies:  # already oldest first
        children[reply.parent_id].append(reply)

    out: list[Comment] = []

    def walk(comment: Comment) -> bool:
        """Append ``comment``'s subtree; False (and nothing appended) when none of it shows."""
        if not (comment.state.visible or comment.state is CommentState.DELETED):
            return False
        at = len(out)
        out.append(comment)
        shown_below = False
        for child in children.get(comment.id, ()):
            shown_below |= walk(child)
        if comment.state is CommentState.DELETED and not shown_below:
            del out[at:]
            return False
        return True

    for root in roots:
        walk(root)
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
        anchor = parent
        while anchor.comment.depth >= MAX_NESTING:
            anchor = by_id[anchor.comment.parent_id]
        if anchor is not parent:
            node.replying_to = parent.comment.author.display_name
        anchor.replies.append(node)
    for node in by_id.values():
        if node.comment.depth == MAX_NESTING - 1:
            node.replies.sort(key=lambda n: (n.comment.created_at, n.comment.id))
    return top
