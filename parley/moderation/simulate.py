"""What the moderators' decisions would teach, shown without a live site: the labels of
held-out news comments stand in for a moderator's decisions on them, the first stage is
retrained with them (``train.train_first``, as ``parley train --with-decisions`` does),
and both models are measured on the held-out news comments that were not decided.

``parley train --simulate-decisions N`` prints the table. The decided comments are a
seeded draw from the held-out Civil Comments and Fox News rows (the sets of comments
under news stories); a decision is the label as a class (rejected: toxic, approved:
not), as a moderator gives it, and nothing else of the row.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np

from parley.moderation import data, feedback
from parley.moderation.evaluate import paired_difference
from parley.moderation.moderator import Moderator

NEWS = ("civil", "fox")


@dataclasses.dataclass
class Outcome:
    rows: str  # which held-out rows
    path: str  # parley or parley --fast
    n: int
    before: float  # toxicity ROC-AUC of the shipped models
    after: float  # and of those retrained with the decisions
    interval: tuple[float, float]  # 95% paired bootstrap interval of after - before


@dataclasses.dataclass
class Simulation:
    decided: int
    drawn: int
    outcomes: list[Outcome]

    def table(self) -> str:
        lines = [f"The labels of {self.decided:,} held-out news comments ({self.drawn:,} drawn, less the Toxic Spans "
                 "trial posts among them, which no model learns) taken as moderators' decisions "
                 f"(each weighing {feedback.DECISION_WEIGHT:g} rows), the first stage retrained with them: "
                 "toxicity ROC-AUC on held-out rows that were not decided",
                 "", "| held-out rows | path | n | before | after | change | 95% interval |",
                 "|---|---|---:|---:|---:|---:|---|"]
        lines += [f"| {o.rows} | {o.path} | {o.n:,} | {o.before:.4f} | {o.after:.4f} | {o.after - o.before:+.4f} | "
                  f"{o.interval[0]:+.4f} to {o.interval[1]:+.4f} |" for o in self.outcomes]
        return "\n".join(lines)


def decided_and_rest(count: int, seed: int = 13, held_out: list[data.Row] | None = None
                     ) -> tuple[list[data.Row], list[data.Row]]:
    """``count`` held-out news comments to decide, and the held-out news comments left."""
    held_out = held_out if held_out is not None else data.held_out_rows()
    news = [r for r in held_out if r.source in NEWS and data.known(r.targets[0])]
    if count >= len(news):
        raise ValueError(f"there are {len(news):,} held-out news comments: decide fewer, to measure on the rest")
    random.Random(seed).shuffle(news)
    return news[:count], news[count:]


def as_decisions(rows: list[data.Row]) -> list[data.Row]:
    """What a moderator's decision on each row would say: toxic or not, and nothing more."""
    unknown = (data.NAN,) * (len(data.MODEL_LABELS) - 1)
    return [data.Row(feedback.SOURCE, r.text, (float(data.binary(r.targets[0])), *unknown)) for r in rows]


def simulate(models_dir: Path, count: int = 2000, log=print) -> Simulation:
    from parley.moderation.train import train_first, write_manifest

    held_out = data.held_out_rows()
    decided, rest = decided_and_rest(count, held_out=held_out)
    others = [r for r in held_out if r.source not in NEWS and r.source not in data.SEEN_BY_BASELINE]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in ("minilm.onnx", "tokenizer.json", "manifest.json", "static.npz"):  # the vectors are reused
            if (models_dir / name).exists():
                shutil.copy(models_dir / name, out / name)
        # Only the rows still measured are left out: the decided ones are the lesson.
        leave_out = {data.normalised(r.text) for r in rest + others} | data.trial_texts()
        # A drawn comment that is also a Toxic Spans trial post stays out, as every decision would.
        lesson = feedback.usable(as_decisions(decided), leave_out)
        write_manifest(out, {"first": train_first(out, log, lesson, leave_out=leave_out)})
        before, after = Moderator.load(models_dir), Moderator.load(out)
        outcomes = []
        for rows_name, rows in (("news comments not decided", rest), ("other sets the baseline did not see", others)):
            y = np.array([data.binary(r.targets[0]) for r in rows])
            texts = [r.text for r in rows]
            for path, fast in (("parley", False), ("parley --fast", True)):
                old = _toxicity(before, texts, fast)
                new = _toxicity(after, texts, fast)
                new_auc, old_auc, interval = paired_difference(y, new, old)
                outcomes.append(Outcome(rows_name, path, len(rows), old_auc, new_auc, interval))
    return Simulation(len(lesson), len(decided), outcomes)


def _toxicity(moderator: Moderator, texts: list[str], fast: bool) -> np.ndarray:
    if fast:
        return Moderator(moderator.first, moderator.tagger, None, version=moderator.version, fast=True
                         ).toxicity(texts)[:, 0]
    return moderator.toxicity(texts)[:, 0]
