"""The middle stage: static word-piece vectors from the shipped MiniLM, and the network
over them and the first stage's logits."""

import numpy as np
import pytest

from parley.moderation import features, static
from parley.moderation.moderator import MODELS_DIR, Moderator, shipped
from parley.moderation.static import StaticScorer


@pytest.fixture(scope="module")
def middle() -> StaticScorer:
    return StaticScorer.load(MODELS_DIR / "static.npz", MODELS_DIR / "tokenizer.json")


def test_a_comments_vector_is_the_weighted_mean_of_its_words_pieces(middle):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MODELS_DIR / "tokenizer.json"))
    texts = ["The council voted again.", "", "Unbelievable nonsense from the minister!", "   ", "You a$$hole."]
    batch = features.encode(texts)
    pooled = middle.pooled(batch)
    for t, row in enumerate(pooled):
        # The first stage's words (folded, disguises written out), each split into pieces.
        words = [batch.folded()[s:e].decode() for s, e, w in
                 zip(batch.word_starts.tolist(), batch.word_ends.tolist(), batch.word_text.tolist(), strict=True)
                 if w == t]
        ids = [i for word in words for i in tokenizer.encode(word, add_special_tokens=False).ids]
        if not ids:  # no pieces: the zero vector
            assert not row.any()
            continue
        w = middle.weights[ids]
        expected = (middle.vectors[ids].astype(np.float32) * w[:, None]).sum(axis=0) / w.sum()
        assert np.allclose(row, expected, atol=1e-4)
    # The disguise is undone before the pieces are looked up.
    assert np.array_equal(middle.pooled(features.encode(["You asshole."]))[0], pooled[4])
    # A post alone (pooled text by text) and an archive's batch (sparse products): the same vectors.
    alone = np.vstack([middle.pooled(features.encode([text])) for text in texts])
    assert np.allclose(alone, pooled, atol=1e-5)
    many = texts * 5  # more than _FEW texts
    assert np.allclose(middle.pooled(features.encode(many)), np.vstack([pooled] * 5), atol=1e-5)


def test_the_middle_stage_reads_what_the_first_scores_and_ranks_abuse_above_news(middle):
    texts = ["You are a pathetic worthless idiot and everyone here despises you.",
             "The council approved the new bus lane on Tuesday after a long debate."]
    batch = features.encode(texts)
    logits = shipped().first.scan(batch).logits
    probs = middle.probabilities(batch, logits)
    assert probs.shape == (2, 6) and ((probs > 0) & (probs < 1)).all()
    assert probs[0, 0] > 0.8 > 0.2 > probs[1, 0]
    # The first stage's logits are an input: changing them changes the answer.
    assert not np.allclose(middle.probabilities(batch, logits + 3.0), probs)


def test_the_default_path_scores_with_the_middle_stage_and_fast_without():
    default, fast = Moderator.load(), Moderator.load(fast=True)
    assert default.middle is not None and fast.middle is None and Moderator.load(accurate=True).middle is None
    texts = ["The council approved the new bus lane on Tuesday.", "You are a worthless pathetic idiot."]
    batch = features.encode(texts)
    logits = default.first.scan(batch).logits
    expected = default.middle.probabilities(batch, logits)
    assert not default.unsure(expected).any(), expected  # outside the band: the middle stage's answer stands
    assert default.toxicity(texts) == pytest.approx(expected)
    assert default.screened(texts) == pytest.approx(expected)
    assert fast.toxicity(texts) == pytest.approx(1 / (1 + np.exp(-logits)))
    assert not np.allclose(expected, fast.toxicity(texts))


def test_the_shipped_vectors_are_the_minilms_own(middle):
    """Read the pieces out of the shipped MiniLM again: the stored table is theirs, reduced.
    Pieces are compared by their pairwise distances, which the PCA keeps up to the
    dimensions it drops. Read again on another machine they differ by about 1% (on the
    AMD EPYC of 1 December: median 1.4%, 99th percentile 6.8%, correlation 0.996), as the
    8-bit kernels onnxruntime picks depend on the CPU; a table of other pieces' vectors
    (the stored one, shuffled) correlates at about 0."""
    full = static.vocabulary_vectors(MODELS_DIR)
    assert full.shape[0] == middle.vectors.shape[0]
    again = static.reduced(full, middle.vectors.shape[1]).astype(np.float32)
    stored = middle.vectors.astype(np.float32)
    picks = np.random.default_rng(3).choice(len(stored), 200, replace=False)
    pairs = ~np.eye(len(picks), dtype=bool)
    distances = lambda v: np.linalg.norm(v[picks, None] - v[None, picks], axis=-1)[pairs]  # noqa: E731
    read, kept = distances(again), distances(stored)
    assert np.corrcoef(read, kept)[0, 1] > 0.98
    assert np.median(np.abs(read - kept) / kept) < 0.03
    shuffled = distances(stored[np.random.default_rng(4).permutation(len(stored))])
    assert abs(np.corrcoef(shuffled, kept)[0, 1]) < 0.3


def test_fitting_learns_a_separable_rule_and_saves_without_pickle(middle, tmp_path):
    rng = np.random.default_rng(1)
    texts = [f"{'vile worthless scum' if i % 2 else 'lovely council meeting'} number {i}" for i in range(400)]
    batch = features.encode(texts)
    targets = np.full((400, 6), np.nan)
    targets[:, 0] = [i % 2 for i in range(400)]
    logits = rng.normal(0, 1, (400, 6))  # the first stage knows nothing here: the vectors must tell
    model = StaticScorer.fit(batch, targets, logits, middle.vectors, middle.weights, MODELS_DIR / "tokenizer.json",
                             epochs=20, seed=5)
    probs = model.probabilities(batch, logits)[:, 0]
    assert (probs[1::2] > 0.9).all() and (probs[::2] < 0.1).all()
    model.save(tmp_path / "static.npz")
    with np.load(tmp_path / "static.npz", allow_pickle=False) as f:
        assert all(f[k].dtype != object for k in f.files)
    again = StaticScorer.load(tmp_path / "static.npz", MODELS_DIR / "tokenizer.json")
    assert np.array_equal(again.probabilities(batch, logits), model.probabilities(batch, logits))
