"""Accounts, their sessions and the API tokens that act for the newsroom."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from parley.domain.actors import Actor, Role
from parley.domain.comments import utcnow


@dataclasses.dataclass
class Account:
    """A person with a login: a reader (commenter), staff, a moderator or an admin.

    ``sso_id`` is the publisher's own id for a reader who signs in through single
    sign-on (Coral's ``user.id`` claim); such accounts have no password here."""

    email: str
    display_name: str
    role: Role = Role.COMMENTER
    password_hash: str | None = None
    sso_id: str | None = None
    badges: tuple[str, ...] = ()
    disabled: bool = False
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)

    def actor(self, *, client_addr: str = "") -> Actor:
        return Actor(self.role, name=self.display_name, account_id=self.id, client_addr=client_addr,
                     badges=self.badges)


@dataclasses.dataclass
class Session:
    """A signed-in browser. Only a hash of its id is stored: a database leak opens no session."""

    id_hash: str
    account_id: int
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclasses.dataclass
class ApiToken:
    """A named, revocable bearer token with a role. Only a hash of the secret is stored."""

    name: str
    role: Role
    secret_hash: str
    created_by: int | None = None  # the account that made it; None when made from the CLI
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    def actor(self, *, client_addr: str = "") -> Actor:
        return Actor(self.role, name=self.name, account_id=self.created_by, token_id=self.id,
                     client_addr=client_addr)
