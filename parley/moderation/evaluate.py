"""``parley eval``: the shipped models and alt-profanity-check on the same held-out rows.

Held-out rows are the shared split's (``data.py``): no Parley model learned them. The
baseline has seen every Jigsaw and Davidson row, so it is scored only on the other sets,
and so are we wherever the two stand side by side. Span F1 is on the Toxic Spans trial
posts; the identity sentences are ``identity.py``'s.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

from parley.moderation import calibrate, challenge, data, identity
from parley.moderation.data import MODEL_LABELS
from parley.moderation.moderator import Moderator
from parley.moderation.spans import char_f1
from parley.moderation.stream import BATCH

RESAMPLES = 1000  # for the paired bootstrap intervals
POOLED = "not seen by baseline"
# Where Parley and alt-profanity-check stand side by side: the rows it never learned,
# pooled, then set by set (not toxic_spans: every one of its posts is toxic).
SIDE_BY_SIDE = (POOLED, *(s for s in data.SETS if s not in data.SEEN_BY_BASELINE and s != "toxic_spans"))


@dataclasses.dataclass
class Metric:
    model: str
    rows: str
    label: str
    n: int
    positives: int
    roc_auc: float
    pr_auc: float
    f1: float
    threshold: float


def _metric(model: str, rows: str, label: str, y: np.ndarray, p: np.ndarray, threshold: float) -> Metric | None:
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    if len(set(y.tolist())) < 2:
        return None
    return Metric(model, rows, label, len(y), int(y.sum()), roc_auc_score(y, p), average_precision_score(y, p),
                  f1_score(y, p >= threshold), threshold)


def lowest_threshold(moderator: Moderator, label: str) -> float:
    by_action = moderator.policy.thresholds.get(label) or {}
    return min(by_action.values()) if by_action else 0.5


def baseline_probabilities(texts: Sequence[str]) -> np.ndarray:
    from profanity_check import predict_prob

    return np.asarray(predict_prob(list(texts)), dtype=np.float64)


def _rate(fn: Callable[[list[str]], object], texts: list[str], runs: int = 3) -> float:
    """Comments a second, the median of ``runs``, in batches as ``parley score`` reads them."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            fn(texts[i:i + BATCH])
        times.append(time.perf_counter() - started)
    return len(texts) / statistics.median(times)


