"""Hashed word and character n-grams, computed for a whole batch at once in numpy.

A per-text Python loop over n-grams (what scikit-learn's vectorisers do) costs about a
millisecond a comment; hashing the batch's bytes as arrays costs a few microseconds,
which is what lets ``parley score --fast`` keep up with an archive.

A batch becomes one byte buffer: each text lower-cased, with non-ASCII punctuation and
symbols folded (curly quotes to straight ones, emoji and dashes to spaces, so that
“idiot” and idiot😡 are the word idiot), UTF-8, framed by spaces and separated by a 0
byte. Every n-gram is hashed to a feature index in ``[0, n_features)``;
index 0 is the null feature, taken by n-grams that cross from one text into the next,
and a model keeps it at weight 0. The hash is a fixed arithmetic one (not Python's
``hash``), so features are the same in every process, on every machine.

``Occurrences`` keeps n-grams in text order, so a text's occurrences are one
contiguous run and per-text sums are one ``np.add.reduceat``.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from collections.abc import Sequence

import numpy as np

from parley.moderation import deobfuscate

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_SALT_WORD = np.uint64(0x5851F42D4C957F2D)
_SALT_BIGRAM = np.uint64(0x14057B7EF767814F)
_POWERS = np.cumprod(np.full(256, 0x100000001B3, dtype=np.uint64), dtype=np.uint64)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * _M2
        h = (h ^ (h >> np.uint64(27))) * _M3
        return h ^ (h >> np.uint64(31))


@dataclasses.dataclass
class Batch:
    """A batch as bytes, with where each text's bytes and words start."""

    buffer: np.ndarray  # uint8
    starts: np.ndarray  # int64, byte offset of each text's leading space
    word_starts: np.ndarray  # byte offset of each word
    word_ends: np.ndarray
    word_text: np.ndarray  # which text each word belongs to
    texts: Sequence[str] = ()
    _offsets: dict[int, np.ndarray] = dataclasses.field(default_factory=dict, init=False, repr=False)
    # Not an init field: a batch copied with other word bounds must not inherit the hashes.
    _word_hashes: np.ndarray | None = dataclasses.field(default=None, init=False, repr=False, compare=False)
    _bytes: bytes | None = dataclasses.field(default=None, init=False, repr=False, compare=False)
    _prefixes: np.ndarray | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def prefix_hashes(self) -> np.ndarray:
        """Per byte, a 16-bit hash of the four bytes from it (the last three: of fewer),
        made once for every ``texts_holding_each`` on the batch."""
        if self._prefixes is None:
            b = np.concatenate((self.buffer, np.zeros(3, dtype=np.uint8))).astype(np.uint32)
            keys = b[:-3] | (b[1:-2] << np.uint32(8)) | (b[2:-1] << np.uint32(16)) | (b[3:] << np.uint32(24))
            self._prefixes = _prefix_hash(keys)
        return self._prefixes

    @property
    def size(self) -> int:
        return len(self.starts)

    def word_hashes(self) -> np.ndarray:
        """``word_hashes(self)``, computed once: the first stage, the span tagger and the
        spam rules all read them."""
        if self._word_hashes is None:
            self._word_hashes = word_hashes(self)
        return self._word_hashes

    def folded(self) -> bytes:
        """The whole buffer as bytes (lower-cased, non-ASCII folded), made once."""
        if self._bytes is None:
            self._bytes = self.buffer.tobytes()
        return self._bytes

    def folded_text(self, t: int) -> bytes:
        end = int(self.starts[t + 1]) if t + 1 < self.size else len(self.buffer)
        return self.folded()[int(self.starts[t]):end]

    def char_range(self, t: int, b0: int, b1: int) -> tuple[int, int]:
        """Bytes [b0, b1) of the buffer, inside text ``t``, as characters of that text."""
        local0, local1 = b0 - int(self.starts[t]) - 1, b1 - int(self.starts[t]) - 1
        text = self.texts[t]
        if text.isascii():
            return local0, local1
        if t not in self._offsets:  # only for the few texts that need it: it costs a loop
            self._offsets[t] = _byte_to_char(text)
        offsets = self._offsets[t]
        return int(offsets[local0]), min(int(offsets[local1 - 1]) + 1, len(text))

    def resized(self) -> set[int]:
        """The texts holding characters that fold to none or to several (``_RESIZED``):
        in the buffer, their characters and bytes no longer run in step."""
        return {i for i, text in enumerate(self.texts) if not text.isascii() and not _RESIZED.isdisjoint(text)}

    def char_ranges(self, t: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> tuple[list[int], list[int]]:
        """``char_range`` for many ranges at once; only those in non-ASCII texts cost a
        call each."""
        lo, hi = (b0 - self.starts[t] - 1).tolist(), (b1 - self.starts[t] - 1).tolist()
        texts = t.tolist()
        for k in [k for k, i in enumerate(texts) if not self.texts[i].isascii()]:
            lo[k], hi[k] = self.char_range(texts[k], int(b0[k]), int(b1[k]))
        return lo, hi


_FOLDS = {"'": "\u2018\u2019\u201a\u201b\u2032\u02bc", '"': "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb",
          "-": "\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "...": "\u2026"}
# Where the non-ASCII punctuation and symbols live; letters in other scripts pass through.
_SYMBOL_BLOCKS = ((0x80, 0xBF), (0x2000, 0x2BFF), (0x3000, 0x303F), (0xFEFF, 0xFEFF), (0xFF01, 0xFF0F),
                  (0x1F000, 0x1FAFF))


def texts_holding(batch: Batch, needles: Sequence[bytes]) -> set[int]:
    """The texts whose folded bytes hold one of ``needles`` (lower case, ASCII): a pattern
    that needs one of them runs only on these. A match on the original text always
    leaves its needle here (case folds to ASCII lower case, and folding turns only
    non-ASCII characters into spaces). Give rare needles: each hit costs a Python step."""
    buffer = batch.folded()
    if len(buffer) >= _BYTE_SEARCH_BELOW:
        return set().union(*texts_holding_each(batch, needles).values())
    if batch.size == 1:  # a post: asked two dozen times, so the cheapest answer
        return {0} if any(needle in buffer for needle in needles) else set()
    return _texts_at(batch, [at for needle in needles for at in _found_at(buffer, needle)])


def texts_holding_each(batch: Batch, needles: Sequence[bytes]) -> dict[bytes, set[int]]:
    """For each of ``needles``, the texts holding it (as ``texts_holding``). One byte
    search a needle costs a pass over the buffer each; a batch of an archive (hundreds of
    kilobytes, a hundred needles) is instead searched once for every needle's first four
    bytes, through a hashed table, and only the positions that pass are compared whole."""
    buffer = batch.folded()
    if len(buffer) < _BYTE_SEARCH_BELOW:
        if batch.size == 1:
            return {needle: {0} if needle in buffer else set() for needle in needles}
        return {needle: _texts_at(batch, _found_at(buffer, needle)) for needle in needles}
    positions: dict[bytes, list[int]] = {needle: _found_at(buffer, needle) for needle in needles if len(needle) < 4}
    table, by_prefix = _prefix_table(tuple(n for n in needles if len(n) >= 4))
    for at in np.flatnonzero(table[batch.prefix_hashes()]).tolist():
        for needle in by_prefix.get(buffer[at:at + 4], ()):
            if buffer.startswith(needle, at):
                positions.setdefault(needle, []).append(at)
    return {needle: _texts_at(batch, positions.get(needle, ())) for needle in needles}


def _found_at(buffer: bytes, needle: bytes) -> list[int]:
    hits, at = [], buffer.find(needle)
    while at != -1:
        hits.append(at)
        at = buffer.find(needle, at + 1)
    return hits


def _texts_at(batch: Batch, positions: Sequence[int]) -> set[int]:
    """The texts the byte offsets ``positions`` lie in."""
    if not positions:
        return set()
    return set((np.searchsorted(batch.starts, np.array(positions, dtype=np.int64), side="right") - 1).tolist())


# Below this many bytes (a post, a few comments) a byte search per needle is cheaper than
# hashing every position.
_BYTE_SEARCH_BELOW = 1 << 15


def _prefix_hash(keys: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((keys * np.uint32(2654435761)) >> np.uint32(16)).astype(np.uint16)


@functools.lru_cache(maxsize=64)
def _prefix_table(needles: tuple[bytes, ...]) -> tuple[np.ndarray, dict[bytes, list[bytes]]]:
    """Which hashed four-byte prefixes start one of ``needles``, and the needles by prefix."""
    by_prefix: dict[bytes, list[bytes]] = {}
    for needle in needles:
        by_prefix.setdefault(needle[:4], []).append(needle)
    keys = np.array([int.from_bytes(p, "little") for p in by_prefix], dtype=np.uint32)
    table = np.zeros(1 << 16, dtype=bool)
    table[_prefix_hash(keys)] = True
    return table, by_prefix


@functools.cache
def _fold_table() -> dict[int, str]:
    table = {}
    for low, high in _SYMBOL_BLOCKS:
        for cp in range(low, high + 1):
            c = chr(cp)
            category = unicodedata.category(c)
            if category == "Cf":  # invisible (zero-width space, soft hyphen): gone, or "f\u200buck" splits
                table[cp] = ""
            elif not c.isalnum() and not category.startswith("M"):
                table[cp] = " "
    for ascii_form, chars in _FOLDS.items():
        for c in chars:
            table[ord(c)] = ascii_form
    return table


# Characters that fold to other than one character: İ (lower-cased to two) and what
# the table deletes or expands.
_RESIZED = frozenset({"\u0130"} | {chr(cp) for cp, to in _fold_table().items() if len(to) != 1})


def _lowered(text: str) -> str:
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_fold_table())


def fold(text: str) -> str:
    """What the features read of a text: lower-cased, symbols folded, disguised words
    written out (``deobfuscate.py``: "a$$hole" reads as "asshole", at the same offsets)."""
    return deobfuscate.deobfuscated(_lowered(text))


def _framed(texts: Sequence[str]) -> list[bytes]:
    """Each text's ``fold`` framed by spaces, in UTF-8; the disguises are looked for only
    in the texts ``deobfuscate.suspects`` names."""
    lowered = [_lowered(t) for t in texts]
    encoded = [(" " + t + " ").encode("utf-8", "replace") for t in lowered]
    suspects = deobfuscate.suspects(np.frombuffer(b"\0".join(encoded), dtype=np.uint8))
    if len(suspects):
        ends = np.cumsum(np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=len(encoded)))
        for i in np.unique(np.searchsorted(ends, suspects, side="right")).tolist():
            # The same length: deobfuscated rewrites ASCII characters one for one.
            encoded[i] = (" " + deobfuscate.deobfuscated(lowered[i]) + " ").encode("utf-8", "replace")
    return encoded


def encode(texts: Sequence[str]) -> Batch:
    encoded = _framed(texts)
    buffer = np.frombuffer(b"\0".join(encoded) + b"\0", dtype=np.uint8)
    lengths = np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=len(encoded))
    starts = np.zeros(len(encoded), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    # A word is a run of letters, digits, apostrophes or non-ASCII bytes (UTF-8 letters).
    b = buffer
    is_word = ((b >= 97) & (b <= 122)) | ((b >= 48) & (b <= 57)) | (b >= 128) | (b == 39)
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    word_starts = np.flatnonzero(edges == 1)
    word_ends = np.flatnonzero(edges == -1)
    word_text = np.searchsorted(starts, word_starts, side="right") - 1
    return Batch(buffer, starts, word_starts, word_ends, word_text, texts)


def _byte_to_char(text: str) -> np.ndarray:
    """For each byte of ``fold(text)`` in UTF-8, the character of ``text`` it came from.
    Folding character by character gives the same bytes as folding the whole text (the
    one context rule of ``lower``, Greek final sigma, keeps the length), and a character
    that folds to more (İ to i and a combining dot, … to ...) owns all of them."""
    folded = fold(text)
    if len(folded) == len(text) and not _RESIZED.intersection(text):
        # Character i folds to character i: its bytes are its code point's UTF-8 length
        # (a lone surrogate is encoded as one "?").
        points = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        sizes = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
        sizes[(points >= 0xD800) & (points <= 0xDFFF)] = 1
    else:
        sizes = np.fromiter((len(fold(c).encode("utf-8", "replace")) for c in text), dtype=np.int64,
                            count=len(text))
    return np.repeat(np.arange(len(text), dtype=np.int64), sizes)


@dataclasses.dataclass
class Occurrences:
    """One kind of n-gram in a batch: feature index per occurrence, in text order, and
    where each text's run begins (``bounds[i]:bounds[i+1]``)."""

    # Feature indices are int32, as scipy's sparse matrices keep them: int64 ones would be
    # copied on every product.
    index: np.ndarray  # int32 feature indices
    bounds: np.ndarray  # int64, len = texts + 1


def char_ngrams(batch: Batch, sizes: tuple[int, int], n_features: int) -> list[Occurrences]:
    """Character n-grams of every size in ``sizes`` (inclusive), each hash extending the
    one a character shorter, so the buffer is read once per size. Arithmetic is in place:
    a batch's arrays are megabytes, and fresh ones cost page faults."""
    b = batch.buffer.astype(np.uint64)
    mask = np.uint64(n_features - 1)
    h = b.copy()
    mixed = np.empty_like(h)
    # The n-grams that reach a text's closing 0 byte cross into the next text: the last
    # positions before each 0 (the 0's own position included).
    zeros = np.append(batch.starts[1:], len(b)) - 1
    out = []
    with np.errstate(over="ignore"):
        for n in range(1, sizes[1] + 1):
            count = max(len(b) - n + 1, 0)  # a lone empty text is three bytes, shorter than a 5-gram
            if n > 1:
                np.multiply(h[:count], _M1, out=h[:count])
                np.bitwise_xor(h[:count], b[n - 1:n - 1 + count], out=h[:count])
            if n < sizes[0]:
                continue
            m = mixed[:count]
            np.add(h[:count], np.uint64(n), out=m)
            _mix_inplace(m)
            np.bitwise_and(m, mask, out=m)
            index = m.astype(np.int32)
            crossing = (zeros[:, None] - np.arange(n)[None, :]).ravel()
            index[crossing[(crossing >= 0) & (crossing < count)]] = 0
            out.append(Occurrences(index, np.append(batch.starts, count).clip(max=count)))
    return out


def _mix_inplace(h: np.ndarray) -> None:
    """``_mix``, writing over ``h``."""
    shifted = np.empty_like(h)
    for shift, multiplier in ((30, _M2), (27, _M3)):
        np.right_shift(h, np.uint64(shift), out=shifted)
        np.bitwise_xor(h, shifted, out=h)
        np.multiply(h, multiplier, out=h)
    np.right_shift(h, np.uint64(31), out=shifted)
    np.bitwise_xor(h, shifted, out=h)


def word_hashes(batch: Batch) -> np.ndarray:
    """A 64-bit hash per word: the bytes weighted by position, summed with wrap-around."""
    if not len(batch.word_starts):
        return np.zeros(0, dtype=np.uint64)
    lengths = batch.word_ends - batch.word_starts
    if lengths.max() <= 8:  # a word's first or last letters, for the span tagger: a loop over offsets
        total = np.zeros(len(lengths), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(int(lengths.max())):
                byte = batch.buffer[np.minimum(batch.word_starts + k, len(batch.buffer) - 1)].astype(np.uint64)
                total += np.where(k < lengths, byte * _POWERS[k], np.uint64(0))
            return _mix(total ^ _SALT_WORD)
    in_word = np.repeat(np.arange(len(lengths)), lengths)
    first = np.repeat(batch.word_starts, lengths)
    positions = np.arange(len(in_word)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + first
    offset = np.minimum(positions - first, 255)
    with np.errstate(over="ignore"):
        weighted = batch.buffer[positions].astype(np.uint64) * _POWERS[offset]
        summed = np.add.reduceat(weighted, np.cumsum(lengths) - lengths)
        return _mix(summed ^ _SALT_WORD)


def feature_index(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """Hash to bucket; ``n_features`` is a power of two. A hash landing on the null
    bucket 0 is lost, one in ``n_features``."""
    return (hashes & np.uint64(n_features - 1)).astype(np.int32)


def words(batch: Batch, hashes: np.ndarray, n_features: int) -> Occurrences:
    index = feature_index(hashes, n_features)
    bounds = np.searchsorted(batch.word_text, np.arange(batch.size + 1), side="left")
    return Occurrences(index, bounds)


def word_bigrams(batch: Batch, hashes: np.ndarray, n_features: int) -> Occurrences:
    if len(hashes) < 2:
        return Occurrences(np.zeros(0, dtype=np.int32), np.zeros(batch.size + 1, dtype=np.int64))
    with np.errstate(over="ignore"):
        h = _mix(hashes[:-1] * _M1 + hashes[1:] + _SALT_BIGRAM)
    index = feature_index(h, n_features)
    index[batch.word_text[:-1] != batch.word_text[1:]] = 0
    bounds = np.searchsorted(batch.word_text[:-1], np.arange(batch.size + 1), side="left")
    return Occurrences(index, bounds)


def occurrences(batch: Batch, n_features: int, char_range: tuple[int, int] = (3, 5),
                word_grams: int = 2) -> list[Occurrences]:
    """Every kind of n-gram the first stage reads: character n-grams by size, then words,
    then word pairs."""
    if n_features & (n_features - 1) or n_features > 2**31:
        raise ValueError(f"n_features must be a power of two up to 2**31, not {n_features}")
    kinds = char_ngrams(batch, char_range, n_features)
    hashes = batch.word_hashes()
    kinds.append(words(batch, hashes, n_features))
    if word_grams >= 2:
        kinds.append(word_bigrams(batch, hashes, n_features))
    return kinds


def summed(kinds: Sequence[Occurrences], n_rows: int, n_features: int, table: np.ndarray) -> np.ndarray:
    """(rows, columns of ``table``): per row, the sum of ``table``'s rows over the
    occurrences of every kind. One sparse product a kind, built without sorting (a
    feature twice in a row simply adds twice); stacking the kinds into one product
    costs more in page faults for its larger arrays than it saves in calls."""
    import scipy.sparse

    total = np.zeros((n_rows, table.shape[1]), dtype=np.float32)
    for occ in kinds:
        counts = scipy.sparse.csr_matrix((np.ones(len(occ.index), dtype=np.float32), occ.index,
                                          occ.bounds.astype(np.int32)),
                                         shape=(n_rows, n_features))
        total += counts @ table
    return total


def sparse_matrix(kinds: list[Occurrences], n_texts: int, n_features: int, weights: np.ndarray):
    """The scipy CSR matrix the linear model trains on: per text, count x weight of each
    feature, divided by the text's norm (see ``linear.py``)."""
    import scipy.sparse

    rows, cols = [], []
    for occ in kinds:
        lengths = np.diff(occ.bounds)
        rows.append(np.repeat(np.arange(n_texts), lengths))
        cols.append(occ.index)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    data = weights[col].astype(np.float64)
    m = scipy.sparse.csr_matrix((data, (row, col)), shape=(n_texts, n_features))
    m.sum_duplicates()
    norms = np.sqrt(np.bincount(row, weights=data * data, minlength=n_texts))
    norms[norms == 0] = 1.0
    return scipy.sparse.diags(1.0 / norms) @ m
