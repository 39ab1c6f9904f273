"""Undo the disguises writers put on words to slip past a filter: "a$$hole", "sh1t",
"f*ck", "k i l l", "i-d-i-o-t".

Every rewrite keeps the text's length and maps ASCII to ASCII, one character for one:
the features' byte offsets then still name the writer's own characters, so a span
marked on "a$$hole" covers what the reader sees (``features._byte_to_char``). The
rules look only inside words, where a symbol or digit between letters is rare in honest
writing; what they cost honest text (an e-mail address, "mp3s", "U.S.A.") is kept out
by the conditions beside each rule.
"""

from __future__ import annotations

import re

import numpy as np

# What each stand-in stands for, between letters.
_LEET = str.maketrans({"$": "s", "@": "a", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "!": "i",
                       "|": "l"})
_SEPARATORS = " .-_*+~"
# Symbols or digits between two letters: "sh1t", "b@stard", "id10t", "a$$hole". An "@"
# before a dotted name is an address ("me@site.com") and stays.
_BETWEEN = re.compile(r"(?<=[a-z])(?:[$013457!|]|@(?![a-z0-9-]*\.[a-z]))+(?=[a-z])")
# Dollar signs closing a word: "a$$", "a$$." (not "us$5").
_TRAILING = re.compile(r"(?<=[a-z])\$+(?![a-z0-9])")
# One letter at a time, three or more, with one separator between: "k i l l",
# "f.u.c.k", "i-d-i-o-t". The letters close up and the separators move to the end, as
# spaces, so that the word is whole and the text keeps its length.
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ .\-_*+~]{1}[a-z]){2,}(?![a-z0-9])")
# Words masked with stars, told by the letters left showing: "f*ck", "sh*t", "a**hole".
_MASKED = re.compile(r"(?<![a-z*])[a-z*]*\*[a-z*]*(?![a-z*])")
_MASKABLE = ("fuck", "fucking", "fucker", "fucked", "motherfucker", "shit", "shitty", "bullshit", "bitch", "bitches",
             "asshole", "arsehole", "ass", "arse", "cunt", "dick", "dickhead", "bastard", "damn", "crap", "piss",
             "pissed", "whore", "slut", "retard", "retarded", "idiot", "moron", "stupid", "twat", "wanker", "prick",
             "cock", "pussy", "douche", "douchebag", "faggot", "fag", "nigger", "nigga", "hell", "kill", "die",
             "scum", "trash", "loser")
_PROBE = re.compile(r"[$@013457!|*]|[a-z][ .\-_*+~][a-z][ .\-_*+~][a-z]")


def _closed_up(match: re.Match) -> str:
    run = match.group()
    letters = run[::2]
    return letters + " " * (len(run) - len(letters))


def _unmasked(match: re.Match) -> str:
    word = match.group()
    if word.strip("*") == "":
        return word
    shown = re.compile(word.replace("*", "."))
    for candidate in _MASKABLE:
        if len(candidate) == len(word) and shown.fullmatch(candidate):
            return candidate
    return word


def deobfuscated(lowered: str) -> str:
    """``lowered`` (already lower case) with its disguised words written out, the same
    length; most texts have nothing to undo and come back as they were, after one search."""
    if not _PROBE.search(lowered):
        return lowered
    text = _BETWEEN.sub(lambda m: m.group().translate(_LEET), lowered)
    text = _TRAILING.sub(lambda m: "s" * len(m.group()), text)
    if "*" in text:
        text = _MASKED.sub(_unmasked, text)
    return _SPACED.sub(_closed_up, text)


def _table(chars: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars.encode())] = True
    return table


_IS_LETTER = _table("abcdefghijklmnopqrstuvwxyz")
_IS_ALNUM = _table("abcdefghijklmnopqrstuvwxyz0123456789")
_IS_SIGN = _table("$@013457!|")
_IS_SEPARATOR = _table(_SEPARATORS)


def suspects(buffer: np.ndarray) -> np.ndarray:
    """Byte offsets in ``buffer`` (lower-cased UTF-8, as ``features.encode`` builds it)
    near which ``deobfuscated`` may change something; a text with none comes back from
    it unchanged. A superset, found in numpy: the regular expressions, run on every text
    of a batch, cost a fifth of ``parley score --fast``, and nine texts in ten have
    nothing to undo."""
    letter, sign = _IS_LETTER[buffer], _IS_SIGN[buffer]
    # A run of signs after a letter, and before one ("sh1t", "a$$hole") or made of "$"
    # ("a$$"): the two rules that read signs.
    edges = np.diff(np.concatenate(([False], sign, [False])).astype(np.int8))
    first, past = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    last = len(buffer) - 1
    after_letter = (first > 0) & letter[np.maximum(first - 1, 0)]
    before_letter = (past <= last) & letter[np.minimum(past, last)]
    found = first[after_letter & (before_letter | (buffer[first] == ord("$")))]
    if len(buffer) < 6:
        return np.concatenate((found, np.flatnonzero(buffer == ord("*"))))
    # Three letters standing alone with one separator between ("k i l l").
    separator = _IS_SEPARATOR[buffer]
    spaced = ~_IS_ALNUM[buffer[:-5]] & letter[1:-4] & separator[2:-3] & letter[3:-2] & separator[4:-1] & letter[5:]
    return np.concatenate((found, np.flatnonzero(spaced), np.flatnonzero(buffer == ord("*"))))
