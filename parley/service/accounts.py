"""Accounts and who a request acts as: passwords, sessions, password resets, single
sign-on and API tokens. Every way in (the sign-in page, the JSON API, the CLI) goes
through ``AccountService``; permissions are checked here, never in handlers.

What is kept of each secret handed out (a session id, an API token, a reset token) is
its keyed hash (``Deps.digest``), so a copy of the database opens nothing. Passwords
are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile).

Sign-in and reset attempts are throttled in the database, so every app instance counts
the same failures: ``FAILURES_PER_EMAIL`` per email and ``FAILURES_PER_ADDRESS`` per
client address in ``THROTTLE_WINDOW``. An unknown email and a wrong password get the
same answer, after the same work.
"""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from parley.domain import ACCOUNT_ROLES, Account, Actor, ApiToken, Permission, Role, Session
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated
from parley.service.base import Deps
from parley.service.cleaning import clean_email, clean_name
from parley.service.session_cache import SessionCache

PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024  # argon2 takes any length; this bounds the work one request asks for
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURES_PER_EMAIL = 5
FAILURES_PER_ADDRESS = 20
RESET_FAILURES_PER_ADDRESS = 10
RESET_LIFETIME = timedelta(hours=1)
#: A session's or token's last use is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
#: How far the publisher's clock may be from ours when it stamps iat and exp.
SSO_LEEWAY = timedelta(seconds=60)
TOKEN_PREFIX = "pk_"
MAX_SECRET_CHARS = 200  # longer than any session id, token or reset token Parley hands out
MAX_JWT_CHARS = 8192
MAX_BADGES, MAX_BADGE_CHARS = 20, 100
LOGIN_REFUSED = "that email and password do not match an account here"
_TOKEN_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
# Long enough and still among the first guesses of every password list.
_COMMON_PASSWORDS = frozenset({
    "1234567890", "12345678910", "123456789a", "0123456789", "0987654321", "qwertyuiop", "1q2w3e4r5t",
    "password12", "password123", "password1234", "iloveyou12", "abcdefghij", "qwerty1234", "1qaz2wsx3edc",
    "passw0rd12", "letmein123", "welcome123", "changeme123", "administrator", "qwertyuiop123",
})
# Coral's user.role values, as its SSO documentation names them.
_SSO_ROLES = {"COMMENTER": Role.COMMENTER, "STAFF": Role.STAFF, "MODERATOR": Role.MODERATOR, "ADMIN": Role.ADMIN}


