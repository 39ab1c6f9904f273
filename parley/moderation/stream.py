"""JSON Lines in, verdicts out, in order and in bounded memory: what ``parley score``
runs over an archive.

In: one ``{"id", "text", "story"?: {"title", "body"}, "parent"?}`` a line (``parent``
the text of the comment it answers). Out: one ``{"id", "scores", "spans", "action",
"reasons", "model"}`` a line, the shape other tools depend on. Lines are read and
scored in batches, so the models run on arrays, and written as each batch finishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

import orjson

from parley.moderation.base import Context
from parley.moderation.moderator import Moderator


class InputError(ValueError):
    """A line that is not a comment; names the line and the field."""


def _context(item: dict, line_no: int) -> Context:
    story = item.get("story")
    parent = item.get("parent")
    if story is None and parent is None:
        return Context()
    if story is not None and not (isinstance(story, dict) and all(isinstance(story.get(k, ""), str)
                                                                  for k in ("title", "body"))):
        raise InputError(f"line {line_no}: story must be an object with string title and body")
    if isinstance(parent, dict):
        parent = parent.get("text")
    if parent is not None and not isinstance(parent, str):
        raise InputError(f"line {line_no}: parent must be the parent comment's text")
    story = story or {}
    return Context(story.get("title", ""), story.get("body", ""), parent)


def _parse(line: bytes, line_no: int) -> tuple[object, str, Context]:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"line {line_no}: not JSON ({exc})") from None
    if not isinstance(item, dict):
        raise InputError(f"line {line_no}: expected an object with id and text")
    if "id" not in item or not isinstance(item["id"], str | int) or isinstance(item["id"], bool):
        raise InputError(f"line {line_no}: id must be a string or an integer")
    text = item.get("text")
    if not isinstance(text, str):
        raise InputError(f"line {line_no}: text must be a string")
    return item["id"], text, _context(item, line_no)


def _batches(lines: Iterable[bytes], size: int) -> Iterator[list[tuple[object, str, Context]]]:
    """Batches of parsed lines; a bad line ends the stream after the batch before it,
    so every line above it gets its verdict."""
    batch = []
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            batch.append(_parse(line, line_no))
        except InputError:
            if batch:
                yield batch
            raise
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_stream(source: BinaryIO, sink: BinaryIO, moderator: Moderator, *, batch_size: int = 2048) -> int:
    """Score every line of ``source`` into ``sink``; returns the number scored."""
    if batch_size < 1:
        raise InputError(f"--batch must be at least 1, not {batch_size}")
    count = 0
    for batch in _batches(source, batch_size):
        verdicts = moderator.assess([text for _, text, _ in batch], [c for _, _, c in batch])
        sink.write(b"".join(orjson.dumps({"id": id_, **v.to_dict()}, option=orjson.OPT_APPEND_NEWLINE)
                            for (id_, _, _), v in zip(batch, verdicts, strict=True)))
        count += len(batch)
    sink.flush()
    return count
