from parley.moderation import Context, check_scorer
from parley.moderation.moderator import shipped
from parley.moderation.topic import OffTopicScorer
from tests.conftest import EXAMPLE


def _story() -> Context:
    text = EXAMPLE.read_text()
    return Context("Blinken in Paris for talks with Macron on support for Ukraine", text[:text.index("\nAFP\n")])


def _comment(start: str, end: str) -> str:
    text = EXAMPLE.read_text()
    return text[text.index(start):text.index(end)].strip()


def test_conforms():
    scorer = OffTopicScorer(shipped(fast=True).first)
    check_scorer(scorer, ["Ukraine needs the aid", "Nice weather"], [_story(), _story()])


def test_the_lgbtq_aside_is_more_off_topic_than_the_comments_on_the_story():
    scorer = OffTopicScorer(shipped(fast=True).first)
    aside = "Blinken prides himself on always bringing up the importance of LGBTQ rights when he meets with " \
            "the Saudis, surely he did the same here."
    on_story = [_comment("Excellent news regarding", "Molotov\nMolotov"),
                "More billions for more dead Ukrainians and Russians. When two people argue, the third one is happy.."]
    off, *on = [s.values["off_topic"] for s in scorer.score([aside, *on_story], [_story()] * 3)]
    assert off > max(on), (off, on)


def test_a_reply_is_on_topic_when_it_answers_its_parent():
    scorer = OffTopicScorer(shipped(fast=True).first)
    parent = "My cat Whiskers refuses to eat the new salmon food brand."
    reply = "Whiskers might prefer the salmon if you warm it a little."
    alone, answering = (s.values["off_topic"] for s in scorer.score(
        [reply, reply], [_story(), Context(_story().story_title, _story().story_body, parent)]))
    assert answering < alone


def test_without_a_story_nothing_is_off_topic():
    (s,) = OffTopicScorer(shipped(fast=True).first).score(["anything at all"])
    assert s.values["off_topic"] == 0.0
