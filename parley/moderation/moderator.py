"""The shipped models and a policy, together: text and context in, verdicts out.

Scoring is a cascade. The first stage (``linear.py``) scores every comment; where its
toxicity falls inside the uncertain band, the second stage (``transformer.py``) reads
the comment too and the two are averaged. Spam and off-topic scorers add their labels;
the span tagger marks the words behind the toxic labels. ``fast=True`` stops after the
first stage, for bulk archives.

``Moderator.shipped()`` loads the artefacts in ``parley/moderation/models`` (made by
``parley train``); their ``manifest.json`` names the model version and the band.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from parley.moderation import features
from parley.moderation.base import Context, Scores, Span
from parley.moderation.data import MODEL_LABELS
from parley.moderation.linear import LinearScorer
from parley.moderation.policy import Policy, Verdict
from parley.moderation.spam import SpamScorer
from parley.moderation.spans import SpanTagger
from parley.moderation.topic import OffTopicScorer
from parley.moderation.transformer import TransformerScorer

MODELS_DIR = Path(__file__).parent / "models"
# Labels a toxic span can be credited to, most specific first.
_SPAN_LABELS = ("threat", "identity_attack", "insult", "profanity", "severe_toxicity", "toxicity")


class ModelsMissing(RuntimeError):
    pass


class Moderator:
    """Scores comments and decides what readers see of them.

    ``band`` is the first stage's toxicity range ``(low, high)`` sent to the second stage.
    """

    def __init__(self, first: LinearScorer, tagger: SpanTagger, second: TransformerScorer | None,
                 *, version: str, band: tuple[float, float] = (0.2, 0.8), policy: Policy | None = None,
                 fast: bool = False) -> None:
        self.first = first
        self.tagger = tagger
        self.second = second
        self.version = version
        self.band = band
        self.policy = policy or Policy()
        self.fast = fast or second is None
        self.spam = SpamScorer()
        self.topic = OffTopicScorer(first)

    @classmethod
    def load(cls, models_dir: Path = MODELS_DIR, *, fast: bool = False, policy: Policy | None = None,
             threads: int = 1) -> Moderator:
        manifest_path = Path(models_dir) / "manifest.json"
        if not manifest_path.exists():
            raise ModelsMissing(f"no models in {models_dir}: run `parley train`")
        manifest = json.loads(manifest_path.read_text())
        first = LinearScorer.load(Path(models_dir) / "linear.npz")
        tagger = SpanTagger.load(Path(models_dir) / "spans.npz")
        second = None if fast else TransformerScorer(Path(models_dir), threads=threads)
        return cls(first, tagger, second, version=manifest["version"], band=tuple(manifest["band"]),
                   policy=policy, fast=fast)

    @property
    def model(self) -> str:
        return self.version + ("+fast" if self.fast else "")

    # --- scores ---------------------------------------------------------------------------

    def toxicity(self, texts: Sequence[str]) -> tuple[np.ndarray, features.Batch]:
        """(texts, MODEL_LABELS) probabilities from the cascade, and the encoded batch."""
        batch = features.encode(texts)
        probs = 1.0 / (1.0 + np.exp(-self.first.logits(batch)))
        if not self.fast:
            low, high = self.band
            unsure = np.flatnonzero((probs[:, 0] >= low) & (probs[:, 0] <= high))
            if len(unsure):
                second = self.second.probabilities([texts[i] for i in unsure])
                probs[unsure] = (probs[unsure] + second) / 2
        return probs, batch

    def scores(self, texts: Sequence[str], contexts: Sequence[Context] | None = None,
               policy: Policy | None = None) -> list[Scores]:
        """Every label's score for each text, with the spans behind the toxic labels,
        credited to the most specific label ``policy`` (default: the site's) flags."""
        policy = policy or self.policy
        texts = list(texts)
        contexts = list(contexts) if contexts is not None else [Context()] * len(texts)
        probs, batch = self.toxicity(texts)
        spans = self.tagger.tag(texts, self.first, batch)
        spam = self.spam.score(texts, contexts, batch)
        topic = self.topic.score(texts, contexts)
        out = []
        for i, row in enumerate(np.round(probs, 4).tolist()):
            values = dict(zip(MODEL_LABELS, row, strict=True))
            values["spam"] = spam[i].values["spam"]
            values["off_topic"] = topic[i].values["off_topic"]
            found = spam[i].spans
            if spans[i]:
                label = _span_label(values, policy)
                found = sorted([*found, *(Span(s, e, label) for s, e in spans[i])], key=lambda s: (s.start, s.end))
            out.append(Scores(values, found))
        return out

    # --- verdicts -------------------------------------------------------------------------

    def assess(self, texts: Sequence[str], contexts: Sequence[Context] | None = None, *,
               policy: Policy | None = None, second_attempt: bool = False) -> list[Verdict]:
        policy = policy or self.policy
        return [policy.decide(s, model=self.model, second_attempt=second_attempt)
                for s in self.scores(texts, contexts, policy)]

    def assess_one(self, text: str, context: Context | None = None, *, policy: Policy | None = None,
                   second_attempt: bool = False) -> Verdict:
        return self.assess([text], [context or Context()], policy=policy, second_attempt=second_attempt)[0]


def _span_label(values: Mapping[str, float], policy: Policy) -> str:
    """The label a toxic span is credited to: the most specific one the policy flags,
    else toxicity."""
    for label in _SPAN_LABELS:
        by_action = policy.thresholds.get(label, {})
        if by_action and values.get(label, 0.0) >= min(by_action.values()):
            return label
    return "toxicity"


@functools.lru_cache(maxsize=2)
def shipped(fast: bool = False) -> Moderator:
    """The models that ship with Parley, loaded once per process."""
    return Moderator.load(fast=fast)
