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
    assert {m.rows for m in ours} >= {"all held-out", "not seen by baseline", "civil", "olid", "hatexplain"}
    assert 0.0 < report.span_f1 <= 1.0 and report.rates["parley --fast"] > 0
    # Each paired interval compares the very AUCs of the table's rows, and contains their difference.
    auc = {(m.model, m.rows): m.roc_auc for m in report.metrics if m.label == "toxicity"}
    assert [d[0] for d in report.differences] == ["not seen by baseline", "civil", "olid", "hatexplain"]
    for rows_name, ours, theirs, (low, high) in report.differences:
        assert (ours, theirs) == (auc["parley", rows_name], auc["alt-profanity-check", rows_name])
        assert low <= ours - theirs <= high


def test_eval_prints_the_table(capsys):
    assert main(["eval", "--limit", "300", "--no-card"]) == 0
    out = capsys.readouterr().out
    assert "| model | held-out rows | label |" in out and "alt-profanity-check" in out
    assert "character F1" in out and "Identity sentences" in out
    assert "| held-out rows | parley | alt-profanity-check | difference | 95% interval |" in out


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
