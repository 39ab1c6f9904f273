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
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

import numpy as np

from parley.moderation import features
from parley.moderation.base import Context, Scorer, Scores, Span

_TLDS = ("com", "net", "org", "ru", "cn", "xyz", "top", "info", "biz", "shop", "store", "online", "site", "club",
         "live", "vip", "win", "bet", "loan", "icu", "buzz", "fun")
# Domains registered cheaply and in bulk, where spam's links mostly point; news, councils
# and charities rarely live there.
_CHEAP_TLDS = ("xyz", "top", "biz", "info", "shop", "store", "online", "site", "club", "live", "vip", "win", "bet",
               "loan", "icu", "buzz", "fun", "ru", "cn")
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:" + "|".join(_TLDS) + r")\b\S*", re.I)
_KNOWN = re.compile(
    r"\b(?:work(?:ing)? from home|earn \$?\d[\d,]*|make \$?\d[\d,]* (?:a|per) (?:day|week|month)|"
    r"click (?:here|the link)|buy now|limited offer|crypto ?(?:signal|profit)s?|whats ?app me|"
    r"dm me for|100% free|free followers)\b", re.I)
# Every match of _KNOWN contains one of these; each is rare in discussion, so few texts
# are left for the expression to read. (What spam sells, "casino" or "viagra", is in
# _SIGNS' goods, with less weight: readers discuss casinos and medicines too.)
_KNOWN_NEEDLES = (b"from home", b"earn ", b" a day", b" per day", b" a week", b" per week", b" a month",
                  b" per month", b"click ", b"buy now", b"limited offer", b"crypto", b"whats", b"dm me",
                  b"100% free", b"free followers")
_REPEATED_CHAR = re.compile(r"(.)\1{9,}")

