"""A small cut of the shared data, for tests that train."""

import csv
import shutil

import pytest

from parley.moderation import data
from parley.moderation.moderator import MODELS_DIR
from tests.conftest import SHARED


@pytest.fixture
def small_data(tmp_path, monkeypatch):
    out = tmp_path / "data"
    out.mkdir()
    for name in (name for names in data.FILES.values() for name in names):
        delimiter = "\t" if name.endswith(".tsv") else ","
        with open(SHARED / "data" / name, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter=delimiter))[:301]
        with open(out / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=delimiter).writerows(rows)
    monkeypatch.setenv("PARLEY_DATA", str(out))
    monkeypatch.setenv("PARLEY_CACHE", str(tmp_path / "cache"))
    return out


def models_with_the_second_stage(out):
    out.mkdir()
    # The second stage takes 20 to 60 minutes: tests train the first and reuse the shipped second.
    # The middle stage's vectors come with it (test_static.py reads them out of the MiniLM again).
    for artefact in ("minilm.onnx", "tokenizer.json", "static.npz"):
        shutil.copy(MODELS_DIR / artefact, out / artefact)
    return out
