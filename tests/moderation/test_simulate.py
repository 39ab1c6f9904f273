"""``parley train --simulate-decisions``: held-out news comments' labels as decisions,
the first stage retrained with them, measured on the rest; on a small cut of the data."""

import re

import pytest

from parley.cli import main
from parley.moderation import data, simulate
from tests.moderation.conftest import models_with_the_second_stage


def test_the_decided_comments_are_news_and_never_measured(small_data):
    decided, rest = simulate.decided_and_rest(20)
    assert len(decided) == 20 and rest
    assert {r.source for r in decided + rest} <= set(simulate.NEWS)
    assert all(r.held_out for r in decided + rest)
    assert not {data.normalised(r.text) for r in decided} & {data.normalised(r.text) for r in rest}
    # A decision says toxic or not, as a moderator does: a share of raters becomes a class.
    for row, decision in zip(decided, simulate.as_decisions(decided), strict=True):
        assert decision.targets[0] == data.binary(row.targets[0])
        assert all(not data.known(t) for t in decision.targets[1:])
    with pytest.raises(ValueError, match="decide fewer"):
        simulate.decided_and_rest(len(decided) + len(rest))


def test_simulate_decisions_prints_before_and_after_and_leaves_the_models_alone(small_data, tmp_path, capsys):
    models = models_with_the_second_stage(tmp_path / "models")
    assert main(["train", "--stage", "first", "--no-eval", "--out", str(models)]) == 0
    before = {p.name: p.read_bytes() for p in models.iterdir()}
    capsys.readouterr()
    assert main(["train", "--simulate-decisions", "20", "--out", str(models)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"The labels of [1-9]\d* held-out news comments \(20 drawn", out), out  # some decided
    assert "| news comments not decided | parley |" in out and "| news comments not decided | parley --fast |" in out
    assert {p.name: p.read_bytes() for p in models.iterdir()} == before


def test_simulate_decisions_wants_a_count(capsys):
    assert main(["train", "--simulate-decisions", "0"]) == 2
    assert "--simulate-decisions" in capsys.readouterr().err