@dataclasses.dataclass
class Report:
    metrics: list[Metric]
    span_f1: float
    span_posts: int
    identity_worst: tuple[float, str, str]  # score, label, sentence
    identity_flagged: list[str]
    identity_count: int
    rates: dict[str, float]
    second_stage_share: float
    bands: list[tuple[tuple[float, float], float, float]]
    # Per side-by-side row set and Parley path: (rows, path, its toxicity AUC, the
    # baseline's, the difference's 95% paired bootstrap interval).
    differences: list[tuple[str, str, float, float, tuple[float, float]]] = dataclasses.field(default_factory=list)
    challenge: list[challenge.ChallengeResult] = dataclasses.field(default_factory=list)  # default path, --fast
    spam: list[challenge.SpamResult] = dataclasses.field(default_factory=list)
    # Ways to combine the stages: (name, toxicity ROC-AUC on the pooled rows the baseline did not see).
    candidates: list[tuple[str, float]] = dataclasses.field(default_factory=list)
    curves: list[calibrate.Curve] = dataclasses.field(default_factory=list)  # thresholds against precision
    thresholds: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)  # the policy's

    def standing(self) -> list[str]:
        """Where the default path stands against the two bars it is held to: above
        alt-profanity-check (the interval) and at least as good as ``--accurate``."""
        by = {(rows, path): (ours, low, high) for rows, path, ours, _, (low, high) in self.differences}
        lines = []
        for rows in dict.fromkeys(r for r, _ in by):
            ours, low, high = by[rows, "parley"]
            against = "above" if low > 0 else "below" if high < 0 else "level with"
            accurate = by.get((rows, "parley --accurate"), (float("nan"),))[0]
            lines.append(f"- {rows}: the default path is {against} alt-profanity-check; "
                         f"{ours - accurate:+.4f} against `--accurate` ({ours:.4f} and {accurate:.4f})")
        return lines

    def table(self) -> str:
        lines = ["| model | held-out rows | label | n | positives | ROC-AUC | PR-AUC | F1 @ threshold |",
                 "|---|---|---|---:|---:|---:|---:|---:|"]
        for m in self.metrics:
            lines.append(f"| {m.model} | {m.rows} | {m.label} | {m.n:,} | {m.positives:,} | {m.roc_auc:.4f} | "
                         f"{m.pr_auc:.4f} | {m.f1:.4f} @ {m.threshold:.2f} |")
        lines += [
            "",
            f"- Toxic spans, character F1 on the SemEval-2021 trial posts ({self.span_posts}): **{self.span_f1:.4f}**",
            f"- Identity sentences ({self.identity_count}): {len(self.identity_flagged)} over a threshold; "
            f"the highest score is {self.identity_worst[1]} {self.identity_worst[0]:.3f} "
            f"for \"{self.identity_worst[2]}\"",
            f"- Share of held-out comments the cascade sends to the second stage: {self.second_stage_share:.1%}",
            f"- Comments/s on this machine (2,000 held-out comments in batches of {BATCH:,}, median of 3, one process, "
            "models loaded; parley writes verdicts, alt-profanity-check only probabilities): "
            + ", ".join(f"{k} {v:,.0f}" for k, v in self.rates.items()),
            "",
            "Toxicity ROC-AUC, each Parley path against alt-profanity-check on the same held-out rows, with a 95% "
            f"interval for the difference ({RESAMPLES:,} paired bootstrap resamples of the rows): where it spans 0, "
            "these rows cannot tell the two apart",
            "",
            "| held-out rows | path | parley | alt-profanity-check | difference | 95% interval |",
            "|---|---|---:|---:|---:|---|",
            *(f"| {rows} | {path} | {ours:.4f} | {theirs:.4f} | {ours - theirs:+.4f} | {low:+.4f} to {high:+.4f} |"
              for rows, path, ours, theirs, (low, high) in self.differences),
            "",
            *self.standing(),
            "",
            "Candidates for the default path, toxicity ROC-AUC on the pooled rows the baseline did not see "
            "(their speeds are the comments/s above: the MiniLM's share is what costs)",
            "",
            "| candidate | ROC-AUC |",
            "|---|---:|",
            *(f"| {name} | {auc:.4f} |" for name, auc in self.candidates),
            "",
            "Bands (first and middle stages' toxicity read again by the second stage): what each costs and buys",
            "",
            "| band | share of held-out comments | toxicity ROC-AUC, rows not seen by the baseline |",
            "|---|---:|---:|",
            *(f"| {low}–{high} | {share:.1%} | {auc:.4f} |" for (low, high), share, auc in self.bands),
        ]
        if self.curves:
            lines += ["", "Thresholds against precision, on held-out data (`calibrate.py`: the held-out rows that "
                      "speak to each label, and `harm_dev.jsonl` for threats and identity attacks). The pools hold "
                      "far more abuse than a site's stream (toxicity: 44%), so a site sees lower precision at each "
                      "threshold.", ""]
            for curve in self.curves:
                acts = self.thresholds.get(curve.label, {})
                at = {t: p for t, p, _, _ in curve.rows}
                said = ", ".join(f"{action} at {t:g}" + (f" (precision {at[round(t, 2)]:.3f})" if round(t, 2) in at
                                                          else "") for action, t in acts.items())
                lowest = curve.lowest_for(0.7)
                floor = f"{lowest:.2f}" if lowest is not None else "none"
                lines += [curve.table(), "", f"The policy: {said or 'no action'}. The lowest threshold from which "
                          f"precision stays at 0.7 or more: {floor}.", ""]
        for result in self.challenge:
            lines += ["", f"The challenge set (`parley/moderation/challenge.jsonl`), {result.model}: actions per kind",
                      "", result.table()]
        for result in self.spam:
            lines += ["", "Spam set " + result.table()]
        return "\n".join(lines)


