import pytest

from parley.cli import main
from parley.moderation import data
from parley.moderation.evaluate import evaluate
from parley.moderation.moderator import shipped


def test_the_baseline_is_never_scored_on_rows_it_learned():
    report = evaluate(shipped(), limit=600, log=lambda m: None)
    rows = data.held_out_rows()
    step = len(rows) // 600
    sample = [rows[i] for i in range(0, len(rows), step)]
    unseen = [r for r in sample if r.source not in data.SEEN_BY_BASELINE]
    baseline = [m for m in report.metrics if m.model == "alt-profanity-check"]
    assert baseline and all(m.rows != "all held-out" for m in baseline)
    (tox,) = [m for m in baseline if m.label == "toxicity" and m.rows == "not seen by baseline"]
    assert tox.n == len(unseen)
    ours = [m for m in report.metrics if m.model == "parley" and m.label == "toxicity"]
    # Every set the baseline did not learn is compared where the sample holds both classes of it.
    two_sided = {s for s in data.SETS if s not in data.SEEN_BY_BASELINE and s != "toxic_spans"
                 and len({data.binary(r.targets[0]) for r in unseen if r.source == s}) == 2}
    assert two_sided >= {"civil", "olid", "hatexplain", "stormfront"}
    assert {m.rows for m in ours} == {"all held-out", "not seen by baseline"} | two_sided
    assert 0.0 < report.span_f1 <= 1.0 and report.rates["parley --fast"] > 0
    # Each paired interval compares the very AUCs of the table's rows, and contains their difference.
    auc = {(m.model, m.rows): m.roc_auc for m in report.metrics if m.label == "toxicity"}
    compared = {(d[0], d[1]) for d in report.differences}
    assert {rows for rows, _ in compared} == {"not seen by baseline"} | two_sided
    assert {path for _, path in compared} == {"parley", "parley --fast", "parley --accurate"}
    for rows_name, path, ours, theirs, (low, high) in report.differences:
        assert (ours, theirs) == (auc[path, rows_name], auc["alt-profanity-check", rows_name])
        assert low <= ours - theirs <= high
    # One line per set says where the default path stands.
    assert len(report.standing()) == len({rows for rows, _ in compared})


def test_eval_prints_the_table(capsys):
    assert main(["eval", "--limit", "300", "--no-card"]) == 0
    out = capsys.readouterr().out
    assert "| model | held-out rows | label |" in out and "alt-profanity-check" in out
    assert "character F1" in out and "Identity sentences" in out
    assert "| held-out rows | path | parley | alt-profanity-check | difference | 95% interval |" in out


def test_the_paired_interval_is_zero_for_one_model_against_itself_and_clear_for_a_better_one():
    import numpy as np

    from parley.moderation.evaluate import paired_difference

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    noisy = y + rng.normal(0, 1.0, 400)  # ranks well, not perfectly
    ours, theirs, (low, high) = paired_difference(y, noisy, noisy, resamples=200)
    assert ours == theirs and low == high == 0.0
    ours, theirs, (low, high) = paired_difference(y, y + rng.normal(0, 0.3, 400), noisy, resamples=200)
    assert ours > theirs and 0.0 < low <= ours - theirs <= high
    with pytest.raises(ValueError):
        paired_difference(np.ones(10, dtype=int), noisy[:10], noisy[:10])
    # Two equally good models: the interval spans 0.
    _, _, (low, high) = paired_difference(y, noisy, y + rng.normal(0, 1.0, 400), resamples=200)
    assert low < 0.0 < high


def test_a_resample_counted_row_by_row_has_the_auc_of_the_resampled_rows():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from parley.moderation.evaluate import _counted_auc

    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    scores = np.round(y + rng.normal(0, 1, 300), 1)  # rounded: ties, which count half
    level = np.unique(scores, return_inverse=True)[1]
    for _ in range(10):
        pick = rng.integers(0, 300, 300)
        times = np.bincount(pick, minlength=300).astype(float)
        assert _counted_auc(level, y == 1, times) == pytest.approx(roc_auc_score(y[pick], scores[pick]), abs=1e-12)
