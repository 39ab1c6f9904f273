"""Statements of reasons (DSA Art. 17): what a writer is told about a decision that
hides, folds, holds or rejects their comment, or restricts them, and the same decision
as a record of the EU's DSA Transparency Database (Art. 24(5)).

A statement says what was decided, why (the label and its reasons, the rule, or the
moderator's reason; the law, for illegal content), whether automated means found the
comment and whether they decided, what the decision was based on (the models' verdict,
a reader's report, a rule, a moderator's own review) and how to appeal: once, from the
comment itself, within ``APPEAL_WINDOW`` (Art. 20(1) asks for at least six months).

``transparency_record`` uses the field names and values of the Transparency Database's
statement API (version 2, in force since 1 July 2025). It holds no personal data, as
Art. 24(5) requires: no comment text, no names; the moderator's reason is included as
the explanation, so moderators write reasons without names in them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from parley.domain import Comment, CommentState, Decision, DecisionKind, Report, ReportReason
from parley.moderation import LABELS

#: How long a writer may appeal a decision: six calendar months from any date, at least.
APPEAL_WINDOW = timedelta(days=184)
#: Every EU and EEA country: a comment on a news site is shown (and hidden) everywhere.
EEA = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
       "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK")

_ABUSE = "comments must not be abusive: toxic, insulting, profane, threatening or attacking anyone's identity"
_RULES = {**dict.fromkeys(("toxicity", "severe_toxicity", "insult", "profanity", "threat", "identity_attack"), _ABUSE),
          "spam": "no spam or advertising", "off_topic": "comments stay on the story's subject"}
_REPORT_RULES = {ReportReason.ABUSIVE: _ABUSE, ReportReason.SPAM: _RULES["spam"],
                 ReportReason.OFF_TOPIC: _RULES["off_topic"]}
# The Transparency Database's categories (API v2) for what Parley's labels find, and for
# what readers report; anything else is a violation of the discussion's own rules.
_CATEGORIES = {**dict.fromkeys(("toxicity", "severe_toxicity", "insult", "profanity", "identity_attack"),
                               "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"),
               "threat": "STATEMENT_CATEGORY_CYBER_VIOLENCE"}
_REPORT_CATEGORIES = {ReportReason.ABUSIVE: "STATEMENT_CATEGORY_CYBER_VIOLENCE",
                      ReportReason.ILLEGAL: "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"}
_OTHER_CATEGORY = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"


@dataclasses.dataclass(frozen=True)
class Statement:
    """A decision as its writer reads it. ``lines()`` is the text a page shows."""

    decision_id: int | None
    comment_id: int | None
    kind: DecisionKind
    decided_at: datetime
    what: str  # what was decided, in plain words
    why: str  # the label and its reasons, the rule, or the moderator's reason
    legal_ground: str  # the law, when the comment was found illegal; else ""
    automated_detection: bool  # automated means found the comment
    automated_decision: bool  # automated means decided, without a moderator
    based_on: str  # the models' verdict, a reader's report, a rule, a moderator's review, an appeal
    until: datetime | None  # a suspension's end
    appeal_until: datetime
    how_to_appeal: str

    @property
    def ground(self) -> str:
        """``law`` for illegal content, ``rules`` for a breach of the discussion's rules."""
        return "law" if self.legal_ground else "rules"

    def lines(self) -> list[str]:
        automation = ("Automated moderation decided this, without a moderator." if self.automated_decision else
                      "A moderator decided this, with the moderation models' scores in front of them."
                      if self.automated_detection else "A moderator decided this.")
        out = [self.what, f"Why: {self.why}"]
        if self.legal_ground:
            out.append(f"The law it was found to break: {self.legal_ground}.")
        out += [f"Based on {self.based_on}. {automation}", self.how_to_appeal]
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict:
        return {"decision_id": self.decision_id, "comment_id": self.comment_id, "decision": self.kind.value,
                "decided_at": self.decided_at.isoformat(), "what": self.what, "why": self.why,
                "ground": self.ground, "legal_ground": self.legal_ground or None,
                "automated_detection": self.automated_detection, "automated_decision": self.automated_decision,
                "based_on": self.based_on, "until": self.until.isoformat() if self.until else None,
                "appeal_until": self.appeal_until.isoformat(), "how_to_appeal": self.how_to_appeal,
                "lines": self.lines()}


