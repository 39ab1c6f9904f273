"""Spam by its signs: links, repetition within a comment, the same comment again
(flooding), shouting, and patterns that only advertising uses. Rules, not learning:
these signs are what spam is, and a rule says plainly which one fired."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from parley.moderation.base import Context, Scorer, Scores, Span

_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|ru|cn|xyz|top|info|biz|shop)\b\S*", re.I)
_KNOWN = re.compile(
    r"\b(?:work(?:ing)? from home|earn \$?\d[\d,]*|make \$?\d[\d,]* (?:a|per) (?:day|week|month)|"
    r"click (?:here|the link)|buy now|limited offer|crypto ?(?:signal|profit)s?|whats ?app me|"
    r"dm me for|casino|viagra|cialis|payday loans?|100% free|free followers)\b", re.I)
_REPEATED_CHAR = re.compile(r"(.)\1{9,}")
_WORD = re.compile(r"\w+")


def _squash(x: float) -> float:
    """Evidence (0 = none) to a score in [0, 1)."""
    return 1.0 - math.exp(-x)


class SpamScorer(Scorer):
    """Scores ``spam`` from links, advertising phrases, repetition and flooding.

    Parameters: ``max_links`` links pass without evidence; ``flood_similarity`` is how
    alike (0..1) a comment must be to one of the author's recent ones to count as a repeat.
    """

    labels = ("spam",)

    def __init__(self, max_links: int = 1, flood_similarity: float = 0.9) -> None:
        self.max_links = max_links
        self.flood_similarity = flood_similarity

    def score(self, texts: Sequence[str], contexts: Sequence[Context] | None = None) -> list[Scores]:
        contexts = contexts or [Context()] * len(texts)
        return [self._one(text, context) for text, context in zip(texts, contexts, strict=True)]

    def _one(self, text: str, context: Context) -> Scores:
        evidence, spans = 0.0, []
        links = list(_LINK.finditer(text))
        if len(links) > self.max_links:
            evidence += 0.8 * (len(links) - self.max_links)
        if links:
            evidence += 0.3
            spans += [Span(m.start(), m.end(), "spam") for m in links]
        known = list(_KNOWN.finditer(text))
        evidence += 1.2 * len(known)
        spans += [Span(m.start(), m.end(), "spam") for m in known]
        for m in _REPEATED_CHAR.finditer(text):
            evidence += 0.5
            spans.append(Span(m.start(), m.end(), "spam"))
        words = [w.lower() for w in _WORD.findall(text)]
        if len(words) >= 8:
            distinct = len(set(words)) / len(words)
            if distinct < 0.35:  # the same few words over and over
                evidence += 3 * (0.35 - distinct) / 0.35 + 0.5
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.8:
            evidence += 0.4
        if any(SequenceMatcher(None, text, earlier).ratio() >= self.flood_similarity
               for earlier in context.author_recent_texts[:10]):
            evidence += 1.5
        spans.sort(key=lambda s: (s.start, s.end))
        return Scores({"spam": round(_squash(evidence), 4)}, spans)
