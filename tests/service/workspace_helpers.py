"""What the reports, appeals, statements and training tests share: services on a real
store with a clock the test moves, real moderator accounts, and a moderator that scores
by keywords through the real policy (so automated decisions are the real ones)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from parley.domain import Account, Actor, Role, utcnow
from parley.moderation import Context, Policy, Scores, Verdict
from parley.moderation.base import LABELS
from parley.service import NewComment, Services
from tests.conftest import TEST_SECRET, make_config

SYSTEM = Actor.system("tests")
#: Words that score a label high: "awful" holds (severe toxicity), "rubbish" folds (toxicity),
#: "buy now" holds as spam.
KEYWORDS = {"awful": {"severe_toxicity": 0.9, "toxicity": 0.9}, "rubbish": {"toxicity": 0.8},
            "buy now": {"spam": 0.85}}
_emails = itertools.count()


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class KeywordModerator:
    """Scores a text by the words it holds and decides with the real policy."""

    model = "keywords"

    def assess_one(self, text: str, context: Context | None = None, *, policy: Policy | None = None,
                   second_attempt: bool = False) -> Verdict:
        values = dict.fromkeys(LABELS, 0.01)
        for word, scores in KEYWORDS.items():
            if word in text.lower():
                values.update(scores)
        return (policy or Policy()).decide(Scores(values), model=self.model, second_attempt=second_attempt)


def make_services(store, clock: Clock | None = None, **config) -> Services:
    services = Services(store, make_config(**config), secret=TEST_SECRET.encode(), clock=clock or Clock(),
                        moderator=KeywordModerator())
    if store.get_story("s") is None:
        services.stories.create(SYSTEM, {"slug": "s", "title": "The library reopens"})
    return services


def moderator(store, name: str = "Mo") -> Actor:
    """A moderator with a real account (decisions refer to it)."""
    account = store.add_account(Account(email=f"mod{next(_emails)}@example.org", display_name=name,
                                        role=Role.MODERATOR))
    return account.actor(client_addr="198.51.100.7")


def guest(key: str, addr: str = "") -> Actor:
    """A guest known by their cookie (``key``); by no address unless one is given."""
    return Actor.guest(guest_key=key, client_addr=addr)


def post(services: Services, writer: Actor, body: str = "A fine point about the library.", *, parent=None):
    return services.posting.post(writer, NewComment("s", "Ann", body, parent_id=parent)).comment
