"""Thresholds for a stated precision, chosen on held-out data, with the trade-off shown.

For each label the policy acts on, the pool is every held-out row that speaks to the
label (``data.py``'s split, the written set's held-out share included) and the
development sets written for the harm signs (``harm_dev.jsonl``: threats and
dehumanisation against their benign look-alikes). The challenge set is not in it: it
measures what these thresholds do.

A threshold's precision is the share of the pool's comments over it that raters (or
the set's author) marked with the label; its recall the share of the marked ones it
reaches. ``lowest_for`` is the lowest threshold whose precision, and that of every
threshold above it, is at least the one asked for: precision is not monotone in the
threshold, and a policy should not flag more by rising.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from parley.moderation import data
from parley.moderation.moderator import Moderator

HARM_DEV = Path(__file__).with_name("harm_dev.jsonl")
# harm_dev's harmful kinds, by the label they speak to (its benign kinds are 0 for both).
_DEV_LABELS = {"implicit_threat": "threat", "dehumanisation": "identity_attack"}
LABELS = ("toxicity", "insult", "threat", "identity_attack")
STEPS = tuple(round(t, 2) for t in np.arange(0.30, 0.96, 0.05))


@dataclasses.dataclass
class Curve:
    label: str
    n: int
    positives: int
    rows: list[tuple[float, float, float, float]]  # (threshold, precision, recall, share flagged)

    def lowest_for(self, precision: float) -> float | None:
        """The lowest threshold from which every threshold has at least ``precision``."""
        best = None
        for threshold, p, _, _ in reversed(self.rows):
            if p < precision:
                break
            best = threshold
        return best

    def table(self) -> str:
        lines = [f"`{self.label}` ({self.n:,} held-out comments, {self.positives:,} marked):", "",
                 "| threshold | precision | recall | share flagged |", "|---:|---:|---:|---:|"]
        lines += [f"| {t:.2f} | {p:.3f} | {r:.3f} | {s:.2%} |" for t, p, r, s in self.rows]
        return "\n".join(lines)


def pool(label: str, held_out: list[data.Row]) -> tuple[list[str], np.ndarray]:
    """The texts that speak to ``label`` and their classes (``held_out``: ``data.held_out_rows()``)."""
    j = data.MODEL_LABELS.index(label)
    texts, y = [], []
    for row in held_out:
        if data.known(row.targets[j]):
            texts.append(row.text)
            y.append(data.binary(row.targets[j]))
    if label in _DEV_LABELS.values():
        with open(HARM_DEV, encoding="utf-8") as f:
            for line in f:
                item = json.loads(line)
                texts.append(item["text"])
                y.append(int(item["harmful"] and _DEV_LABELS.get(item["kind"]) == label))
    return texts, np.array(y)


def curves(moderator: Moderator, labels: tuple[str, ...] = LABELS, limit: int | None = None,
           held_out: list[data.Row] | None = None) -> list[Curve]:
    """Each label's trade-off under ``moderator``'s full scores (models and signs), on
    about ``limit`` comments of each pool (evenly spread) when given. ``held_out``: the
    held-out rows, when the caller has them already (reading the sets takes seconds).
    The pools overlap (a Jigsaw row speaks to every label), so their texts are scored
    once, together."""
    held_out = held_out if held_out is not None else data.held_out_rows()
    pools = {}
    for label in labels:
        texts, y = pool(label, held_out)
        if limit and len(texts) > limit:
            step = len(texts) // limit
            texts, y = texts[::step], y[::step]
        pools[label] = (texts, y)
    every = list(dict.fromkeys(t for texts, _ in pools.values() for t in texts))
    scored = dict(zip(every, moderator.scores(every), strict=True))
    out = []
    for label, (texts, y) in pools.items():
        scores = np.array([scored[t].values[label] for t in texts])
        rows = []
        for t in STEPS:
            over = scores >= t
            hits = int((over & (y == 1)).sum())
            precision = hits / over.sum() if over.any() else 1.0
            rows.append((t, precision, hits / max(int(y.sum()), 1), float(over.mean())))
        out.append(Curve(label, len(y), int(y.sum()), rows))
    return out
