"""Spam by its signs: links, repetition within a comment, the same comment again
(flooding), shouting, and patterns that only advertising uses. Rules, not learning:
these signs are what spam is, and a rule says plainly which one fired.

An archive has millions of comments and nearly none are spam, so the batch's bytes
(``features.encode``) are first searched for the literal fragments every sign needs;
the regular expressions, which cost far more a character, run only on the texts that
have one. Repetition and shouting are counted over the batch's bytes in numpy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

import numpy as np

from parley.moderation import features
from parley.moderation.base import Context, Scorer, Scores, Span

_TLDS = ("com", "net", "org", "ru", "cn", "xyz", "top", "info", "biz", "shop")
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:" + "|".join(_TLDS) + r")\b\S*", re.I)
_KNOWN = re.compile(
    r"\b(?:work(?:ing)? from home|earn \$?\d[\d,]*|make \$?\d[\d,]* (?:a|per) (?:day|week|month)|"
    r"click (?:here|the link)|buy now|limited offer|crypto ?(?:signal|profit)s?|whats ?app me|"
    r"dm me for|casino|viagra|cialis|payday loans?|100% free|free followers)\b", re.I)
# Every match of _KNOWN contains one of these; each is rare in discussion, so few texts
# are left for the expression to read.
_KNOWN_NEEDLES = (b"from home", b"earn ", b" a day", b" per day", b" a week", b" per week", b" a month",
                  b" per month", b"click ", b"buy now", b"limited offer", b"crypto", b"whats", b"dm me", b"casino",
                  b"viagra", b"cialis", b"payday", b"100% free", b"free followers")
_REPEATED_CHAR = re.compile(r"(.)\1{9,}")


def _text_of(batch: features.Batch, at: np.ndarray) -> set[int]:
    return set((np.searchsorted(batch.starts, at, side="right") - 1).tolist())


def _reads(buffer: np.ndarray, at: np.ndarray, token: bytes) -> np.ndarray:
    """Where the bytes at ``at`` onwards read ``token``."""
    hit = np.ones(len(at), dtype=bool)
    for k, byte in enumerate(token):
        hit &= buffer[np.clip(at + k, 0, len(buffer) - 1)] == byte
    return hit


def _link_candidates(batch: features.Batch) -> set[int]:
    """Texts that may hold a link: a "://", a "www." or a dot before a spam-prone top-level
    domain. The buffer is lower-cased and these marks are rare, so this looks only at
    the dots and colons."""
    b = batch.buffer
    dots, colons = np.flatnonzero(b == ord(".")), np.flatnonzero(b == ord(":"))
    link = _reads(b, dots - 3, b"www")
    for tld in _TLDS:
        link |= _reads(b, dots + 1, tld.encode())
    return _text_of(batch, np.concatenate([dots[link], colons[_reads(b, colons + 1, b"//")]]))


def _known_candidates(batch: features.Batch) -> set[int]:
    """Texts holding a needle of _KNOWN: in the batch's lower-cased bytes, where a match on
    the original text always leaves its needle (case folds to ASCII lower case, and
    folding turns only non-ASCII characters into spaces)."""
    buffer = batch.buffer.tobytes()
    hits = []
    for needle in _KNOWN_NEEDLES:
        at = buffer.find(needle)
        while at != -1:
            hits.append(at)
            at = buffer.find(needle, at + 1)
    return _text_of(batch, np.array(hits, dtype=np.int64)) if hits else set()


class SpamScorer(Scorer):
    """Scores ``spam`` from links, advertising phrases, repetition and flooding.

    Parameters: ``max_links`` links pass without evidence; ``flood_similarity`` is how
    alike (0..1) a comment must be to one of the author's recent ones to count as a repeat.
    """

    labels = ("spam",)

    def __init__(self, max_links: int = 1, flood_similarity: float = 0.9) -> None:
        self.max_links = max_links
        self.flood_similarity = flood_similarity

    def score(self, texts: Sequence[str], contexts: Sequence[Context] | None = None,
              batch: features.Batch | None = None) -> list[Scores]:
        values, spans = self.values(texts, contexts, batch)
        return [Scores({"spam": v}, spans.get(i, [])) for i, v in enumerate(values.tolist())]

    def values(self, texts: Sequence[str], contexts: Sequence[Context] | None = None,
               batch: features.Batch | None = None) -> tuple[np.ndarray, dict[int, list[Span]]]:
        """The batch's spam scores as an array, and the spans of the texts that have any:
        what ``score`` returns, without an object per text (an archive has millions)."""
        n = len(texts)
        if not n:
            return np.zeros(0), {}
        batch = batch if batch is not None else features.encode(texts)
        evidence = np.zeros(n)
        spans: dict[int, list[Span]] = {}
        # Regular expressions cost far more a character than the searches for what every
        # match needs, and nearly no comment in an archive is spam: they run only where
        # those searches hit, on the original text, so offsets are the text's own.
        for i in _link_candidates(batch):
            links = list(_LINK.finditer(texts[i]))
            if links:
                evidence[i] += 0.3 + 0.8 * max(0, len(links) - self.max_links)
                spans.setdefault(i, []).extend(Span(m.start(), m.end(), "spam") for m in links)
        for i in _known_candidates(batch):
            known = list(_KNOWN.finditer(texts[i]))
            evidence[i] += 1.2 * len(known)
            spans.setdefault(i, []).extend(Span(m.start(), m.end(), "spam") for m in known)
        for i, lo, hi in self._repeating(batch):
            for m in _REPEATED_CHAR.finditer(texts[i], lo, hi):
                evidence[i] += 0.5
                spans.setdefault(i, []).append(Span(m.start(), m.end(), "spam"))

        evidence += self._low_diversity(batch)
        evidence += 0.4 * self._shouting(texts)
        for i, context in enumerate(contexts or ()):
            if context.author_recent_texts and any(
                    SequenceMatcher(None, texts[i], earlier).ratio() >= self.flood_similarity
                    for earlier in context.author_recent_texts[:10]):
                evidence[i] += 1.5
        found = {i: sorted(marks, key=lambda s: (s.start, s.end)) for i, marks in spans.items() if marks}
        # Evidence (0 = none) to a score in [0, 1).
        return np.round(1.0 - np.exp(-evidence), 4), found

    @staticmethod
    def _repeating(batch: features.Batch) -> list[tuple[int, int, int]]:
        """Where ten equal characters may be, as (text, start, end) in characters: runs
        of ten or more equal bytes or of non-ASCII bytes (ten "é" are twenty bytes, none
        equal to the next), and the whole of each text with characters that fold to none
        or to several (ten zero-width spaces leave no bytes). Every run of ten equal
        characters lies inside one."""
        b = np.minimum(batch.buffer, 0x80)
        same = np.concatenate(([0], (b[1:] == b[:-1]).astype(np.int8), [0]))
        edges = np.diff(same)
        run_starts, run_ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) + 1
        texts = np.searchsorted(batch.starts, run_starts, side="right") - 1
        # Without the spaces that frame each text in the buffer.
        run_starts = np.maximum(run_starts, batch.starts[texts] + 1)
        run_ends = np.minimum(run_ends, np.append(batch.starts[1:], len(b))[texts] - 2)
        long = (run_ends - run_starts) >= 10
        texts, run_starts, run_ends = texts[long], run_starts[long], run_ends[long]
        starts, ends = batch.char_ranges(texts, run_starts, run_ends)
        whole = batch.resized()
        runs = [(t, lo, hi) for t, lo, hi in zip(texts.tolist(), starts, ends, strict=True) if t not in whole]
        return runs + [(t, 0, len(batch.texts[t])) for t in whole]

    @staticmethod
    def _low_diversity(batch: features.Batch) -> np.ndarray:
        """Evidence from the same few words over and over: under 35% distinct in 8 or more."""
        hashes = batch.word_hashes()
        counts = np.bincount(batch.word_text, minlength=batch.size)
        if not len(hashes):
            return np.zeros(batch.size)
        keys = np.sort((batch.word_text.astype(np.uint64) << np.uint64(40)) | (hashes >> np.uint64(24)))
        first = np.concatenate(([True], keys[1:] != keys[:-1]))  # sorting beats np.unique here
        distinct = np.bincount((keys[first] >> np.uint64(40)).astype(np.int64), minlength=batch.size)
        ratio = distinct / np.maximum(counts, 1)
        low = (counts >= 8) & (ratio < 0.35)
        return np.where(low, 3 * (0.35 - ratio) / 0.35 + 0.5, 0.0)

    @staticmethod
    def _shouting(texts: Sequence[str]) -> np.ndarray:
        """1 where at least 20 ASCII letters are more than 80% capitals."""
        joined = "\0".join(texts)
        if joined.count("\0") != len(texts) - 1:  # a text holding NUL would shift every bound
            joined = "\0".join(t.replace("\0", " ") for t in texts)
        raw = np.frombuffer(joined.encode("utf-8", "replace") + b"\0", dtype=np.uint8)
        is_text_end = raw == 0
        bounds = np.concatenate(([0], np.flatnonzero(is_text_end)[:-1] + 1))
        upper = np.add.reduceat(((raw >= 65) & (raw <= 90)).astype(np.int64), bounds)
        lower = np.add.reduceat(((raw >= 97) & (raw <= 122)).astype(np.int64), bounds)
        letters = upper + lower
        return ((letters >= 20) & (upper > 0.8 * letters)).astype(np.float64)
