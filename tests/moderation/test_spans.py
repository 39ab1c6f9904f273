import re

import numpy as np
import pytest

from parley.moderation import data
from parley.moderation.moderator import MODELS_DIR, shipped
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


def test_spans_on_the_trial_posts_reach_the_f1_the_model_card_reports():
    moderator = shipped(fast=True)
    trial = list(data.read_spans("toxic_spans_trial.csv"))
    tagged = moderator.tagger.tag([t for t, _ in trial], moderator.first)
    f1 = np.mean([char_f1([c for s, e in p for c in range(s, e)], g)
                  for p, (_, g) in zip(tagged, trial, strict=True)])
    card = (MODELS_DIR / "MODEL_CARD.md").read_text()
    reported = float(re.search(r"character F1 on the SemEval-2021 trial posts \(\d+\): \*\*([0-9.]+)\*\*", card)[1])
    assert round(f1, 4) == reported
    for (text, _), spans in zip(trial, tagged, strict=True):
        assert all(0 <= s < e <= len(text) for s, e in spans)


def test_tagging_some_texts_of_a_batch_marks_what_tagging_them_alone_does():
    # The moderator tags only the flagged comments of a batch, reading the first stage's
    # n-grams of the whole batch: a text's spans must not depend on its neighbours.
    moderator = shipped(fast=True)
    texts = ["A calm note about the summit.", "İstanbul idiots, all of you “morons”", "",
             "@John, go fuck yourself you stupid Canadian Troll jackwad.", "Thanks for the report 😡 stupid"]
    rows = [1, 3, 4]
    from parley.moderation import features

    batch = features.encode(texts)
    subset = moderator.tagger.tag_batch(batch, moderator.first, moderator.first.scan(batch), rows)
    alone = moderator.tagger.tag([texts[i] for i in rows], moderator.first)
    assert subset == alone
    assert all(subset)
