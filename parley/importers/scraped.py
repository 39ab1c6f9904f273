"""Import a scraped story page: the plain-text form a scraper saves of a news story
and the discussion under it (see ``../shared/examples/scraped-story-with-comments.txt``).

    Blinken in Paris for talks                            optional: the headline, and any
    <more lines>                                          lines (standfirst, byline) above
    date 2024-04-02 First paragraph of the story...      the date line, then the story
    <blank>
    More paragraphs...
    AFP                                                   the credit line
    Bob Boomhauer                                         a comment: the name,
    Bob Boomhauer Guest 6 days ago                        name, badge, relative time,
    This comment contains spoilers. Click here ...        an optional notice,
    <blank>
    Body paragraphs...                                    then the body

The title is the headline: the first line above the date line or, with none there, a
first paragraph that reads as one (a single short line, not a sentence, not a byline or an
all-capitals label) with more story below it. A page with neither takes its lead's first
sentence, cut between words at 150 characters with an ellipsis.

Parsing finishes before anything is written, and the writing is one transaction.
Every comment carries an idempotency key made from its writer, its text and the key of
the comment it answers, so importing the same page again adds nothing, and a page
scraped again later with new comments adds just those.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import datetime, timedelta, timezone

from parley.domain import NOTICE_TEXTS, Actor, Notice
from parley.errors import ImportFormatError, InvalidInput, NotFound
from parley.service import NewComment, Services

_DATE_LINE = re.compile(r"^\s*date (\d{4}-\d{2}-\d{2})\b\s*(.*)$")
_META = re.compile(r"^(?:(Guest|Staff|Registered)\s+)?(.+?)\s+ago$")
_AMOUNT = re.compile(r"^(\d+|an?|one)\s+(second|minute|hour|day|week|month|year)s?$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                 "month": 30 * 86400, "year": 365 * 86400}
_NOTICE = re.compile(r"^This comment .+ Click here if you want to read\.$")
_NOTICE_KINDS = {text: kind for kind, text in NOTICE_TEXTS.items()}
# Above the date line a page may carry a headline, a standfirst, a byline or two; a date
# line further down than this is not the page's.
_LINES_ABOVE_DATE = 5
TITLE_CHARS = 300  # a story's title, as the story service allows
_CUT_TITLE_CHARS = 150
_SENTENCE_END = (".", "!", "?", "…")
_CLOSING_QUOTES = "\"'”’»)"


@dataclasses.dataclass
class ScrapedComment:
    line: int  # where its name line is, for error messages
    name: str
    badge: str
    age: timedelta
    notices: tuple[Notice, ...]
    body: str
    reply_to: int | None = None  # index into ScrapedPage.comments


@dataclasses.dataclass
class ScrapedPage:
    published: datetime
    paragraphs: list[str]
    credit: str
    comments: list[ScrapedComment]
    headline: str = ""  # empty when the page has none

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def title(self) -> str:
        """The headline; with none, the lead's first sentence, cut to fit."""
        if self.headline:
            return self.headline
        lead = next((p for p in self.paragraphs if _reads_as_prose(p)), self.paragraphs[0])
        return _cut(re.split(r"(?<=[.!?…])\s", lead, maxsplit=1)[0], _CUT_TITLE_CHARS)


def _reads_as_prose(paragraph: str) -> bool:
    return paragraph.rstrip(_CLOSING_QUOTES).endswith(_SENTENCE_END)


def _reads_as_headline(paragraph: str) -> bool:
    return ("\n" not in paragraph and len(paragraph) <= _CUT_TITLE_CHARS and len(paragraph.split()) >= 2
            and not paragraph.rstrip(_CLOSING_QUOTES).endswith((".", ",", ";", ":", "-", "–", "—"))
            and not re.match(r"(?i)by\s", paragraph)  # a byline
            and any(c.islower() for c in paragraph))  # not a label or a place: "WORLD", "PARIS (AFP)"


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut at the last space that leaves room for
    the ellipsis (inside the word only when there is no space)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = text[:limit - 1]
    if " " in kept:
        kept = kept[:kept.rindex(" ")]
    return kept.rstrip(" ,;:-–—") + "…"


def parse_age(text: str, line: int) -> timedelta:
    text = text.strip().lower()
    if text in ("just now", "moments"):
        return timedelta(0)
    if text == "yesterday":
        return timedelta(days=1)
    m = _AMOUNT.match(text)
    if not m:
        raise ImportFormatError(f"cannot read the comment's time {text!r} (expected e.g. '6 days ago')", line=line)
    amount = 1 if m.group(1) in ("a", "an", "one") else int(m.group(1))
    return timedelta(seconds=amount * _UNIT_SECONDS[m.group(2)])


def _is_header(lines: list[str], i: int) -> bool:
    name = lines[i].strip()
    return bool(name) and i + 1 < len(lines) and lines[i + 1].strip().startswith(name + " ")


