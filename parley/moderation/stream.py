"""JSON Lines in, verdicts out, in order and in bounded memory: what ``parley score``
runs over an archive.

In: one ``{"id", "text", "story"?: {"title", "body"}, "parent"?}`` a line (``parent``
the text of the comment it answers). Out: one ``{"id", "scores", "spans", "action",
"reasons", "model"}`` a line, the shape other tools depend on. Lines are read and
scored in batches, so the models run on arrays, and written as each batch finishes.
A line that is not a comment is handed to ``on_bad_line`` and skipped: one typo in an
archive of a million comments costs that line, not the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

import orjson

from parley.moderation.base import Context

if TYPE_CHECKING:  # the command line reads BATCH without loading the models' code
    from parley.moderation.moderator import Moderator

# Comments scored together: larger batches spread numpy's per-call cost over more
# comments; in one process 2,048 ran ~4% faster than 1,024.
BATCH = 2048


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep what a batch frees for the next batch.

    Each batch allocates the same few-megabyte numpy temporaries. glibc hands allocations
    that large to ``mmap`` or trims them off the heap when they are freed, so every batch
    would pay again in page faults (a second of system time in 200,000 comments).
    ``mallopt`` (public glibc API) raises both thresholds; on other C libraries this does
    nothing."""
    import ctypes
    import ctypes.util

    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    mallopt(m_mmap_threshold, 64 * 1024 * 1024)
    mallopt(m_trim_threshold, 256 * 1024 * 1024)


class InputError(ValueError):
    """A line that is not a comment; names the line and the field."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclasses.dataclass(frozen=True)
class Tally:
    scored: int
    failed: int


_NO_CONTEXT = Context()


def _context(item: dict, line_no: int) -> Context:
    story = item.get("story")
    parent = item.get("parent")
    if story is None and parent is None:
        return _NO_CONTEXT
    if story is not None and not (isinstance(story, dict) and all(isinstance(story.get(k, ""), str)
                                                                  for k in ("title", "body"))):
        raise InputError(f"line {line_no}: story must be an object with string title and body", line_no)
    if isinstance(parent, dict):
        parent = parent.get("text")
    if parent is not None and not isinstance(parent, str):
        raise InputError(f"line {line_no}: parent must be the parent comment's text", line_no)
    story = story or {}
    return Context(story.get("title", ""), story.get("body", ""), parent)


def _comment(item: object, line_no: int) -> tuple[object, str, Context]:
    if not isinstance(item, dict):
        raise InputError(f"line {line_no}: expected an object with id and text", line_no)
    if "id" not in item or not isinstance(item["id"], str | int) or isinstance(item["id"], bool):
        raise InputError(f"line {line_no}: id must be a string or an integer", line_no)
    text = item.get("text")
    if not isinstance(text, str):
        raise InputError(f"line {line_no}: text must be a string", line_no)
    return item["id"], text, _context(item, line_no)


def _json(line: bytes, line_no: int) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"line {line_no}: not JSON ({exc})", line_no) from None


def _parsed(chunk: list[tuple[int, bytes]], on_bad_line: Callable[[InputError], None]
            ) -> Iterator[list[tuple[object, str, Context]]]:
    """A chunk of numbered lines as comments. Parsed as one JSON array, one call instead
    of one a line; if that fails, line by line, so that each bad line is named and the
    others are still scored."""
    try:
        items = orjson.loads(b"[" + b",".join(line for _, line in chunk) + b"]")
        whole = [_comment(item, n) for (n, _), item in zip(chunk, items, strict=True)]
    except ValueError:  # not JSON, a line holding two values, or not a comment: find the line
        whole = None
    if whole is not None:
        yield whole
        return
    batch = []
    for line_no, line in chunk:
        try:
            batch.append(_comment(_json(line, line_no), line_no))
        except InputError as exc:
            on_bad_line(exc)
    if batch:
        yield batch


def _batches(lines: Iterable[bytes], size: int, on_bad_line: Callable[[InputError], None]
             ) -> Iterator[list[tuple[object, str, Context]]]:
    """Batches of parsed lines, bad lines left out (and handed to ``on_bad_line``)."""
    chunk: list[tuple[int, bytes]] = []
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        chunk.append((line_no, line))
        if len(chunk) == size:
            yield from _parsed(chunk, on_bad_line)
            chunk = []
    if chunk:
        yield from _parsed(chunk, on_bad_line)


def score_stream(source: BinaryIO, sink: BinaryIO, moderator: Moderator, *, batch_size: int = BATCH,
                 on_bad_line: Callable[[InputError], None] = lambda exc: None, all_spans: bool = False) -> Tally:
    """Score every comment line of ``source`` into ``sink``, in order; a line that is not a
    comment goes to ``on_bad_line`` (as soon as it is read) and is skipped. ``all_spans``:
    every verdict carries the spans the tagger finds, a published comment's too."""
    if batch_size < 1:
        raise InputError(f"--batch must be at least 1, not {batch_size}")
    count = failed = 0

    def bad(exc: InputError) -> None:
        nonlocal failed
        failed += 1
        on_bad_line(exc)

    for batch in _batches(source, batch_size, bad):
        verdicts = moderator.assess([text for _, text, _ in batch], [c for _, _, c in batch], all_spans=all_spans)
        sink.write(b"".join(orjson.dumps({"id": id_, **v.to_dict()}, option=orjson.OPT_APPEND_NEWLINE)
                            for (id_, _, _), v in zip(batch, verdicts, strict=True)))
        count += len(batch)
    sink.flush()
    return Tally(count, failed)
