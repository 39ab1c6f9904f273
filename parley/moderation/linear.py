"""The first stage: logistic regression per label over hashed word and character
n-grams (``features.py``). It scores an archive at tens of thousands of comments a
second, settles the clear cases, and says which words pushed a score up.

A text's features are its n-gram counts weighted by inverse document frequency and
divided by the root of the summed squared weights of its occurrences; a label's logit is
the dot product with that label's coefficients plus its intercept. Scoring never builds
the weighted feature matrix: a sparse matrix of n-gram counts times one table (per
feature, each label's coefficient x idf, and idf squared for the norm) gives every
text's sums at once (``features.summed``).

Saved as one ``.npz`` of plain arrays (float16 coefficients), loaded with
``allow_pickle=False``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from parley.moderation import features
from parley.moderation.base import Context, Scorer, Scores
from parley.moderation.data import MODEL_LABELS


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclasses.dataclass
class Scan:
    """What one pass of the first stage over a batch gives."""

    logits: np.ndarray  # (texts, labels)
    chars: list[features.Occurrences]  # the character n-grams, by size, for ``inner_weights``


class LinearScorer(Scorer):
    """Scores ``MODEL_LABELS`` from hashed n-grams.

    Parameters: ``n_features`` hash buckets; ``char_range`` the character n-gram sizes;
    ``word_grams`` 1 for words, 2 to add word pairs; ``C`` the inverse regularisation.
    """

    labels = MODEL_LABELS

    def __init__(self, n_features: int = 2**18, char_range: tuple[int, int] = (3, 5), word_grams: int = 2,
                 C: float = 1.0) -> None:
        self.n_features = n_features
        self.char_range = char_range
        self.word_grams = word_grams
        self.C = C

    # --- learning -------------------------------------------------------------------------

    def _kinds(self, batch: features.Batch) -> list[features.Occurrences]:
        return features.occurrences(batch, self.n_features, tuple(self.char_range), self.word_grams)

    def fit(self, texts: Sequence[str], targets: Sequence[Sequence[float]],
            contexts: Sequence[Context] | None = None, sample_weight: Sequence[float] | None = None) -> LinearScorer:
        """``targets``: per text, one value in 0..1 per label of ``MODEL_LABELS``, nan where
        unknown. A fractional target (a share of raters) counts as a positive with that
        weight and a negative with the rest. ``sample_weight`` (one per text, default 1)
        multiplies both: moderators' decisions weigh more than a dataset's row."""
        from sklearn.linear_model import LogisticRegression

        targets = np.asarray(targets, dtype=np.float64)
        row_weight = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        batch = features.encode(texts)
        kinds = self._kinds(batch)
        df = np.zeros(self.n_features, dtype=np.float64)
        for occ in kinds:
            rows = np.repeat(np.arange(batch.size), np.diff(occ.bounds))
            pairs = np.unique(rows.astype(np.int64) * self.n_features + occ.index)
            df += np.bincount(pairs % self.n_features, minlength=self.n_features)
        idf = np.log((1 + batch.size) / (1 + df)) + 1.0
        idf[0] = 0.0
        self.idf_ = idf.astype(np.float32)
        x = features.sparse_matrix(kinds, batch.size, self.n_features, self.idf_)
        coef = np.zeros((self.n_features, len(self.labels)), dtype=np.float32)
        intercept = np.zeros(len(self.labels), dtype=np.float32)
        for j in range(len(self.labels)):
            y = targets[:, j]
            known = np.flatnonzero(~np.isnan(y))
            p, w = y[known], row_weight[known]
            # Each row twice: as a positive weighted p, as a negative weighted 1 - p.
            rows = np.concatenate([known, known])
            labels = np.concatenate([np.ones(len(known)), np.zeros(len(known))])
            weights = np.concatenate([p * w, (1.0 - p) * w])
            keep = weights > 0
            if len(set(labels[keep].tolist())) < 2:
                # Nothing to tell apart (a small set with no threats, say): the base rate.
                rate = float(np.clip(np.average(p, weights=w) if len(p) else 0.0, 1e-4, 1 - 1e-4))
                intercept[j] = np.log(rate / (1 - rate))
                continue
            model = LogisticRegression(C=self.C, solver="liblinear", max_iter=200)
            model.fit(x[rows[keep]], labels[keep], sample_weight=weights[keep])
            coef[:, j] = model.coef_[0]
            intercept[j] = model.intercept_[0]
        coef[0] = 0.0
        self.coef_ = coef
        self.intercept_ = intercept
        self._prepare()
        return self

    def _prepare(self) -> None:
        # Per feature: each label's coefficient times idf, and idf squared for the norm;
        # one sparse product with this table scores a batch.
        idf = self.idf_.astype(np.float32)
        # Rows padded to a multiple of 8 floats (32 bytes): an unpadded row of 7 straddles
        # two cache lines nearly half the time, and scoring is mostly fetching rows.
        labels = len(self.labels)
        table = np.zeros((self.n_features, -(-(labels + 1) // 8) * 8), dtype=np.float32)
        table[:, :labels] = self.coef_ * idf[:, None]
        table[:, labels] = idf ** 2
        self._table = table
        self._weighted = table[:, :labels]

    # --- scoring --------------------------------------------------------------------------

    def logits(self, batch: features.Batch) -> np.ndarray:
        """(texts, labels) logits for an encoded batch."""
        return self.scan(batch).logits

    def scan(self, batch: features.Batch) -> Scan:
        """The logits, keeping the character n-grams for ``inner_weights``."""
        kinds = self._kinds(batch)  # the character n-grams by size first, then the word kinds
        chars = kinds[:self.char_range[1] - self.char_range[0] + 1]
        total = features.summed(kinds, batch.size, self.n_features, self._table)
        norm = np.sqrt(total[:, len(self.labels)].astype(np.float64))
        norm[norm == 0] = 1.0
        return Scan(total[:, :len(self.labels)] / norm[:, None] + self.intercept_, chars)

    def inner_weights(self, batch: features.Batch, scan: Scan, words: np.ndarray) -> np.ndarray:
        """(words, labels): for each of the batch's ``words`` (indices), the mean
        coefficient x idf of the character n-grams inside it, counting the space or mark
        on either side; what lets the span tagger credit a word never seen whole
        ("jackwad") with its parts ("jack", "wad")."""
        if not len(words):
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        count = np.zeros(len(words))
        first = batch.word_starts[words] - 1
        inside = []
        for n, occ in zip(range(self.char_range[0], self.char_range[1] + 1), scan.chars, strict=True):
            # The n-grams starting at first .. end + 1 - n, one run per word.
            lengths = np.maximum(batch.word_ends[words] + 2 - n - first, 0)
            bounds = np.zeros(len(words) + 1, dtype=np.int64)
            np.cumsum(lengths, out=bounds[1:])
            positions = np.repeat(first - bounds[:-1], lengths) + np.arange(bounds[-1])
            inside.append(features.Occurrences(occ.index[positions], bounds))
            count += lengths
        total = features.summed(inside, len(words), self.n_features, self._table)
        return total[:, :len(self.labels)] / np.maximum(count, 1)[:, None]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return _sigmoid(self.logits(features.encode(texts)))

    def score(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> list[Scores]:
        probs = self.probabilities(texts)
        return [Scores({label: round(float(v), 4) for label, v in zip(self.labels, row, strict=True)})
                for row in probs]

    def word_weights(self, hashes: np.ndarray) -> np.ndarray:
        """(words, labels): each word's own coefficient times idf, the push it gives alone."""
        return self._weighted[features.feature_index(hashes, self.n_features)]

    # --- artefact -------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        meta = {"params": {**self.get_params(), "char_range": list(self.char_range)}, "labels": list(self.labels)}
        np.savez_compressed(path, coef=self.coef_.astype(np.float16), idf=self.idf_.astype(np.float16),
                            intercept=self.intercept_, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))

    @classmethod
    def load(cls, path: Path) -> LinearScorer:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(f["meta"].tobytes())
            params = meta["params"]
            scorer = cls(**{**params, "char_range": tuple(params["char_range"])})
            scorer.coef_ = f["coef"].astype(np.float32)
            scorer.idf_ = f["idf"].astype(np.float32)
            scorer.intercept_ = f["intercept"].astype(np.float32)
        if tuple(meta["labels"]) != cls.labels:
            raise ValueError(f"{path} scores {meta['labels']}, not {cls.labels}")
        scorer._prepare()
        return scorer
