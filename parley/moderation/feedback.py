"""Decisions are data: the moderators' decisions (and the scores clients suggested with
Perspective's ``SuggestCommentScore``) as training rows, read from the JSON Lines that
``GET /api/v1/admin/decisions.jsonl`` exports, for ``parley train --decisions FILE``.

A moderator's decision speaks to toxicity only, as a class: ``label`` 1 (kept from
readers or folded) or 0 (approved, or restored on appeal); the other labels are unknown
for that row. A comment kept from readers whose verdict at the time named only spam or
off topic is left out, since it says nothing about toxicity. When one comment was
decided more than once (a rejection, then a reversal on appeal), its latest decision is
the one learned. A suggested score gives each label it names its own target.

Each row weighs ``DECISION_WEIGHT`` dataset rows in the first stage's fit: a decision is
a judgement on this site's own comments, by the people whose rules the models apply.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from parley.moderation.data import MODEL_LABELS, NAN, Row, normalised

#: How many dataset rows one decision weighs in the first stage's fit. Not measured: with
#: 1,000 decisions they weigh as much as 6% of the 86,000 rows the toxicity head learns from.
DECISION_WEIGHT = 5.0
SOURCE = "decisions"
_NOT_TOXICITY = ("spam", "off_topic")


class DecisionsFormatError(ValueError):
    """A line of the decisions file that is not one of its rows; the message names the line."""


def load_decisions(path: str | Path) -> list[Row]:
    """The training rows in a decisions export (see the module's docstring), in file order."""
    with open(path, encoding="utf-8") as f:
        return rows_from_lines(f)


def rows_from_lines(lines: Iterable[str]) -> list[Row]:
    latest: dict[object, tuple[int, Row]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DecisionsFormatError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise DecisionsFormatError(f"line {number}: a row is a JSON object with a text")
        row = _row(entry, number)
        if row is None:
            continue
        comment_id = entry.get("comment_id")
        key = ("comment", comment_id) if comment_id is not None and entry.get("source") != "suggestscore" else \
            ("text", normalised(row.text))
        latest[key] = (number, row)  # a later line (a later decision) replaces an earlier one
    return [row for _, row in sorted(latest.values(), key=lambda nr: nr[0])]


def _row(entry: dict, number: int) -> Row | None:
    text = entry["text"]
    if not normalised(text):
        return None
    scores = entry.get("scores")
    if scores is not None:  # a suggested score: every label it names
        if not isinstance(scores, dict):
            raise DecisionsFormatError(f"line {number}: scores is an object of label: value")
        targets = tuple(_score(scores.get(label), number) for label in MODEL_LABELS)
        return Row(SOURCE, text, targets) if any(not math.isnan(t) for t in targets) else None
    label = entry.get("label")
    if label is None:
        return None
    if label not in (0, 1) or isinstance(label, bool):
        raise DecisionsFormatError(f"line {number}: label is 0 or 1")
    if label == 1 and _only_not_toxicity(entry.get("verdict_at_the_time")):
        return None
    return Row(SOURCE, text, (float(label),) + (NAN,) * (len(MODEL_LABELS) - 1))


def _score(value, number: int) -> float:
    if value is None:
        return NAN
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise DecisionsFormatError(f"line {number}: a score is a number from 0 to 1")
    return float(value)


def _only_not_toxicity(verdict) -> bool:
    """Whether the verdict at the time flagged spam or off topic and nothing toxic."""
    if not isinstance(verdict, dict):
        return False
    reasons = [r for r in verdict.get("reasons", []) if isinstance(r, str)]
    named = {label for label in (*MODEL_LABELS, *_NOT_TOXICITY) if any(f"({label} " in r for r in reasons)}
    return bool(named) and named <= set(_NOT_TOXICITY)


def usable(rows: list[Row], leave_out: set[str]) -> list[Row]:
    """The rows a model may learn from: not one of ``leave_out`` (normalised texts the
    evaluation holds out), so that no decision carries a held-out comment into training."""
    return [r for r in rows if normalised(r.text) not in leave_out]
