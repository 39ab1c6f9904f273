"""Harm that has no swear words, by its signs: implicit threats and dehumanising language.

The models learned toxicity from words, and the threat they know is "I will kill you".
"I know where you live", "it would be a shame if something happened to your kids" and
"they breed like rats" carry no such word; on the challenge set (challenge.py) the models
published every implicit threat. Until a model learns them, these are caught by the
forms they take, as spam is (spam.py): a pattern says plainly which words fired, and
those words are the verdict's spans.

- Threats: knowing or finding where someone lives, works or schools their children;
  visits to their home; "watch your back", "your days are numbered", "you'll regret
  this"; something that "could happen" to them or their family; a harm verb aimed at
  "you", "him" or "her", or wished on them ("someone should shoot him").
- Dehumanisation: people (a pronoun, "people like you", a group named) said to be
  vermin, parasites, animals, a plague or a disease; "they breed like rats"; calls to
  exterminate or wipe them out. Rats in the flats, a plague of potholes and corruption
  as a cancer are about things, not people, and do not count.

A sign inside quotation marks or after "calling", "said", "told" and the like is being
reported or condemned, not made, and counts for nothing. Each sign has a weight: strong
ones alone reach the policy's thresholds (threat: hold; identity_attack: rephrase), weak
ones ("watch your back" is also advice on icy steps) only with another. Scores are
``1 - exp(-evidence)``, as spam's. They cost about 44 µs a long comment (each pattern
runs only where its needles are): the default path pays it, ``--fast`` leaves them out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from parley.moderation import features
from parley.moderation.base import Span

_YOU = r"(?:you|u|ya|him|her|them|your (?:family|wife|husband|kids|children|son|daughter|mother|mum|mom))"
_YOUR = r"(?:your|his|her|their)"
_WE = r"(?:i|we|someone|somebody|people)(?:'ve|’ve| have)?"
_WILL = (r"(?:'ll|’ll| will| shall| am going to|'m going to|’m going to| are going to|'re going to| gonna| would|"
         r" could)")
_PLACE = (r"(?:live|lives|address|house|home|flat|street|door|work|works|office|school|kids|children|family|car|"
          r"drink|drinks|park|parks|eat|eats|shop|shops|walk|walks|train|trains|sleep|sleeps|stay|stays)")
_HARM_VERB = r"(?:hurt|kill|shoot|stab|beat|batter|strangle|burn|hang|end|finish|get rid of|run (?:you|him|her) over)"
_HARM_WHOLE = (r"(?:break (?:your|his|her) (?:legs|neck|face|jaw|arms)|smash (?:your|his|her) face in|"
               r"put (?:you|him|her|them) in (?:the ground|hospital|a wheelchair)|come round and \w+ (?:you|him|her))")
# Who may be dehumanised: a pronoun, "people like you", or people named by a plural noun.
_PEOPLE = (r"(?:you|ye|they|them|these people|those people|people like (?:you|them|him|her)|your (?:lot|kind)|"
           r"their (?:lot|kind)|that lot|this lot|you lot|such people|the lot of them|"
           r"(?:the|all|most|these|those|half (?:of )?(?:the|this|these))?\s*(?:\w+\s+){0,2}?"
           r"(?:people|folk|families|men|women|lads|kids|voters|claimants|sleepers|followers|newcomers|migrants|"
           r"immigrants|refugees|foreigners|muslims|jews|christians|hindus|sikhs|catholics|gypsies|roma|travellers|"
           r"gays|feminists|liberals|lefties|tories|democrats|republicans|protesters|homeless|addicts|junkies|"
           r"unemployed|commenters|posters|trolls|greens|remainers|leavers|voters|workers|strikers|cyclists|drivers|"
           r"landlords|tenants|squatters|rioters|supporters|fans|scroungers|spongers|asylum seekers|africans|"
           r"americans|mexicans|koreans|germans|europeans|afghans|somalis|pakistanis|iraqis|poles|chinese|"
           r"japanese|vietnamese|portuguese|lebanese|congolese|sudanese|\w+ists|\w+ians))")
_BE = r"(?:are|is|were|'re|’re|r|aren't people,? they're|are not people,? they are)"
_VERMIN = (r"(?:vermin|rats?|cockroach(?:es)?|roach(?:es)?|parasites?|leech(?:es)?|lice|ticks|maggots|germs?|locusts|"
           r"animals|beasts|savages|sub-?human(?: scum)?|filth|scum|insects|pests|swine|"
           r"human (?:litter|rubbish|waste|garbage)|a (?:plague|cancer|disease|virus|contagion|germ|swarm|pest|"
           r"parasite|cockroach|blight|tumou?r|pestilence|stain)|an (?:infestation|infection)|a pest infestation)")

class _Match:
    __slots__ = ("_start", "_end")

    def __init__(self, start: int, end: int) -> None:
        self._start, self._end = start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


class _Before:
    """``head`` then ``tail``, matched from the tail back: a tail that is rare ("vermin")
    after a head that is not (any plural noun and "are") costs a search for the tail, then
    the head tried only in the ``reach`` characters before each tail found."""

    def __init__(self, head: str, tail: str, reach: int = 80) -> None:
        self.head = re.compile("(?:" + head + ")$", re.I)
        self.tail = re.compile(tail, re.I)
        self.reach = reach

    def finditer(self, text: str):
        for m in self.tail.finditer(text):
            h = self.head.search(text, max(0, m.start() - self.reach), m.start())
            if h:
                yield _Match(h.start(), m.end())


# (label, weight, pattern). Weight 2 alone crosses a hold or rephrase threshold; 1 needs company.
_SIGNS: tuple[tuple[str, float, re.Pattern | _Before], ...] = tuple(
    (label, weight, re.compile(pattern, re.I) if isinstance(pattern, str) else pattern)
    for label, weight, pattern in (
        # Where they live, work or go, known or to be found.
        ("threat", 2.0, r"\b" + _WE + r"\s+(?:know|knows|found|have|got|can find)\s+(?:exactly\s+)?(?:where|which)\s+"
                        r"(?:\w+\s+){0,4}?" + _PLACE + r"\b"),
        ("threat", 2.0, r"\b(?:i|we)(?:'ve|’ve| have)?\s+(?:know|have|got)\s+" + _YOUR + r"\s+(?:home\s+)?(?:address|"
                        r"postcode|number plate|registration|kids'? school)"),
        ("threat", 2.0, r"\b(?:i|we)" + _WILL + r"\s+(?:find|track|hunt)\s+(?:you|him|her|them)(?:\s+down)?\b|"
                        r"\bonce\s+(?:we|i)\s+find\s+(?:you|him|her)\b"),
        ("threat", 2.0, r"\b(?:pay|give)\s+(?:you|him|her|them|th(?:e|is|at) (?:\w+\s+)?(?:reporter|journalist|writer|"
                        r"author|judge|editor|councillor|mp|man|woman))\s+a\s+"
                        r"(?:little\s+|friendly\s+|personal\s+)?visit"),
        ("threat", 1.5, r"\b(?:visit|show up at|turn up at|come round to|come to|outside|waiting at|standing on)\s+"
                        + _YOUR + r"\s+(?:house|home|door|front door|doorstep|flat|work|office|"
                        r"school|kids'? school)\b"),
        # The formulas of intimidation.
        ("threat", 2.0, r"\b(?:shame|pity)\s+if\s+(?:something|anything|it)\s+(?:\w+\s+)?(?:happened|were to happen|"
                        r"happens|caught fire|burned|burnt)|\bwouldn.?t\s+want\s+anything\s+to\s+(?:happen|spoil)"),
        ("threat", 2.0, r"\b(?:something|anything)\s+(?:bad|nasty|terrible|unfortunate)?\s*(?:could|might|will|may|"
            r"is going "
                        r"to)\s+happen\s+to\s+(?:you|him|her|them|your|his|her)\b"),
        ("threat", 2.0, r"\b(?:people|journalists|reporters|men|women|folk)\s+(?:have\s+)?(?:had|"
            r"have)\s+accidents?\s+for\s+"
                        r"less|\baccidents\s+(?:happen|can happen)\s+to\s+(?:people|journalists|reporters|those|"
                        r"anyone)|"
                        r"\bgone\s+missing\s+for\s+less\b"),
        ("threat", 2.0, r"\byour\s+days\s+are\s+numbered\b|\b(?:we(?:'re|’re| are)|i(?:'m|’m| am))\s+coming\s+for\s+"
                        r"(?:you|him|her|them)\b|\bget\s+what(?:'s|’s| is)\s+coming\s+to\s+(?:you|him|her|them)\b|"
                        r"\bif\s+(?:you|he|she|they)\s+knows?\s+what(?:'s|’s| is)\s+good\s+for\s+(?:you|him|her|"
                        r"them)\b"),
        ("threat", 2.0, r"\b(?:might|may|won.?t|will\s+not)\s+(?:not\s+)?make\s+it\s+home\b|"
            r"\bwhile\s+you\s+(?:still\s+)?"
                        r"can\s+(?:still\s+)?walk\b|\bneed\s+a\s+new\s+face\b|\b(?:better\s+)?hope\s+(?:we|i)\s+"
                        r"never\s+"
                        r"meet\b"),
        ("threat", 1.0, r"\bwatch\s+your\s+(?:back|step)\b|\bsleep\s+with\s+one\s+eye\s+open\b|\blook(?:ing)?\s+over\s+"
                        r"your\s+shoulder\b|\bdark\s+alley\b|\btick,?\s+tock\b|\bgood\s+locks\b|"
                        r"\bwhile\s+it\s+lasts\b"),
        ("threat", 2.0, r"\byou(?:'ll|’ll| will)\s+(?:regret|pay for)\s+(?:writing|saying|publishing|posting|printing|"
                        r"the day|crossing)\b"),
        ("threat", 1.5, r"\byou(?:'ll|’ll| will)\s+(?:regret|pay for)\s+(?:this|that|it|what you)\b|\byour\s+turn\s+"
                        r"(?:is\s+)?next\b|\btime\s+is\s+running\s+out\s+for\s+you\b|\bteach\s+(?:you|him|her|them|"
                        r"that \w+)\s+a\s+lesson\b"),
        ("threat", 2.0, r"\b(?:shut|silence)\s+(?:you|him|her|them)\s+up\s+(?:for good|permanently|forever)\b"),
        ("threat", 1.0, r"\bthink\s+(?:of|about)\s+your\s+(?:family|kids|children|wife|husband)\b|\bwe(?:'re|’re"
            r"| are)\s+"
                        r"watching\s+you\b|\b(?:would\s+)?hate\s+for\s+(?:her|him|them|you)\s+to\b"),
        ("threat", 2.0, r"\b(?:your|his|her)\s+(?:windows?|car|house|home|tyres|tires)\s+(?:\w+\s+){0,2}?(?:get|"
            r"gets|got|"
                        r"getting|be|being|to be)\s+(?:smashed|burned|burnt|torched|slashed|vandalised|burned down)\b|"
                        r"\b(?:house|home)\s+burn(?:ed|t)\s+down\b"),
        # Harm aimed at someone, or wished on them.
        ("threat", 2.0, r"\b(?:i|we)" + _WILL + r"\s+(?:\w+\s+)?(?:" + _HARM_VERB + r"\s+" + _YOU + r"\b(?!\s+at\b)|"
                        + _HARM_WHOLE + r")"),
        ("threat", 2.0, r"\b(?:someone|somebody|people|anyone)\s+(?:should|ought to|needs to|need to|is going to|"
                        r"has to)\s+(?:" + _HARM_VERB + r"|run)\s+(?:him|her|them|you|that|this)\b|"
                        r"\bput\s+a\s+bullet\s+in\b"),
        ("threat", 2.0, r"\b(?:deserves?|ought|needs?|should|must)\s+(?:to\s+)?be\s+(?:shot|hanged|hung|killed|stabbed|"
                        r"beaten|put down|strung up|lynched|burned|burnt)\b"),
        # Dehumanisation: people said to be vermin, disease, animals; calls to be rid of them.
        ("identity_attack", 2.0, _Before(r"\b" + _PEOPLE + r"\s+" + _BE + r"\s+(?:nothing but\s+|just\s+|no better "
                                         r"than\s+|like\s+|a\s+(?:bunch|pack|swarm|horde|plague)\s+of\s+|all\s+|"
                                         r"basically\s+|simply\s+|not even (?:a person|human),? (?:you're|they're)\s+|"
                                         r"(?:\w+\s+)?)", r"\b" + _VERMIN + r"\b")),
        ("identity_attack", 2.0, r"\b(?:rats|vermin|parasites|animals|cockroaches|scum|filth|savages),?\s+(?:the\s+lot|"
                                 r"all|every one)\s+of\s+them\b|\b(?:breed|bred|breeds|breeding)\s+like\s+(?:rats|"
                                 r"rabbits|"
                                 r"flies|cockroaches|vermin|insects)\b"),
        ("identity_attack", 2.0, r"\b(?:exterminate[ds]?|eradicate[ds]?|wipe[ds]?\s+out|cleansed?|purge[ds]?|put"
            r"\s+down|"
                                 r"gas(?:sed)?|fumigate[ds]?|poison\s+them|hose[ds]?\s+(?:them\s+)?off|disinfect|"
                                 r"stamp(?:ed)?\s+out|sweep\s+them\s+out|cut(?:ting)?\s+out)\s+(?:of\s+)?(?:them"
                                 r"|the\s+lot"
                                 r"(?:\s+of\s+them)?|these\s+people|those\s+people|all\s+of\s+them|"
                                 r"every\s+(?:last\s+)?one"
                                 r"\s+of\s+them|the\s+(?:streets|country|unions|town))\b|"
                                 r"\bshould\s+be\s+(?:exterminated|"
                                 r"wiped\s+out|cleansed|stamped\s+out|eradicated|put\s+down\s+like)"),
        ("identity_attack", 1.5, r"\b(?:they|you|these people|those people)\s+(?:are|r|aren't|are not)\s+not\s+("
            r"?:even\s+)?"
                                 r"(?:human|people)\b|\b(?:aren't|are not|isn't|is not|not even)\s+(?:a\s+)?(?:human|"
                                 r"people|a person)\b"),
        ("identity_attack", 1.5, r"\binfested\s+with\s+(?:foreigners|immigrants|migrants|refugees|them|those people|"
                                 r"\w+ians|\w+ese)\b|\b(?:they|these people|those people|immigrants|migrants|"
                                 r"refugees)\s+"
                                 r"(?:are\s+)?(?:infesting|swarming|crawling\s+(?:all\s+)?over)\b"),
    ))

# What every match of each sign holds, in the batch's folded bytes (features.texts_holding),
# in _SIGNS' order: a sign's pattern runs only on the texts holding one of its needles, so
# an archive's comments, nearly none of them threats, cost a few byte searches a batch.
# tests/moderation/test_harm.py checks that no needle loses a match.
_HARM_NEEDLES = (b"hurt", b"kill", b"shoot", b"stab", b"beat", b"batter", b"strangle", b"burn", b"hang", b" end",
                 b"finish", b"get rid", b"run ", b"break", b"smash", b"hospital", b"the ground", b"wheelchair",
                 b"come round")
_NEEDLES: tuple[tuple[bytes, ...], ...] = (
    (b"where", b"which"),
    (b"address", b"postcode", b"number plate", b"registration", b"school"),
    (b"find", b"track", b"hunt"),
    (b"visit",),
    (b"visit", b"show up", b"turn up", b"come round", b"come to", b"outside", b"waiting at", b"standing on"),
    (b"shame if", b"pity if", b"want anything to"),
    (b"happen",),
    (b"accident", b"gone missing"),
    (b"numbered", b"coming for", b"coming to", b"good for"),
    (b"make it home", b"walk", b"new face", b"never meet"),
    (b"watch your", b"one eye open", b"over your shoulder", b"dark alley", b"tock", b"good locks", b"while it lasts"),
    (b"regret", b"pay for"),
    (b"regret", b"pay for", b"turn", b"running out", b"lesson"),
    (b"for good", b"permanently", b"forever"),
    (b"think of", b"think about", b"watching you", b"hate for"),
    (b"smashed", b"burned", b"burnt", b"torched", b"slashed", b"vandalised"),
    _HARM_NEEDLES,
    (*_HARM_NEEDLES, b"bullet"),
    (b"shot", b"hanged", b"hung", b"killed", b"stabbed", b"beaten", b"put down", b"strung up", b"lynched", b"burned",
     b"burnt"),
    (b"vermin", b" rat", b"roach", b"parasite", b"leech", b"lice", b"ticks", b"maggot", b"germ", b"locust", b"animals",
     b"beast", b"savage", b"human", b"filth", b"scum", b"insect", b"pest", b"swine", b"plague", b"cancer", b"disease",
     b"virus", b"contagion", b"swarm", b"blight", b"tumo", b" stain", b"infest", b"infection"),
    (b"lot of them", b"all of them", b"every one of them", b"breed", b"bred"),
    (b"extermin", b"eradicat", b"wipe", b"cleans", b"purge", b"put down", b"gas them", b"gas the", b"gassed",
     b"fumigat", b"poison them", b"hose", b"disinfect", b"stamp", b"sweep them", b"cut out", b"cutting out"),
    (b"not human", b"not even", b"not people", b"not a human", b"not a person", b"t human", b"t people", b"t a person",
     b"t a human"),
    (b"infest", b"swarming", b"crawling"),
)
assert len(_NEEDLES) == len(_SIGNS)

# A sign reported or condemned, not made: quoted, or just after a word of reporting.
_REPORTED = re.compile(r"(?:\b(?:calling|called|said|says|saying|told|tells|claimed|claims|claiming|"
                       r"shouted|shouting|tweeted|wrote|posted|describ(?:ed|es|ing)|labell?(?:ed|ing)|"
                       r"branded|branding|referred to|quoted)\b[^.!?]{0,30}|[\"“‘'])$", re.I)


def _reported(text: str, start: int) -> bool:
    before = text[max(0, start - 40):start]
    if _REPORTED.search(before):
        return True
    # Inside a quotation: an odd number of quotation marks before it in the sentence.
    sentence = re.split(r"[.!?]\s", text[:start])[-1]
    return (sentence.count('"') % 2 == 1) or (sentence.count("“") > sentence.count("”"))


LABELS = ("threat", "identity_attack")


def harm_signs(texts: Sequence[str], batch: features.Batch | None = None, *, needles: bool = True
               ) -> tuple[np.ndarray, dict[int, list[Span]]]:
    """(texts, LABELS) scores from the signs, and the spans of the texts with any.
    ``batch``: the texts' ``features.encode``, if the caller has it; ``needles=False``
    reads every text with every pattern (what the needles must not change)."""
    evidence = np.zeros((len(texts), len(LABELS)))
    spans: dict[int, list[Span]] = {}
    if needles:
        batch = batch if batch is not None else features.encode(texts)
    for (label, weight, pattern), needed in zip(_SIGNS, _NEEDLES, strict=True):
        column = LABELS.index(label)
        for i in sorted(features.texts_holding(batch, needed)) if needles else range(len(texts)):
            text = texts[i]
            for m in pattern.finditer(text):
                if _reported(text, m.start()):
                    continue
                evidence[i, column] += weight
                spans.setdefault(i, []).append(Span(m.start(), m.end(), label))
    ordered = {i: sorted(marks, key=lambda x: (x.start, x.end)) for i, marks in spans.items()}
    return np.round(1.0 - np.exp(-evidence), 4), ordered