def parse(text: str) -> ScrapedPage:
    lines = text.splitlines()
    if not lines:
        raise ImportFormatError("the file is empty", line=1)
    at = _date_line(lines)
    first = _DATE_LINE.match(lines[at])
    try:
        published = datetime.strptime(first.group(1), "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ImportFormatError(f"{first.group(1)!r} is not a date", line=at + 1) from None

    above = [i for i in range(at) if lines[i].strip()]
    headline = lines[above[0]].strip() if above else ""
    if len(headline) > TITLE_CHARS:
        raise ImportFormatError(f"the headline (the first line above the date line) has {len(headline)} "
                                f"characters; a title has at most {TITLE_CHARS}", line=above[0] + 1)
    starts = [i for i in range(at + 1, len(lines)) if _is_header(lines, i)]
    story_end = starts[0] if starts else len(lines)
    paragraphs = _paragraphs(lines[above[0] + 1:at] if above else [])
    paragraphs += _paragraphs([first.group(2), *lines[at + 1:story_end]])
    if not paragraphs:
        raise ImportFormatError("the story has no text", line=at + 1)
    credit = ""
    if len(paragraphs) > 1 and len(paragraphs[-1]) <= 80 and "\n" not in paragraphs[-1] \
            and not paragraphs[-1].endswith((".", "!", "?", '"')):
        credit = paragraphs.pop()
    if not headline and len(paragraphs) > 1 and _reads_as_headline(paragraphs[0]):
        headline = paragraphs.pop(0)

    comments = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        comments.append(_comment(lines, start, end))
    _link_replies(comments)
    return ScrapedPage(published, paragraphs, credit, comments, headline)


def _date_line(lines: list[str]) -> int:
    """Where the ``date YYYY-MM-DD`` line is: the first line, or below a headline and a
    few lines more."""
    nonblank = 0
    for i, line in enumerate(lines):
        if _DATE_LINE.match(line):
            return i
        nonblank += bool(line.strip())
        if nonblank > _LINES_ABOVE_DATE:
            break
    raise ImportFormatError("expected a line starting with 'date YYYY-MM-DD': the first line, or the line "
                            "below the headline", line=1)


def _paragraphs(lines: list[str]) -> list[str]:
    text = "\n".join(line.rstrip() for line in lines)
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _comment(lines: list[str], start: int, end: int) -> ScrapedComment:
    name = lines[start].strip()
    meta_line = start + 2  # 1-based number of the meta line
    m = _META.match(lines[start + 1].strip()[len(name) + 1:].strip())
    if not m:
        raise ImportFormatError(f"expected '{name} Guest <time> ago'", line=meta_line)
    age = parse_age(m.group(2), meta_line)
    rest = start + 2
    notices = []
    while rest < end and _NOTICE.match(lines[rest].strip()):
        text = lines[rest].strip()
        notices.append(Notice(_NOTICE_KINDS.get(text, "notice"), text))
        rest += 1
    body = "\n\n".join(_paragraphs(lines[rest:end]))
    if not body:
        raise ImportFormatError(f"the comment by {name} has no text", line=start + 1)
    return ScrapedComment(start + 1, name, m.group(1) or "", age, tuple(notices), body)


def _link_replies(comments: list[ScrapedComment]) -> None:
    """A body opening "@Name," answers the nearest earlier comment by Name in the
    same thread (since the last top-level comment); with no such comment there, it
    starts a thread of its own."""
    thread_start = 0
    for i, comment in enumerate(comments):
        target = None
        if comment.body.startswith("@"):
            target = _nearest_by_mention(comments, thread_start, i, comment.body)
        comment.reply_to = target
        if target is None:
            thread_start = i


def _nearest_by_mention(comments: list[ScrapedComment], lo: int, hi: int, body: str) -> int | None:
    for j in range(hi - 1, lo - 1, -1):
        name = comments[j].name
        if body.startswith("@" + name) and body[len(name) + 1:len(name) + 2] in ("", ",", " ", ":", "\n"):
            return j
    return None


@dataclasses.dataclass
class ImportResult:
    story_created: bool
    comments_added: int
    comments_seen: int
    story_changed: tuple[str, ...] = ()  # the fields a re-import was told to change and did


def import_page(services: Services, page: ScrapedPage, *, slug: str, scraped_at: datetime,
                title: str | None = None, url: str | None = None, actor: Actor | None = None) -> ImportResult:
    """Write a parsed page: the story (unless the slug exists) and its comments, as
    ``actor`` (the importer, ``Actor.system("import")``, unless told otherwise). The
    comments' idempotency keys are the actor's own, so re-import as the same actor.

    Re-importing into an existing story changes the ``title`` and ``url`` given, in the
    same transaction as the comments; what the page itself says never overwrites the
    story (the newsroom may have changed it since)."""
    actor = actor or Actor.system("import")
    changed: tuple[str, ...] = ()
    with services.store.atomic():
        try:
            story = services.stories.get(slug)
            created = False
        except NotFound:
            story = None
        if story is not None:
            given = {"title": title, "url": url}
            fields = {k: v for k, v in given.items() if v is not None and v.strip() != getattr(story, k)}
            if fields:  # the story service checks them as it would an edit from the API
                services.stories.update(actor, slug, fields)
                changed = tuple(fields)
        else:
            fields = {"slug": slug, "title": title or page.title(), "body": page.body,
                      "credit": page.credit, "published_at": page.published.isoformat()}
            if url:
                fields["url"] = url
            services.stories.create(actor, fields)
            created = True
        ids: list[int] = []
        keys: list[str] = []
        seen: dict[str, int] = {}
        added = 0
        for c in page.comments:
            parent_key = keys[c.reply_to] if c.reply_to is not None else ""
            what = f"{c.name}\x00{c.body}\x00{parent_key}"
            seen[what] = seen.get(what, 0) + 1  # the same words twice are two comments
            keys.append(hashlib.sha256(f"{what}\x00{seen[what]}".encode()).hexdigest()[:32])
            try:
                posted = services.posting.import_comment(actor, NewComment(
                    story_slug=slug, author_name=c.name, body=c.body,
                    parent_id=ids[c.reply_to] if c.reply_to is not None else None,
                    created_at=scraped_at - c.age, notices=c.notices, staff=c.badge == "Staff",
                    idempotency_key=f"scraped:{keys[-1]}",
                ))
            except InvalidInput as exc:
                raise ImportFormatError(f"the comment by {c.name[:60]!r}: {exc.message}", line=c.line) from None
            ids.append(posted.comment.id)
            added += posted.created
    return ImportResult(created, added, len(page.comments), changed)
