"""The challenge set (parley/moderation/challenge.py): its file, its harness, and what must
stay true of the shipped models on it. How many harmful comments they catch is reported
(`parley eval`, the model card), not asserted: issue 11 asks for 90%, and today's models
are far below it."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from parley.cli import main
from parley.moderation import challenge
from parley.moderation.moderator import shipped


def test_the_set_has_every_kind_and_no_repeats():
    items = challenge.load()
    assert len(items) >= 300
    counts = Counter(i.kind for i in items)
    assert set(counts) == set(challenge.HARMFUL_KINDS + challenge.BENIGN_KINDS)
    assert min(counts.values()) >= 25
    assert len({i.text.casefold() for i in items}) == len(items)
    assert all(i.harmful is (i.kind in challenge.HARMFUL_KINDS) for i in items)


def test_a_line_whose_label_contradicts_its_kind_is_refused(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "I will find you.", "kind": "implicit_threat", "harmful": False}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        challenge.load(path)


def test_benign_look_alikes_stay_published_untouched():
    # Violent news, idioms, identity statements, disagreement, quoted abuse, plain links:
    # whatever catches more harm must not start folding these (the 95%).
    result = challenge.run(shipped())
    assert sum(k.n for k in result.kinds) == len(challenge.load())
    assert all(sum(k.actions.values()) == k.n for k in result.kinds)
    assert result.share(harmful=False) >= 0.95, result.table()


def test_the_harness_counts_what_the_policy_did():
    items = [challenge.Item("You are a worthless piece of garbage and everyone hates you, idiot.", "insult", True),
             challenge.Item("The council meets on Tuesday.", "disagreement", False)]
    result = challenge.run(shipped(), items)
    insult, = (k for k in result.kinds if k.kind == "insult")
    calm, = (k for k in result.kinds if k.kind == "disagreement")
    assert insult.published == 0 and insult.good == 1
    assert calm.published == 1 and calm.good == 1
    assert "| insult | yes | 1 |" in result.table()


def test_parley_eval_challenge_prints_both_paths(capsys):
    assert main(["eval", "--challenge"]) == 0
    out = capsys.readouterr().out
    assert out.count("| implicit_threat | yes | 25 |") == 2 and "+fast" in out
