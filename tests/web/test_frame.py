"""The gzip stream joined from pieces compressed once (gzip_splice) and the page frame
cut at its slots (frame): what a decoder that checks the CRC reads back."""

from __future__ import annotations

import gzip
import os
import zlib

from parley.web.cache import Rendered
from parley.web.frame import Frame, filled, slot
from parley.web.gzip_splice import Piece, gzip_of, gzip_whole


def _inflate_checked(data: bytes) -> bytes:
    d = zlib.decompressobj(31)  # gzip wrapper: the trailer's CRC and size are checked
    out = d.decompress(data) + d.flush()
    assert d.eof and not d.unused_data
    return out


def test_pieces_and_stored_bytes_join_into_one_valid_gzip_member():
    text = [os.urandom(300) + b"<p>comment</p>" * 500, b"", b"x" * 70_000, "é ünïcode".encode() * 99]
    pieces = [Piece(t) for t in text]
    reader_bytes = [b"csrf-" + os.urandom(8).hex().encode(), b"", os.urandom(70_000)]  # > one stored block
    parts = [pieces[0], reader_bytes[0], pieces[1], reader_bytes[1], pieces[2], reader_bytes[2], pieces[3]]
    want = b"".join(p.raw if isinstance(p, Piece) else p for p in parts)
    joined = gzip_of(parts)
    assert _inflate_checked(joined) == want == gzip.decompress(joined)
    assert _inflate_checked(gzip_whole(pieces[0])) == text[0]
    # Exactly one member: a decoder that stops after the first (Chromium's) reads it all.
    assert zlib.decompressobj(31).decompress(joined) == want


def test_a_wrong_crc_is_caught_so_the_check_above_means_something():
    joined = bytearray(gzip_of([Piece(b"a" * 1000), b"token", Piece(b"b" * 1000)]))
    joined[-8] ^= 1
    try:
        _inflate_checked(bytes(joined))
    except zlib.error:
        return
    raise AssertionError("a corrupted CRC went unnoticed")


def test_frame_fills_its_slots_in_order_identity_and_gzip_alike():
    html = f"<form>{slot('csrf_token')}</form><ol>{slot('thread')}</ol><p>{slot('own_panel')}</p>"
    thread = Rendered.of(b"<li>a comment</li>" * 200)
    frame = Frame(html, compress=True)
    assert frame.slots == ["csrf_token", "thread", "own_panel"]
    values = {"csrf_token": b"tok&en", "thread": thread, "own_panel": b"<section>mine</section>"}
    want = b"<form>tok&en</form><ol>" + thread.body + b"</ol><p><section>mine</section></p>"
    assert frame.body(values) == want
    assert _inflate_checked(frame.gzipped(values)) == want
    plain = Frame(filled(html, {"own_panel": ""}), compress=True)
    assert plain.slots == ["csrf_token", "thread"]
    assert _inflate_checked(plain.gzipped(values)) == b"<form>tok&en</form><ol>" + thread.body + b"</ol><p></p>"


def test_text_that_looks_like_a_slot_is_not_one():
    # The markers are random per process: a story or form cannot spell one.
    html = "<h1>\x00parley:csrf_token\x00 :csrf_token</h1>" + slot("thread")
    frame = Frame(html, compress=False)
    assert frame.slots == ["thread"]
