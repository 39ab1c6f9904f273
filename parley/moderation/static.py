"""The middle stage: the fine-tuned MiniLM's knowledge in a form that costs microseconds.

model2vec's idea (Tulkens and van Dongen, 2024), built from the model Parley ships and
nothing downloaded: every word piece of the MiniLM's vocabulary is read by the MiniLM
alone (``[CLS] piece [SEP]``), and its mean-pooled output, the same vector the
classifier's head reads, becomes that piece's static vector, reduced to ``DIMENSIONS``
by PCA. A comment's vector is the mean of its words' pieces' vectors, each weighted by
how rare the piece is (SIF: ``a / (a + frequency)``), so "the" counts little. The words
are the first stage's (``features.py``: lower-cased, folded, disguises written out), so
"a$$hole" reads as its pieces of "asshole".

A small network (one hidden layer of ``HIDDEN``) reads that vector beside the first
stage's logits and learns the same targets as the first stage (toxicity mostly from the
MiniLM's own probabilities): it adds what the MiniLM knows of words the n-grams have
not seen, and keeps what the n-grams know. Scored on every comment of the default path,
it costs a tokenisation and a gather, tens of microseconds; the MiniLM itself then reads
only the band the middle stage is unsure of.

The vocabulary pass needs the ``onnx`` package (``pip install -e '.[train]'``), to read
the pooled vector out of the shipped graph; refitting the network on new first-stage
logits needs only numpy, and reuses the vectors already in ``static.npz``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from parley.moderation import features

DIMENSIONS = 128
HIDDEN = 64
MAX_WORDS = 256  # a comment's first 256 words; a longer one is judged by them
_FEW = 8  # batches of at most this many texts are pooled text by text
_REMEMBERED = 500_000  # words whose pieces a process keeps (about 60 MB at the most)
SIF_A = 1e-3
_POOLED = "/inner/Div_output_0"  # the mean-pooled encoder output, before the head


def vocabulary_vectors(model_dir: Path, threads: int = 2) -> np.ndarray:
    """(vocabulary, 384) float32: each word piece's pooled vector, read alone."""
    import onnx
    import onnxruntime
    from tokenizers import Tokenizer

    graph = onnx.load(str(Path(model_dir) / "minilm.onnx"))
    if not any(_POOLED in node.output for node in graph.graph.node):
        raise ValueError(f"{model_dir}/minilm.onnx has no {_POOLED}: export it with finetune.py")
    graph.graph.output.append(onnx.helper.make_tensor_value_info(_POOLED, onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    size = tokenizer.get_vocab_size()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    vectors = None
    for start in range(0, size, 1024):
        ids = np.arange(start, min(size, start + 1024), dtype=np.int64)
        batch = np.stack([np.full(len(ids), cls), ids, np.full(len(ids), sep)], axis=1)
        _, pooled = session.run(None, {"input_ids": batch, "attention_mask": np.ones_like(batch)})
        if vectors is None:
            vectors = np.zeros((size, pooled.shape[1]), dtype=np.float32)
        vectors[ids] = pooled
    return vectors


def reduced(vectors: np.ndarray, dimensions: int = DIMENSIONS) -> np.ndarray:
    """The vectors on their first principal components, as float16 (a 30,522-piece table
    of 128 is 7.8 MB)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return (centred @ components[:dimensions].T).astype(np.float16)


@dataclasses.dataclass
class StaticScorer:
    """Scores ``MODEL_LABELS`` from a comment's static vector and the first stage's logits."""

    vectors: np.ndarray  # (vocabulary, DIMENSIONS) float16
    weights: np.ndarray  # (vocabulary,) float32, SIF
    centre: np.ndarray  # (inputs,) float32: inputs are standardised before the network
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    tokenizer_path: Path
    _tokenizer: object = dataclasses.field(default=None, init=False, repr=False)
    _float32: np.ndarray | None = dataclasses.field(default=None, init=False, repr=False)
    # Word hash -> its pieces, for the words this process has seen (``pooled``).
    _known: dict[int, tuple[int, ...]] = dataclasses.field(default_factory=dict, init=False, repr=False)

    # --- scoring ----------------------------------------------------------------------

    def pooled(self, batch: features.Batch) -> np.ndarray:
        """(texts, DIMENSIONS): each text's SIF-weighted mean piece vector (0 for none).

        A text's pieces are its words' (the first stage's words: folded, disguises written
        out), each word split into pieces once per process and remembered by its hash, so
        that a batch costs a lookup per distinct word, not a tokeniser pass per text; then
        two sparse products, (texts, words) by (words, pieces) by the piece table."""
        from scipy.sparse import csr_matrix

        hashes = batch.word_hashes()
        if not len(hashes):
            return np.zeros((batch.size, self.vectors.shape[1]), dtype=np.float32)
        distinct, first_at, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        pieces = self._pieces_of(batch, distinct, first_at)
        if batch.size <= _FEW:
            return self._pooled_each(batch, pieces, inverse)
        lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
        ids = np.fromiter((i for p in pieces for i in p), dtype=np.int64, count=int(lengths.sum()))
        words = csr_matrix((self.weights[ids], ids, np.concatenate(([0], np.cumsum(lengths)))),
                           shape=(len(distinct), len(self.vectors)))
        # Each text's words, at most MAX_WORDS of them (a longer text is judged by its start).
        rank = np.arange(len(hashes)) - np.searchsorted(batch.word_text, batch.word_text, side="left")
        keep = rank < MAX_WORDS
        uses = csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (batch.word_text[keep], inverse[keep])),
                          shape=(batch.size, len(distinct)))
        weighted = uses @ words  # (texts, pieces): each piece's SIF weight, as often as it comes
        mass = np.asarray(weighted.sum(axis=1)).ravel()
        summed = np.asarray(weighted @ self._table(), dtype=np.float32)
        return summed / np.where(mass > 0, mass, 1.0)[:, None].astype(np.float32)

    def _pooled_each(self, batch: features.Batch, pieces: list[tuple[int, ...]], inverse: np.ndarray) -> np.ndarray:
        """``pooled`` for a few texts (a post, not an archive): a gather each, without the
        sparse products, whose setup costs more than one comment's arithmetic."""
        out = np.zeros((batch.size, self.vectors.shape[1]), dtype=np.float32)
        bounds = np.searchsorted(batch.word_text, np.arange(batch.size + 1), side="left").tolist()
        table, order = self._table(), inverse.tolist()
        for t in range(batch.size):
            ids = [i for k in order[bounds[t]:bounds[t + 1]][:MAX_WORDS] for i in pieces[k]]
            if ids:
                w = self.weights[ids]
                if w.sum() > 0:
                    out[t] = (w @ table[ids]) / w.sum()
        return out

    def _pieces_of(self, batch: features.Batch, distinct: np.ndarray, first_at: np.ndarray) -> list[tuple[int, ...]]:
        """Each distinct word's pieces. The answer is built from what this call read or
        split itself, so another thread adding to the shared memory, or clearing it, can
        cost a repeated split but never a wrong or missing answer."""
        known = self._known
        keys = distinct.tolist()
        pieces = [known.get(h) for h in keys]
        new = [k for k, found in enumerate(pieces) if found is None]
        if new:
            buffer = batch.folded()
            at = first_at[new]
            texts = [buffer[s:e].decode("utf-8", "replace")
                     for s, e in zip(batch.word_starts[at].tolist(), batch.word_ends[at].tolist(), strict=True)]
            if len(known) + len(new) > _REMEMBERED:  # an archive's long tail: start again
                known.clear()
            for k, encoded in zip(new, self._tokenizer_().encode_batch(texts, add_special_tokens=False), strict=True):
                pieces[k] = known[keys[k]] = tuple(encoded.ids)
        return pieces

    def _tokenizer_(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return self._tokenizer

    def warm(self) -> None:
        """Make now what the first batch would: the tokenizer and the float32 table."""
        self._table()
        self._tokenizer_()

    def _table(self) -> np.ndarray:
        # float16 on disk, float32 in memory (15.6 MB): a product in float16 is slower.
        if self._float32 is None:
            self._float32 = self.vectors.astype(np.float32)
        return self._float32

    def inputs(self, batch: features.Batch, first_logits: np.ndarray) -> np.ndarray:
        x = np.hstack([self.pooled(batch), first_logits.astype(np.float32)])
        return (x - self.centre) / self.scale

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w1 + self.b1, 0.0) @ self.w2 + self.b2

    def probabilities(self, batch: features.Batch, first_logits: np.ndarray) -> np.ndarray:
        """(texts, MODEL_LABELS) probabilities; ``first_logits`` are the first stage's on ``batch``."""
        if not batch.size:
            return np.zeros((0, self.w2.shape[1]))
        z = np.clip(self.logits(self.inputs(batch, first_logits)), -30.0, 30.0)
        return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))

    # --- training ---------------------------------------------------------------------

    @classmethod
    def fit(cls, batch: features.Batch, targets: np.ndarray, first_logits: np.ndarray, vectors: np.ndarray,
            weights: np.ndarray, tokenizer_path: Path, *, sample_weight: np.ndarray | None = None, epochs: int = 8,
            seed: int = 13) -> StaticScorer:
        """``targets`` (texts, labels) in 0..1, nan where unknown (that label skips the
        row). Adam on binary cross-entropy, minibatches of 256, seeded."""
        rng = np.random.default_rng(seed)
        labels = targets.shape[1]
        blank = cls(vectors, weights, np.zeros(1, np.float32), np.ones(1, np.float32), *(np.zeros(1, np.float32),) * 4,
                    tokenizer_path)
        x = np.hstack([blank.pooled(batch), first_logits.astype(np.float32)])
        centre, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        x = ((x - centre) / scale).astype(np.float32)
        params = [rng.normal(0, 0.1, (x.shape[1], HIDDEN)).astype(np.float32), np.zeros(HIDDEN, np.float32),
                  rng.normal(0, 0.1, (HIDDEN, labels)).astype(np.float32), np.zeros(labels, np.float32)]
        known = ~np.isnan(targets)
        goal = np.nan_to_num(targets).astype(np.float32)
        row_weight = np.ones(len(x), np.float32) if sample_weight is None else sample_weight.astype(np.float32)
        moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        step = 0
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), 256):
                at = order[start:start + 256]
                w1, b1, w2, b2 = params
                hidden = np.maximum(x[at] @ w1 + b1, 0.0)
                p = 1.0 / (1.0 + np.exp(-np.clip(hidden @ w2 + b2, -30, 30)))
                g = (p - goal[at]) * known[at] * row_weight[at, None] / len(at)
                gh = (g @ w2.T) * (hidden > 0)
                grads = [x[at].T @ gh + 1e-4 * w1, gh.sum(axis=0), hidden.T @ g + 1e-4 * w2, g.sum(axis=0)]
                step += 1
                for param, grad, (m, v) in zip(params, grads, moments, strict=True):
                    m *= 0.9
                    m += 0.1 * grad
                    v *= 0.999
                    v += 0.001 * grad * grad
                    param -= 1e-3 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        return cls(vectors, weights, centre.astype(np.float32), scale.astype(np.float32), *params, tokenizer_path)

    # --- files ------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        np.savez(path, vectors=self.vectors, weights=self.weights, centre=self.centre, scale=self.scale,
                 w1=self.w1, b1=self.b1, w2=self.w2, b2=self.b2)

    @classmethod
    def load(cls, path: Path, tokenizer_path: Path) -> StaticScorer:
        with np.load(path, allow_pickle=False) as f:
            return cls(*(f[k] for k in ("vectors", "weights", "centre", "scale", "w1", "b1", "w2", "b2")),
                       tokenizer_path)


def sif_weights(tokenizer_path: Path, texts: Sequence[str], size: int) -> np.ndarray:
    """Each piece's weight from its frequency in ``texts``: rare pieces weigh most."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_truncation()
    counts = np.zeros(size, dtype=np.float64)
    for e in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        np.add.at(counts, e.ids, 1)
    share = counts / max(counts.sum(), 1.0)
    return (SIF_A / (SIF_A + share)).astype(np.float32)
