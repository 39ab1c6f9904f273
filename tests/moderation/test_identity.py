from parley.moderation import Action, identity
from parley.moderation.moderator import shipped


def test_no_neutral_identity_sentence_crosses_a_threshold():
    sentences = identity.sentences()
    assert len(sentences) >= 400
    verdicts = shipped().assess(sentences)
    flagged = [(s, v.reasons) for s, v in zip(sentences, verdicts, strict=True) if v.action is not Action.PUBLISH]
    assert flagged == []
