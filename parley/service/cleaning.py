"""Cleaning what comes from outside: each function raises ``InvalidInput`` naming its
field, and returns the value as Parley keeps it. Cursors for paged listings live here too."""

from __future__ import annotations

import base64
import re
import unicodedata
from datetime import datetime

import orjson

from parley.domain import Story
from parley.errors import InvalidInput
from parley.moderation.policy import PolicyError, check_thresholds
from parley.store import Sort

MAX_NAME_CHARS = 50
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]+$")
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}  # control, format, private use, surrogates, unassigned


def clean_name(raw) -> str:
    if not isinstance(raw, str):
        raise InvalidInput("a display name is required", field="author_name")
    name = "".join(ch for ch in unicodedata.normalize("NFC", raw)
                   if unicodedata.category(ch) not in _INVISIBLE)
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a display name is required", field="author_name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"a display name has at most {MAX_NAME_CHARS} characters", field="author_name")
    return name


def clean_body(raw, max_chars: int) -> str:
    if not isinstance(raw, str):
        raise InvalidInput("a comment needs text", field="body")
    body = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\x00", "").strip()
    if not any(not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE for ch in body):
        raise InvalidInput("a comment needs text", field="body")
    if len(body) > max_chars:
        raise InvalidInput(f"a comment has at most {max_chars} characters", field="body")
    return body


def clean_email(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _EMAIL.match(raw.strip()) or len(raw) > 320 or "\x00" in raw:
        raise InvalidInput("that is not an email address", field="email")
    return raw.strip()


def clean_slug(raw) -> str:
    if not isinstance(raw, str) or not SLUG.fullmatch(raw):
        raise InvalidInput("a slug is 1-100 lowercase letters, digits and hyphens", field="slug")
    return raw


def required_text(fields: dict, name: str, max_chars: int) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise InvalidInput(f"{name} is required, as text", field=name)
    if len(value) > max_chars:
        raise InvalidInput(f"{name} has at most {max_chars} characters", field=name)
    return value.strip()


def apply_story_fields(story: Story, fields: dict) -> None:
    for name, limit in (("body", 200_000), ("credit", 200), ("dateline", 200), ("url", 2000), ("section", 100)):
        if name in fields and fields[name] is not None:
            value = fields[name]
            if not isinstance(value, str) or len(value) > limit or "\x00" in value:
                raise InvalidInput(f"{name} must be text of at most {limit} characters", field=name)
            if name == "url" and value and not value.startswith(("https://", "http://")):
                raise InvalidInput("url must start with http:// or https://", field="url")
            setattr(story, name, value.strip())
    if fields.get("published_at") is not None:
        story.published_at = parse_time(fields["published_at"], "published_at")
    if "comments_open" in fields:
        if not isinstance(fields["comments_open"], bool):
            raise InvalidInput("comments_open must be true or false", field="comments_open")
        story.comments_open = fields["comments_open"]
    if "moderation_thresholds" in fields:
        story.moderation_thresholds = clean_thresholds(fields["moderation_thresholds"])


def clean_thresholds(raw) -> dict[str, dict[str, float]] | None:
    """A story's own moderation thresholds; null or {} for none (the site's apply)."""
    if raw is None or raw == {}:
        return None
    try:
        return check_thresholds(raw)
    except PolicyError as exc:
        raise InvalidInput(f"moderation_thresholds: {exc}", field="moderation_thresholds") from None


def parse_time(raw, field: str) -> datetime:
    from datetime import timezone

    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise InvalidInput(f"{field} must be an ISO 8601 time", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def whole_number(raw, field: str) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise InvalidInput(f"{field} must be a whole number", field=field)
    if isinstance(raw, str) and not (raw.isascii() and raw.strip().lstrip("+-").isdigit()):
        raise InvalidInput(f"{field} must be a whole number", field=field)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a whole number", field=field) from None
    if not 0 < value < 2**62:
        raise InvalidInput(f"{field} is out of range", field=field)
    return value


def clean_idempotency_key(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 200 or not raw.isprintable():
        raise InvalidInput("an idempotency key is printable text of at most 200 characters",
                           field="idempotency_key")
    return raw


def clean_sort(raw) -> Sort:
    try:
        return Sort(raw)
    except ValueError:
        raise InvalidInput(f"sort must be one of {', '.join(s.value for s in Sort)}", field="sort") from None


def encode_cursor(listing: str, key: tuple) -> str:
    """A cursor for a listing (a thread's sort, or the moderators' queue) after ``key``."""
    return base64.urlsafe_b64encode(orjson.dumps([str(listing), *key])).decode().rstrip("=")


def decode_cursor(cursor: str, listing: str) -> tuple:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw[0] != str(listing):
            raise ValueError
        key = tuple(raw[1:])
        if len(key) != (3 if listing in (Sort.REPLIES, Sort.TOP) else 2) or not all(
                type(v) is int and -2**62 < v < 2**62 for v in key):
            raise ValueError
        return key
    except (ValueError, TypeError, IndexError, orjson.JSONDecodeError):
        raise InvalidInput("cursor is not one this server gave out for this listing", field="cursor") from None
