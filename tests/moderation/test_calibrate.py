"""Thresholds against precision: the lowest threshold a stated precision allows, and one
scoring of the pools' texts for every label."""

import numpy as np

from parley.moderation import calibrate
from parley.moderation.calibrate import Curve
from parley.moderation.data import Row


def test_the_lowest_threshold_is_one_from_which_every_higher_one_keeps_the_precision():
    curve = Curve("threat", 10, 4, [(0.3, 0.5, 1, 0.8), (0.4, 0.75, 1, 0.5), (0.5, 0.6, 1, 0.4),
                                    (0.6, 0.8, 1, 0.3), (0.7, 0.9, 0.5, 0.1)])
    # 0.4 has 0.75, but 0.5 above it falls to 0.6: a policy must not flag more by rising.
    assert curve.lowest_for(0.7) == 0.6
    assert curve.lowest_for(0.95) is None


class _Counting:
    """The shipped models, counting the texts they are asked to score."""

    def __init__(self) -> None:
        from parley.moderation.moderator import shipped

        self.moderator = shipped()
        self.asked: list[str] = []

    def scores(self, texts):
        self.asked += texts
        return self.moderator.scores(texts)


def test_the_pools_texts_are_scored_once_for_every_label():
    insult, calm = "You are a pathetic worthless idiot.", "The council meets on Tuesday."
    known = (1.0, np.nan, 1.0, np.nan, np.nan, np.nan)  # toxicity and insult
    rows = [Row("jigsaw", insult, known), Row("jigsaw", calm, tuple(0.0 if v == 1.0 else v for v in known))]
    counting = _Counting()
    toxicity, insults = calibrate.curves(counting, labels=("toxicity", "insult"), held_out=rows)
    assert sorted(counting.asked) == sorted([insult, calm])  # once, though both pools hold both
    assert toxicity.n == insults.n == 2 and toxicity.positives == insults.positives == 1
    scored = counting.moderator.scores([insult, calm])
    for curve in (toxicity, insults):
        for threshold, _, recall, share in curve.rows:
            over = [s.values[curve.label] >= threshold for s in scored]
            assert share == sum(over) / 2 and recall == float(over[0])
