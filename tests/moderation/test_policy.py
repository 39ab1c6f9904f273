import pytest

from parley.moderation import Action, Policy, PolicyError, Scores, Span

POLICY = Policy({"toxicity": {"fold": 0.6, "rephrase": 0.8, "hold": 0.95},
                 "spam": {"hold": 0.7, "reject": 0.99},
                 "off_topic": {"fold": 0.9}})


def decide(values, spans=(), **kw):
    return POLICY.decide(Scores(values, list(spans)), model="test-1", **kw)


def test_below_every_threshold_publishes():
    v = decide({"toxicity": 0.1, "spam": 0.2})
    assert (v.action, v.reasons, v.notice, v.model) == (Action.PUBLISH, [], None, "test-1")


@pytest.mark.parametrize("toxicity, action", [(0.6, Action.FOLD), (0.79, Action.FOLD), (0.8, Action.REPHRASE),
                                               (0.96, Action.HOLD)])
def test_the_strongest_action_reached_wins(toxicity, action):
    assert decide({"toxicity": toxicity}).action is action


def test_labels_combine_and_the_strongest_wins():
    v = decide({"toxicity": 0.65, "spam": 0.995})
    assert v.action is Action.REJECT and len(v.reasons) == 2


def test_fold_carries_the_notice_of_the_label_that_drove_it():
    assert decide({"off_topic": 0.95}).notice == "This comment may be off topic. Click here if you want to read."
    assert decide({"toxicity": 0.7}).notice == "This comment may be offensive. Click here if you want to read."


def test_a_second_attempt_still_over_the_line_is_held():
    first = decide({"toxicity": 0.85})
    second = decide({"toxicity": 0.85}, second_attempt=True)
    assert (first.action, second.action) == (Action.REPHRASE, Action.HOLD)
    assert "rephrase" in second.reasons[-1]


def test_spans_shown_are_those_of_flagged_labels():
    spans = [Span(0, 4, "toxicity"), Span(5, 9, "spam")]
    v = decide({"toxicity": 0.7, "spam": 0.1}, spans)
    assert v.spans == [Span(0, 4, "toxicity")]
    assert v.to_dict()["spans"] == [{"start": 0, "end": 4, "label": "toxicity"}]


def test_a_story_overrides_the_site_label_by_label():
    strict = POLICY.overridden({"toxicity": {"hold": 0.5}})
    assert strict.decide(Scores({"toxicity": 0.55}), model="m").action is Action.HOLD
    assert strict.thresholds["toxicity"] == {"hold": 0.5}  # the story's actions for the label it names
    assert strict.thresholds["spam"] == POLICY.thresholds["spam"]  # the site's for the others
    assert POLICY.decide(Scores({"toxicity": 0.55}), model="m").action is Action.PUBLISH


def test_a_story_can_loosen_an_action_the_site_sets():
    lenient = POLICY.overridden({"toxicity": {"fold": 0.95}})
    assert lenient.decide(Scores({"toxicity": 0.9}), model="m").action is Action.PUBLISH


def test_the_fold_notice_names_the_label_that_folded_most_surely():
    both = Policy({"toxicity": {"fold": 0.5}, "spam": {"fold": 0.5}})
    assert both.decide(Scores({"toxicity": 0.6, "spam": 0.9}), model="m").notice.startswith("This comment may be spam")
    assert both.decide(Scores({"toxicity": 0.9, "spam": 0.6}), model="m").notice.startswith(
        "This comment may be offensive")


@pytest.mark.parametrize("thresholds, words", [({"rudeness": {"fold": 0.5}}, "unknown label"),
                                               ({"toxicity": {"explode": 0.5}}, "unknown action"),
                                               ({"toxicity": {"publish": 0.5}}, "unknown action"),
                                               ({"toxicity": {"fold": 1.5}}, "within")])
def test_bad_thresholds_are_refused(thresholds, words):
    with pytest.raises(PolicyError, match=words):
        Policy(thresholds)


def _deep(depth: int, innermost):
    value = innermost
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("thresholds, words", [
    ({"toxicity": {"fold": _deep(1000, 0.5)}}, "toxicity.fold: a threshold is a number, not an object"),
    ({"toxicity": {"fold": [[[]]] * 2 + [_deep(1000, [])]}}, "toxicity.fold: a threshold is a number, not a list"),
    ({"toxicity": _deep(1000, 0.5)}, "toxicity.a: a threshold is a number, not an object"),
    ({"toxicity": [_deep(1000, 1)]}, 'toxicity: expected an object {"action": threshold}, not a list'),
    ({"toxicity": {"fold": "x" * 10_000}}, r"not 'xxxxx.*\.\.\..*'$"),
])
def test_wrong_thresholds_are_named_without_their_repr(thresholds, words):
    """A thousand-deep value has no repr (RecursionError, a 500 over HTTP); a long one
    is cut short in the message."""
    from parley.moderation.policy import check_thresholds

    with pytest.raises(PolicyError, match=words) as refused:
        check_thresholds(thresholds)
    assert len(str(refused.value)) < 120
