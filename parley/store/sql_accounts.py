"""The SQL of accounts, sessions, API tokens and single sign-on, shared by both backends.

Emails are kept casefolded, so ``Ann@Example.org`` and ``ann@example.org`` are one
account. Of a session id, an API token's secret and a reset token only their keyed
hashes reach these tables (``Deps.digest``): the service hashes, the store never sees
the secret.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from parley.domain import Account, ApiToken, Role, Session
from parley.errors import Conflict
from parley.store.base import from_us, to_us

_ACCOUNT_COLUMNS = "id, email, display_name, role, password_hash, sso_id, badges, disabled, created_at"
_SESSION_COLUMNS = "id_hash, account_id, created_at, expires_at, last_seen_at, revoked_at"
_TOKEN_COLUMNS = "id, name, role, secret_hash, created_by, created_at, last_used_at, revoked_at"
#: How long login and reset attempts are remembered: longer than any throttling window.
ATTEMPTS_KEPT = timedelta(days=1)


def _maybe_time(us: int | None) -> datetime | None:
    return from_us(us) if us is not None else None


def _account(row) -> Account:
    aid, email, name, role, password_hash, sso_id, badges, disabled, created = row
    return Account(id=aid, email=email, display_name=name, role=Role(role), password_hash=password_hash,
                   sso_id=sso_id, badges=tuple(json.loads(badges)), disabled=bool(disabled),
                   created_at=from_us(created))


def _session(row) -> Session:
    id_hash, account_id, created, expires, seen, revoked = row
    return Session(id_hash=id_hash, account_id=account_id, created_at=from_us(created),
                   expires_at=from_us(expires), last_seen_at=from_us(seen), revoked_at=_maybe_time(revoked))


def _token(row) -> ApiToken:
    tid, name, role, secret_hash, created_by, created, used, revoked = row
    return ApiToken(id=tid, name=name, role=Role(role), secret_hash=secret_hash, created_by=created_by,
                    created_at=from_us(created), last_used_at=_maybe_time(used), revoked_at=_maybe_time(revoked))


class AccountsSQL:
    """Mixed into ``SQLStore``; uses its ``_tx``, ``_one``, ``_all`` and ``_sql``."""

    # --- accounts --------------------------------------------------------------
    def add_account(self, account: Account) -> Account:
        account.email = account.email.casefold()
        try:
            with self._tx() as conn:
                self._check_account_free(conn, account)
                (account.id,) = conn.execute(self._sql(
                    "INSERT INTO accounts (email, display_name, role, password_hash, sso_id, badges, disabled,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                    (account.email, account.display_name, account.role.value, account.password_hash,
                     account.sso_id, json.dumps(list(account.badges)), account.disabled,
                     to_us(account.created_at))).fetchone()
        except self.integrity_errors:
            # Another writer took the email or id between the check and the insert.
            self._raise_taken(account)
        return account

    def _check_account_free(self, conn, account: Account) -> None:
        """Conflict naming the field when another account has this email or sso_id."""
        for field, value in (("email", account.email), ("sso_id", account.sso_id)):
            if value is None:
                continue
            row = conn.execute(self._sql(f"SELECT id FROM accounts WHERE {field} = ?"), (value,)).fetchone()
            if row is not None and row[0] != account.id:
                raise Conflict(f"an account with this {field.replace('_', ' ')} exists", field=field)

    def _raise_taken(self, account: Account):
        with self._tx() as conn:
            self._check_account_free(conn, account)
        raise Conflict("an account with this email or sso id exists", field="email")

    def get_account(self, account_id: int) -> Account | None:
        row = self._one(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    def find_account(self, *, email: str | None = None, sso_id: str | None = None) -> Account | None:
        if (email is None) == (sso_id is None):
            raise TypeError("find_account takes exactly one of email= and sso_id=")
        if email is not None:
            row = self._one(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE email = ?", (email.casefold(),))
        else:
            row = self._one(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE sso_id = ?", (sso_id,))
        return _account(row) if row else None

    def update_account(self, account: Account) -> Account:
        account.email = account.email.casefold()
        try:
            with self._tx() as conn:
                self._check_account_free(conn, account)
                conn.execute(self._sql(
                    "UPDATE accounts SET email = ?, display_name = ?, role = ?, password_hash = ?, sso_id = ?,"
                    " badges = ?, disabled = ? WHERE id = ?"),
                    (account.email, account.display_name, account.role.value, account.password_hash,
                     account.sso_id, json.dumps(list(account.badges)), account.disabled, account.id))
        except self.integrity_errors:
            self._raise_taken(account)
        return account

    def list_accounts(self, limit: int) -> list[Account]:
        rows = self._all(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY id LIMIT ?", (limit,))
        return [_account(r) for r in rows]

    # --- sessions --------------------------------------------------------------
    def add_session(self, session: Session) -> Session:
        with self._tx() as conn:
            conn.execute(self._sql(f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"),
                         (session.id_hash, session.account_id, to_us(session.created_at),
                          to_us(session.expires_at), to_us(session.last_seen_at),
                          to_us(session.revoked_at) if session.revoked_at else None))
        return session

    def get_session(self, id_hash: str) -> Session | None:
        row = self._one(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id_hash = ?", (id_hash,))
        return _session(row) if row else None

    def touch_session(self, id_hash: str, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?"), (to_us(at), id_hash))

    def revoke_session(self, id_hash: str, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL"),
                         (to_us(at), id_hash))

    def revoke_sessions_of(self, account_id: int, at: datetime) -> int:
        with self._tx() as conn:
            cursor = conn.execute(self._sql(
                "UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ?"),
                (to_us(at), account_id, to_us(at)))
            return cursor.rowcount

    # --- API tokens --------------------------------------------------------------
    def add_api_token(self, token: ApiToken) -> ApiToken:
        try:
            with self._tx() as conn:
                (token.id,) = conn.execute(self._sql(
                    "INSERT INTO api_tokens (name, role, secret_hash, created_by, created_at, last_used_at,"
                    " revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                    (token.name, token.role.value, token.secret_hash, token.created_by, to_us(token.created_at),
                     to_us(token.last_used_at) if token.last_used_at else None,
                     to_us(token.revoked_at) if token.revoked_at else None)).fetchone()
        except self.integrity_errors:
            # Names are never reused, even a revoked token's: the audit log names tokens.
            raise Conflict(f"a token named {token.name!r} exists (or existed)", field="name") from None
        return token

    def find_api_token(self, secret_hash: str) -> ApiToken | None:
        row = self._one(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = ?", (secret_hash,))
        return _token(row) if row else None

    def list_api_tokens(self) -> list[ApiToken]:
        return [_token(r) for r in self._all(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY id")]

    def touch_api_token(self, token_id: int, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), (to_us(at), token_id))

    def revoke_api_token(self, name: str, at: datetime) -> bool:
        with self._tx() as conn:
            cursor = conn.execute(self._sql(
                "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"), (to_us(at), name))
            return cursor.rowcount > 0

    # --- single sign-on, password resets, throttling -----------------------------
    def use_jti(self, jti: str, expires_at: datetime, now: datetime) -> bool:
        with self._tx() as conn:
            conn.execute(self._sql("DELETE FROM sso_jtis WHERE expires_at <= ?"), (to_us(now),))
            cursor = conn.execute(self._sql(
                "INSERT INTO sso_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING"),
                (jti, to_us(expires_at)))
            return cursor.rowcount == 1

    def add_password_reset(self, token_hash: str, account_id: int, created_at: datetime,
                           expires_at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(self._sql(
                "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)"),
                (token_hash, account_id, to_us(created_at), to_us(expires_at)))

    def use_password_reset(self, token_hash: str, now: datetime) -> int | None:
        with self._tx() as conn:
            row = conn.execute(self._sql(
                "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"
                " RETURNING account_id"), (to_us(now), token_hash, to_us(now))).fetchone()
        return row[0] if row else None

    def count_attempts(self, key: str, since: datetime) -> int:
        row = self._one("SELECT COUNT(*) FROM auth_attempts WHERE key = ? AND at > ?", (key, to_us(since)))
        return row[0]

    def add_attempt(self, key: str, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(self._sql("DELETE FROM auth_attempts WHERE at <= ?"), (to_us(at - ATTEMPTS_KEPT),))
            conn.execute(self._sql("INSERT INTO auth_attempts (key, at) VALUES (?, ?)"), (key, to_us(at)))
