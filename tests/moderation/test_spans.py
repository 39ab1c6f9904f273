import numpy as np
import pytest

from parley.moderation import data
from parley.moderation.moderator import shipped
from parley.moderation.spans import char_f1


def test_char_f1_follows_semeval():
    assert char_f1([], []) == 1.0
    assert char_f1([1], []) == 0.0
    assert char_f1([], [1]) == 0.0
    assert char_f1([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(0.5)


def test_tagger_marks_the_abuse_in_the_example_reply():
    moderator = shipped(fast=True)
    text = "@John, go fuck yourself you stupid Canadian Troll jackwad."
    (spans,) = moderator.tagger.tag([text], moderator.first)
    marked = " ".join(text[s:e] for s, e in spans)
    for word in ("fuck", "stupid", "jackwad"):
        assert word in marked, (word, spans)
    assert "John" not in marked


def test_spans_on_the_trial_posts_reach_the_reported_f1():
    """The figure in the model card, recomputed on the shipped tagger."""
    moderator = shipped(fast=True)
    trial = list(data.read_spans("toxic_spans_trial.csv"))
    tagged = moderator.tagger.tag([t for t, _ in trial], moderator.first)
    f1 = np.mean([char_f1([c for s, e in p for c in range(s, e)], g) for p, (_, g) in zip(tagged, trial)])
    assert f1 > 0.6, f1
    for (text, _), spans in zip(trial, tagged):
        assert all(0 <= s < e <= len(text) for s, e in spans)
