"""Decisions are data, on every backend: moderators' decisions exported as labelled
examples (not automated, not undone), suggested scores (Perspective's SuggestCommentScore)
stored and exported in the same feed, and the export read back as training rows."""

from __future__ import annotations

import math

import orjson
import pytest

from parley.domain import Actor, Role
from parley.errors import Forbidden, InvalidInput
from parley.moderation.data import MODEL_LABELS
from parley.moderation.feedback import rows_from_lines
from parley.service.training import parse_suggestion
from tests.service.workspace_helpers import guest, make_services, moderator, post

WRITER = guest("writer")
FIELDS = {"id", "source", "comment_id", "text", "context", "verdict_at_the_time", "decision", "label", "moderator",
          "reason", "decided_at"}
SUGGESTION = {"comment": {"text": "You are all idiots."}, "attributeScores": {
    "TOXICITY": {"summaryScore": {"value": 0.95, "type": "PROBABILITY"}},
    "INSULT": {"spanScores": [{"begin": 0, "end": 7, "score": {"value": 0.2}},
                              {"begin": 8, "end": 19, "score": {"value": 0.9}}]}},
    "context": {"articleAndParentComment": {"article": {"text": "The library reopens."},
                                            "parentComment": {"text": "Lovely news."}}},
    "languages": ["en"], "communityId": "news", "clientToken": "abc"}


def _examples(services, actor, **kwargs) -> list[dict]:
    return [orjson.loads(line) for line in "".join(services.training.export_examples(actor, **kwargs)).splitlines()]


@pytest.fixture
def decided(store):
    services = make_services(store)
    mo = moderator(store, "Mo")
    parent = post(services, guest("other"), "The opening was well planned.")
    rude = post(services, WRITER, "What rubbish, you fool.", parent=parent.id)  # folded by the models
    services.decisions.decide(mo, rude.id, "reject", reason="Insults another reader")
    held = post(services, WRITER, "This is awful.")  # held by the models
    services.decisions.decide(mo, held.id, "approve")
    oops = post(services, WRITER, "A calm remark.")
    services.decisions.undo(mo, services.decisions.decide(mo, oops.id, "reject", reason="Oops").id)
    return services, mo, rude, held


def test_moderators_decisions_are_exported_as_labelled_examples(store, decided):
    services, mo, rude, held = decided
    examples = _examples(services, mo)
    assert [(e["comment_id"], e["decision"], e["label"]) for e in examples] == [(rude.id, "reject", 1),
                                                                                 (held.id, "approve", 0)]
    first = examples[0]
    assert first.keys() >= FIELDS and first["source"] == "decision"
    assert first["text"] == "What rubbish, you fool."
    assert first["context"] == {"story_title": "The library reopens", "parent_text": "The opening was well planned."}
    assert first["verdict_at_the_time"]["action"] == "fold" and first["verdict_at_the_time"]["scores"]["toxicity"]
    assert (first["moderator"], first["reason"]) == (mo.label, "Insults another reader")
    assert first["decided_at"].startswith(str(rude.created_at.year))
    # paging: after an id
    assert [e["decision"] for e in _examples(services, mo, after_id=first["id"])] == ["approve"]


def test_the_export_is_for_auditors(store, decided):
    services, *_ = decided
    with pytest.raises(Forbidden):
        next(services.training.export_examples(Actor(Role.STAFF, name="Editor")))


def test_suggested_scores_are_stored_and_exported_in_the_same_feed(store, decided):
    services, mo, *_ = decided
    with pytest.raises(Forbidden):
        services.training.suggest_score(Actor(Role.COMMENTER, name="Reader", token_id=4), SUGGESTION)
    coral = Actor(Role.STAFF, name="coral", token_id=5)
    suggested = services.training.suggest_score(coral, SUGGESTION)
    assert (suggested.client_token, suggested.languages) == ("abc", ("en",))
    [example] = _examples(services, mo, after_id=10**9)
    assert (example["source"], example["decision"], example["label"]) == ("suggestscore", "suggest_score", 1)
    assert example["scores"] == {"toxicity": 0.95, "insult": 0.9}  # spans: the highest stands for the comment
    assert example["context"]["parent_text"] == "Lovely news." and example["moderator"] == "token:coral"
    assert [e["source"] for e in _examples(services, mo, after_id=10**9, after_suggestion_id=example["id"])] == []


@pytest.mark.parametrize(("change", "field"), [
    ({"comment": {"text": "  "}}, "comment.text"),
    ({"attributeScores": {}}, "attributeScores"),
    ({"attributeScores": {"FLIRTATION": {"summaryScore": {"value": 1}}}}, "attributeScores.FLIRTATION"),
    ({"attributeScores": {"TOXICITY": {"summaryScore": {"value": 1.5}}}},
     "attributeScores.TOXICITY.summaryScore.value"),
    ({"attributeScores": {"TOXICITY": {"summaryScore": {"value": 1, "type": "STD_DEV"}}}},
     "attributeScores.TOXICITY.summaryScore.type"),
    ({"attributeScores": {"TOXICITY": {"spanScores": [{"score": {"value": 1}}]}}},
     "attributeScores.TOXICITY.spanScores[0]"),
    ({"languages": ["de"]}, "languages"),
    ({"clientToken": 7}, "clientToken"),
    ({"context": {"entries": [], "articleAndParentComment": {}}}, "context"),
])
def test_a_suggestion_names_the_field_at_fault(change, field):
    with pytest.raises(InvalidInput) as refused:
        parse_suggestion(SUGGESTION | change)
    assert refused.value.field == field


def test_the_export_reads_back_as_training_rows(store, decided):
    services, mo, rude, held = decided
    second = moderator(store, "Second")
    appeal = services.appeals.appeal(WRITER, rude.id, "I was joking.")
    services.appeals.decide(second, appeal.id, "reverse", "Banter between regulars.")
    services.training.suggest_score(Actor(Role.STAFF, name="coral", token_id=5), SUGGESTION)
    lines = "".join(services.training.export_examples(mo)).splitlines()
    rows = rows_from_lines(lines)
    by_text = {r.text: r for r in rows}
    # the reversal on appeal is the rude comment's latest word: 0
    assert by_text["What rubbish, you fool."].target("toxicity") == 0.0
    assert by_text["This is awful."].target("toxicity") == 0.0
    assert all(math.isnan(by_text["This is awful."].target(label)) for label in MODEL_LABELS[1:])
    suggested = by_text["You are all idiots."]
    assert (suggested.target("toxicity"), suggested.target("insult")) == (0.95, 0.9)
    assert math.isnan(suggested.target("threat")) and suggested.source == "decisions"
