"""Decisions are data: every moderator's decision on a comment is a labelled example
(the text as the moderator read it, its context, the models' verdict at the time, the
decision, who made it and why), exported as JSON Lines that ``parley train --decisions``
reads (``parley.moderation.feedback``). Scores a client suggests through Perspective's
``SuggestCommentScore`` (Coral sends them when a moderator disagrees with a score) are
stored and exported in the same feed.

What a decision says, as ``label``: 1 when the moderator kept the comment from readers
or folded it (reject, fold, a ban or suspension decided on it, an appeal upheld), 0 when
they approved it, restored it on appeal, or dismissed its reports and left it as it was
written. Automated decisions (the models' own) and undone ones are not examples; nor is
a decision that says nothing about the text (pre-moderation, trust, lifting a sanction,
dismissing reports on a folded comment).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

import orjson

from parley.domain import Actor, Decision, DecisionKind, Permission
from parley.domain.suggestions import ScoreSuggestion
from parley.errors import InvalidInput
from parley.moderation import LABELS
from parley.service.base import Deps
from parley.service.cleaning import whole_number

if TYPE_CHECKING:
    from parley.service import Services

EXPORT_PAGE = 500
_KEPT_FROM_READERS = (DecisionKind.REJECT, DecisionKind.FOLD, DecisionKind.UPHOLD, DecisionKind.BAN,
                      DecisionKind.SUSPEND)
_SHOWN = (DecisionKind.APPROVE, DecisionKind.REVERSE)


class TrainingService:
    def __init__(self, deps: Deps, services: Services | None = None) -> None:
        self.deps = deps
        self.store = deps.store

    def suggest_score(self, actor: Actor, request: dict) -> Suggested:
        """Keep the scores a client suggests for a text (a SuggestCommentScore request,
        checked by ``parse_suggestion``) as a labelled example."""
        actor.require(Permission.SCORE, "suggesting scores")
        suggested = parse_suggestion(request)
        suggested.suggestion.actor = actor.label
        suggested.suggestion.created_at = self.deps.clock()
        self.store.add_suggestion(suggested.suggestion)
        return suggested

    def export_examples(self, actor: Actor, after_id=0, after_suggestion_id=0) -> Iterator[str]:
        """The labelled examples as JSON Lines: moderators' decisions with ids above
        ``after_id``, oldest first, then suggested scores above ``after_suggestion_id``.
        Written in pages of 500; the permission is checked before the first line."""
        actor.require(Permission.AUDIT, "the decisions as training data")
        after_id = whole_number(after_id, "after_id") if after_id else 0
        after_suggestion_id = whole_number(after_suggestion_id, "after_suggestion_id") if after_suggestion_id else 0
        while True:
            page = self.store.decisions_since(after_id, EXPORT_PAGE)
            lines = [_line(example) for example in map(decision_example, page) if example is not None]
            yield "".join(lines)
            if len(page) < EXPORT_PAGE:
                break
            after_id = page[-1].id
        while True:
            found = self.store.suggestions_since(after_suggestion_id, EXPORT_PAGE)
            yield "".join(_line(suggestion_example(s)) for s in found)
            if len(found) < EXPORT_PAGE:
                return
            after_suggestion_id = found[-1].id


def label_of(decision: Decision) -> int | None:
    """1 (kept from readers or folded), 0 (shown), or None: not an example."""
    if decision.automated or decision.undone_at is not None or decision.comment_id is None or not decision.text:
        return None
    if decision.kind in _KEPT_FROM_READERS:
        return 1
    if decision.kind in _SHOWN:
        return 0
    if decision.kind is DecisionKind.DISMISS:
        before = decision.before or {}
        if before.get("state") == "published" or (before.get("state") == "pending"
                                                   and before.get("queue") == "reported"):
            return 0  # shown as written, or hidden by reports alone and now shown
    return None


def decision_example(decision: Decision) -> dict | None:
    label = label_of(decision)
    if label is None:
        return None
    context = decision.context or {}
    return {"id": decision.id, "source": "decision", "comment_id": decision.comment_id, "text": decision.text,
            "context": {"story_title": context.get("story_title"), "parent_text": context.get("parent_text")},
            "verdict_at_the_time": decision.verdict, "decision": decision.kind.value, "label": label,
            "moderator": decision.actor, "reason": decision.reason, "decided_at": decision.created_at.isoformat()}


def suggestion_example(s: ScoreSuggestion) -> dict:
    toxic = s.scores.get("toxicity")
    return {"id": s.id, "source": "suggestscore", "comment_id": None, "text": s.text,
            "context": {"story_title": None, "story_text": s.story_text or None, "parent_text": s.parent_text or None},
            "verdict_at_the_time": None, "decision": "suggest_score",
            "label": None if toxic is None else int(toxic >= 0.5), "scores": s.scores, "moderator": s.actor,
            "reason": "", "decided_at": s.created_at.isoformat(), "community_id": s.community_id or None}


def _line(entry: dict) -> str:
    return orjson.dumps(entry).decode() + "\n"


# --- Perspective's SuggestCommentScore ------------------------------------------------------

#: Perspective's attribute names for Parley's labels (as ``comments:analyze`` takes them).
ATTRIBUTES = {label.upper(): label for label in LABELS}
MAX_TEXT_BYTES = 20 * 1024
_SCORE_TYPES = (None, "", "SCORE_TYPE_UNSPECIFIED", "PROBABILITY")


@dataclasses.dataclass
class Suggested:
    """A SuggestCommentScore request, checked: what to keep and what to echo back."""

    suggestion: ScoreSuggestion
    languages: tuple[str, ...]
    client_token: str | None


def parse_suggestion(data: dict) -> Suggested:
    """Check a SuggestCommentScore request body (``comment``, ``attributeScores``,
    ``context``, ``languages``, ``communityId``, ``sessionId``, ``clientToken``).
    ``InvalidInput`` names the request field at fault, as Perspective's errors do. An
    attribute's score is its ``summaryScore``, else the highest of its ``spanScores`` (a
    comment with a toxic sentence is a toxic comment)."""
    text = _text_entry(data.get("comment"), "comment")
    if not text.strip():
        raise InvalidInput("Comment must be non-empty.", field="comment.text")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise InvalidInput(f"Comment text too long; at most {MAX_TEXT_BYTES} bytes", field="comment.text")
    asked = _object(data.get("attributeScores"), "attributeScores")
    if not asked:
        raise InvalidInput("attribute_scores must not be empty", field="attributeScores")
    scores = {}
    for name, given in asked.items():
        field = f"attributeScores.{name}"
        if name not in ATTRIBUTES:
            raise InvalidInput(f"Unknown attribute: {name}; Parley scores {', '.join(ATTRIBUTES)}", field=field)
        scores[ATTRIBUTES[name]] = _attribute_score(_object(given, field), field)
    story, parent = _context(data.get("context"))
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(v, str) for v in languages):
        raise InvalidInput("languages must be a list of language codes", field="languages")
    other = [v for v in languages if v.replace("_", "-").split("-")[0].lower() != "en"]
    if other:
        raise InvalidInput(f"Parley learns from English comments only, not {', '.join(other)}", field="languages")
    community, session, token = (_string(data.get(n), n) for n in ("communityId", "sessionId", "clientToken"))
    suggestion = ScoreSuggestion(text=text, scores=scores, actor="", story_text=story, parent_text=parent,
                                 languages=tuple(languages), community_id=(community or "")[:200],
                                 session_id=(session or "")[:200])
    return Suggested(suggestion, tuple(languages), token)


def _attribute_score(given: dict, field: str) -> float:
    if not given:
        raise InvalidInput("an attribute's scores must not be empty", field=field)
    summary = given.get("summaryScore")
    if summary is not None:
        return _score(_object(summary, f"{field}.summaryScore"), f"{field}.summaryScore")
    spans = given.get("spanScores")
    if not isinstance(spans, list) or not spans:
        raise InvalidInput("give a summaryScore or spanScores", field=field)
    values = []
    for i, span in enumerate(spans):
        where = f"{field}.spanScores[{i}]"
        span = _object(span, where)
        if not all(isinstance(span.get(k), int) and not isinstance(span.get(k), bool) for k in ("begin", "end")):
            raise InvalidInput("All SpanScore objects must have begin and end fields set", field=where)
        values.append(_score(_object(span.get("score"), f"{where}.score"), f"{where}.score"))
    return max(values)


def _score(score: dict, field: str) -> float:
    if score.get("type") not in _SCORE_TYPES:
        raise InvalidInput(f"score type {score.get('type')} is not supported; send PROBABILITY", field=f"{field}.type")
    value = score.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInput("a score's value is a number from 0 to 1", field=f"{field}.value")
    return float(value)


def _object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object", field=field)
    return value


def _string(value, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    return value


def _text_entry(value, field: str) -> str:
    entry = _object(value, field)
    if _string(entry.get("type"), f"{field}.type") not in (None, "", "TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT"):
        raise InvalidInput("Currently, only 'PLAIN_TEXT' comments are supported", field=f"{field}.type")
    return _string(entry.get("text"), f"{field}.text") or ""


def _context(value) -> tuple[str, str]:
    """The story's text and the parent comment's, from Perspective's context."""
    context = _object(value, "context")
    entries, pair = context.get("entries"), context.get("articleAndParentComment")
    if entries is not None and pair is not None:
        raise InvalidInput("Context can have either entries or article_and_parent_comment, but both fields were "
                           "populated.", field="context")
    if pair is not None:
        pair = _object(pair, "context.articleAndParentComment")
        return (_text_entry(pair.get("article"), "context.articleAndParentComment.article"),
                _text_entry(pair.get("parentComment"), "context.articleAndParentComment.parentComment"))
    if entries is None:
        return "", ""
    if not isinstance(entries, list):
        raise InvalidInput("context.entries must be a list", field="context.entries")
    return "\n\n".join(t for i, e in enumerate(entries) if (t := _text_entry(e, f"context.entries[{i}]"))), ""