class AccountService:
    """Accounts, sign-in and API tokens over one ``Deps``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.store = deps.store
        self.config = deps.config
        self._hasher = PasswordHasher()
        self.sessions = SessionCache()  # see parley.service.session_cache: what a change must forget

    @functools.cached_property
    def _decoy_hash(self) -> str:
        """Verified against when the email is unknown, so that answer takes as long as a wrong password."""
        return self._hasher.hash(secrets.token_urlsafe(16))

    # --- accounts --------------------------------------------------------------
    def create_account(self, actor: Actor, *, email, password, role, display_name) -> Account:
        """A new account that signs in with email and password. Admins (and the CLI) only."""
        actor.require(Permission.MANAGE_ACCOUNTS, "creating accounts")
        email = clean_account_email(email)
        account = Account(email=email, display_name=clean_display_name(display_name), role=clean_role(role),
                          password_hash=self._hasher.hash(check_password(password, email=email)),
                          created_at=self.deps.clock())
        return self.store.add_account(account)

    def list_accounts(self, actor: Actor, *, limit: int = 100) -> list[Account]:
        actor.require(Permission.MANAGE_ACCOUNTS, "listing accounts")
        return self.store.list_accounts(limit)

    def account_by_email(self, actor: Actor, email) -> Account:
        actor.require(Permission.MANAGE_ACCOUNTS, "looking up accounts")
        account = self.store.find_account(email=clean_account_email(email))
        if account is None:
            raise NotFound("no account has this email", field="email")
        return account

    def change_account(self, actor: Actor, account_id: int, *, role=None, disabled=None) -> Account:
        """Change an account's role or disable (enable) it; disabling ends its sessions.
        An admin cannot demote or disable their own account (another admin can)."""
        actor.require(Permission.MANAGE_ACCOUNTS, "changing accounts")
        account = self.store.get_account(account_id)
        if account is None:
            raise NotFound("no such account", field="account")
        if role is not None:
            account.role = clean_role(role)
        if disabled is not None:
            if not isinstance(disabled, bool):
                raise InvalidInput("disabled must be true or false", field="disabled")
            account.disabled = disabled
        if actor.is_account and actor.account_id == account.id and (account.disabled or account.role is not Role.ADMIN):
            raise Forbidden("you cannot demote or disable your own account; another admin can", field="account")
        self.store.update_account(account)
        if account.disabled:
            self.store.revoke_sessions_of(account.id, self.deps.clock())
        self.sessions.forget_account(account.id)
        return account

    # --- signing in with a password ----------------------------------------------
    def login(self, *, email, password, client_addr: str, replacing: str | None = None,
              session_id: str | None = None) -> tuple[Account, str]:
        """Check email and password; the account and a new session id (for the cookie).
        ``session_id`` opens the session under an id the caller made (the embed's widget
        derives one it never hands out); by default a random one.

        ``replacing`` is the browser's previous session id, if any: it is revoked, so a
        session id never survives a sign-in (no session fixation). Raises
        ``Unauthenticated`` with one message for an unknown email and a wrong password,
        and ``RateLimited`` past the failures allowed per email and per address."""
        if not isinstance(email, str) or not email.strip():
            raise InvalidInput("an email address is required", field="email")
        if not isinstance(password, str) or not password:
            raise InvalidInput("a password is required", field="password")
        now = self.deps.clock()
        keys = (f"login:email:{email.strip().casefold()}"[:400], f"login:addr:{client_addr}")
        self._throttle(now, (keys[0], FAILURES_PER_EMAIL), (keys[1], FAILURES_PER_ADDRESS))
        account = self.store.find_account(email=email.strip()) if len(email) <= 320 else None
        if not self._verify(account, password):
            for key in keys:
                self.store.add_attempt(key, now)
            raise Unauthenticated(LOGIN_REFUSED, field="password")
        if account.disabled:
            raise Forbidden("this account is disabled; the newsroom's admins can enable it", field="email")
        if self._hasher.check_needs_rehash(account.password_hash):
            # Hashed with older parameters: rehash now that the password is at hand.
            account.password_hash = self._hasher.hash(password)
            self.store.update_account(account)
        return account, self._open_session(account, now, replacing, session_id)

    def _verify(self, account: Account | None, password: str) -> bool:
        if len(password) > PASSWORD_MAX_CHARS:
            return False
        stored = account.password_hash if account is not None else None
        try:
            return self._hasher.verify(stored or self._decoy_hash, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def _throttle(self, now: datetime, *limits: tuple[str, int]) -> None:
        since = now - THROTTLE_WINDOW
        for key, limit in limits:
            if self.store.count_attempts(key, since) >= limit:
                minutes = int(THROTTLE_WINDOW.total_seconds()) // 60
                raise RateLimited(f"too many failed attempts; try again in {minutes} minutes",
                                  retry_after=int(THROTTLE_WINDOW.total_seconds()))

    # --- sessions ------------------------------------------------------------------
    def _open_session(self, account: Account, now: datetime, replacing: str | None,
                      session_id: str | None = None) -> str:
        if replacing:
            self.logout(replacing)
        session_id = session_id or secrets.token_urlsafe(32)
        self.store.add_session(Session(id_hash=self.deps.digest(session_id), account_id=account.id,
                                       created_at=now, expires_at=now + timedelta(days=self.config.session_days),
                                       last_seen_at=now))
        return session_id

    def logout(self, session_id: str | None) -> None:
        """End this session (nothing happens for an unknown or ended one)."""
        if isinstance(session_id, str) and 0 < len(session_id) <= MAX_SECRET_CHARS:
            id_hash = self.deps.digest(session_id)
            self.store.revoke_session(id_hash, self.deps.clock())
            self.sessions.forget(id_hash)

    def actor_for_session(self, session_id: str | None, client_addr: str = "") -> Actor | None:
        """The account acting through this session id; None when it is unknown, expired,
        revoked, or its account is disabled.

        What was read is kept for a few seconds (``self.sessions``): a change made
        through this service takes effect at once, one made by another instance within
        ``SESSION_CACHE_SECONDS``."""
        if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SECRET_CHARS:
            return None
        id_hash = self.deps.digest(session_id)
        now = self.deps.clock()
        account = self.sessions.get(id_hash, now)
        if account is not None:
            return account.actor(client_addr=client_addr)
        generation = self.sessions.generation
        session = self.store.get_session(id_hash)
        if session is None or not session.live(now):
            return None
        account = self.store.get_account(session.account_id)
        if account is None or account.disabled:
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            self.store.touch_session(id_hash, now)
        # Kept no longer than the next touch is due, so that last_seen stays within a minute.
        self.sessions.put(id_hash, account, now, min(session.expires_at, now + TOUCH_EVERY), generation)
        return account.actor(client_addr=client_addr)

    # --- password resets -----------------------------------------------------------
    def issue_reset(self, actor: Actor, email) -> str:
        """A reset token for the account with this email, good once within an hour; the
        link is ``/reset/<token>``. Admins and the CLI only: Parley sends no mail, so the
        admin hands the link over."""
        actor.require(Permission.MANAGE_ACCOUNTS, "issuing password reset links")
        account = self.account_by_email(actor, email)
        if account.password_hash is None:
            raise InvalidInput("this account signs in through the publisher's single sign-on and has no "
                               "password here", field="email")
        token = secrets.token_urlsafe(32)
        now = self.deps.clock()
        self.store.add_password_reset(self.deps.digest(token), account.id, now, now + RESET_LIFETIME)
        return token

    def reset_password(self, *, token, password, client_addr: str) -> Account:
        """Spend a reset token on a new password; every session of the account ends."""
        now = self.deps.clock()
        key = f"reset:addr:{client_addr}"
        self._throttle(now, (key, RESET_FAILURES_PER_ADDRESS))
        password = check_password(password)  # before the token is spent: a weak password keeps the link
        # One transaction: a password refused for the account's own email rolls the link back too.
        with self.store.atomic():
            account_id = None
            if isinstance(token, str) and 0 < len(token) <= MAX_SECRET_CHARS:
                account_id = self.store.use_password_reset(self.deps.digest(token), now)
            account = self.store.get_account(account_id) if account_id is not None else None
            if account is not None:
                account.password_hash = self._hasher.hash(check_password(password, email=account.email))
                self.store.update_account(account)
                self.store.revoke_sessions_of(account.id, now)
        if account is not None:
            self.sessions.forget_account(account.id)
        if account is None:
            self.store.add_attempt(key, now)
            raise InvalidInput("this reset link is not valid: it was used already, it expired (links last an "
                               "hour), or it was never issued; ask an admin for a new one", field="token")
        return account

    # --- single sign-on ------------------------------------------------------------
    def sso_login(self, *, token, client_addr: str, replacing: str | None = None) -> tuple[Account, str]:
        """Sign a reader in with the publisher's JWT (HS256, PARLEY_SSO_SECRET) carrying
        Coral's claims: ``user.id``, ``user.email``, ``user.username``, optional
        ``user.badges`` and ``user.role``, and ``iat``, ``exp``, ``jti``.

        The account is found by ``user.id`` (created on first sign-in) and takes the
        token's email, username and badges. ``user.role`` counts only up to
        PARLEY_SSO_MAX_ROLE; a claim above it is ignored. Each ``jti`` signs in once.
        Every refusal names the field ``token``."""
        secret = self.config.sso_secret
        if not secret:
            # Not a refusal of who is asking: the feature is not there.
            raise NotFound("single sign-on is off here (PARLEY_SSO_SECRET is not set)", field="token")
        claims = self._verified_claims(token, secret)
        user = claims["user"]
        now = self.deps.clock()
        # Remembered for as long as the token is accepted, leeway included: a jti forgotten at
        # ``exp`` could be replayed in the leeway after it.
        if not self.store.use_jti(claims["jti"], _moment(claims["exp"]) + SSO_LEEWAY, now):
            raise InvalidInput("this token was used already (its jti was seen before): make a new token, "
                               "with a new jti, for every sign-in", field="token")
        account = self.store.find_account(sso_id=user["id"])
        if account is None:
            account = self._add_sso_account(user, now)
        else:
            if account.disabled:
                raise Forbidden("this account is disabled; the newsroom's admins can enable it", field="token")
            account.email, account.display_name = user["email"], user["username"]
            if user["badges"] is not None:
                account.badges = user["badges"]
            if user["role"] is not None:
                account.role = user["role"]
            try:
                self.store.update_account(account)
            except Conflict:
                raise _email_taken() from None
            self.sessions.forget_account(account.id)  # its role or name may have changed
        return account, self._open_session(account, now, replacing)

    def _add_sso_account(self, user: dict, now: datetime) -> Account:
        account = Account(email=user["email"], display_name=user["username"], role=user["role"] or Role.COMMENTER,
                          sso_id=user["id"], badges=user["badges"] or (), created_at=now)
        try:
            return self.store.add_account(account)
        except Conflict as exc:
            if exc.field == "sso_id":  # the same reader signing in twice at once
                return self.store.find_account(sso_id=user["id"])
            raise _email_taken() from None

    def _verified_claims(self, token, secret: str) -> dict:
        """The token's claims once its signature, times and Coral's claims check out;
        ``user`` cleaned (``badges`` and ``role`` None when absent or not granted)."""
        if not isinstance(token, str) or not token.strip():
            raise InvalidInput("a token is required: the JWT the publisher's site signed", field="token")
        if len(token) > MAX_JWT_CHARS:
            raise InvalidInput(f"the token is longer than {MAX_JWT_CHARS} characters", field="token")
        try:
            # Times are checked below against the service's clock, as sessions are.
            claims = jwt.decode(token.strip(), secret, algorithms=["HS256"],
                                options={"require": ["exp", "iat", "jti"], "verify_exp": False,
                                         "verify_iat": False, "verify_nbf": False, "verify_aud": False,
                                         "verify_iss": False})
        except jwt.InvalidAlgorithmError:
            raise InvalidInput("the token must be signed with HS256 (alg none and every other algorithm "
                               "are refused)", field="token") from None
        except jwt.InvalidSignatureError:
            raise Forbidden("the token's signature does not verify with this site's PARLEY_SSO_SECRET",
                            field="token") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidInput(f"the token lacks the {exc.claim} claim", field="token") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidInput(f"the token is not a valid JWT: {exc}", field="token") from None
        now = self.deps.clock()
        for name in ("exp", "iat", "nbf"):
            if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], int | float)
                                   or not 0 <= claims[name] < 2**40):
                raise InvalidInput(f"the token's {name} claim must be a Unix time in seconds", field="token")
        if _moment(claims["exp"]) + SSO_LEEWAY <= now:
            raise InvalidInput("the token has expired (its exp is past): make a new one", field="token")
        if _moment(claims["iat"]) - SSO_LEEWAY > now:
            raise InvalidInput("the token's iat is in the future: check the clock of the server that signs it",
                               field="token")
        if "nbf" in claims and _moment(claims["nbf"]) - SSO_LEEWAY > now:
            raise InvalidInput("the token is not valid yet (its nbf is in the future)", field="token")
        jti = claims["jti"]
        if not isinstance(jti, str) or not 0 < len(jti) <= 255:
            raise InvalidInput("the token's jti claim must be a string of 1-255 characters (a UUID)", field="token")
        claims["user"] = self._sso_user(claims.get("user"))
        return claims

    def _sso_user(self, user) -> dict:
        if not isinstance(user, dict):
            raise InvalidInput("the token lacks the user claim (an object with id, email and username)",
                               field="token")
        for name in ("id", "email", "username"):
            if user.get(name) in (None, ""):
                raise InvalidInput(f"the token lacks the user.{name} claim", field="token")
        sso_id = user["id"]
        if isinstance(sso_id, int) and not isinstance(sso_id, bool):
            sso_id = str(sso_id)
        if not isinstance(sso_id, str) or len(sso_id) > 255 or not sso_id.isprintable():
            raise InvalidInput("the token's user.id must be a printable string of at most 255 characters",
                               field="token")
        try:
            email = clean_account_email(user["email"])
        except InvalidInput:
            raise InvalidInput("the token's user.email is not an email address", field="token") from None
        try:
            username = clean_name(user["username"])
        except InvalidInput as exc:
            raise InvalidInput(f"the token's user.username: {exc.message}", field="token") from None
        return {"id": sso_id, "email": email, "username": username,
                "badges": _sso_badges(user.get("badges")), "role": self._sso_role(user.get("role"))}

    def _sso_role(self, raw) -> Role | None:
        """The role a ``user.role`` claim gives: None when absent or above PARLEY_SSO_MAX_ROLE.

        Whoever can sign a token for the publisher's site could otherwise make themselves
        a moderator or an admin here; that secret lives in the publisher's web stack,
        which is larger and more exposed than Parley's own admin accounts."""
        if raw is None:
            return None
        role = _SSO_ROLES.get(raw.upper()) if isinstance(raw, str) else None
        if role is None:
            raise InvalidInput(f"the token's user.role must be one of {', '.join(_SSO_ROLES)}", field="token")
        return role if role.rank <= Role(self.config.sso_max_role).rank else None

    # --- API tokens ------------------------------------------------------------------
    def create_token(self, actor: Actor, *, name, role) -> tuple[ApiToken, str]:
        """A named bearer token acting with ``role``, and its secret, shown this once:
        only its keyed hash is kept. Admins (and the CLI) only."""
        actor.require(Permission.MANAGE_ACCOUNTS, "issuing API tokens")
        name = clean_token_name(name)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(name=name, role=clean_role(role), secret_hash=self.deps.digest(secret),
                         created_by=actor.account_id, created_at=self.deps.clock())
        return self.store.add_api_token(token), secret

    def revoke_token(self, actor: Actor, name) -> None:
        actor.require(Permission.MANAGE_ACCOUNTS, "revoking API tokens")
        if not isinstance(name, str) or not self.store.revoke_api_token(name, self.deps.clock()):
            raise NotFound("no live token has this name", field="name")

    def list_tokens(self, actor: Actor) -> list[ApiToken]:
        actor.require(Permission.MANAGE_ACCOUNTS, "listing API tokens")
        return self.store.list_api_tokens()

    def actor_for_token(self, secret: str | None, client_addr: str = "") -> Actor | None:
        """The token acting through this secret; None when it is unknown or revoked."""
        if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_SECRET_CHARS:
            return None
        token = self.store.find_api_token(self.deps.digest(secret))
        if token is None or not token.live:
            return None
        if token.created_by is not None:  # a disabled admin's tokens stop with them
            creator = self.store.get_account(token.created_by)
            if creator is None or creator.disabled:
                return None
        now = self.deps.clock()
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            self.store.touch_api_token(token.id, now)
        return token.actor(client_addr=client_addr)


