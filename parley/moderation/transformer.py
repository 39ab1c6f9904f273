"""The second stage: the fine-tuned MiniLM (``finetune.py``), run with onnxruntime.

It reads a comment as a whole, not as n-grams, which is what the uncertain cases need;
at under 200 comments a second on one core it is too slow for every comment of an
archive, so the cascade (``moderator.py``) sends it only the cases the first stage is
unsure of.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from parley.moderation.base import Context, Scorer, Scores
from parley.moderation.data import MODEL_LABELS


class TransformerScorer(Scorer):
    """Scores ``MODEL_LABELS`` with the quantised ONNX model in ``model_dir``.

    Parameters: ``model_dir`` holds ``minilm.onnx`` and ``tokenizer.json``; ``batch_size``
    texts run together; ``threads`` for onnxruntime.

    The batch size is 1 by default, on purpose: the 8-bit model quantises activations
    with one scale per tensor, so a comment scored beside others (and their padding) gets
    a slightly different score than alone. A verdict must not depend on the neighbours,
    and on one core batching gains nothing measurable (the same rate at 1, 8 and 32).
    ``max_tokens`` is 64, not the 128 it was trained on: most comments are shorter, and
    reading at most 64 took it from 72 to 95 comments/s on one core.
    """

    labels = MODEL_LABELS

    def __init__(self, model_dir: Path, batch_size: int = 1, max_tokens: int = 64, threads: int = 1) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._loading = threading.Lock()

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        with self._loading:  # the web app's threads may all ask first at once
            if self._session is not None:
                return

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            tokenizer = Tokenizer.from_file(str(Path(self.model_dir) / "tokenizer.json"))
            tokenizer.enable_truncation(self.max_tokens)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
            self._session = onnxruntime.InferenceSession(str(Path(self.model_dir) / "minilm.onnx"), options,
                                                         providers=["CPUExecutionProvider"])

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        if self._session is None:
            self._load()
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        if not texts:
            return out
        encoded = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i].ids))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            width = max(len(encoded[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for j, i in enumerate(chunk):
                n = len(encoded[i].ids)
                ids[j, :n] = encoded[i].ids
                mask[j, :n] = 1
            (probs,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[chunk] = probs
        return out

    def score(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> list[Scores]:
        return [Scores({label: round(float(v), 4) for label, v in zip(self.labels, row, strict=True)})
                for row in self.probabilities(texts)]
