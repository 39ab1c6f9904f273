"""Off topic: how little of a comment's vocabulary its story (or, for a reply, the
comment it answers) shares.

Words are compared by a crude stem, so "Ukrainians" meets "Ukraine"; each word counts by
its rarity (the first stage's inverse document frequency), so sharing "Blinken" says
more than sharing "people". A comment too short to judge scores in the middle-low.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

from parley.moderation import features
from parley.moderation.base import Context, Scorer, Scores
from parley.moderation.linear import LinearScorer

_WORD = re.compile(r"[^\W\d_]{3,}")
_SUFFIXES = ("ations", "ation", "ians", "ings", "ing", "ian", "ies", "ed", "es", "s", "e", "y")
# Words that carry no topic, whatever the story.
_STOP = frozenset("""
the and for are but not you all any can had her was one our out has him his how its may new now own
see two way who did get got let put say she too use that this with have from they will would there
their what about which when your said each she just like them than then some could other into more
only also very even back after most over such here why where while should because being been were
these those does doing done much many well really know think people make made going want thing
things still every never always again something anything nothing someone everyone
""".split())  # noqa: SIM905 (a word list reads better as words)


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[:-len(suffix)]
    return word


def _stems(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


@functools.lru_cache(maxsize=256)
def _topic(text: str) -> frozenset[str]:
    return frozenset(_stems(text))


class OffTopicScorer(Scorer):
    """Scores ``off_topic`` from the context; a comment with no story scores 0.

    Parameters: ``idf_from`` the first stage, whose word weights say how rare a word is;
    ``min_words`` content words below which the score is shrunk towards 0.
    """

    labels = ("off_topic",)

    def __init__(self, idf_from: LinearScorer, min_words: int = 4) -> None:
        self.idf_from = idf_from
        self.min_words = min_words

    def score(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> list[Scores]:
        return [Scores({"off_topic": v}) for v in self.values(texts, contexts).tolist()]

    def values(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> np.ndarray:
        """The batch's scores as an array; an archive without stories costs nothing."""
        if not contexts or not any(c.story_title or c.story_body for c in contexts):
            return np.zeros(len(texts))
        return np.round([self._one(text, context) for text, context in zip(texts, contexts, strict=True)], 4)

    def _rarity(self, words: list[str]) -> np.ndarray:
        batch = features.encode([" ".join(words)])
        hashes = features.word_hashes(batch)
        return self.idf_from.idf_[features.feature_index(hashes, self.idf_from.n_features)].astype(np.float64)

    def _one(self, text: str, context: Context) -> float:
        if not (context.story_title or context.story_body):
            return 0.0
        words = sorted(set(_WORD.findall(text.lower())) - _STOP)
        if not words:
            return 0.0
        story = _topic(context.story_title + "\n" + context.story_body)
        parent = _topic(context.parent_text) if context.parent_text else frozenset()
        rarity = self._rarity(words)
        stems = [_stem(w) for w in words]
        on_story = sum(r for s, r in zip(stems, rarity, strict=True) if s in story)
        on_parent = sum(r for s, r in zip(stems, rarity, strict=True) if s in parent)
        shared = max(on_story, on_parent) / rarity.sum()
        confidence = min(1.0, len(words) / self.min_words)
        return float(np.clip((1.0 - shared) * confidence, 0.0, 1.0))