# Signs of advertising. Each alone is common enough in discussion (a reader names
# bitcoin, a payday lender, their own WhatsApp group) to be weak; spam stacks them: an
# offer, a money claim and a way to reach the seller, around a link. Each sign is
# (name, weight, at most counted, pattern, needles): the pattern runs only on texts that
# hold one of its needles (lower-cased bytes of the batch), as _KNOWN's does. Letters
# written as digits or symbols ("v1agra", "c!alis", "b!tcoin") are in the patterns.
_I, _O = "[i1!|l]", "[o0]"  # letters written as digits or symbols
_SIGNS: tuple[tuple[str, float, int, re.Pattern, tuple[bytes, ...]], ...] = (
    # A way to reach the seller off the page (not "@Name", which opens every reply here).
    ("contact", 0.8, 1, re.compile(
        r"\b(?:whats ?app|telegram|wechat|viber)\b|\bt\.me/|\bwa\.me/|"
        r"\b(?:dm|message|text|contact|email|inbox)\s+(?:me|him|her|us|them)\b|"
        r"(?:\+\d{1,3}[\s.-]?)?\(?\d{3,4}\)?[\s.-]\d{3}[\s.-]?\d{3,4}\b|"
        r"\b[\w.+-]+@[\w-]+\.(?:com|net|org|info|biz|co)\b|\b[\w.+-]+ at [\w-]+ dot (?:com|net|org|info|biz|co)\b",
        re.I),
     (b"whats", b"telegram", b"wechat", b"viber", b"t.me/", b"wa.me/", b"dm ", b"message ", b"text ", b"contact ",
      b"email ", b"inbox ", b"+", b"@", b" dot ")),
    # Links to cheap bulk domains.
    ("cheap domain", 0.5, 1, re.compile(r"\b[a-z0-9-]+\.(?:" + "|".join(_CHEAP_TLDS) + r")\b", re.I),
     tuple(b"." + tld.encode() for tld in _CHEAP_TLDS)),
    # Links that hide where they go.
    ("shortened link", 0.6, 1, re.compile(
        r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|is\.gd|cutt\.ly|t\.co|rb\.gy|shorturl\.at|ow\.ly)/\S+", re.I),
     (b"bit.ly", b"tinyurl", b"goo.gl", b"is.gd", b"cutt.ly", b"t.co/", b"rb.gy", b"shorturl", b"ow.ly")),
    # Money promised: an amount a day or week, earnings or winnings with an amount, a
    # multiple or a percentage gained.
    ("money claim", 0.9, 1, re.compile(
        r"(?:[$£€]\s?\d[\d,.]*k?|\b\d[\d,.]*\s?(?:dollars|pounds|euros|usd|btc))\s*(?:a|an|per|every|each|/)?\s*"
        r"(?:day|daily|hour|hr|week|weekly|month|monthly)\b|"
        r"[$£€]\s?\d[\d,.]*k?\s+(?:profit|returns?|payouts?|in bonus|bonus|income|rewards?|cashback)\b|"
        r"\b(?:earn(?:s|ed|ing)?|made|make|making|profit(?:s|ed)?|returns?|payout|won)\b[^.!?\n]{0,40}?"
        r"(?:[$£€]\s?\d|\d+\s?%|\b\d+x\b)|\b\d+x\s+(?:coins?|gains?|returns?)\b|"
        r"\bturn\s+[$£€]?\d[\d,]*\s+into\b", re.I),
     (b"$", b"dollars", b"pounds", b"euros", b"usd", b"btc", b" a day", b" per day", b" a week", b" per week",
      b" an hour", b" per hour", b" a month", b" per month", b"daily", b"weekly", b"monthly", b"earn", b"made",
      b"make", b"making", b"profit", b"return", b"payout", b"won ", b"x coin", b"x gain", b"turn ")),
    # The offer's own words.
    ("offer", 0.6, 3, re.compile(
        r"\b(?:cheap(?:est)?|discount(?:ed)?|\d+\s?% off|free (?:spins|bets?|trial|gift|iphone|followers)|"
        r"(?:welcome|sign[- ]?up|deposit) bonus|giveaway|guaranteed|risk[- ]free|no (?:prescription|rx|doctor|"
        r"credit checks?|checks|experience|deposit)|instant (?:approval|payout|withdrawal)|"
        r"bad credit(?: ok)?|100% (?:acceptance|approval|legit|genuine)|order now|claim (?:now|yours|it)|"
        r"apply (?:now|here|today)|join (?:now|free|today|our (?:vip|group|channel))|vip (?:group|channel|tips)|"
        r"limited (?:time|spots|places)|act now|unbeatable prices?|lowest prices?|"
        r"doctors (?:hate|are stunned)|one (?:weird|simple) trick|they don.?t want you to (?:see|know)|"
        r"you won.?t believe|shocking (?:truth|video|secret)|(?:chat|meet) (?:with )?(?:me|hot|sexy|lonely|"
        r"local (?:women|girls|men|singles))|sexy|"
        r"recover(?:y of)? (?:your |lost |my )?(?:funds|money|crypto)|spell caster|hackers? for hire)\b", re.I),
     (b"cheap", b"discount", b"% off", b"free spins", b"free bet", b"free trial", b"free gift", b"free iphone",
      b"free followers", b"bonus", b"giveaway", b"guarantee", b"risk-free", b"risk free", b"no prescription",
      b"no rx", b"no doctor", b"no credit", b"no checks", b"no experience", b"no deposit", b"instant ",
      b"bad credit", b"100% ", b"order now", b"claim ", b"apply ", b"join ", b"vip ", b"limited ", b"act now",
      b"stunned", b"trick", b"believe", b"shocking", b"chat ", b"meet ", b"sexy",
      b"unbeatable", b"lowest price", b"doctors hate", b"want you to", b"recover", b"spell caster",
      b"for hire")),
    # What spam sells: names that come up in discussion too, so they weigh least.
    ("goods", 0.5, 2, re.compile(
        r"\b(?:v" + _I + r"[a@4]gr[a@4]|c" + _I + r"[a@4]l" + _I + r"s|tramadol|xanax|oxycodone|adderall|"
        r"pills|weight loss|lose \d+\s?(?:kg|lbs?|pounds)|b" + _I + r"tc" + _O + r"in|crypto|forex|"
        r"binary options|trading signals|airdrop|casino|jackpot|betting tips|accumulators?|"
        r"payday loans?|credit repair|debt relief|replica|backlinks|seo|followers|hookups?|dating site|"
        r"singles in your area|lonely (?:tonight|wives|women|men))\b", re.I),
     (b"agra", b"alis", b"tramadol", b"xanax", b"oxycodone", b"adderall", b"pills", b"weight loss", b"lose ",
      b"coin", b"c0in", b"crypto", b"forex", b"binary options", b"signals", b"airdrop", b"casino", b"jackpot",
      b"betting tips", b"accumulator", b"payday", b"credit repair", b"debt relief", b"replica", b"backlink",
      b"seo", b"followers", b"hookup", b"dating site", b"singles in", b"lonely ")),
)


# Every match of _LINK holds one of these: "://", "www." or a dot before a top-level domain.
_LINK_NEEDLES = (b"://", b"www.", *(b"." + tld.encode() for tld in _TLDS))


# Every needle the spam rules search for; a batch is searched for all of them at once.
_RULE_NEEDLES = tuple(dict.fromkeys((*_LINK_NEEDLES, *_KNOWN_NEEDLES)))
_ALL_NEEDLES = tuple(dict.fromkeys((*_RULE_NEEDLES, *(n for *_, needles in _SIGNS for n in needles))))


