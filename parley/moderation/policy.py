"""From scores to an action: what readers see of a comment.

Thresholds are per label and per action, set for the site and overridden per story.
The strongest action whose threshold a score reaches wins. A writer asked to rephrase
who submits again still over the line is held for a moderator, as Coral does.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from parley.moderation.base import LABELS, Scores, Span


class Action(enum.StrEnum):
    PUBLISH = "publish"
    FOLD = "fold"  # published behind a notice a reader opens
    REPHRASE = "rephrase"  # sent back to the writer with the flagged spans
    HOLD = "hold"  # pending, for a moderator
    REJECT = "reject"

    @property
    def strength(self) -> int:
        return _STRENGTH[self]


_STRENGTH = {Action.PUBLISH: 0, Action.FOLD: 1, Action.REPHRASE: 2, Action.HOLD: 3, Action.REJECT: 4}

# What a reader is told behind a fold, by notice kind: spam and off_topic have their
# own; every toxic label folds as "offensive".
FOLD_NOTICES = {
    "offensive": "This comment may be offensive. Click here if you want to read.",
    "spam": "This comment may be spam. Click here if you want to read.",
    "off_topic": "This comment may be off topic. Click here if you want to read.",
}

_REASONS = {
    "toxicity": "reads as toxic", "severe_toxicity": "reads as severely toxic", "insult": "reads as an insult",
    "profanity": "uses profanity", "threat": "reads as a threat", "identity_attack": "attacks an identity",
    "spam": "looks like spam", "off_topic": "is off topic",
}

# Site defaults: a starting point, to be tuned on a publisher's own decisions.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "toxicity": {"fold": 0.75, "rephrase": 0.85},
    "severe_toxicity": {"hold": 0.8},
    "insult": {"fold": 0.8, "rephrase": 0.9},
    "profanity": {"fold": 0.85},
    "threat": {"hold": 0.8},
    "identity_attack": {"rephrase": 0.8, "hold": 0.9},
    "spam": {"hold": 0.8, "reject": 0.98},
    # off_topic is scored and shown to moderators but acts on nothing by default: a short
    # "Great piece, thanks" shares no words with its story and is not off topic.
}


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What moderation decided about one comment, and why."""

    scores: dict[str, float]
    spans: list[Span]
    action: Action
    reasons: list[str]
    model: str
    notice_kind: str | None = None  # the fold notice's kind (a key of FOLD_NOTICES), when folded

    @property
    def notice(self) -> str | None:
        """What a reader is told behind the fold."""
        return FOLD_NOTICES[self.notice_kind] if self.notice_kind else None

    def to_dict(self) -> dict:
        return {"scores": self.scores, "spans": [s.to_dict() for s in self.spans], "action": self.action.value,
                "reasons": self.reasons, "model": self.model}


class PolicyError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Policy:
    thresholds: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=lambda: DEFAULT_THRESHOLDS)

    def __post_init__(self) -> None:
        for label, by_action in self.thresholds.items():
            if label not in LABELS:
                raise PolicyError(f"unknown label {label!r}; labels are {', '.join(LABELS)}")
            for action, value in by_action.items():
                if action not in Action.__members__.values() or action == Action.PUBLISH:
                    raise PolicyError(f"{label}: unknown action {action!r}")
                if not 0.0 < value <= 1.0:
                    raise PolicyError(f"{label}.{action}: a threshold is within (0, 1], not {value}")

        # The lowest threshold per label: most scores are below it and need no more look.
        object.__setattr__(self, "_floors", {label: min(by_action.values())
                                             for label, by_action in self.thresholds.items() if by_action})

    def floor(self, label: str) -> float:
        """The lowest score at which ``label`` leads to any action (above 1 if none does)."""
        return self._floors.get(label, 2.0)

    def overridden(self, overrides: Mapping[str, Mapping[str, float]] | None) -> Policy:
        """This policy with a story's own thresholds laid over it, label by label: a label
        the story names takes the story's actions for it (so a story can loosen or drop
        an action the site sets), the others keep the site's."""
        if not overrides:
            return self
        merged = {label: dict(by_action) for label, by_action in self.thresholds.items()}
        merged.update({label: dict(by_action) for label, by_action in overrides.items()})
        return Policy(merged)

    def decide(self, scores: Scores, *, model: str, second_attempt: bool = False) -> Verdict:
        action, reasons, driving = Action.PUBLISH, [], []
        for label, floor in self._floors.items():
            value = scores.values.get(label)
            if value is None or value < floor:
                continue
            by_action = self.thresholds[label]
            reached = [Action(a) for a, t in by_action.items() if value >= t]
            if not reached:
                continue
            strongest = max(reached, key=lambda a: a.strength)
            reasons.append(f"{_REASONS[label]} ({label} {value:.2f} ≥ {by_action[strongest.value]:.2f})")
            driving.append((strongest.strength, value, label))
            if strongest.strength > action.strength:
                action = strongest
        if action is Action.REPHRASE and second_attempt:
            action = Action.HOLD
            reasons.append("still over the line after a chance to rephrase")
        notice = None
        if action is Action.FOLD:  # the notice names what folded it most surely
            top_label = max(driving)[2]
            notice = top_label if top_label in FOLD_NOTICES else "offensive"
        flagged = {label for _, _, label in driving}
        spans = [s for s in scores.spans if s.label in flagged]
        return Verdict(dict(scores.values), spans, action, reasons, model, notice)


def check_thresholds(value: object) -> dict[str, dict[str, float]]:
    """Thresholds from outside (the site's setting, a story's field, as parsed JSON),
    checked and made plain for ``Policy``:
    ``{label: {action: threshold}}``. Raises ``PolicyError`` saying what is wrong."""
    if not isinstance(value, Mapping):
        raise PolicyError('thresholds are an object: {"label": {"action": threshold}}')
    checked: dict[str, dict[str, float]] = {}
    for label, by_action in value.items():
        if not isinstance(by_action, Mapping):
            raise PolicyError(f'{label}: expected an object {{"action": threshold}}')
        for action, threshold in by_action.items():
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                raise PolicyError(f"{label}.{action}: a threshold is a number, not {threshold!r}")
        checked[str(label)] = {str(action): float(t) for action, t in by_action.items()}
    Policy(checked)  # labels, actions and ranges
    return checked
