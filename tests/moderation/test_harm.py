"""Harm without swear words by its forms (parley/moderation/harm.py): threats and
dehumanising language caught, their look-alikes left alone, and reports of them not
mistaken for them. The sentences here are this file's own; harm_dev.jsonl is the set
the signs were written against, and challenge.jsonl (measured, not asserted) the test."""

from __future__ import annotations

import json
from pathlib import Path

from parley.moderation import Action, harm
from parley.moderation.data import MODEL_LABELS
from parley.moderation.moderator import shipped

THREATS = ["We know where your son goes to school.", "I'll find you, and then we'll talk properly.",
           "Someone should pay this councillor a little visit.", "You will regret writing this, I promise.",
           "Be a shame if something happened to that nice car of yours.", "Your days are numbered, pal."]
DEHUMANISING = ["Those migrants are vermin.", "People like you are a cancer on this country.",
                "They breed like rats in those flats.", "Exterminate the lot of them."]
HARMLESS = ["I'll kill you at darts on Friday, Steve.", "Watch your back on the icy path by the church.",
            "Rats are living under the bins behind the market.", "Potholes are a plague on the ring road.",
            "The MP said she received threats and police are investigating.",
            "Calling refugees 'vermin' is how it starts, and the councillor should resign.",
            "Corruption is a cancer in this council.", "My boss will murder me if I'm late again."]


def test_threats_and_dehumanising_language_reach_their_thresholds():
    values, spans = harm.harm_signs(THREATS + DEHUMANISING)
    threat, attack = harm.LABELS.index("threat"), harm.LABELS.index("identity_attack")
    assert (values[:len(THREATS), threat] >= 0.8).all(), values[:len(THREATS)]
    assert (values[len(THREATS):, attack] >= 0.8).all(), values[len(THREATS):]
    assert set(spans) == set(range(len(THREATS + DEHUMANISING)))  # each with the words that did it


def test_their_look_alikes_and_reports_of_them_do_not():
    values, spans = harm.harm_signs(HARMLESS)
    assert (values < 0.8).all(), [(t, v) for t, v in zip(HARMLESS, values.tolist(), strict=True) if max(v) >= 0.8]


def test_a_threat_is_held_with_its_words_marked():
    text = "I know where you live, so think about your family before you write again."
    verdict = shipped().assess_one(text)
    assert verdict.action is Action.HOLD and verdict.scores["threat"] >= 0.8
    marked = [text[s.start:s.end] for s in verdict.spans if s.label == "threat"]
    assert "I know where you live" in marked


def test_the_dev_set_leaves_benign_comments_alone():
    rows = [json.loads(line) for line in
            (Path(harm.__file__).with_name("harm_dev.jsonl")).read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 400
    benign = [r["text"] for r in rows if not r["harmful"]]
    values, _ = harm.harm_signs(benign)
    assert (values.max(axis=1) >= 0.8).sum() <= 3  # 1 of 300 when written


def test_the_needles_lose_no_match():
    # Each sign's pattern runs only on texts holding one of its needles: reading every
    # text with every pattern must find exactly the same.
    from parley.moderation import challenge

    rows = [json.loads(line) for line in
            (Path(harm.__file__).with_name("harm_dev.jsonl")).read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows] + [i.text for i in challenge.load()] + THREATS + DEHUMANISING + HARMLESS
    fast, fast_spans = harm.harm_signs(texts)
    slow, slow_spans = harm.harm_signs(texts, needles=False)
    assert (fast == slow).all() and fast_spans == slow_spans


def test_fast_scoring_leaves_the_signs_out():
    from parley.moderation.moderator import shipped as shipped_models

    text = "I know where you live, so think about your family before you write again."
    signs, _ = harm.harm_signs([text])
    threat = harm.LABELS.index("threat")
    assert signs[0, threat] >= 0.8  # the sign reads it as a threat
    fast = shipped_models(fast=True)
    first = fast.toxicity([text])[0]  # the first stage alone

    # --fast's threat is the first stage's own, lower than the sign's, and not raised to it.
    assert first[MODEL_LABELS.index("threat")] < signs[0, threat]
    assert fast.assess_one(text).scores["threat"] == round(float(first[MODEL_LABELS.index("threat")]), 4)
    assert shipped().assess_one(text).scores["threat"] >= signs[0, threat]
