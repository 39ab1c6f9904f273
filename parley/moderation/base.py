"""What every moderation scorer shares: the labels, a comment's context, and the
interface, after scikit-learn's conventions.

A scorer's ``__init__`` stores its parameters and nothing else; ``fit`` learns and
returns ``self``; what it learned lives in attributes ending in ``_``; ``score``
takes texts with their context and returns one ``Scores`` per text. ``check_scorer``
is the conformance check every scorer passes (``tests/moderation``).

This package knows nothing of HTTP or storage: text and context in, scores out.
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
from collections.abc import Sequence

# Perspective's attribute names, lower-cased, so thresholds carry over; plus ours.
LABELS: tuple[str, ...] = ("toxicity", "severe_toxicity", "insult", "profanity", "threat",
                           "identity_attack", "spam", "off_topic")


@dataclasses.dataclass(frozen=True)
class Context:
    """What is known around a comment: its story, the comment it answers, its author."""

    story_title: str = ""
    story_body: str = ""
    parent_text: str | None = None
    author_recent_texts: tuple[str, ...] = ()  # the author's latest comments, newest first


@dataclasses.dataclass(frozen=True)
class Span:
    """Characters [start, end) of the text that drove a label's score."""

    start: int
    end: int
    label: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label}


@dataclasses.dataclass
class Scores:
    """One text's scores (label -> 0..1) and the spans behind them."""

    values: dict[str, float]
    spans: list[Span] = dataclasses.field(default_factory=list)

    def merge(self, other: Scores) -> Scores:
        """Both scorers' labels; where both score a label, the higher score stands."""
        values = dict(self.values)
        for label, value in other.values.items():
            values[label] = max(value, values.get(label, 0.0))
        return Scores(values, [*self.spans, *other.spans])


class Scorer(abc.ABC):
    #: The labels this scorer scores; a subset of LABELS.
    labels: tuple[str, ...] = ()

    def fit(self, texts: Sequence[str], targets: Sequence[dict[str, float]],
            contexts: Sequence[Context] | None = None) -> Scorer:
        """Learn from labelled texts; scorers that learn nothing return self unchanged."""
        return self

    @abc.abstractmethod
    def score(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> list[Scores]:
        """One ``Scores`` per text, in order, each with a value for every label in ``labels``."""

    def get_params(self) -> dict:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}


def check_scorer(scorer: Scorer, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> None:
    """The conformance check: raises AssertionError naming the convention broken."""
    params = scorer.get_params()
    for name in vars(scorer):
        if not name.startswith("_") and not name.endswith("_"):
            assert name in params, f"{type(scorer).__name__}.{name} is neither a parameter nor learned (ends in _)"
    assert set(scorer.labels) <= set(LABELS), f"unknown labels {set(scorer.labels) - set(LABELS)}"
    assert scorer.labels, "a scorer scores at least one label"
    results = scorer.score(list(texts), list(contexts) if contexts is not None else None)
    assert len(results) == len(texts), "one Scores per text"
    for text, result in zip(texts, results, strict=True):
        assert set(result.values) == set(scorer.labels), f"scores for exactly {scorer.labels}"
        for label, value in result.values.items():
            assert 0.0 <= value <= 1.0, f"{label}={value} is not within 0..1"
        for span in result.spans:
            assert 0 <= span.start < span.end <= len(text), f"span {span} outside the text"
            assert span.label in scorer.labels, f"span label {span.label} not scored"
    again = scorer.score(list(texts), list(contexts) if contexts is not None else None)
    assert [r.values for r in again] == [r.values for r in results], "scoring is deterministic"
    assert scorer.get_params() == params, "score() must not change parameters"
