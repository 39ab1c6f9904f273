"""What every service shares: the store, the settings, the clock, the event bus, the
server's key, and moderation. One ``Deps`` is made per app (or CLI run) and handed to
each service, so that they all see the same clock and publish on the same bus."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from parley.config import Config
from parley.domain import utcnow
from parley.events import EventBus
from parley.moderation.policy import Policy
from parley.ratelimit import RateLimiter, rate_limiter_for
from parley.store import Store

if TYPE_CHECKING:
    from parley.moderation.moderator import Moderator


@dataclasses.dataclass
class Deps:
    store: Store
    config: Config
    secret: bytes  # the server's key (``parley.keys``): edit tokens, cookies, hashes
    clock: Callable[[], datetime] = utcnow
    events: EventBus = dataclasses.field(default_factory=EventBus)
    moderator: Moderator | None = None
    rate_limiter: RateLimiter | None = None
    policy: Policy | None = None

    def __post_init__(self) -> None:
        if self.rate_limiter is None:
            self.rate_limiter = rate_limiter_for(self.config)
        if self.policy is None:
            self.policy = self.config.site_policy()

    def sign(self, purpose: str, value: str, length: int = 40) -> str:
        """A keyed hash of ``value`` for one ``purpose``: tokens derived, not stored."""
        return hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:length]

    def digest(self, secret: str) -> str:
        """What is stored of a secret handed out (a session id, an API token): its keyed
        hash, so that a database leak opens nothing."""
        return hmac.new(self.secret, secret.encode(), hashlib.sha256).hexdigest()
