"""What this process read of signed-in sessions, trusted for a few seconds.

Every page a moderator opens starts by turning the session cookie into an account: two
reads (the session, its account) before any work. Kept here, a busy workspace reads
them once every ``SESSION_CACHE_SECONDS`` per browser instead of once a request.

What keeps it honest:

- The process that signs a session out, revokes it, or changes or disables an account
  forgets what it held at once (``forget``, ``forget_account``), so its own next
  request reads the database.
- Other processes and app instances hold an entry at most ``SESSION_CACHE_SECONDS``:
  a sign-out, a revoked session or a disabled or demoted account takes effect there
  within that time. An entry never outlives its session's expiry either.
- A read that raced a change is not kept: ``generation`` moves on every forget, and
  ``put`` refuses an entry read under an older generation, so a session revoked while
  another thread was reading it is not cached as live.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from parley.domain import Account

#: How long an entry is trusted. Documented in docs/accounts.md ("Sessions"): it is how
#: long another instance may still honour a session signed out (or an account disabled)
#: elsewhere.
SESSION_CACHE_SECONDS = 5
#: Entries held at most; past it the oldest half goes (sessions of idle browsers).
MAX_ENTRIES = 10_000


class SessionCache:
    def __init__(self, ttl: timedelta = timedelta(seconds=SESSION_CACHE_SECONDS),
                 max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict[str, tuple[Account, datetime, datetime]] = {}  # id hash: account, read at, until
        self._lock = threading.Lock()

    def get(self, id_hash: str, now: datetime) -> Account | None:
        """The account a session acts for, if it was read less than ``ttl`` ago."""
        found = self._entries.get(id_hash)
        if found is None:
            return None
        account, read_at, until = found
        if not read_at <= now < until:  # stale, past the session's expiry, or the clock went back
            with self._lock:
                if self._entries.get(id_hash) is found:
                    del self._entries[id_hash]
            return None
        return account

    def put(self, id_hash: str, account: Account, now: datetime, expires_at: datetime, generation: int) -> None:
        """Keep what was read under ``generation`` (the value before the read began)."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                for key in list(self._entries)[: self.max_entries // 2]:
                    del self._entries[key]
            self._entries[id_hash] = (account, now, min(now + self.ttl, expires_at))

    def forget(self, id_hash: str) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(id_hash, None)

    def forget_account(self, account_id: int) -> None:
        with self._lock:
            self.generation += 1
            for key in [k for k, (a, _, _) in self._entries.items() if a.id == account_id]:
                del self._entries[key]
