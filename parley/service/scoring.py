"""Scoring on request: the models answer a caller directly (the Perspective-compatible
API), for those allowed to ask."""

from __future__ import annotations

from parley.domain import Actor, Permission
from parley.service.base import Deps


class ScoringService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def moderator_for(self, actor: Actor):
        """The shipped models, for an actor who may score text (staff and up, or a token
        with such a role). Loaded once per process."""
        actor.require(Permission.SCORE, "comments:analyze")
        if self.deps.moderator is not None:
            return self.deps.moderator
        from parley.moderation.moderator import shipped

        return shipped()
