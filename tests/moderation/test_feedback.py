"""Moderators' decisions as training rows (``parley.moderation.feedback``), how the first
stage takes them (weighted rows beside the datasets'), and ``parley train --decisions``'s
refusals. No model is trained here beyond a toy one: training is slow."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from parley.cli import main
from parley.moderation import train
from parley.moderation.data import MODEL_LABELS, normalised
from parley.moderation.feedback import DECISION_WEIGHT, DecisionsFormatError, load_decisions, usable
from parley.moderation.linear import LinearScorer

SPAM_VERDICT = {"scores": {"spam": 0.9}, "reasons": ["looks like spam (spam 0.90 ≥ 0.80)"], "action": "hold"}
TOXIC_VERDICT = {"scores": {"toxicity": 0.9}, "reasons": ["reads as toxic (toxicity 0.90 ≥ 0.75)"],
                 "action": "fold"}


def _write(path, *entries) -> str:
    path.write_text("".join(json.dumps(e) + "\n" if isinstance(e, dict) else e for e in entries), encoding="utf-8")
    return str(path)


def test_decisions_become_toxicity_rows_and_the_latest_per_comment_stands(tmp_path):
    path = _write(tmp_path / "d.jsonl",
                  {"id": 1, "source": "decision", "comment_id": 10, "text": "You fool.", "label": 1,
                   "verdict_at_the_time": TOXIC_VERDICT},
                  {"id": 2, "source": "decision", "comment_id": 11, "text": "Cheap watches here.", "label": 1,
                   "verdict_at_the_time": SPAM_VERDICT},  # spam says nothing about toxicity
                  "\n",
                  {"id": 3, "source": "decision", "comment_id": 12, "text": "Nice piece.", "label": 0},
                  {"id": 4, "source": "decision", "comment_id": 10, "text": "You fool.", "label": 0},  # on appeal
                  {"id": 5, "source": "suggestscore", "comment_id": None, "text": "Idiots, all of you.",
                   "scores": {"toxicity": 0.9, "insult": 0.8, "spam": 0.1}, "label": 1},
                  {"id": 6, "source": "decision", "comment_id": 13, "text": "   ", "label": 1})
    rows = load_decisions(path)
    assert [(r.text, r.target("toxicity")) for r in rows] == [("Nice piece.", 0.0), ("You fool.", 0.0),
                                                              ("Idiots, all of you.", 0.9)]
    assert all(math.isnan(rows[0].target(label)) for label in MODEL_LABELS[1:])
    assert rows[2].target("insult") == 0.8 and math.isnan(rows[2].target("threat"))
    assert {r.source for r in rows} == {"decisions"}


@pytest.mark.parametrize(("line", "message"), [
    ("not json\n", "line 1: not JSON"),
    ('["a list"]\n', "line 1: a row is a JSON object with a text"),
    ('{"text": "x", "label": 2}\n', "line 1: label is 0 or 1"),
    ('{"text": "x", "label": true}\n', "line 1: label is 0 or 1"),
    ('{"text": "x", "scores": {"toxicity": 3}}\n', "line 1: a score is a number from 0 to 1"),
])
def test_a_bad_line_is_named(tmp_path, line, message):
    with pytest.raises(DecisionsFormatError, match=message):
        load_decisions(_write(tmp_path / "bad.jsonl", line))


def test_rows_the_evaluation_holds_out_are_left_out():
    rows = [train.data.Row("decisions", t, (1.0,) + (math.nan,) * 5) for t in ("Held  OUT", "kept")]
    assert [r.text for r in usable(rows, {normalised("held out")})] == ["kept"]


def test_decision_rows_follow_the_datasets_rows_with_their_weight():
    targets = np.array([[0.3] * 6, [np.nan] * 6])
    decision = train.data.Row("decisions", "You fool.", (1.0,) + (math.nan,) * 5)
    texts, both, weights = train.decision_rows_added(["a", "b"], targets, np.array([1.0, 3.0]), [decision])
    assert texts == ["a", "b", "You fool."]
    assert both.shape == (3, 6) and both[2, 0] == 1.0 and np.isnan(both[2, 1])
    assert weights.tolist() == [1.0, 3.0, DECISION_WEIGHT]  # the datasets' rows keep their own weights
    _, none, none_weights = train.decision_rows_added(["a"], targets[:1], np.ones(1), [])
    assert none.shape == (1, 6) and none_weights.tolist() == [1.0]


def test_a_weighted_row_counts_as_that_many():
    texts = ["alpha beta", "alpha gamma", "delta epsilon"]
    targets = [[1.0] + [0.0] * 5, [0.0] * 6, [0.0] * 6]
    plain = LinearScorer(n_features=2**10).fit(texts, targets)
    weighted = LinearScorer(n_features=2**10).fit(texts, targets, sample_weight=[5.0, 1.0, 1.0])
    repeated = LinearScorer(n_features=2**10).fit(texts[:1] * 5 + texts[1:], targets[:1] * 5 + targets[1:])
    alpha = ["alpha"]
    assert weighted.probabilities(alpha)[0, 0] > plain.probabilities(alpha)[0, 0]
    assert LinearScorer(n_features=2**10).fit(texts, targets, sample_weight=[1.0] * 3).probabilities(alpha)[0, 0] \
        == pytest.approx(plain.probabilities(alpha)[0, 0])
    assert repeated.probabilities(alpha)[0, 0] > plain.probabilities(alpha)[0, 0]


def test_decisions_teach_the_first_stage_only(tmp_path, capsys):
    rows = [train.data.Row("decisions", "You fool.", (1.0,) + (math.nan,) * 5)]
    with pytest.raises(ValueError, match="first stage"):
        train.train("second", tmp_path / "models", decisions=rows)
    path = _write(tmp_path / "d.jsonl", {"text": "You fool.", "label": 1})
    assert main(["train", "--stage", "spans", "--decisions", path, "--no-eval", "--out", str(tmp_path)]) == 2
    assert "--stage first or all" in capsys.readouterr().err
    bad = _write(tmp_path / "bad.jsonl", "nope\n")
    assert main(["train", "--stage", "first", "--decisions", bad, "--no-eval", "--out", str(tmp_path)]) == 2
    assert "line 1: not JSON" in capsys.readouterr().err
    assert main(["train", "--stage", "first", "--decisions", str(tmp_path / "missing.jsonl"), "--no-eval",
                 "--out", str(tmp_path)]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