def evaluate(moderator: Moderator, *, limit: int | None = None, log=print) -> Report:
    every = data.held_out_rows()
    rows = every
    if limit:
        rows = rows[:limit] if len(rows) <= limit else [rows[i] for i in range(0, len(rows), len(rows) // limit)]
    texts = [r.text for r in rows]
    log(f"scoring {len(rows):,} held-out rows (the second stage reads them all: minutes)")
    fast = Moderator(moderator.first, moderator.tagger, None, version=moderator.version, fast=True)
    ours_fast = fast.toxicity(texts)
    middle = moderator.screened(texts)
    accurate = moderator.second.probabilities(texts)
    unsure = moderator.unsure(middle)
    ours = middle.copy()
    ours[unsure] = accurate[unsure]
    unseen = np.array([r.source not in data.SEEN_BY_BASELINE for r in rows])
    baseline = np.full(len(rows), np.nan)  # nan on the rows it learned
    baseline[unseen] = baseline_probabilities([t for t, u in zip(texts, unseen, strict=True) if u])
    metrics: list[Metric] = []
    for j, label in enumerate(MODEL_LABELS):
        target = np.array([r.targets[j] for r in rows])
        known = ~np.isnan(target)
        y = (target >= 0.5).astype(int)
        threshold = lowest_threshold(moderator, label)
        for name, probs in (("parley", ours), ("parley --fast", ours_fast), ("parley --accurate", accurate)):
            for rows_name, mask in (("all held-out", known), ("not seen by baseline", known & unseen)):
                m = _metric(name, rows_name, label, y[mask], probs[mask, j], threshold)
                if m:
                    metrics.append(m)
        if label in ("toxicity", "insult", "profanity"):
            mask = known & unseen
            m = _metric("alt-profanity-check", "not seen by baseline", label, y[mask], baseline[mask], 0.5)
            if m:
                metrics.append(m)
    toxicity = np.array([r.targets[0] for r in rows])
    differences = []
    paths = (("parley", ours), ("parley --fast", ours_fast), ("parley --accurate", accurate))
    for source in SIDE_BY_SIDE:
        sel = unseen if source == POOLED else np.array([r.source == source for r in rows])
        sel = sel & ~np.isnan(toxicity)
        y = (toxicity[sel] >= 0.5).astype(int)
        if len(set(y.tolist())) < 2:  # a small --limit can leave a set one-sided
            continue
        for name, probs in paths:
            differences.append((source, name, *paired_difference(y, probs[sel, 0], baseline[sel])))
        if source == POOLED:  # already in the per-label rows above
            continue
        for name, probs in paths:
            metrics.append(_metric(name, source, "toxicity", y, probs[sel, 0], lowest_threshold(moderator, "toxicity")))
        metrics.append(_metric("alt-profanity-check", source, "toxicity", y, baseline[sel], 0.5))
    metrics = [m for m in metrics if m]

    trial = list(data.read_spans("toxic_spans_trial.csv"))
    tagged = moderator.tagger.tag([t for t, _ in trial], moderator.first)
    span_f1 = float(np.mean([char_f1([c for s, e in p for c in range(s, e)], gold)
                             for p, (_, gold) in zip(tagged, trial, strict=True)]))

    sentences = identity.sentences()
    verdicts = moderator.assess(sentences)
    worst = max(((v.scores[label], label, s) for s, v in zip(sentences, verdicts, strict=True)
                 for label in MODEL_LABELS))
    flagged = [s for s, v in zip(sentences, verdicts, strict=True) if v.action != "publish"]

    # One sample for all three, spread over every set (the rows are in file order).
    sample = texts[::max(1, len(texts) // 2000)][:2000]
    rates = {"parley": _rate(lambda t: moderator.assess(t), sample),
             "parley --fast": _rate(lambda t: fast.assess(t), sample),
             "alt-profanity-check": _rate(baseline_probabilities, sample)}
    share = float(np.mean(unsure))
    bands = _bands(moderator, rows, unseen, middle, accurate)
    if moderator.middle is not None:
        rates["first and middle stages, no verdicts"] = _rate(moderator.screened, sample)
    y = (toxicity >= 0.5).astype(int)
    pooled = unseen & ~np.isnan(toxicity)
    candidates = [(name, _auc(y[pooled], probs[pooled, 0])) for name, probs in (
        ("first stage alone (`--fast`)", ours_fast), ("first and middle stages", middle),
        ("first and middle, the MiniLM in the band (default)", ours),
        ("first and middle, the band the mean of middle and MiniLM",
         np.where(unsure[:, None], (middle + accurate) / 2, middle)),
        ("the MiniLM alone (`--accurate`)", accurate),
        ("mean of middle and MiniLM on every comment", (middle + accurate) / 2))]
    hard = [challenge.run(moderator), challenge.run(fast)]
    return Report(metrics, span_f1, len(trial), worst, flagged, len(sentences), rates, share, bands, differences,
                  hard, challenge.spam_sets(moderator), candidates,
                  calibrate.curves(moderator, limit=limit, held_out=every),
                  {label: dict(acts) for label, acts in moderator.policy.thresholds.items()})


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def paired_difference(y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, resamples: int = RESAMPLES,
                      seed: int = 13) -> tuple[float, float, tuple[float, float]]:
    """Both ROC-AUCs on rows ``y``, and a 95% interval for ours minus theirs: the rows
    resampled with replacement, the same rows for both models, so that what the two get
    right or wrong together cancels out."""
    from sklearn.metrics import roc_auc_score

    if len(set(y.tolist())) < 2:
        raise ValueError("ROC-AUC needs rows of both classes")
    rng = np.random.default_rng(seed)
    positive = np.asarray(y) == 1
    # Each score's rank among the distinct scores, once: a resample is then a count per row.
    levels = [np.unique(scores, return_inverse=True)[1] for scores in (ours, theirs)]
    diffs = []
    while len(diffs) < resamples:
        pick = rng.integers(0, len(y), len(y))
        if 0 < positive[pick].sum() < len(pick):  # a resample with one class has no AUC
            times = np.bincount(pick, minlength=len(y)).astype(np.float64)
            diffs.append(_counted_auc(levels[0], positive, times) - _counted_auc(levels[1], positive, times))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return roc_auc_score(y, ours), roc_auc_score(y, theirs), (float(low), float(high))


def _counted_auc(level: np.ndarray, positive: np.ndarray, times: np.ndarray) -> float:
    """ROC-AUC of rows counted ``times`` each (a bootstrap resample), ties counting half,
    as ``roc_auc_score`` on the resampled rows gives: the chance that a positive outranks
    a negative, from each distinct score's positives and the negatives below it."""
    size = int(level.max()) + 1
    pos = np.bincount(level, weights=times * positive, minlength=size)
    neg = np.bincount(level, weights=times * ~positive, minlength=size)
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def _bands(moderator: Moderator, rows, unseen: np.ndarray, first: np.ndarray, second: np.ndarray
           ) -> list[tuple[tuple[float, float], float, float]]:
    """What other bands would cost and buy: (band, share sent on, toxicity ROC-AUC on the
    rows the baseline did not see)."""
    from sklearn.metrics import roc_auc_score

    y = np.array([data.binary(r.targets[0]) for r in rows])
    out = []
    for band in ((0.7, 0.8), (0.6, 0.9), (0.4, 0.95), (0.25, 0.75), (0.0, 1.0)):
        mask = (first[:, 0] >= band[0]) & (first[:, 0] <= band[1])
        mixed = np.where(mask, second[:, 0], first[:, 0])
        out.append((band, float(mask.mean()), float(roc_auc_score(y[unseen], mixed[unseen]))))
    return out