def statement(decision: Decision) -> Statement:
    """The statement of reasons its writer is told for a decision that restricts."""
    if not decision.kind.restricts:
        raise ValueError(f"a {decision.kind.value} decision restricts nothing: it has no statement of reasons")
    appeal_until = decision.created_at + APPEAL_WINDOW
    automated_detection = detected_automatically(decision)
    decider = "a moderator other than the one who decided" if not decision.automated else "a moderator"
    how = (f"You can appeal once, from the comment itself, until {plain_date(appeal_until)}: {decider} will look "
           "at it again and you will see the outcome there. You may also turn to a certified out-of-court "
           "dispute settlement body (DSA Art. 21) or to the courts.")
    return Statement(decision_id=decision.id, comment_id=decision.comment_id, kind=decision.kind,
                     decided_at=decision.created_at, what=_what(decision), why=_why(decision),
                     legal_ground=decision.legal_ground, automated_detection=automated_detection,
                     automated_decision=decision.automated, based_on=_based_on(decision), until=decision.until,
                     appeal_until=appeal_until, how_to_appeal=how)


def detected_automatically(decision: Decision) -> bool:
    """Whether automated means found the comment: a rule held it, or the models flagged
    it (a verdict that did more than publish) and no reader's report brought it."""
    if decision.prompted_by == "rule":
        return True
    if decision.prompted_by.startswith(("report:", "appeal:")):
        return False
    return (decision.verdict or {}).get("action", "publish") != "publish"


def _what(decision: Decision) -> str:
    kind = decision.kind
    if kind is DecisionKind.REJECT:
        return "Your comment was removed: readers cannot see it."
    if kind is DecisionKind.HOLD:
        if decision.prompted_by.startswith("report:"):
            return "Your comment is hidden from readers after they reported it, until a moderator decides."
        return "Your comment is held for a moderator: readers cannot see it until one approves it."
    if kind is DecisionKind.FOLD:
        return "Your comment is shown folded behind a notice: readers open it with a click."
    if kind is DecisionKind.BAN:
        return "You may no longer comment in these discussions."
    if kind is DecisionKind.SUSPEND:
        until = f"until {_moment(decision.until)}" if decision.until else "for a time"
        return f"You may not comment in these discussions {until}."
    if kind is DecisionKind.PREMODERATE:
        return "Your comments are held for a moderator before readers see them."
    raise ValueError(f"no statement for {kind.value}")


def _why(decision: Decision) -> str:
    reason = decision.reason.strip().rstrip(".")
    if decision.automated and decision.prompted_by == "verdict":
        found = [("is " + r) if r.startswith("still ") else r for r in reason.split("; ") if r]
        return f"Parley's moderation models found that it {' and '.join(found) or 'breaks the rules'}."
    if decision.prompted_by == "rule":
        return f"A rule a moderator set applies: {reason or 'pre-moderation'}."
    if decision.automated:
        return f"{reason or 'Readers reported it'}."
    if reason:
        return f"A moderator's reason: {reason}."
    return "A moderator found that it breaks the rules of this discussion."


def _based_on(decision: Decision) -> str:
    prompted = decision.prompted_by
    if prompted in ("verdict", "moderator") and detected_automatically(decision):
        return "the moderation models' reading of its text"
    if prompted.startswith("report:"):
        return "a reader's report"
    if prompted.startswith("appeal:"):
        return "your appeal"
    if prompted == "rule":
        return "a rule a moderator set for your comments"
    return "a moderator's own review"


def _labels(decision: Decision) -> list[str]:
    """The labels the models flagged, strongest first (those its reasons name)."""
    verdict = decision.verdict or {}
    scores = verdict.get("scores", {})
    named = [label for label in LABELS if any(f"({label} " in r for r in verdict.get("reasons", []))]
    return sorted(named, key=lambda label: -scores.get(label, 0.0))


def _strongest(decision: Decision) -> str | None:
    labels = _labels(decision)
    return labels[0] if labels else None


# --- the DSA Transparency Database ------------------------------------------------------

