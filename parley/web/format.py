"""How times, counts and flagged words read on a page."""

from __future__ import annotations

from datetime import datetime, timezone


def relative_time(moment: datetime, now: datetime) -> str:
    """'6 days ago', as the pages Parley serves read."""
    seconds = int((now - moment).total_seconds())
    if seconds < 45:
        return "just now"
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400),
                       ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "1 minute ago"


def absolute_time(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def flagged_runs(body: str, spans: list[dict]) -> list[tuple[str, str | None]]:
    """``body`` cut into runs of text, each with the label of the span that flagged it or
    None, for a page to mark (``spans`` as a ``Rephrase`` carries them: character offsets,
    overlaps resolved in favour of the earlier)."""
    runs: list[tuple[str, str | None]] = []
    at = 0
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        start, end = max(span["start"], at), min(span["end"], len(body))
        if start >= end:
            continue
        if start > at:
            runs.append((body[at:start], None))
        runs.append((body[start:end], span["label"]))
        at = end
    if at < len(body):
        runs.append((body[at:], None))
    return runs
