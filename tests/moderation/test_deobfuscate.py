"""Disguised words are read as written out, at the writer's own offsets; honest text
that merely looks like a disguise is left as it is."""

import numpy as np
import pytest

from parley.moderation import features
from parley.moderation.deobfuscate import deobfuscated


@pytest.mark.parametrize("disguised, plain", [
    ("you a$$hole", "you asshole"),
    ("what an a$$.", "what an ass."),
    ("sh1t", "shit"),
    ("id10t", "idiot"),
    ("b@stard", "bastard"),
    ("f*ck you", "fuck you"),
    ("f**king hell", "fucking hell"),
    ("st*pid", "stupid"),
    ("k i l l yourself", "kill    yourself"),
    ("f.u.c.k off", "fuck    off"),
    ("an i-d-i-o-t", "an idiot    "),
])
def test_disguises_are_written_out_at_the_same_length(disguised, plain):
    assert deobfuscated(disguised) == plain


@pytest.mark.parametrize("honest", [
    "mail me@site.com", "us$5 a day", "covid19 cases", "@ss is a mention", "j. r. r. tolkien",
    "plan a, b or c", "the **** is a mask we cannot read", "5 * 3 = 15", "word * word", "in 2024 it cost $100",
    "a b", "sequel was killer",
])
def test_honest_text_is_left_alone(honest):
    assert deobfuscated(honest) == honest


@pytest.mark.parametrize("text", ["You are a total a$$hole.",
                                  "Caf\u00e9 \u201cowner\u201d \U0001f621: a total a$$hole."])
def test_the_features_read_the_plain_word_and_spans_keep_the_writers_offsets(text):
    batch = features.encode([text])
    buffer = batch.folded()
    words = [buffer[s:e] for s, e in zip(batch.word_starts.tolist(), batch.word_ends.tolist(), strict=True)]
    assert b"asshole" in words
    # The word's characters in the writer's text are the disguised ones, one for one.
    k = words.index(b"asshole")
    (lo,), (hi,) = batch.char_ranges(np.array([0]), batch.word_starts[k:k + 1], batch.word_ends[k:k + 1])
    assert text[lo:hi] == "a$$hole"
