"""``parley train`` end to end on a small cut of the shared data: the same data and
seed give the same artefacts, loadable without pickle."""

import json

import numpy as np
import pytest

from parley.cli import main
from parley.moderation import data
from parley.moderation.moderator import MODELS_DIR, Moderator
from tests.moderation.conftest import models_with_the_second_stage


def test_train_first_stage_twice_gives_the_same_models(small_data, tmp_path, capsys):
    a, b = models_with_the_second_stage(tmp_path / "a"), models_with_the_second_stage(tmp_path / "b")
    assert main(["train", "--stage", "first", "--no-eval", "--out", str(a)]) == 0
    assert main(["train", "--stage", "first", "--no-eval", "--out", str(b)]) == 0
    for artefact in ("linear.npz", "spans.npz"):
        with np.load(a / artefact, allow_pickle=False) as x, np.load(b / artefact, allow_pickle=False) as y:
            assert x.files == y.files
            for key in x.files:
                assert np.array_equal(x[key], y[key]), (artefact, key)
    manifest = json.loads((a / "manifest.json").read_text())
    # The version ends in a digest of the artefacts: equal artefacts, equal digest.
    digest_b = json.loads((b / "manifest.json").read_text())["version"].rsplit("-", 1)[1]
    assert manifest["version"].rsplit("-", 1)[1] == digest_b
    assert {f["file"] for f in manifest["data"]} >= {"jigsaw_train_sample.csv", "toxic_spans_trial.csv"}
    assert manifest["stages"]["first"]["rows"] == len(data.training_rows())
    # A model from 300 rows a set is no judge of anything; it loads and scores.
    verdict = Moderator.load(a, fast=True).assess_one("hello")
    assert verdict.model == manifest["version"] + "+fast" and len(verdict.scores) == 8


def test_the_teachers_answers_are_kept_per_text_and_model(tmp_path, monkeypatch):
    from parley.moderation.train import remembered

    monkeypatch.setenv("PARLEY_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "minilm.onnx"
    model.write_bytes(b"model one")
    asked = []

    class Teacher:
        def probabilities(self, texts):
            asked.append(list(texts))
            return np.array([[len(t) / 100] * len(data.MODEL_LABELS) for t in texts])

    first = remembered(Teacher(), model)(["a", "bb", "a"])
    assert asked == [["a", "bb"]] and first[:, 0].tolist() == [0.01, 0.02, 0.01]
    again = remembered(Teacher(), model)(["bb", "ccc"])  # a new process: read from disk
    assert asked[1:] == [["ccc"]] and again[:, 0].tolist() == [0.02, 0.03]
    model.write_bytes(b"model two")  # another model's answers are not its own
    remembered(Teacher(), model)(["a"])
    assert asked[2:] == [["a"]]


def test_training_without_the_second_stage_artefacts_is_a_clear_error(small_data, tmp_path, capsys):
    out = tmp_path / "empty"
    assert main(["train", "--stage", "first", "--no-eval", "--out", str(out)]) == 2
    assert "minilm.onnx" in capsys.readouterr().err


def test_shipped_models_are_small_and_pickle_free():
    total = sum(p.stat().st_size for p in MODELS_DIR.iterdir())
    assert total < 50 * 2**20, total
    for path in MODELS_DIR.glob("*.npz"):
        with np.load(path, allow_pickle=False) as f:
            assert all(f[k].dtype != object for k in f.files)
    assert (MODELS_DIR / "MODEL_CARD.md").exists()


def test_the_first_stage_learns_toxicity_partly_from_the_second_on_its_rows():
    from parley.moderation.train import DISTIL, first_targets, second_stage_rows

    nan = float("nan")
    civil = data.Row("civil", "a news comment", (0.67, nan, 0.33, 0.0, 0.0, 0.0))
    tweets = [data.Row("davidson", f"tweet {i}", (1.0, nan, nan, nan, nan, nan)) for i in range(8010)]
    rows = [*tweets[:5], civil, *tweets[5:]]
    asked = []

    def teacher(texts):  # a different probability for every text, so that misaligned rows show
        asked.extend(texts)
        return np.array([[len(t) / 100 + int(t.split()[-1]) / 1e5 if t.startswith("tweet") else 0.2] * 6
                         for t in texts])

    targets = first_targets(rows, teacher)
    taught = {r.text for r in second_stage_rows(rows)}
    assert sorted(asked) == sorted(taught)  # the MiniLM scores only the rows it learned from
    assert targets[5, 0] == pytest.approx((1 - DISTIL) * 0.67 + DISTIL * 0.2)
    assert np.array_equal(targets[5, 1:], np.array(civil.targets[1:]), equal_nan=True)  # its own labels
    for row, target in zip(rows, targets[:, 0], strict=True):
        if row.text in taught:
            assert target == pytest.approx((1 - DISTIL) * row.targets[0] + DISTIL * teacher([row.text])[0, 0])
        else:  # 10 of the tweets: the MiniLM did not learn them, so toxicity skips them
            assert np.isnan(target)
    assert np.isnan(targets[:, 0]).sum() == 10
