"""Moderation that runs on the publisher's machine: scorers turn a comment and its
context into scores; a policy turns scores into an action. Nothing here knows about
HTTP or storage."""

from parley.moderation.base import LABELS, Context, Scorer, Scores, Span, check_scorer
from parley.moderation.policy import Action, Policy, PolicyError, Verdict

__all__ = ["LABELS", "Action", "Context", "Policy", "PolicyError", "Scorer", "Scores", "Span", "Verdict",
           "check_scorer"]
