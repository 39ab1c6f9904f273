"""gzip_splice, tried on many random joins: whatever the pieces and the reader's bytes
between them, the output is one gzip member that zlib and Python's gzip both read back
whole, CRC and length checked."""

from __future__ import annotations

import gzip
import io
import random
import struct
import zlib

import pytest

from parley.web.gzip_splice import Piece, gzip_of

# Sizes around the edges that matter: empty, one stored block's limit (65,535), just past it.
_EDGES = (0, 1, 2, 65_534, 65_535, 65_536, 65_537, 131_071)


def _text(rng: random.Random, n: int) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:  # incompressible
        return rng.randbytes(n)
    if kind == 1:  # HTML-like, long matches
        words = [b"<li>", b"</li>", b"comment", b" ", b"&amp;", "é".encode(), b"\n", b"reader"]
        out = bytearray()
        while len(out) < n:
            out += rng.choice(words)
        return bytes(out[:n])
    return bytes([rng.randrange(256)]) * n  # one byte repeated


def _size(rng: random.Random) -> int:
    return rng.choice(_EDGES) if rng.random() < 0.3 else rng.randrange(0, 20_000)


def _parts(rng: random.Random) -> list[Piece | bytes]:
    parts: list[Piece | bytes] = []
    for _ in range(rng.randrange(0, 9)):
        raw = _text(rng, _size(rng))
        parts.append(Piece(raw, level=rng.randrange(1, 10)) if rng.random() < 0.5 else raw)
    return parts


def _whole(parts) -> bytes:
    return b"".join(p.raw if isinstance(p, Piece) else p for p in parts)


@pytest.mark.parametrize("seed", range(60))
def test_any_join_reads_back_as_one_checked_member(seed):
    rng = random.Random(seed)
    parts = _parts(rng)
    want = _whole(parts)
    joined = gzip_of(parts)

    d = zlib.decompressobj(31)  # checks the trailer's CRC-32 and ISIZE
    assert d.decompress(joined) + d.flush() == want
    assert d.eof and not d.unused_data  # one member: a decoder that stops after it loses nothing

    assert gzip.decompress(joined) == want
    with gzip.GzipFile(fileobj=io.BytesIO(joined)) as f:
        assert f.read() == want

    # Fed a few bytes at a time, as a browser gets it off the network.
    d = zlib.decompressobj(31)
    got = bytearray()
    at = 0
    while at < len(joined):
        step = rng.randrange(1, 4000)
        got += d.decompress(joined[at:at + step])
        at += step
    got += d.flush()
    assert bytes(got) == want and d.eof

    crc, size = struct.unpack("<II", joined[-8:])
    assert (crc, size) == (zlib.crc32(want), len(want) & 0xFFFFFFFF)


def test_the_checks_above_catch_a_wrong_length():
    joined = bytearray(gzip_of([Piece(b"a" * 5000), b"token", Piece(b"b" * 5000)]))
    joined[-1] ^= 1  # ISIZE's top byte
    with pytest.raises((zlib.error, gzip.BadGzipFile, OSError)):
        gzip.decompress(bytes(joined))
