"""The shipped models and a policy, together: text and context in, verdicts out.

Scoring is a cascade. The first stage (``linear.py``) scores every comment; the middle
stage (``static.py``: the MiniLM's word-piece vectors and a small network over them and
the first stage's logits) scores it again; where that toxicity falls inside the band
around the fold threshold, the second stage (``transformer.py``) reads the comment and
its scores replace the others. The band is where a fold is least certain, and narrow
because the second stage reads under 200 comments a second on one core (see the model
card for what a wider one buys). Spam
and off-topic scorers add their labels; the span tagger marks the words behind the
toxic labels. ``fast=True`` stops after the first stage, for bulk archives;
``accurate=True`` sends every comment to the second.

``Moderator.shipped()`` loads the artefacts in ``parley/moderation/models`` (made by
``parley train``); their ``manifest.json`` names the model version and the band.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from parley.moderation import features
from parley.moderation.base import LABELS, Context, Scores, Span
from parley.moderation.batching import Batcher
from parley.moderation.data import MODEL_LABELS
from parley.moderation.harm import LABELS as HARM_LABELS
from parley.moderation.harm import harm_signs
from parley.moderation.linear import LinearScorer, Scan
from parley.moderation.policy import Policy, Verdict
from parley.moderation.spam import SpamScorer
from parley.moderation.spans import SpanTagger
from parley.moderation.static import StaticScorer
from parley.moderation.topic import OffTopicScorer
from parley.moderation.transformer import TransformerScorer

MODELS_DIR = Path(__file__).parent / "models"
# Scores are laid out as one row per text in LABELS order; the models fill the first columns.
assert LABELS[:len(MODEL_LABELS)] == MODEL_LABELS
# Labels a toxic span can be credited to, most specific first.
_SPAN_LABELS = ("threat", "identity_attack", "insult", "profanity", "severe_toxicity", "toxicity")


class ModelsMissing(RuntimeError):
    pass


class Moderator:
    """Scores comments and decides what readers see of them.

    ``band`` is the first stage's toxicity range ``(low, high)`` sent to the second stage.
    Safe to share between threads: after loading, nothing in it changes, onnxruntime's
    ``run`` may be called concurrently, and the second stage loads under its own lock.
    """

    def __init__(self, first: LinearScorer, tagger: SpanTagger, second: TransformerScorer | None,
                 *, version: str, band: tuple[float, float] = (0.7, 0.8), policy: Policy | None = None,
                 fast: bool = False, accurate: bool = False, middle: StaticScorer | None = None) -> None:
        self.first = first
        self.tagger = tagger
        self.second = second
        self.middle = middle
        self.version = version
        self.band = band
        self.policy = policy or Policy()
        self.fast = fast or second is None
        self.accurate = accurate and not self.fast
        # --fast, for bulk archives: the first stage and the cheap rules, not the signs.
        self.spam = SpamScorer(advert_signs=not self.fast)
        self.topic = OffTopicScorer(first)
        # Posts that arrive while others are being scored are scored with them (batching.py).
        self._posts: Batcher[tuple, Verdict] = Batcher(self._assess_posts)
        self._warm = False

    @classmethod
    def load(cls, models_dir: Path = MODELS_DIR, *, fast: bool = False, accurate: bool = False,
             policy: Policy | None = None, threads: int = 1) -> Moderator:
        manifest_path = Path(models_dir) / "manifest.json"
        if not manifest_path.exists():
            raise ModelsMissing(f"no models in {models_dir}: run `parley train`")
        manifest = json.loads(manifest_path.read_text())
        first = LinearScorer.load(Path(models_dir) / "linear.npz")
        tagger = SpanTagger.load(Path(models_dir) / "spans.npz")
        second = None if fast else TransformerScorer(Path(models_dir), threads=threads)
        middle_path = Path(models_dir) / "static.npz"
        middle = None if fast or accurate or not middle_path.exists() else \
            StaticScorer.load(middle_path, Path(models_dir) / "tokenizer.json")
        band = (0.0, 1.0) if accurate else tuple(manifest["band"])
        return cls(first, tagger, second, version=manifest["version"], band=band, policy=policy, fast=fast,
                   accurate=accurate, middle=middle)

    @property
    def model(self) -> str:
        if self.fast:
            return self.version + "+fast"
        return self.version + ("+accurate" if self.accurate else "")

    def warm(self) -> None:
        """Make now what the models make on first use (the MiniLM's session, the middle
        stage's float32 table) and score one batch: in a server that forks its workers
        after this, they share all of it instead of each making its own. Once is enough
        (every app the process makes asks)."""
        if self._warm:
            return
        self._warm = True
        if self.middle is not None:
            self.middle.warm()
        if self.second is not None:
            self.second.probabilities(["Parley is starting."])
        self.assess([f"Comment {i} on the council's new bus lane, posted while Parley starts." for i in range(16)])

    # --- scores ---------------------------------------------------------------------------

    def toxicity(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, MODEL_LABELS) probabilities from the cascade."""
        return self._cascade(texts)[0]

    def screened(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, MODEL_LABELS) probabilities before the second stage: the first and
        middle stages' (the first's alone with ``fast`` or without a middle stage). The
        band is read on these."""
        return self._screen(features.encode(texts))[0]

    def _screen(self, batch: features.Batch) -> tuple[np.ndarray, Scan]:
        scan = self.first.scan(batch)
        if self.middle is not None and not self.fast:
            return self.middle.probabilities(batch, scan.logits), scan
        return 1.0 / (1.0 + np.exp(-scan.logits)), scan

    def _cascade(self, texts: Sequence[str]) -> tuple[np.ndarray, features.Batch, Scan]:
        """The probabilities, with the encoded batch and the first stage's scan of it,
        which the span tagger reads again."""
        batch = features.encode(texts)
        probs, scan = self._screen(batch)
        if not self.fast:
            unsure = np.flatnonzero(self.unsure(probs))
            if len(unsure):
                probs[unsure] = self.second.probabilities([texts[i] for i in unsure])
        return probs, batch, scan

    def _score(self, texts: list[str], contexts: list[Context], policy: Policy, *, all_spans: bool = False
               ) -> tuple[np.ndarray, dict[int, list[Span]]]:
        """(texts, LABELS) scores rounded to 4 places, and the spans of the texts with any
        (``all_spans``: of every text, flagged or not)."""
        probs, batch, scan = self._cascade(texts)
        # Rounded once, here: the policy decides on these, so spans must be chosen on them too.
        probs = np.round(probs, 4)
        tagged = self._spans(batch, scan, probs, policy, every=all_spans)
        spam, spam_spans = self.spam.values(texts, contexts, batch)
        values = np.empty((len(texts), len(LABELS)))
        values[:, :len(MODEL_LABELS)] = probs
        values[:, LABELS.index("spam")] = spam
        values[:, LABELS.index("off_topic")] = self.topic.values(texts, contexts)
        # Threats and dehumanising language without a swear word, by their forms (harm.py).
        signs, sign_spans = harm_signs(texts, batch) if not self.fast else (None, {})
        if signs is not None:
            for j, label in enumerate(HARM_LABELS):
                column = LABELS.index(label)
                values[:, column] = np.maximum(values[:, column], signs[:, j])
        values = np.round(values, 4)
        spans = dict(spam_spans)
        for i, marks in sign_spans.items():
            spans[i] = sorted([*spans.get(i, []), *marks], key=lambda s: (s.start, s.end))
        rows = list(tagged)
        for i, label in zip(rows, _span_labels(values[rows], policy), strict=True):
            toxic = [Span(s, e, label) for s, e in tagged[i]]  # in text order already
            spans[i] = sorted([*spans[i], *toxic], key=lambda s: (s.start, s.end)) if i in spans else toxic
        return values, spans

    def unsure(self, first: np.ndarray) -> np.ndarray:
        """Which rows of first-stage probabilities the second stage reads."""
        low, high = self.band
        return (first[:, 0] >= low) & (first[:, 0] <= high)

    def scores(self, texts: Sequence[str], contexts: Sequence[Context] | None = None,
               policy: Policy | None = None) -> list[Scores]:
        """Every label's score for each text, with the spans behind the toxic labels,
        credited to the most specific label ``policy`` (default: the site's) flags."""
        texts = list(texts)
        contexts = list(contexts) if contexts is not None else [Context()] * len(texts)
        values, spans = self._score(texts, contexts, policy or self.policy)
        return [Scores(dict(zip(LABELS, row, strict=True)), spans.get(i, []))
                for i, row in enumerate(values.tolist())]

    def _spans(self, batch: features.Batch, scan: Scan, probs: np.ndarray, policy: Policy, *, every: bool = False
               ) -> dict[int, list[tuple[int, int]]]:
        """Toxic spans of the texts the policy flags on a model label (a verdict keeps
        spans only for flagged labels, so tagging the rest would be wasted), by text;
        ``every``: of every text."""
        is_flagged = (probs >= [policy.floor(label) for label in MODEL_LABELS]).any(axis=1)
        out = {}
        # The tagger's fallback (a flagged text's likeliest word) is for flagged texts only:
        # a comment nothing flagged gets the words that reach the threshold, if any.
        for rows, fallback in ((np.flatnonzero(is_flagged).tolist(), True),
                               (np.flatnonzero(~is_flagged).tolist() if every else [], False)):
            if rows:
                found = self.tagger.tag_batch(batch, self.first, scan, rows, fallback=fallback)
                out.update({i: spans for i, spans in zip(rows, found, strict=True) if spans})
        return out

    # --- verdicts -------------------------------------------------------------------------

    def assess(self, texts: Sequence[str], contexts: Sequence[Context] | None = None, *,
               policy: Policy | None = None, second_attempt: bool = False, all_spans: bool = False) -> list[Verdict]:
        """Verdicts; their spans are those behind the labels that flagged them, or with
        ``all_spans`` every span the tagger finds, published comments' too (what
        ``parley score --spans all`` shows, and what span F1 is measured on)."""
        policy = policy or self.policy
        texts = list(texts)
        contexts = list(contexts) if contexts is not None else [Context()] * len(texts)
        values, spans = self._score(texts, contexts, policy, all_spans=all_spans)
        return policy.decide_many(values, spans, model=self.model, second_attempt=second_attempt,
                                  all_spans=all_spans)

    def assess_one(self, text: str, context: Context | None = None, *, policy: Policy | None = None,
                   second_attempt: bool = False) -> Verdict:
        """One comment's verdict, scored in a batch with those other threads ask for meanwhile."""
        return self._posts.submit((text, context or Context(), policy or self.policy, second_attempt))

    def _assess_posts(self, jobs: Sequence[tuple]) -> list[Verdict]:
        """Verdicts for a batch of ``assess_one``'s jobs: one ``assess`` per policy (a story
        may have thresholds of its own) and second attempt, in the jobs' order."""
        groups: dict[tuple[int, bool], list[int]] = {}
        for i, (_, _, policy, second_attempt) in enumerate(jobs):
            groups.setdefault((id(policy), second_attempt), []).append(i)
        out: list[Verdict | None] = [None] * len(jobs)
        for rows in groups.values():
            _, _, policy, second_attempt = jobs[rows[0]]
            verdicts = self.assess([jobs[i][0] for i in rows], [jobs[i][1] for i in rows], policy=policy,
                                   second_attempt=second_attempt)
            for i, verdict in zip(rows, verdicts, strict=True):
                out[i] = verdict
        return out  # type: ignore[return-value]


def _span_labels(values: np.ndarray, policy: Policy) -> list[str]:
    """For rows of scores, the label their toxic spans are credited to: the most specific
    one the policy flags, else toxicity."""
    chosen = np.full(len(values), "toxicity", dtype=object)
    for label in reversed(_SPAN_LABELS):  # the most specific last, so that it stands
        chosen[values[:, LABELS.index(label)] >= policy.floor(label)] = label
    return chosen.tolist()


@functools.lru_cache(maxsize=2)
def shipped(fast: bool = False) -> Moderator:
    """The models that ship with Parley, loaded once per process."""
    return Moderator.load(fast=fast)
