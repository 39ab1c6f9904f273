"""The shipped models on the example thread: what the issue asks of them."""

import pytest

from parley.moderation import LABELS, Action, Context, Policy, data
from parley.moderation.moderator import Moderator, shipped
from tests.conftest import EXAMPLE

ABUSE = "@John, go fuck yourself you stupid Canadian Troll jackwad."


def _story() -> Context:
    text = EXAMPLE.read_text()
    return Context("Blinken in Paris for talks with Macron on support for Ukraine", text[:text.index("\nAFP\n")])


def _excellent() -> str:
    text = EXAMPLE.read_text()
    return text[text.index("Excellent news regarding"):text.index("Molotov\nMolotov")].strip()


@pytest.fixture(params=[False, True], ids=["cascade", "fast"])
def moderator(request) -> Moderator:
    return shipped(fast=request.param)


def test_the_abusive_reply_is_not_simply_published_and_its_spans_cover_the_abuse(moderator):
    verdict = moderator.assess_one(ABUSE, _story())
    assert verdict.action is not Action.PUBLISH, verdict
    assert verdict.reasons
    marked = "".join(ABUSE[s.start:s.end] for s in verdict.spans)
    assert "fuck" in marked and "stupid" in marked and "jackwad" in marked


def test_excellent_news_is_published_untouched(moderator):
    verdict = moderator.assess_one(_excellent(), _story())
    assert verdict.action is Action.PUBLISH, verdict
    assert verdict.spans == [] and verdict.reasons == []


def test_a_verdict_scores_every_label_and_names_its_model(moderator):
    verdict = moderator.assess_one("Ukraine needs the aid package now.", _story())
    assert set(verdict.scores) == set(LABELS)
    assert all(0.0 <= v <= 1.0 for v in verdict.scores.values())
    assert verdict.model.startswith(moderator.version)


def test_a_second_attempt_still_over_the_line_is_held():
    moderator = shipped(fast=True)
    policy = Policy({"toxicity": {"rephrase": 0.5}})
    assert moderator.assess_one(ABUSE, policy=policy).action is Action.REPHRASE
    assert moderator.assess_one(ABUSE, policy=policy, second_attempt=True).action is Action.HOLD


def test_the_cascade_consults_the_second_stage_only_inside_its_band():
    cascade = shipped()
    low, high = cascade.band
    # Held-out comments, some of them inside the band by the first and middle stages' reading.
    pool = [r.text for r in data.held_out_rows()[:600]]
    toxicity = cascade.screened(pool)[:, 0]
    inside_pool = [t for t, p in zip(pool, toxicity, strict=True) if low <= p <= high][:3]
    texts = [ABUSE, _excellent(), *inside_pool]
    first = cascade.screened(texts)
    full = cascade.toxicity(texts)
    inside = [low <= p <= high for p in first[:, 0]]
    assert any(inside) and not all(inside), first[:, 0]
    for i in range(len(texts)):
        assert (full[i, 0] != first[i, 0]) == inside[i]


def test_accurate_sends_every_comment_to_the_second_stage_and_says_so():
    accurate = Moderator.load(accurate=True)
    assert accurate.model == accurate.version + "+accurate"
    first = shipped(fast=True).toxicity(["Get lost.", ABUSE])
    assert accurate.unsure(first).all()
    assert not shipped().unsure(first).all()


def test_publishing_without_the_policy_walk_agrees_with_the_policy():
    """``assess`` publishes comments under every threshold without ``Policy.decide``;
    on real comments the two must agree verdict for verdict."""
    from parley.moderation import data

    moderator = shipped(fast=True)
    texts = [r.text for r in data.held_out_rows()[::40]]
    verdicts = moderator.assess(texts)
    decided = [moderator.policy.decide(s, model=moderator.model) for s in moderator.scores(texts)]
    assert any(v.action is Action.PUBLISH for v in verdicts) and any(v.action is not Action.PUBLISH
                                                                     for v in verdicts)
    assert [(v.action, v.reasons, v.spans, v.scores) for v in verdicts] == \
        [(d.action, d.reasons, d.spans, d.scores) for d in decided]
