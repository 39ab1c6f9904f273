"""Which characters make a comment toxic: a word tagger trained on the SemEval-2021
Toxic Spans posts, evaluated the way that task was (``char_f1``).

Each word is tagged from what it is, its neighbours, and how hard the first stage's
coefficients push it towards each label; tagged words next to each other become one
span. A logistic regression, like the first stage, so it is saved as plain arrays.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from parley.moderation import features
from parley.moderation.linear import LinearScorer, Scan

_SALT_PREV = np.uint64(0x2545F4914F6CDD1D)
_SALT_NEXT = np.uint64(0x4F1BBCDCBFA53E0B)
_SALT_PREFIX = np.uint64(0x61C8864680B583EB)
_SALT_SUFFIX = np.uint64(0x3C6EF372FE94F82A)
_AFFIX = 4


def char_f1(predicted: Sequence[int], gold: Sequence[int]) -> float:
    """SemEval-2021 Task 5's per-post F1 over character offsets: both empty scores 1,
    one empty scores 0."""
    p, g = set(predicted), set(gold)
    if not g:
        return 1.0 if not p else 0.0
    if not p:
        return 0.0
    both = len(p & g)
    if not both:
        return 0.0
    precision, recall = both / len(p), both / len(g)
    return 2 * precision * recall / (precision + recall)


class SpanTagger:
    """Tags words as toxic. Parameters: ``n_features`` hash buckets for word identity,
    ``threshold`` the probability a word needs, ``fallback`` the probability the likeliest
    word of a text needs when no word reaches ``threshold`` (a toxic comment nearly always
    has a word to show for it), ``C`` the inverse regularisation."""

    def __init__(self, n_features: int = 2**18, threshold: float = 0.5, fallback: float = 1.0,
                 C: float = 1.0) -> None:
        self.n_features = n_features
        self.threshold = threshold
        self.fallback = fallback
        self.C = C

    def _design(self, batch: features.Batch, first: LinearScorer, scan: Scan, words: np.ndarray):
        """For the batch's ``words`` (indices): hashed indices of each word, its neighbours
        and its first and last four letters (which catch inflections and disguises), and
        the first stage's per-label weights for the word whole and for the character
        n-grams inside it (``LinearScorer.inner_weights``)."""
        hashes = batch.word_hashes()
        starts, ends = batch.word_starts[words], batch.word_ends[words]
        prefix = features.word_hashes(dataclasses.replace(
            batch, word_starts=starts, word_ends=np.minimum(ends, starts + _AFFIX))) ^ _SALT_PREFIX
        suffix = features.word_hashes(dataclasses.replace(
            batch, word_starts=np.maximum(starts, ends - _AFFIX), word_ends=ends)) ^ _SALT_SUFFIX
        n = len(hashes)
        same_prev = np.zeros(n, dtype=bool)
        same_next = np.zeros(n, dtype=bool)
        if n > 1:
            same_prev[1:] = batch.word_text[1:] == batch.word_text[:-1]
            same_next[:-1] = same_prev[1:]
        prev = np.where(same_prev, np.roll(hashes, 1), np.uint64(0))[words] ^ _SALT_PREV
        nxt = np.where(same_next, np.roll(hashes, -1), np.uint64(0))[words] ^ _SALT_NEXT
        index = np.stack([features.feature_index(h, self.n_features)
                          for h in (hashes[words], prev, nxt, prefix, suffix)], axis=1)
        dense = np.hstack([first.word_weights(hashes[words]), first.inner_weights(batch, scan, words)])
        return index, dense.astype(np.float64)

    def fit(self, texts: Sequence[str], spans: Sequence[Sequence[int]], first: LinearScorer) -> SpanTagger:
        import scipy.sparse
        from sklearn.linear_model import LogisticRegression

        batch = features.encode(texts)
        index, dense = self._design(batch, first, first.scan(batch), np.arange(len(batch.word_starts)))
        y = np.zeros(len(index))
        for k, (b0, b1, t) in enumerate(zip(batch.word_starts, batch.word_ends, batch.word_text, strict=True)):
            lo, hi = batch.char_range(int(t), int(b0), int(b1))
            gold = spans[t]
            y[k] = bool(gold) and any(lo <= c < hi for c in gold)
        rows = np.repeat(np.arange(len(index)), index.shape[1])
        sparse = scipy.sparse.csr_matrix((np.ones(rows.size), (rows, index.ravel())),
                                         shape=(len(index), self.n_features))
        x = scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr()
        model = LogisticRegression(C=self.C, solver="liblinear", max_iter=300)
        model.fit(x, y)
        self.coef_ = model.coef_[0, :self.n_features].astype(np.float32)
        self.dense_coef_ = model.coef_[0, self.n_features:].astype(np.float32)
        self.intercept_ = float(model.intercept_[0])
        self.coef_[0] = 0.0
        return self

    def tag(self, texts: Sequence[str], first: LinearScorer) -> list[list[tuple[int, int]]]:
        """Per text, the [start, end) character spans of its toxic words, neighbours joined."""
        batch = features.encode(texts)
        return self.tag_batch(batch, first, first.scan(batch), range(batch.size))

    def tag_batch(self, batch: features.Batch, first: LinearScorer, scan: Scan,
                  rows: Sequence[int], *, fallback: bool = True) -> list[list[tuple[int, int]]]:
        """``tag`` for the texts ``rows`` of a batch the first stage has scanned: the
        moderator tags only the comments its policy flags. ``fallback=False``: no
        likeliest word for a text none of whose words reach the threshold (for comments
        nothing flagged, which may well have no toxic word at all)."""
        selected = np.zeros(batch.size, dtype=bool)
        selected[np.asarray(rows, dtype=np.int64)] = True
        words = np.flatnonzero(selected[batch.word_text])
        index, dense = self._design(batch, first, scan, words)
        probs = 1.0 / (1.0 + np.exp(-(self.coef_[index].sum(axis=1) + dense @ self.dense_coef_ + self.intercept_)))
        word_text = batch.word_text[words]
        chosen = probs >= self.threshold
        if fallback and self.fallback < 1.0 and len(probs):
            # Each text's likeliest word, where none of its words reached the threshold.
            best = np.full(batch.size, -1.0)
            np.maximum.at(best, word_text, probs)
            untagged = np.bincount(word_text, weights=chosen, minlength=batch.size) == 0
            chosen |= (probs == best[word_text]) & untagged[word_text] & (probs >= self.fallback)
        out: dict[int, list[tuple[int, int]]] = {int(t): [] for t in rows}
        chosen_words = words[chosen]
        texts = word_text[chosen]
        starts, ends = batch.char_ranges(texts, batch.word_starts[chosen_words], batch.word_ends[chosen_words])
        for t, lo, hi in zip(texts.tolist(), starts, ends, strict=True):
            spans = out[t]
            # Join words separated only by spaces: raters mark "stupid idiot" as one span.
            if spans and not batch.texts[t][spans[-1][1]:lo].strip():
                spans[-1] = (spans[-1][0], hi)
            else:
                spans.append((lo, hi))
        return [out[int(t)] for t in rows]

    def save(self, path: Path) -> None:
        meta = {"params": {"n_features": self.n_features, "threshold": self.threshold, "fallback": self.fallback,
                           "C": self.C},
                "intercept": self.intercept_}
        np.savez_compressed(path, coef=self.coef_.astype(np.float16), dense_coef=self.dense_coef_,
                            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))

    @classmethod
    def load(cls, path: Path) -> SpanTagger:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(f["meta"].tobytes())
            tagger = cls(**meta["params"])
            tagger.coef_ = f["coef"].astype(np.float32)
            tagger.dense_coef_ = f["dense_coef"].astype(np.float32)
            tagger.intercept_ = float(meta["intercept"])
        return tagger