def transparency_record(decision: Decision, platform_name: str, *, comment: Comment | None = None,
                        report: Report | None = None, territorial_scope: tuple[str, ...] = EEA) -> dict:
    """The decision as a statement of reasons for the DSA Transparency Database, in the
    fields and values of its API: ``POST /api/v2/statement`` takes one, and
    ``/api/v2/statements`` takes up to 100 as ``{"statements": [...]}``.

    ``comment`` gives the content's date (else the decision's) and tells whether a ban
    or suspension also removed the comment it was decided on; ``report`` is the report
    that prompted it, if one did (a notice under Art. 16 when it reports illegal content).
    ``platform_name`` is for the operator's reading: the database takes the platform from
    the API token and ignores the field."""
    if not decision.kind.restricts:
        raise ValueError(f"a {decision.kind.value} decision restricts nothing: it has no statement of reasons")
    record: dict = {"puid": f"parley-decision-{decision.id}", "platform_name": platform_name}
    record.update(_restrictions(decision, comment))
    strongest = _strongest(decision)
    explanation = (decision.reason or "A moderator found that it breaks the rules of the discussion.")[:2000]
    if decision.legal_ground:
        record.update(decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
                      illegal_content_legal_ground=decision.legal_ground[:500],
                      illegal_content_explanation=explanation)
    else:
        rule = (_RULES[strongest] if strongest else
                _REPORT_RULES.get(report.reason) if report is not None else None) or "the rules of the discussion"
        record.update(decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
                      incompatible_content_ground=f"{platform_name} discussion rules: {rule}"[:500],
                      incompatible_content_explanation=explanation)
    if report is not None and decision.prompted_by.startswith("report:"):
        category = _REPORT_CATEGORIES.get(report.reason) if not strongest else None
        source = "SOURCE_ARTICLE_16" if report.reason is ReportReason.ILLEGAL else "SOURCE_TYPE_OTHER_NOTIFICATION"
    else:
        category, source = None, "SOURCE_VOLUNTARY"
    automated_detection = detected_automatically(decision)
    record.update(
        category=category or _CATEGORIES.get(strongest or "", _OTHER_CATEGORY),
        content_type=["CONTENT_TYPE_TEXT"],
        territorial_scope=list(territorial_scope),
        content_date=_date(comment.created_at if comment is not None else decision.created_at),
        application_date=_date(decision.created_at),
        decision_facts=_facts(decision, report)[:5000],
        source_type=source,
        automated_detection="Yes" if automated_detection else "No",
        automated_decision=("AUTOMATED_DECISION_FULLY" if decision.automated else
                            "AUTOMATED_DECISION_PARTIALLY" if automated_detection else
                            "AUTOMATED_DECISION_NOT_AUTOMATED"),
    )
    return record


def _restrictions(decision: Decision, comment: Comment | None) -> dict:
    kind = decision.kind
    if kind is DecisionKind.REJECT:
        return {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]}
    if kind is DecisionKind.HOLD:
        return {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"]}
    if kind is DecisionKind.FOLD:
        return {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"]}
    if kind is DecisionKind.PREMODERATE:
        return {"decision_visibility": ["DECISION_VISIBILITY_OTHER"],
                "decision_visibility_other": "Every comment the writer posts is held for a moderator before "
                                             "readers see it."}
    out: dict = {"decision_provision": ("DECISION_PROVISION_PARTIAL_TERMINATION" if kind is DecisionKind.BAN
                                        else "DECISION_PROVISION_PARTIAL_SUSPENSION")}
    if kind is DecisionKind.SUSPEND and decision.until is not None:
        out["end_date_service_restriction"] = _date(decision.until)
    # The ban or suspension rejected the comment it was decided on in the same moment.
    if (comment is not None and comment.state is CommentState.REJECTED and comment.reviewed_at == decision.created_at
            and (decision.before or {}).get("state") != CommentState.REJECTED.value):
        out["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    return out


def _facts(decision: Decision, report: Report | None) -> str:
    what = {DecisionKind.REJECT: "was removed from public view",
            DecisionKind.HOLD: "was withheld from public view until a moderator reviews it",
            DecisionKind.FOLD: "was shown folded behind a warning notice",
            DecisionKind.BAN: "led to its writer being barred from commenting",
            DecisionKind.SUSPEND: "led to its writer being suspended from commenting",
            DecisionKind.PREMODERATE: "led to its writer's comments being held for review before publication",
            }[decision.kind]
    facts = [f"A reader's comment on a news story {what}."]
    if decision.automated and decision.prompted_by == "verdict":
        facts.append("Automated text classification scored it over the site's thresholds: "
                     f"{decision.reason or decision.kind.value}.")
    elif decision.automated:
        facts.append(f"{decision.reason or 'Readers reported it'}.")
    else:
        if report is not None and decision.prompted_by.startswith("report:"):
            facts.append("A reader's notice of illegal content prompted a moderator's review."
                         if report.reason is ReportReason.ILLEGAL else
                         f"A reader reported it ({report.reason.label.lower()}) and a moderator reviewed it.")
        elif detected_automatically(decision):
            facts.append("Automated text classification flagged it and a moderator reviewed it.")
        else:
            facts.append("A moderator reviewed it.")
        if decision.reason:
            facts.append(f"The moderator's reason: {decision.reason}.")
    return " ".join(facts)


def _date(moment: datetime) -> str:
    return moment.date().isoformat()


def plain_date(moment: datetime) -> str:
    """A date as a reader reads it: 4 March 2027."""
    return f"{moment.day} {moment:%B %Y}"


def _moment(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"