class _Holding:
    """Which texts of a batch hold which of _ALL_NEEDLES: a pattern runs only on the
    texts holding one of the needles it needs."""

    def __init__(self, batch: features.Batch, needles: Sequence[bytes]) -> None:
        self._found = features.texts_holding_each(batch, needles)

    def any_of(self, needles: Sequence[bytes]) -> list[int]:
        return sorted(set().union(*(self._found[n] for n in needles)))


def _similarity(text: str, earlier: str, at_least: float) -> float:
    """``SequenceMatcher``'s ratio of the two texts when it reaches ``at_least``, else 0.
    Two upper bounds of the ratio, from the lengths and then from the characters the
    texts share, rule out nearly every pair of different comments before the matcher is
    made (indexing the earlier text alone costs 250 µs for 400 characters): a post is
    compared with its author's last ten."""
    total = len(text) + len(earlier)
    if not total or 2 * min(len(text), len(earlier)) < at_least * total:
        return 1.0 if not total else 0.0
    shared = sum((Counter(text) & Counter(earlier)).values())
    if 2 * shared < at_least * total:
        return 0.0
    ratio = SequenceMatcher(None, text, earlier).ratio()
    return ratio if ratio >= at_least else 0.0


def _merged(marks: list[Span]) -> list[Span]:
    """Spans in text order, those that overlap joined (a link is also a shortened link)."""
    out: list[Span] = []
    for m in sorted(marks, key=lambda s: (s.start, s.end)):
        if out and m.start < out[-1].end:
            out[-1] = Span(out[-1].start, max(out[-1].end, m.end), "spam")
        else:
            out.append(m)
    return out


class SpamScorer(Scorer):
    """Scores ``spam`` from links, advertising phrases, repetition and flooding.

    Parameters: ``max_links`` links pass without evidence; ``flood_similarity`` is how
    alike (0..1) a comment must be to one of the author's recent ones to count as a repeat.
    """

    labels = ("spam",)

    def __init__(self, max_links: int = 1, flood_similarity: float = 0.9, *, advert_signs: bool = True) -> None:
        self.max_links = max_links
        self.flood_similarity = flood_similarity
        # The advert's signs (_SIGNS) cost about 50 µs a comment, more than the first stage:
        # ``parley score --fast`` leaves them out, and scores spam by the older rules alone.
        self.advert_signs = advert_signs

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
        holding = _Holding(batch, _ALL_NEEDLES if self.advert_signs else _RULE_NEEDLES)
        for i in holding.any_of(_LINK_NEEDLES):
            links = list(_LINK.finditer(texts[i]))
            if links:
                evidence[i] += 0.3 + 0.8 * max(0, len(links) - self.max_links)
                spans.setdefault(i, []).extend(Span(m.start(), m.end(), "spam") for m in links)
        for i in holding.any_of(_KNOWN_NEEDLES):
            known = list(_KNOWN.finditer(texts[i]))
            evidence[i] += 1.2 * len(known)
            spans.setdefault(i, []).extend(Span(m.start(), m.end(), "spam") for m in known)
        # Advertising: an offer, a money claim, a way to reach the seller, around links;
        # two signs of different kinds (a link is one) weigh more than either alone.
        kinds = np.zeros(n)
        kinds[list(spans)] = 1  # the texts with links or a known advertising phrase
        for _name, weight, most, pattern, needles in _SIGNS if self.advert_signs else ():
            for i in holding.any_of(needles):
                found = list(pattern.finditer(texts[i]))[:most]
                if found:
                    evidence[i] += weight * len(found)
                    kinds[i] += 1
                    spans.setdefault(i, []).extend(Span(m.start(), m.end(), "spam") for m in found)
        evidence += np.where(kinds >= 2, 0.4 * (kinds - 1), 0.0)
        for i, lo, hi in self._repeating(batch):
            for m in _REPEATED_CHAR.finditer(texts[i], lo, hi):
                evidence[i] += 0.5
                spans.setdefault(i, []).append(Span(m.start(), m.end(), "spam"))

        evidence += self._low_diversity(batch)
        evidence += 0.4 * self._shouting(texts)
        # Flooding: the author's comment again. The same text again is held (1.5: 0.78); a
        # near-copy ("Comment number 2." after "Comment number 1.") adds less, so that one
        # stays published (0.55) and a run of them does not (two 0.80); three count at most.
        for i, context in enumerate(contexts or ()):
            if context.author_recent_texts:
                ratios = [_similarity(texts[i], earlier, self.flood_similarity)
                          for earlier in context.author_recent_texts[:10]]
                weights = sorted((1.5 if r >= 0.98 else 0.8 for r in ratios if r >= self.flood_similarity),
                                 reverse=True)
                evidence[i] += sum(weights[:3])
        found = {i: _merged(marks) for i, marks in spans.items() if marks}
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
