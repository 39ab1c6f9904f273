"""The storage contract for accounts, sessions, API tokens, single sign-on and throttling,
on every backend (a SQLite file, the local PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parley.domain import Account, ApiToken, Role, Session, utcnow
from parley.errors import Conflict


def _account(store, email="ann@example.org", **fields) -> Account:
    return store.add_account(Account(email=email, display_name=fields.pop("display_name", "Ann"), **fields))


def _session(store, account, id_hash="h1", *, days=14, now=None) -> Session:
    now = now or utcnow()
    return store.add_session(Session(id_hash=id_hash, account_id=account.id, created_at=now,
                                     expires_at=now + timedelta(days=days), last_seen_at=now))


def test_account_round_trip_with_casefolded_email(store):
    made = _account(store, "Ann@Example.ORG", role=Role.MODERATOR, password_hash="$argon2id$x",
                    badges=("subscriber", "verified"))
    again = store.get_account(made.id)
    assert again.email == "ann@example.org"
    assert (again.display_name, again.role, again.password_hash, again.badges, again.disabled, again.sso_id) == \
        ("Ann", Role.MODERATOR, "$argon2id$x", ("subscriber", "verified"), False, None)
    assert again.created_at == made.created_at
    assert store.find_account(email="ANN@example.org").id == made.id
    assert store.find_account(email="bob@example.org") is None
    assert store.get_account(made.id + 1000) is None


def test_taken_email_and_sso_id_are_conflicts_naming_the_field(store):
    _account(store, "ann@example.org", sso_id="sso-1")
    with pytest.raises(Conflict) as taken:
        _account(store, "ANN@example.org")
    assert taken.value.field == "email"
    with pytest.raises(Conflict) as taken:
        _account(store, "other@example.org", sso_id="sso-1")
    assert taken.value.field == "sso_id"
    assert [a.email for a in store.list_accounts(10)] == ["ann@example.org"]


def test_find_by_sso_id_and_update(store):
    made = _account(store, "reader@example.org", sso_id="628bdc61", display_name="bob")
    found = store.find_account(sso_id="628bdc61")
    assert found.id == made.id
    found.display_name, found.email, found.badges, found.disabled = "Bobby", "New@Example.org", ("sub",), True
    found.role = Role.STAFF
    store.update_account(found)
    again = store.get_account(made.id)
    assert (again.display_name, again.email, again.badges, again.disabled, again.role) == \
        ("Bobby", "new@example.org", ("sub",), True, Role.STAFF)
    assert store.find_account(sso_id="nobody") is None


def test_update_to_a_taken_email_is_a_conflict(store):
    _account(store, "ann@example.org")
    bob = _account(store, "bob@example.org", display_name="Bob")
    bob.email = "ann@example.org"
    with pytest.raises(Conflict) as taken:
        store.update_account(bob)
    assert taken.value.field == "email"
    assert store.get_account(bob.id).email == "bob@example.org"


def test_list_accounts_in_order_of_creation(store):
    for i in range(3):
        _account(store, f"a{i}@example.org")
    assert [a.email for a in store.list_accounts(2)] == ["a0@example.org", "a1@example.org"]


def test_sessions_touch_revoke_and_revoke_all(store):
    ann, bob = _account(store), _account(store, "bob@example.org")
    now = utcnow()
    _session(store, ann, "s1", now=now)
    _session(store, ann, "s2", now=now)
    _session(store, bob, "s3", now=now)
    got = store.get_session("s1")
    assert (got.account_id, got.created_at, got.revoked_at) == (ann.id, now, None)
    assert got.live(now) and not got.live(now + timedelta(days=15))

    later = now + timedelta(minutes=5)
    store.touch_session("s1", later)
    assert store.get_session("s1").last_seen_at == later

    store.revoke_session("s1", later)
    assert store.get_session("s1").revoked_at == later
    assert not store.get_session("s1").live(later)
    store.revoke_session("s1", later + timedelta(hours=1))  # revoking again keeps the first time
    assert store.get_session("s1").revoked_at == later

    assert store.revoke_sessions_of(ann.id, later) == 1  # s2; s1 was revoked already
    assert store.get_session("s2").revoked_at == later
    assert store.get_session("s3").revoked_at is None
    assert store.get_session("missing") is None


def test_api_tokens_are_named_once_and_revocable(store):
    admin = _account(store, role=Role.ADMIN)
    token = store.add_api_token(ApiToken(name="importer", role=Role.STAFF, secret_hash="d1", created_by=admin.id))
    cli = store.add_api_token(ApiToken(name="ci", role=Role.MODERATOR, secret_hash="d2"))
    found = store.find_api_token("d1")
    assert (found.id, found.name, found.role, found.created_by, found.live, found.last_used_at) == \
        (token.id, "importer", Role.STAFF, admin.id, True, None)
    assert store.find_api_token("d2").created_by is None
    assert store.find_api_token("nope") is None
    with pytest.raises(Conflict) as taken:
        store.add_api_token(ApiToken(name="importer", role=Role.STAFF, secret_hash="d3"))
    assert taken.value.field == "name"

    used = utcnow()
    store.touch_api_token(cli.id, used)
    assert store.find_api_token("d2").last_used_at == used

    assert store.revoke_api_token("importer", used) is True
    assert store.revoke_api_token("importer", used) is False  # nothing live by that name
    assert store.revoke_api_token("missing", used) is False
    assert store.find_api_token("d1").revoked_at == used and not store.find_api_token("d1").live
    assert [t.name for t in store.list_api_tokens()] == ["importer", "ci"]
    with pytest.raises(Conflict):  # a revoked token's name stays taken: the audit log names tokens
        store.add_api_token(ApiToken(name="importer", role=Role.STAFF, secret_hash="d4"))


def test_jti_is_used_once_and_forgotten_after_expiry(store):
    now = utcnow()
    assert store.use_jti("j1", now + timedelta(minutes=5), now) is True
    assert store.use_jti("j1", now + timedelta(minutes=5), now) is False
    assert store.use_jti("j2", now + timedelta(minutes=5), now) is True
    # Once j1's token has expired nobody can present it again, so its id may go.
    later = now + timedelta(minutes=6)
    assert store.use_jti("j3", later + timedelta(minutes=5), later) is True
    assert store.use_jti("j1", later + timedelta(minutes=5), later) is True


def test_password_reset_is_spent_once_and_expires(store):
    ann = _account(store)
    now = utcnow()
    store.add_password_reset("r1", ann.id, now, now + timedelta(hours=1))
    store.add_password_reset("r2", ann.id, now, now + timedelta(hours=1))
    assert store.use_password_reset("r1", now + timedelta(minutes=1)) == ann.id
    assert store.use_password_reset("r1", now + timedelta(minutes=2)) is None
    assert store.use_password_reset("r2", now + timedelta(hours=1)) is None  # expired on the hour
    assert store.use_password_reset("unknown", now) is None


def test_attempts_are_counted_per_key_and_window(store):
    now = utcnow()
    for minutes in (20, 10, 5, 1):
        store.add_attempt("login:email:ann@example.org", now - timedelta(minutes=minutes))
    store.add_attempt("login:addr:203.0.113.5", now)
    assert store.count_attempts("login:email:ann@example.org", now - timedelta(minutes=15)) == 3
    assert store.count_attempts("login:addr:203.0.113.5", now - timedelta(minutes=15)) == 1
    assert store.count_attempts("login:email:bob@example.org", now - timedelta(minutes=15)) == 0
    # Attempts older than a day are forgotten when the next is recorded.
    store.add_attempt("login:email:bob@example.org", now + timedelta(days=1, minutes=2))
    assert store.count_attempts("login:email:ann@example.org", now - timedelta(days=30)) == 0
