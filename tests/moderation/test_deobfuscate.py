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


def _framed_one_by_one(texts):
    return b"\0".join((" " + features.fold(t) + " ").encode("utf-8", "replace") for t in texts) + b"\0"


def test_a_batch_reads_every_text_as_fold_does_though_only_suspects_are_rewritten():
    # Random texts over the characters the rules read (letters, signs, separators, non-ASCII,
    # a NUL), many of them disguises at the edges of a text or beside another text's.
    rng = np.random.default_rng(11)
    alphabet = list("akilsh ") + list("$@013457!|*.-_+~") + ["\u00e9", "\u201c", "\0", "A", "Z"]
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 12))) for _ in range(4000)]
    texts += ["a$$", "$$a", "k i l", "(k.i.l)", "x a$$$$$hole", "f*", "*", "a1", "1a", ""]
    assert features.encode(texts).folded() == _framed_one_by_one(texts)
    changed = sum(features.fold(t) != features._lowered(t) for t in texts)
    assert changed > 500  # the texts above do hold disguises for the rules to undo


def test_a_text_with_nothing_to_undo_is_not_a_suspect():
    buffer = np.frombuffer(b" the sequel was killer, 5 * 3 = 15! \0", dtype=np.uint8)
    suspects = features.deobfuscate.suspects(buffer).tolist()
    assert suspects == [buffer.tobytes().index(b"*")]  # only the star, which the masked rule reads
    assert features.deobfuscate.suspects(np.frombuffer(b" said no. \0", dtype=np.uint8)).tolist() == []
