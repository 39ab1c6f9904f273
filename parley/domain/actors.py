"""Who is acting: a guest, a commenter with an account, newsroom staff, a moderator, an
admin, an API token, or the system itself (the CLI, an importer).

Handlers turn a request into an ``Actor`` (``parley.web.auth``) and never decide what
it may do; every service call takes the actor and checks its permission with
``actor.require(...)``. A role's permissions are declared once, in ``ROLE_PERMISSIONS``.
"""

from __future__ import annotations

import dataclasses
import enum

from parley.errors import Forbidden


class Role(enum.StrEnum):
    GUEST = "guest"  # no account: known by a signed cookie of their own, if at all
    COMMENTER = "commenter"  # a reader with an account (password or the publisher's SSO)
    STAFF = "staff"  # the newsroom: writes as Staff, manages stories
    MODERATOR = "moderator"  # works the queues, decides, sanctions
    ADMIN = "admin"  # everything, including accounts and API tokens
    SYSTEM = "system"  # Parley itself: the CLI, importers, automated decisions

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.GUEST: 0, Role.COMMENTER: 1, Role.STAFF: 2, Role.MODERATOR: 3, Role.ADMIN: 4, Role.SYSTEM: 5}
#: The roles an account (or API token) may be given; guest and system are never stored.
ACCOUNT_ROLES = (Role.COMMENTER, Role.STAFF, Role.MODERATOR, Role.ADMIN)


class Permission(enum.StrEnum):
    POST = "post"  # write, edit and delete one's own comments
    REPORT = "report"  # report a comment
    APPEAL = "appeal"  # appeal a decision on one's own comment
    RECOMMEND = "recommend"  # recommend a comment (once each) and take it back
    POST_AS_STAFF = "post_as_staff"  # write with the Staff badge, unscored
    MANAGE_STORIES = "manage_stories"  # create, update, open and close stories
    SCORE = "score"  # ask the models directly (the Perspective-compatible API)
    FEATURE = "feature"  # feature a comment readers see (a staff pick), and unfeature it
    MODERATE = "moderate"  # read the queues and comment cards; approve, reject, fold
    SANCTION = "sanction"  # ban, suspend, pre-moderate or trust an author
    AUDIT = "audit"  # read and export the audit log, statements of reasons, decisions as data
    MANAGE_ACCOUNTS = "manage_accounts"  # create accounts, change roles, issue API tokens
    IMPORT = "import"  # bring in archives with their original times


_READER = frozenset({Permission.POST, Permission.REPORT, Permission.APPEAL, Permission.RECOMMEND})
_STAFF = _READER | {Permission.POST_AS_STAFF, Permission.MANAGE_STORIES, Permission.SCORE, Permission.FEATURE}
_MODERATOR = _STAFF | {Permission.MODERATE, Permission.SANCTION, Permission.AUDIT}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.GUEST: _READER,
    Role.COMMENTER: _READER,
    Role.STAFF: _STAFF,
    Role.MODERATOR: _MODERATOR,
    Role.ADMIN: frozenset(Permission),
    Role.SYSTEM: frozenset(Permission),
}


@dataclasses.dataclass(frozen=True)
class Actor:
    """The one who acts in a service call.

    ``account_id`` is set for accounts (and for a token, the account that made it);
    ``token_id`` for API tokens; ``guest_key`` is the writer key of a browser without
    an account (from its signed cookie, see ``parley.web.auth``), so that a guest sees
    their own held comments and reports. ``name`` is what the audit log shows."""

    role: Role
    name: str = ""
    account_id: int | None = None
    token_id: int | None = None
    guest_key: str | None = None
    client_addr: str = ""
    badges: tuple[str, ...] = ()
    # False for a guest key made for this very request (the browser sent no cookie): the
    # writer is new to us, and a retry of theirs may come without it.
    recognised: bool = True

    # --- who ------------------------------------------------------------------
    @classmethod
    def guest(cls, *, guest_key: str | None = None, client_addr: str = "", recognised: bool = True) -> Actor:
        return cls(Role.GUEST, name="guest", guest_key=guest_key, client_addr=client_addr,
                   recognised=recognised and guest_key is not None)

    @classmethod
    def system(cls, name: str = "parley") -> Actor:
        return cls(Role.SYSTEM, name=f"system:{name}")

    @property
    def is_account(self) -> bool:
        return self.account_id is not None and self.token_id is None

    @property
    def writer_key(self) -> str | None:
        """What a comment remembers of its writer, to show it to them alone: the account,
        or the guest's own cookie; None for a writer we cannot recognise again."""
        if self.is_account:
            return f"account:{self.account_id}"
        if self.guest_key:
            return f"guest:{self.guest_key}"
        return None

    @property
    def label(self) -> str:
        """Who acted, as the audit log records it."""
        if self.token_id is not None:
            return f"token:{self.name}"
        if self.account_id is not None:
            return f"account:{self.account_id}:{self.name}"
        return self.name or self.role.value

    # --- what they may do ------------------------------------------------------
    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission, what: str | None = None) -> None:
        """Raise ``Forbidden`` unless this actor holds ``permission``."""
        if not self.can(permission):
            task = what or permission.value.replace("_", " ")
            needed = min((r for r, ps in ROLE_PERMISSIONS.items() if permission in ps and r is not Role.SYSTEM),
                         key=lambda r: r.rank)
            raise Forbidden(f"{task} needs the {needed.value} role; you are acting as {self.role.value}",
                            field="authorization")
