"""Sessions kept for a few seconds (``parley.service.session_cache``): a sign-out, a revoked
session, a disabled or changed account take effect at once through the service that made
the change, and within ``SESSION_CACHE_SECONDS`` on another instance sharing the database.
A real store, a clock the test moves."""

from __future__ import annotations

import pytest

from parley.domain import Actor, Role
from parley.service.accounts import AccountService
from parley.service.base import Deps
from parley.service.session_cache import SESSION_CACHE_SECONDS
from tests.conftest import TEST_SECRET, make_config
from tests.service.workspace_helpers import Clock

CLI = Actor.system("cli")
PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _instance(store, clock) -> AccountService:
    return AccountService(Deps(store, make_config(), TEST_SECRET.encode(), clock=clock))


@pytest.fixture
def two(store, clock):
    """Two app instances' account services over one database, and a moderator signed in."""
    here, there = _instance(store, clock), _instance(store, clock)
    account = here.create_account(CLI, email="mo@example.org", password=PASSWORD, role=Role.MODERATOR,
                                  display_name="Mo")
    _, session_id = here.login(email="mo@example.org", password=PASSWORD, client_addr="a")
    assert here.actor_for_session(session_id) is not None and there.actor_for_session(session_id) is not None
    return here, there, account, session_id


def _reads(store, monkeypatch) -> list[str]:
    seen = []
    for name in ("get_session", "get_account"):
        real = getattr(store, name)
        monkeypatch.setattr(store, name, lambda *a, _real=real, _name=name: seen.append(_name) or _real(*a))
    return seen


def test_a_session_is_read_once_in_a_few_seconds(two, store, clock, monkeypatch):
    here, _, account, session_id = two
    seen = _reads(store, monkeypatch)
    for _ in range(5):
        actor = here.actor_for_session(session_id, "198.51.100.7")
        assert (actor.account_id, actor.role, actor.client_addr) == (account.id, Role.MODERATOR, "198.51.100.7")
    assert seen == []
    clock.advance(seconds=SESSION_CACHE_SECONDS)
    assert here.actor_for_session(session_id) is not None
    assert seen == ["get_session", "get_account"]


def test_signing_out_here_takes_effect_at_once_and_there_within_the_ttl(two, clock):
    here, there, _, session_id = two
    here.logout(session_id)
    assert here.actor_for_session(session_id) is None
    clock.advance(seconds=SESSION_CACHE_SECONDS - 1)
    assert there.actor_for_session(session_id) is not None  # the documented bound, not a wish
    clock.advance(seconds=1)
    assert there.actor_for_session(session_id) is None


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "staff"}])
def test_a_changed_account_takes_effect_at_once_here_and_there_within_the_ttl(two, clock, change):
    here, there, account, session_id = two
    admin = here.create_account(CLI, email="boss@example.org", password=PASSWORD, role=Role.ADMIN,
                                display_name="Boss").actor()
    here.change_account(admin, account.id, **change)
    expected = None if "disabled" in change else Role.STAFF
    now_here = here.actor_for_session(session_id)
    assert (now_here.role if now_here else None) == expected
    clock.advance(seconds=SESSION_CACHE_SECONDS)
    now_there = there.actor_for_session(session_id)
    assert (now_there.role if now_there else None) == expected


def test_a_password_reset_ends_cached_sessions_at_once(two):
    here, _, account, session_id = two
    admin = here.create_account(CLI, email="boss@example.org", password=PASSWORD, role=Role.ADMIN,
                                display_name="Boss").actor()
    token = here.issue_reset(admin, "mo@example.org")
    here.reset_password(token=token, password="a brand new passphrase", client_addr="a")
    assert here.actor_for_session(session_id) is None


def test_no_entry_outlives_its_session(store, clock):
    accounts = AccountService(Deps(store, make_config(session_days=1), TEST_SECRET.encode(), clock=clock))
    accounts.create_account(CLI, email="mo@example.org", password=PASSWORD, role=Role.MODERATOR, display_name="Mo")
    _, session_id = accounts.login(email="mo@example.org", password=PASSWORD, client_addr="a")
    clock.advance(days=1, seconds=-1)
    assert accounts.actor_for_session(session_id) is not None  # cached now, with a second to live
    clock.advance(seconds=1)
    assert accounts.actor_for_session(session_id) is None


def test_a_read_that_raced_a_sign_out_is_not_kept(two, store, monkeypatch):
    """Another thread signs the session out between this read of it and the keeping."""
    here, _, _, session_id = two
    here.sessions.forget(here.deps.digest(session_id))  # as if this process had never read it
    real = store.get_account

    def sign_out_meanwhile(account_id):
        found = real(account_id)
        here.logout(session_id)
        return found

    monkeypatch.setattr(store, "get_account", sign_out_meanwhile)
    assert here.actor_for_session(session_id) is not None  # this request began before the sign-out
    monkeypatch.setattr(store, "get_account", real)
    assert here.actor_for_session(session_id) is None
