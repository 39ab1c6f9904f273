"""Scores a client suggests for a comment: Perspective's ``SuggestCommentScore``, which
Coral sends when a moderator's decision disagrees with the scores it was given. Parley
keeps each as a labelled example beside its moderators' decisions (decisions are data)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from parley.domain.comments import utcnow


@dataclasses.dataclass
class ScoreSuggestion:
    """``scores`` are by Parley's label names (``toxicity``, ``spam``...), each 0 to 1;
    ``actor`` is who suggested them (``Actor.label``)."""

    text: str
    scores: dict[str, float]
    actor: str
    story_text: str = ""
    parent_text: str = ""
    languages: tuple[str, ...] = ()
    community_id: str = ""
    session_id: str = ""
    id: int | None = None
    created_at: datetime = dataclasses.field(default_factory=utcnow)