# --- what comes from outside, cleaned ------------------------------------------------
def clean_account_email(raw) -> str:
    """An account's email, casefolded; InvalidInput (field email) when missing or malformed."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidInput("an email address is required", field="email")
    return clean_email(raw).casefold()


def clean_display_name(raw) -> str:
    try:
        return clean_name(raw)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="display_name") from None


def clean_role(raw) -> Role:
    """One of the roles an account or token may have (commenter, staff, moderator, admin)."""
    try:
        role = Role(raw.strip().lower()) if isinstance(raw, str) else Role(raw)
    except (ValueError, TypeError):
        role = None
    if role not in ACCOUNT_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in ACCOUNT_ROLES)}", field="role")
    return role


def clean_token_name(raw) -> str:
    if (not isinstance(raw, str) or not 0 < len(raw) <= 64 or not set(raw) <= _TOKEN_NAME_CHARS
            or raw[0] in "._-"):
        raise InvalidInput("a token's name is 1-64 letters, digits, dots, hyphens and underscores, starting "
                           "with a letter or digit", field="name")
    return raw


def check_password(raw, *, email: str | None = None) -> str:
    """The password if it is strong enough to keep: at least 10 characters, not one
    character repeated, not among the commonest, not the email or its name part."""
    if not isinstance(raw, str) or not raw:
        raise InvalidInput("a password is required", field="password")
    if len(raw) < PASSWORD_MIN_CHARS:
        raise InvalidInput(f"a password needs at least {PASSWORD_MIN_CHARS} characters", field="password")
    if len(raw) > PASSWORD_MAX_CHARS:
        raise InvalidInput(f"a password has at most {PASSWORD_MAX_CHARS} characters", field="password")
    folded = raw.casefold()
    guessable = {email, email.partition("@")[0]} if email else set()
    if len(set(raw)) == 1 or folded in _COMMON_PASSWORDS or folded in guessable or not raw.strip():
        raise InvalidInput("this password is too easy to guess; choose another", field="password")
    return raw


def _sso_badges(raw) -> tuple[str, ...] | None:
    """Coral's ``user.badges``: a list of strings, or absent (None: keep the account's)."""
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) > MAX_BADGES
            or not all(isinstance(b, str) and 0 < len(b.strip()) <= MAX_BADGE_CHARS and b.isprintable()
                       for b in raw)):
        raise InvalidInput(f"the token's user.badges must be a list of at most {MAX_BADGES} strings of "
                           f"1-{MAX_BADGE_CHARS} characters", field="token")
    return tuple(dict.fromkeys(b.strip() for b in raw))


def _email_taken() -> Conflict:
    return Conflict("the token's user.email belongs to another account here (one with a password, or another "
                    "user.id); single sign-on does not take over an existing account", field="token")


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
