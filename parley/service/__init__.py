"""The rules, one service per seam, all behind one ``Services`` bundle:

- ``stories``: creating, changing and reading stories;
- ``posting``: writing, editing and deleting comments, and reading threads;
- ``decisions``: the moderators' queues, decisions, sanctions, undo and the audit log;
- ``reports``: readers' reports of comments;
- ``reactions``: readers' recommendations and staff's featured picks;
- ``appeals``: writers' appeals, the statements of reasons they are told, and their DSA export;
- ``training``: moderators' decisions as labelled examples for the next model;
- ``accounts``: accounts, sessions, single sign-on and API tokens;
- ``scoring``: the models, asked directly (the Perspective-compatible API);
- ``live``: what readers' live streams may be told of changes since a revision.

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
from parley.service.accounts import AccountService
from parley.service.appeals import AppealService
from parley.service.base import Deps
from parley.service.decisions import DecisionService, QueueQuery
from parley.service.live import LiveService
from parley.service.posting import NewComment, Posted, PostingService, ThreadPage
from parley.service.reactions import ReactionService
from parley.service.reports import ReportService
from parley.service.scoring import ScoringService
from parley.service.stories import StoryService
from parley.service.training import TrainingService
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
        self.reports = ReportService(self.deps, self)
        self.reactions = ReactionService(self.deps, self)
        self.appeals = AppealService(self.deps, self)
        self.accounts = AccountService(self.deps)
        self.training = TrainingService(self.deps, self)
        self.live = LiveService(self.deps)
