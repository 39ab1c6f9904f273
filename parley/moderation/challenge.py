"""The challenge set: short comments written for Parley (``challenge.jsonl``, beside this
file), each of a kind a newsroom names when it says what a word list misses, and as many
benign comments that look like them on the surface.

Harmful kinds (a newsroom would not publish them as they stand): implicit threats,
dehumanising comparisons, identity attacks and insults without slurs or swear words,
obfuscated abuse, spam. Benign kinds (they must be published untouched): comments about
violent news, violent idioms, identity statements, firm disagreement, abuse quoted to
condemn it, plain links to sources.

No model learns these comments: they are for measuring only (``parley eval`` reports the
table per kind in the model card; ``parley eval --challenge`` prints it alone, in
seconds). A harmful comment counts as caught when it is anything but simply published
(folded, held, sent back, rejected); a benign one counts only when it is published with
no notice at all.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from parley.moderation.moderator import Moderator

PATH = Path(__file__).with_name("challenge.jsonl")
# Spam and legitimate comments that look like it, labelled, written for Parley: the dev
# set chose the spam threshold (its misses were read while writing spam.py's signs); the
# test set was measured once those were fixed.
SPAM_SETS = (Path(__file__).with_name("spam_dev.jsonl"), Path(__file__).with_name("spam_test.jsonl"))
SPAM_THRESHOLDS = (0.5, 0.6, 0.7, 0.8)

HARMFUL_KINDS = ("implicit_threat", "dehumanisation", "identity_attack", "insult", "obfuscated_abuse", "spam")
BENIGN_KINDS = ("violent_news", "idiom", "identity_statement", "disagreement", "quoted_abuse_condemned",
                "plain_link")


@dataclasses.dataclass(frozen=True)
class Item:
    text: str
    kind: str
    harmful: bool


def load(path: Path = PATH) -> list[Item]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        item = Item(row["text"], row["kind"], row["harmful"])
        expected = item.kind in HARMFUL_KINDS
        if item.kind not in HARMFUL_KINDS + BENIGN_KINDS or item.harmful is not expected:
            raise ValueError(f"{path}:{number}: kind {item.kind!r} with harmful={item.harmful!r}")
        items.append(item)
    return items


@dataclasses.dataclass(frozen=True)
class KindResult:
    kind: str
    harmful: bool
    n: int
    actions: dict[str, int]  # action -> comments

    @property
    def published(self) -> int:
        return self.actions.get("publish", 0)

    @property
    def good(self) -> int:
        """Caught (harmful) or published untouched (benign)."""
        return self.n - self.published if self.harmful else self.published


@dataclasses.dataclass(frozen=True)
class ChallengeResult:
    model: str
    kinds: list[KindResult]

    def share(self, harmful: bool) -> float:
        rows = [k for k in self.kinds if k.harmful is harmful]
        return sum(k.good for k in rows) / max(1, sum(k.n for k in rows))

    def table(self) -> str:
        actions = ("publish", "fold", "rephrase", "hold", "reject")
        lines = [f"| kind | harmful | n | {' | '.join(actions)} | caught / published untouched |",
                 "|---|---|---:|" + "---:|" * len(actions) + "---:|"]
        for k in self.kinds:
            counts = " | ".join(str(k.actions.get(a, 0)) for a in actions)
            lines.append(f"| {k.kind} | {'yes' if k.harmful else 'no'} | {k.n} | {counts} | "
                         f"{k.good} of {k.n} ({k.good / k.n:.0%}) |")
        lines += ["", f"Harmful comments caught (not simply published): **{self.share(True):.1%}**; "
                      f"benign comments published untouched: **{self.share(False):.1%}** ({self.model})."]
        return "\n".join(lines)


def run(moderator: Moderator, items: Sequence[Item] | None = None) -> ChallengeResult:
    items = list(items) if items is not None else load()
    verdicts = moderator.assess([i.text for i in items])
    kinds = []
    for kind in HARMFUL_KINDS + BENIGN_KINDS:
        rows = [(i, v) for i, v in zip(items, verdicts, strict=True) if i.kind == kind]
        if not rows:
            continue
        actions: dict[str, int] = {}
        for _, v in rows:
            actions[v.action.value] = actions.get(v.action.value, 0) + 1
        kinds.append(KindResult(kind, kind in HARMFUL_KINDS, len(rows), actions))
    return ChallengeResult(moderator.model, kinds)


@dataclasses.dataclass(frozen=True)
class SpamResult:
    name: str
    spam: int
    legit: int
    roc_auc: float
    rows: list[tuple[float, int, int]]  # threshold, spam at or over it, legitimate at or over it

    def table(self) -> str:
        lines = [f"`{self.name}` ({self.spam} spam, {self.legit} legitimate), spam ROC-AUC {self.roc_auc:.3f}:", "",
                 "| spam threshold | spam over it | legitimate over it | precision |", "|---:|---:|---:|---:|"]
        for t, caught, wrong in self.rows:
            lines.append(f"| {t:.2f} | {caught} ({caught / self.spam:.0%}) | {wrong} ({wrong / self.legit:.1%}) | "
                         f"{caught / max(1, caught + wrong):.3f} |")
        return "\n".join(lines)


def spam_sets(moderator: Moderator) -> list[SpamResult]:
    """Each spam set's spam scores against its labels, at a few thresholds."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    out = []
    for path in SPAM_SETS:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        y = np.array([bool(r["spam"]) for r in rows])
        v = np.array([s.values["spam"] for s in moderator.scores([r["text"] for r in rows])])
        out.append(SpamResult(path.name, int(y.sum()), int((~y).sum()), float(roc_auc_score(y, v)),
                              [(t, int(((v >= t) & y).sum()), int(((v >= t) & ~y).sum())) for t in SPAM_THRESHOLDS]))
    return out
