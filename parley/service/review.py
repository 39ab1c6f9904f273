"""Where a comment stands for moderators: the open queue it waits in, its priority
there, and the automated decision (with its statement of reasons) when the models hid
or folded it. Posting, reports, appeals and decisions all place comments through here.

Priority, highest first, is a documented mix (``docs/moderators.md``):

    priority = 1000 × the strongest label's score          (0 to 1,000)
             + 250 × readers' reports, counting up to 8    (0 to 2,000)
             + 40 × log2(1 + the story's visible comments), at most 400 (the story's traffic)

so a comment the models are sure of outranks a doubtful one, every report lifts a
comment by a quarter of a sure verdict, and a busy story's comments come a little
earlier, since more readers see them while they wait.
"""

from __future__ import annotations

import math

from parley.domain import Comment, CommentState, Decision, DecisionKind, Queue, Story
from parley.domain.comments import MODERATION_NOTICE_KINDS
from parley.moderation.policy import Action

#: The label of automated decisions in the audit log.
MODELS = "system:moderation"
REPORTS_COUNTED = 8


def priority(comment: Comment, story: Story) -> int:
    _, score = comment.strongest
    traffic = min(400, round(40 * math.log2(1 + max(0, story.comment_count))))
    return round(1000 * score) + 250 * min(comment.report_count, REPORTS_COUNTED) + traffic


def open_queue(comment: Comment, *, appealed: bool = False, reported: bool = False) -> Queue | None:
    """The open queue that asks most urgently about this comment, or None."""
    if comment.state is CommentState.DELETED:
        return None
    if appealed:
        return Queue.APPEALS
    if reported and comment.state is not CommentState.REJECTED:
        return Queue.REPORTED  # reports can hide a comment too: it waits here, not in Held
    if comment.state is CommentState.PENDING:
        return Queue.HELD
    if comment.reviewed_at is not None:
        return None
    if comment.state is CommentState.FOLDED and any(n.kind in MODERATION_NOTICE_KINDS for n in comment.notices):
        return Queue.FOLDED
    if comment.resubmitted and comment.state.visible:
        return Queue.RESUBMITTED
    return None


def place(comment: Comment, story: Story, *, appealed: bool = False, reported: bool = False) -> None:
    """Put the comment in its open queue (or none) with its priority."""
    queue = open_queue(comment, appealed=appealed, reported=reported)
    comment.queue = queue.value if queue else None
    comment.priority = priority(comment, story) if queue else 0


def automated_decision(comment: Comment, story: Story, *, rule: str | None = None) -> Decision | None:
    """The models' decision on a new comment, as the audit log and its writer see it:
    None when they published it. ``rule`` names a rule that held it instead (an
    author's pre-moderation)."""
    verdict = comment.verdict
    if rule is not None:
        kind, reason, prompted = DecisionKind.HOLD, rule, "rule"
    elif verdict is None or verdict.action is Action.PUBLISH:
        return None
    else:
        kind = {Action.FOLD: DecisionKind.FOLD, Action.HOLD: DecisionKind.HOLD,
                Action.REJECT: DecisionKind.REJECT}[verdict.action]
        reason, prompted = "; ".join(verdict.reasons) or verdict.action.value, "verdict"
    return Decision(kind=kind, actor=MODELS, reason=reason, automated=True, comment_id=comment.id,
                    author_id=comment.author.id, prompted_by=prompted, text=comment.body_source,
                    context={"story_title": story.title}, verdict=verdict.to_dict() if verdict else None,
                    created_at=comment.created_at)
