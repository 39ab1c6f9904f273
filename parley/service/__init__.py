"""The rules, one service per seam, all behind one ``Services`` bundle:

- ``stories``: creating, changing and reading stories;
- ``posting``: writing, editing and deleting comments, and reading threads;
- ``decisions``: the moderators' queues, decisions, sanctions, undo and the audit log;
- ``reports``: readers' reports of comments;
- ``appeals``: writers' appeals, and the statements of reasons they are told;
- ``accounts``: accounts, sessions, single sign-on and API tokens;
- ``scoring``: the models, asked directly (the Perspective-compatible API).

Every call that acts takes an ``Actor`` (``parley.domain.actors``) and checks its
permission itself; handlers never decide what a caller may do. Events go out on
``deps.events`` after each transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from parley.config import Config
from parley.domain import utcnow
from parley.events import EventBus
from parley.service.base import Deps
from parley.service.decisions import DecisionService, QueueQuery
from parley.service.posting import NewComment, Posted, PostingService, ThreadPage
from parley.service.scoring import ScoringService
from parley.service.stories import StoryService
from parley.store import Store

if TYPE_CHECKING:
    from parley.moderation.moderator import Moderator

__all__ = ["Deps", "NewComment", "Posted", "QueueQuery", "Services", "ThreadPage"]


class Services:
    def __init__(self, store: Store, config: Config, *, secret: bytes | None = None,
                 clock: Callable[[], datetime] = utcnow, moderator: Moderator | None = None,
                 events: EventBus | None = None) -> None:
        if secret is None:
            from parley.keys import server_key

            secret = server_key(config)
        self.deps = Deps(store, config, secret, clock=clock, events=events or EventBus(), moderator=moderator)
        self.store = store
        self.config = config
        self.events = self.deps.events
        self.stories = StoryService(self.deps)
        self.posting = PostingService(self.deps, self.stories)
        self.decisions = DecisionService(self.deps, self.stories)
        self.scoring = ScoringService(self.deps)
        self._optional()

    def _optional(self) -> None:
        """The services other modules add (reports, appeals, accounts), when present."""
        from importlib import import_module

        for name, module, cls in (("reports", "parley.service.reports", "ReportService"),
                                  ("appeals", "parley.service.appeals", "AppealService"),
                                  ("accounts", "parley.service.accounts", "AccountService")):
            try:
                found = getattr(import_module(module), cls)
            except (ImportError, AttributeError):
                continue
            setattr(self, name, found(self.deps) if name == "accounts" else found(self.deps, self))
