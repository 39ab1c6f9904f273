"""AccountService on every backend: passwords, sessions, throttling, resets, single
sign-on with Coral's claims, and API tokens. A real store, a real hasher, a clock the
test moves."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from argon2 import PasswordHasher

from parley.domain import Actor, Role
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated
from parley.service.accounts import (
    FAILURES_PER_ADDRESS,
    FAILURES_PER_EMAIL,
    LOGIN_REFUSED,
    RESET_FAILURES_PER_ADDRESS,
    AccountService,
)
from parley.service.base import Deps
from tests.conftest import TEST_SECRET, make_config
from tests.service.workspace_helpers import Clock

SSO_SECRET = "s" * 40
CLI = Actor.system("cli")
PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _accounts(store, clock, **config) -> AccountService:
    return AccountService(Deps(store, make_config(**config), TEST_SECRET.encode(), clock=clock))


@pytest.fixture
def accounts(store, clock) -> AccountService:
    return _accounts(store, clock, sso_secret=SSO_SECRET)


def _admin(accounts, email="admin@example.org") -> Actor:
    return accounts.create_account(CLI, email=email, password=PASSWORD, role="admin", display_name="Ada").actor()


# --- accounts ------------------------------------------------------------------------------
def test_create_account_hashes_with_argon2id(accounts, store):
    account = accounts.create_account(CLI, email="Mod@Example.org", password=PASSWORD, role="moderator",
                                      display_name="  Mo   Derator ")
    stored = store.get_account(account.id)
    assert stored.email == "mod@example.org" and stored.display_name == "Mo Derator"
    assert stored.role is Role.MODERATOR
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash


def test_only_admins_create_accounts(accounts):
    reader = accounts.create_account(CLI, email="r@example.org", password=PASSWORD, role="commenter",
                                     display_name="R").actor()
    for actor in (Actor.guest(), reader, Actor(Role.MODERATOR, name="m", account_id=99)):
        with pytest.raises(Forbidden) as refused:
            accounts.create_account(actor, email="x@example.org", password=PASSWORD, role="admin", display_name="X")
        assert "admin role" in refused.value.message
    admin = _admin(accounts)
    assert accounts.create_account(admin, email="x@example.org", password=PASSWORD, role="staff",
                                   display_name="X").role is Role.STAFF


@pytest.mark.parametrize(("fields", "field"), [
    ({"password": "short"}, "password"),
    ({"password": "x" * 12}, "password"),
    ({"password": "Password123"}, "password"),
    ({"password": "ann.lee@example.org", "email": "ann.lee@example.org"}, "password"),
    ({"password": "x" * 1025 + "y"}, "password"),
    ({"password": None}, "password"),
    ({"email": "not an email"}, "email"),
    ({"email": ""}, "email"),
    ({"role": "guest"}, "role"),
    ({"role": "system"}, "role"),
    ({"role": "overlord"}, "role"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": "n" * 51}, "display_name"),
])
def test_create_account_refuses_bad_fields_naming_them(accounts, fields, field):
    values = {"email": "ann@example.org", "password": PASSWORD, "role": "staff", "display_name": "Ann"} | fields
    with pytest.raises(InvalidInput) as refused:
        accounts.create_account(CLI, **values)
    assert refused.value.field == field


def test_a_taken_email_is_a_conflict(accounts):
    accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff", display_name="Ann")
    with pytest.raises(Conflict) as taken:
        accounts.create_account(CLI, email="ANN@example.org", password=PASSWORD, role="staff", display_name="A")
    assert taken.value.field == "email"


def test_change_account_disables_and_ends_sessions(accounts):
    admin = _admin(accounts)
    staff = accounts.create_account(admin, email="s@example.org", password=PASSWORD, role="staff",
                                    display_name="S")
    _, session_id = accounts.login(email="s@example.org", password=PASSWORD, client_addr="203.0.113.5")
    assert accounts.change_account(admin, staff.id, role="moderator").role is Role.MODERATOR
    assert accounts.actor_for_session(session_id).role is Role.MODERATOR  # the next request has the new role
    accounts.change_account(admin, staff.id, disabled=True)
    assert accounts.actor_for_session(session_id) is None
    with pytest.raises(Forbidden):
        accounts.login(email="s@example.org", password=PASSWORD, client_addr="203.0.113.5")
    with pytest.raises(Forbidden):  # an admin cannot lock themselves out
        accounts.change_account(admin, admin.account_id, disabled=True)
    with pytest.raises(Forbidden):
        accounts.change_account(admin, admin.account_id, role="staff")
    with pytest.raises(NotFound):
        accounts.change_account(admin, 10_000, role="staff")
    assert [a.email for a in accounts.list_accounts(admin)] == ["admin@example.org", "s@example.org"]


# --- signing in ----------------------------------------------------------------------------
def test_login_opens_a_session_the_actor_comes_from(accounts, store):
    made = accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff",
                                   display_name="Ann")
    account, session_id = accounts.login(email=" ANN@example.org", password=PASSWORD, client_addr="203.0.113.5")
    assert account.id == made.id and len(session_id) >= 43
    actor = accounts.actor_for_session(session_id, "203.0.113.5")
    assert (actor.role, actor.account_id, actor.name, actor.client_addr) == \
        (Role.STAFF, made.id, "Ann", "203.0.113.5")
    assert actor.writer_key == f"account:{made.id}"
    # Only the keyed hash of the session id is stored.
    assert store.get_session(session_id) is None
    assert store.get_session(accounts.deps.digest(session_id)).account_id == made.id


def test_unknown_email_and_wrong_password_read_the_same(accounts):
    accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff", display_name="Ann")
    answers = []
    for email, password in (("ann@example.org", "wrong password!"), ("nobody@example.org", PASSWORD),
                            ("ann@example.org", "x" * 5000)):
        with pytest.raises(Unauthenticated) as refused:
            accounts.login(email=email, password=password, client_addr="203.0.113.5")
        answers.append((refused.value.message, refused.value.field, refused.value.status))
    assert answers == [(LOGIN_REFUSED, "password", 401)] * 3


def test_each_login_gets_a_new_session_id_and_revokes_the_one_it_replaces(accounts):
    accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff", display_name="Ann")
    _, first = accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a")
    _, second = accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a", replacing=first)
    assert first != second
    assert accounts.actor_for_session(first) is None
    assert accounts.actor_for_session(second) is not None
    accounts.logout(second)
    assert accounts.actor_for_session(second) is None
    accounts.logout("not a session")  # nothing to end: no error
    assert accounts.actor_for_session("") is None and accounts.actor_for_session("x" * 500) is None


def test_sessions_expire_and_last_seen_is_written_once_a_minute(store, clock):
    accounts = _accounts(store, clock, session_days=2)
    accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff", display_name="Ann")
    _, session_id = accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a")
    id_hash = accounts.deps.digest(session_id)
    opened = store.get_session(id_hash).last_seen_at
    clock.advance(seconds=30)
    accounts.actor_for_session(session_id)
    assert store.get_session(id_hash).last_seen_at == opened
    clock.advance(seconds=31)
    accounts.actor_for_session(session_id)
    assert store.get_session(id_hash).last_seen_at == clock.now
    clock.advance(days=2)
    assert accounts.actor_for_session(session_id) is None


def test_failures_are_throttled_per_email_and_per_address(accounts, clock):
    accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff", display_name="Ann")
    accounts.create_account(CLI, email="bob@example.org", password=PASSWORD, role="staff", display_name="Bob")
    for i in range(FAILURES_PER_EMAIL):
        with pytest.raises(Unauthenticated):
            accounts.login(email="ann@example.org", password="wrong password", client_addr=f"198.51.100.{i}")
    with pytest.raises(RateLimited) as limited:  # even with the right password, from a fresh address
        accounts.login(email="ann@example.org", password=PASSWORD, client_addr="192.0.2.1")
    assert limited.value.retry_after == 15 * 60
    accounts.login(email="bob@example.org", password=PASSWORD, client_addr="192.0.2.1")  # others are not held up

    for i in range(FAILURES_PER_ADDRESS):  # one address trying many emails
        with pytest.raises(Unauthenticated):
            accounts.login(email=f"guess{i}@example.org", password="wrong password", client_addr="203.0.113.9")
    with pytest.raises(RateLimited):
        accounts.login(email="bob@example.org", password=PASSWORD, client_addr="203.0.113.9")

    clock.advance(minutes=16)
    accounts.login(email="ann@example.org", password=PASSWORD, client_addr="203.0.113.9")


def test_an_outdated_hash_is_upgraded_on_login(accounts, store):
    account = accounts.create_account(CLI, email="ann@example.org", password=PASSWORD, role="staff",
                                      display_name="Ann")
    account.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    store.update_account(account)
    accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a")
    upgraded = store.get_account(account.id).password_hash
    assert upgraded != account.password_hash and not PasswordHasher().check_needs_rehash(upgraded)
    accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a")


# --- password resets -----------------------------------------------------------------------
def test_reset_sets_a_new_password_and_ends_every_session(accounts, clock):
    admin = _admin(accounts)
    accounts.create_account(admin, email="ann@example.org", password=PASSWORD, role="staff", display_name="Ann")
    _, session_id = accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a")
    with pytest.raises(Forbidden):
        accounts.issue_reset(accounts.actor_for_session(session_id), "ann@example.org")
    with pytest.raises(NotFound):
        accounts.issue_reset(admin, "nobody@example.org")
    token = accounts.issue_reset(admin, "ANN@example.org")

    with pytest.raises(InvalidInput) as weak:  # a weak password does not spend the link
        accounts.reset_password(token=token, password="short", client_addr="a")
    assert weak.value.field == "password"
    accounts.reset_password(token=token, password="a brand new passphrase", client_addr="a")
    assert accounts.actor_for_session(session_id) is None
    with pytest.raises(Unauthenticated):
        accounts.login(email="ann@example.org", password=PASSWORD, client_addr="a")
    accounts.login(email="ann@example.org", password="a brand new passphrase", client_addr="a")

    with pytest.raises(InvalidInput) as spent:
        accounts.reset_password(token=token, password="another passphrase", client_addr="a")
    assert spent.value.field == "token"
    late = accounts.issue_reset(CLI, "ann@example.org")
    clock.advance(hours=1)
    with pytest.raises(InvalidInput):
        accounts.reset_password(token=late, password="another passphrase", client_addr="a")


def test_reset_guesses_are_throttled_per_address(accounts):
    for i in range(RESET_FAILURES_PER_ADDRESS):
        with pytest.raises(InvalidInput):
            accounts.reset_password(token=f"guess-{i}", password="a brand new passphrase", client_addr="a")
    with pytest.raises(RateLimited):
        accounts.reset_password(token="guess", password="a brand new passphrase", client_addr="a")
    with pytest.raises(InvalidInput):
        accounts.reset_password(token="guess", password="a brand new passphrase", client_addr="b")


# --- single sign-on ------------------------------------------------------------------------
def coral_token(secret=SSO_SECRET, *, algorithm="HS256", drop=(), **user) -> str:
    """A token with Coral's claims, as Coral's SSO documentation shows them."""
    now = int(time.time())
    claims = {"jti": str(uuid.uuid4()), "exp": now + 300, "iat": now,
              "user": {"id": "628bdc61-6616-4add-bfec-dd79156715d4", "email": "bob@example.com",
                       "username": "bob", "badges": ["subscriber"]}}
    for key in ("jti", "exp", "iat"):
        if key in user:
            claims[key] = user.pop(key)
    claims["user"].update(user)
    for name in drop:
        if name.startswith("user."):
            claims["user"].pop(name.removeprefix("user."))
        else:
            claims.pop(name)
    return jwt.encode(claims, secret, algorithm=algorithm)


def test_sso_signs_a_reader_in_and_keeps_their_details_current(accounts, store):
    account, session_id = accounts.sso_login(token=coral_token(), client_addr="a")
    assert (account.email, account.display_name, account.role, account.badges, account.sso_id,
            account.password_hash) == ("bob@example.com", "bob", Role.COMMENTER, ("subscriber",),
                                       "628bdc61-6616-4add-bfec-dd79156715d4", None)
    actor = accounts.actor_for_session(session_id)
    assert (actor.role, actor.account_id, actor.badges) == (Role.COMMENTER, account.id, ("subscriber",))

    again, _ = accounts.sso_login(token=coral_token(username="Bobby", email="bobby@example.com"), client_addr="a")
    assert again.id == account.id
    assert (again.display_name, again.email, again.badges) == ("Bobby", "bobby@example.com", ("subscriber",))
    # A token without badges leaves them as they were; an empty list clears them (Coral's rule).
    assert accounts.sso_login(token=coral_token(drop=["user.badges"]), client_addr="a")[0].badges == ("subscriber",)
    assert accounts.sso_login(token=coral_token(badges=[]), client_addr="a")[0].badges == ()
    # A single sign-on account has no password to sign in with, and no reset link.
    with pytest.raises(Unauthenticated):
        accounts.login(email="bobby@example.com", password=PASSWORD, client_addr="a")
    with pytest.raises(InvalidInput):
        accounts.issue_reset(CLI, "bob@example.com")


@pytest.mark.parametrize(("make", "error", "words"), [
    (lambda: coral_token(exp=int(time.time()) - 120), InvalidInput, "expired"),
    (lambda: coral_token(algorithm="none", secret=None), InvalidInput, "HS256"),
    (lambda: coral_token(SSO_SECRET * 2, algorithm="HS512"), InvalidInput, "HS256"),
    (lambda: coral_token(secret="w" * 40), Forbidden, "signature"),
    (lambda: coral_token(iat=int(time.time()) + 3600), InvalidInput, "iat"),
    (lambda: coral_token(drop=["jti"]), InvalidInput, "jti"),
    (lambda: coral_token(drop=["exp"]), InvalidInput, "exp"),
    (lambda: coral_token(drop=["iat"]), InvalidInput, "iat"),
    (lambda: coral_token(drop=["user.id"]), InvalidInput, "user.id"),
    (lambda: coral_token(drop=["user.email"]), InvalidInput, "user.email"),
    (lambda: coral_token(drop=["user.username"]), InvalidInput, "user.username"),
    (lambda: coral_token(email="not-an-email"), InvalidInput, "user.email"),
    (lambda: coral_token(badges="subscriber"), InvalidInput, "user.badges"),
    (lambda: coral_token(role="OVERLORD"), InvalidInput, "user.role"),
    (lambda: coral_token(exp="tomorrow"), InvalidInput, "exp"),
    (lambda: "not.a.jwt", InvalidInput, "JWT"),
    (lambda: "", InvalidInput, "required"),
])
def test_sso_refuses_bad_tokens_with_a_clear_error(accounts, make, error, words):
    with pytest.raises(error) as refused:
        accounts.sso_login(token=make(), client_addr="a")
    assert refused.value.field == "token"
    assert words in refused.value.message
    assert accounts.store.find_account(sso_id="628bdc61-6616-4add-bfec-dd79156715d4") is None


def test_sso_refuses_a_replayed_jti(accounts):
    token = coral_token()
    accounts.sso_login(token=token, client_addr="a")
    with pytest.raises(InvalidInput) as replayed:
        accounts.sso_login(token=token, client_addr="b")
    assert replayed.value.field == "token" and "used already" in replayed.value.message


def test_sso_roles_count_only_up_to_the_setting(store, clock):
    capped = _accounts(store, clock, sso_secret=SSO_SECRET)
    account, _ = capped.sso_login(token=coral_token(role="ADMIN"), client_addr="a")
    assert account.role is Role.COMMENTER  # above PARLEY_SSO_MAX_ROLE: ignored
    staff = _accounts(store, clock, sso_secret=SSO_SECRET, sso_max_role="staff")
    assert staff.sso_login(token=coral_token(role="STAFF"), client_addr="a")[0].role is Role.STAFF
    # A claim above the setting leaves the role as it is, neither raised nor lowered.
    assert staff.sso_login(token=coral_token(role="MODERATOR"), client_addr="a")[0].role is Role.STAFF
    assert staff.sso_login(token=coral_token(role="COMMENTER"), client_addr="a")[0].role is Role.COMMENTER


def test_sso_does_not_take_over_an_account_with_the_same_email(accounts):
    accounts.create_account(CLI, email="bob@example.com", password=PASSWORD, role="admin", display_name="Bob")
    with pytest.raises(Conflict) as taken:
        accounts.sso_login(token=coral_token(), client_addr="a")
    assert taken.value.field == "token"


def test_sso_is_off_without_a_secret_and_refuses_disabled_accounts(store, clock, accounts):
    off = _accounts(store, clock)
    with pytest.raises(NotFound) as refused:
        off.sso_login(token=coral_token(), client_addr="a")
    assert "PARLEY_SSO_SECRET" in refused.value.message
    account, _ = accounts.sso_login(token=coral_token(), client_addr="a")
    accounts.change_account(CLI, account.id, disabled=True)
    with pytest.raises(Forbidden):
        accounts.sso_login(token=coral_token(), client_addr="a")


# --- API tokens ----------------------------------------------------------------------------
def test_tokens_act_with_their_role_until_revoked(accounts, store, clock):
    admin = _admin(accounts)
    token, secret = accounts.create_token(admin, name="importer", role="staff")
    assert secret.startswith("pk_") and len(secret) > 40
    assert store.find_api_token(secret) is None and store.find_api_token(accounts.deps.digest(secret)).id == token.id
    actor = accounts.actor_for_token(secret, "203.0.113.5")
    assert (actor.role, actor.token_id, actor.account_id, actor.label) == \
        (Role.STAFF, token.id, admin.account_id, "token:importer")
    assert store.find_api_token(accounts.deps.digest(secret)).last_used_at == clock.now

    assert [t.name for t in accounts.list_tokens(admin)] == ["importer"]
    accounts.revoke_token(admin, "importer")
    assert accounts.actor_for_token(secret) is None
    with pytest.raises(NotFound):
        accounts.revoke_token(admin, "importer")
    with pytest.raises(Conflict):
        accounts.create_token(admin, name="importer", role="staff")
    assert accounts.actor_for_token("pk_made-up") is None and accounts.actor_for_token("no prefix") is None


def test_only_admins_handle_tokens_and_names_are_plain(accounts):
    moderator = Actor(Role.MODERATOR, name="m", account_id=5)
    for call in (lambda: accounts.create_token(moderator, name="x", role="staff"),
                 lambda: accounts.list_tokens(moderator), lambda: accounts.revoke_token(moderator, "x")):
        with pytest.raises(Forbidden):
            call()
    for name in ("", "-x", "has space", "n" * 65, None):
        with pytest.raises(InvalidInput) as refused:
            accounts.create_token(CLI, name=name, role="staff")
        assert refused.value.field == "name"
    with pytest.raises(InvalidInput) as refused:
        accounts.create_token(CLI, name="ok", role="system")
    assert refused.value.field == "role"
    token, _ = accounts.create_token(CLI, name="ci.deploy-1", role="moderator")
    assert token.created_by is None


def test_sso_refuses_a_replay_in_the_leeway_after_exp(accounts, clock):
    """A token is accepted up to 60 s past exp; its jti must be remembered that long too."""
    token = coral_token(exp=int(clock.now.timestamp()) + 5)
    accounts.sso_login(token=token, client_addr="a")
    clock.advance(seconds=30)  # past exp, inside the leeway: the token itself still verifies
    with pytest.raises(InvalidInput) as replayed:
        accounts.sso_login(token=token, client_addr="b")
    assert "used already" in replayed.value.message


def test_a_disabled_admins_tokens_stop_with_them(accounts, store):
    admin = accounts.create_account(CLI, email="boss@example.org", password=PASSWORD, role=Role.ADMIN,
                                    display_name="Boss")
    _, secret = accounts.create_token(admin.actor(), name="ci", role=Role.STAFF)
    assert accounts.actor_for_token(secret) is not None
    admin.disabled = True
    store.update_account(admin)
    assert accounts.actor_for_token(secret) is None


def test_a_reset_refused_for_the_accounts_own_email_keeps_its_link(accounts):
    accounts.create_account(CLI, email="carol.smith@example.org", password=PASSWORD, role=Role.STAFF,
                            display_name="Carol")
    link = accounts.issue_reset(CLI, "carol.smith@example.org")
    with pytest.raises(InvalidInput):
        accounts.reset_password(token=link, password="carol.smith@example.org", client_addr="a")
    accounts.reset_password(token=link, password="a brand new passphrase", client_addr="a")
