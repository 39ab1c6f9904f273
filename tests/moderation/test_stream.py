"""``parley score``: JSON Lines in, one verdict a line out, in order, in the fixed shape."""

import json
import shlex
import subprocess
import sys

from tests.conftest import EXAMPLE

KEYS = ["id", "scores", "spans", "action", "reasons", "model"]


def _score(lines: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "parley.cli", "score", *args], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=120)


def test_each_line_gets_its_verdict_in_order_and_shape():
    story = {"title": "Blinken in Paris", "body": EXAMPLE.read_text()[:2000]}
    items = [{"id": "a", "text": "@John, go fuck yourself you stupid Canadian Troll jackwad.", "story": story},
             {"id": 2, "text": "Excellent news regarding this meeting.", "story": story,
              "parent": "Blinken will meet Macron."},
             {"id": "c", "text": "Buy now buy now buy now buy now buy now buy now buy now buy now"}]
    result = _score([json.dumps(i) for i in items])
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c"]
    for o in out:
        assert list(o) == KEYS
        assert all(set(s) == {"start", "end", "label"} for s in o["spans"])
    assert out[0]["action"] != "publish" and out[0]["spans"]
    assert out[1]["action"] == "publish"
    assert out[2]["action"] in ("hold", "reject") and out[2]["scores"]["spam"] > 0.9


def test_fast_names_its_model(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": f"comment number {i}"}) for i in range(5000)) + "\n")
    result = subprocess.run([sys.executable, "-m", "parley.cli", "score", "--fast", "--input", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == list(range(5000))
    assert out[0]["model"].endswith("+fast")


def test_a_bad_line_is_named_and_scoring_goes_on_to_a_summary():
    lines = [json.dumps({"id": 1, "text": "fine"}), json.dumps({"id": 2, "txt": "typo"}),
             json.dumps({"id": 3, "text": "read after the typo"}), "{not json",
             json.dumps({"id": 5, "text": "fine", "story": "Blinken in Paris"}),
             json.dumps({"id": 6, "text": "last", "story": {"title": "Blinken in Paris"}})]
    for batch in ("1", "2", "2048"):  # a bad line at the start, middle or end of a batch
        result = _score(lines, "--batch", batch)
        assert result.returncode == 1, result.stderr
        assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 3, 6]
        errors = result.stderr.splitlines()
        assert errors[:3] == ["parley: line 2: text must be a string",
                              errors[1], "parley: line 5: story must be an object with string title and body"]
        assert errors[1].startswith("parley: line 4: not JSON")
        assert errors[3].startswith("scored 3 comments, failed 3: lines 2, 4, 5; model ")
        assert len(errors) == 4
    result = _score(["{not json"])
    assert result.returncode == 1 and "line 1: not JSON" in result.stderr
    assert "scored 0 comments, failed 1: line 1;" in result.stderr


def test_the_summary_of_a_clean_run_names_no_failure():
    result = _score([json.dumps({"id": 1, "text": "fine"})])
    assert result.returncode == 0
    assert result.stderr.startswith("scored 1 comments, failed 0; model ")


def test_the_summary_names_the_first_ten_failed_lines():
    result = _score(["{"] * 12 + [json.dumps({"id": 1, "text": "fine"})])
    assert result.returncode == 1
    assert "scored 1 comments, failed 12: lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …; model " in result.stderr
    assert result.stderr.count("not JSON") == 12


def test_a_missing_input_file_is_a_clear_error(tmp_path):
    result = _score([], "--input", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_a_batch_size_below_one_is_refused():
    result = _score([json.dumps({"id": 1, "text": "fine"})], "--batch", "0")
    assert result.returncode == 2 and "--batch must be at least 1" in result.stderr


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": f"comment {i}"}) for i in range(20000)) + "\n")
    result = subprocess.run(f"{shlex.quote(sys.executable)} -m parley.cli score --fast "
                            f"--input {shlex.quote(str(path))} | head -1",
                            shell=True, capture_output=True, text=True, timeout=120)
    assert json.loads(result.stdout)["id"] == 0
    assert "Traceback" not in result.stderr


def test_a_line_holding_two_comments_is_refused_by_its_number():
    # Lines are parsed a batch at a time as one JSON array: two objects on one line must
    # not slip through as two comments.
    lines = [json.dumps({"id": 1, "text": "fine"}), "",
             json.dumps({"id": 2, "text": "one"}) + "," + json.dumps({"id": 3, "text": "two"})]
    result = _score([*lines, json.dumps({"id": 4, "text": "after"})])
    assert result.returncode == 1
    assert "line 3: not JSON" in result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 4]


def test_blank_lines_are_skipped():
    result = _score(["", json.dumps({"id": 1, "text": "fine"}), "   ", json.dumps({"id": 2, "text": "also fine"})])
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2]


def test_spans_all_shows_why_a_published_comment_scored_as_it_did():
    items = [{"id": 1, "text": "That movie was crap."},  # published, with a word behind its score
             {"id": 2, "text": "Lovely weather for the parade today."},  # published, nothing to mark
             {"id": 3, "text": "The idiot driver nearly hit me, said the witness."}]  # folded
    flagged, every = (_score([json.dumps(i) for i in items], *args) for args in ([], ["--spans", "all"]))
    assert flagged.returncode == every.returncode == 0, flagged.stderr + every.stderr
    flagged_out, every_out = ([json.loads(line) for line in r.stdout.splitlines()] for r in (flagged, every))
    assert [o["action"] for o in flagged_out] == [o["action"] for o in every_out]  # the same verdicts
    assert flagged_out[0]["action"] == "publish" and flagged_out[0]["spans"] == []
    crap, = every_out[0]["spans"]
    assert items[0]["text"][crap["start"]:crap["end"]] == "crap"
    assert every_out[1]["spans"] == []  # no likeliest word made up for a comment with none
    assert every_out[2]["action"] != "publish"
    assert {(s["start"], s["end"]) for s in flagged_out[2]["spans"]} <= {(s["start"], s["end"])
                                                                         for s in every_out[2]["spans"]}


def test_spans_takes_only_flagged_or_all():
    result = _score([json.dumps({"id": 1, "text": "hello"})], "--spans", "some")
    assert result.returncode == 2 and "--spans" in result.stderr
