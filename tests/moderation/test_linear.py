import numpy as np
import pytest

from parley.moderation import check_scorer, data
from parley.moderation.linear import LinearScorer


@pytest.fixture(scope="module")
def rows():
    return data.load(("jigsaw", "olid"))


@pytest.fixture(scope="module")
def fitted(rows) -> LinearScorer:
    train = [r for r in data.training_rows(rows)][:4000]
    return LinearScorer(n_features=2**16).fit([r.text for r in train], [r.targets for r in train])


def test_conforms(fitted):
    check_scorer(fitted, ["You are an idiot.", "Thanks for the edit.", "", "🙂"])


def test_fit_returns_self_and_learns_underscored_attributes():
    scorer = LinearScorer(n_features=2**10)
    assert scorer.fit(["you idiot", "thank you"], [[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]]) is scorer
    assert scorer.coef_.shape == (2**10, 6) and scorer.coef_[0].tolist() == [0.0] * 6


def test_learns_something_that_holds_on_held_out_rows(fitted, rows):
    from sklearn.metrics import roc_auc_score

    held = [r for r in data.held_out_rows(rows) if r.source == "jigsaw"]
    y = [data.binary(r.target("toxicity")) for r in held]
    assert roc_auc_score(y, fitted.probabilities([r.text for r in held])[:, 0]) > 0.85


def test_saved_and_loaded_without_pickle_it_scores_the_same(fitted, tmp_path):
    path = tmp_path / "linear.npz"
    fitted.save(path)
    with np.load(path, allow_pickle=False) as f:
        assert all(f[k].dtype != object for k in f.files)
    loaded = LinearScorer.load(path)
    texts = ["You are an idiot.", "Thanks for the edit."]
    # Coefficients are stored as float16: close, not identical.
    assert np.allclose(loaded.probabilities(texts), fitted.probabilities(texts), atol=2e-3)


def test_a_soft_target_weighs_between_the_classes():
    texts = ["alpha beta", "gamma delta"] * 20
    hard = LinearScorer(n_features=2**10).fit(texts, [[1.0] + [0.0] * 5, [0.0] * 6] * 20)
    soft = LinearScorer(n_features=2**10).fit(texts, [[0.6] + [0.0] * 5, [0.0] * 6] * 20)
    assert soft.probabilities(["alpha beta"])[0, 0] < hard.probabilities(["alpha beta"])[0, 0]


def test_n_features_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        LinearScorer(n_features=1000).fit(["a"], [[0.0] * 6])
