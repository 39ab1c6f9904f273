"""Statements of reasons (DSA Art. 17) as the writer reads them, and as records of the
DSA Transparency Database (its API v2 field names and values), exported as JSON Lines."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from parley.domain import Actor, Decision, DecisionKind, Role
from parley.errors import Forbidden
from parley.service.statements import APPEAL_WINDOW, EEA, statement, transparency_record
from parley.store import AuditQuery
from tests.service.workspace_helpers import guest, make_services, moderator, post

WRITER = guest("writer")
#: The fields the Transparency Database requires of every statement (API v2).
REQUIRED = {"decision_ground", "content_type", "category", "application_date", "decision_facts", "source_type",
            "automated_detection", "automated_decision", "puid", "territorial_scope", "content_date"}
CATEGORIES = {"STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_CYBER_VIOLENCE",
              "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"}


def _only(store, comment_id) -> Decision:
    [decision] = store.list_decisions(AuditQuery(comment_id=comment_id))
    return decision


def test_an_automated_fold_tells_what_why_that_it_was_automated_and_how_to_appeal(store):
    services = make_services(store)
    comment = post(services, WRITER, "What rubbish this is.")  # folded by the models
    told = statement(_only(store, comment.id))
    assert told.kind is DecisionKind.FOLD and "folded behind a notice" in told.what
    assert told.why.startswith("Parley's moderation models found that it reads as toxic (toxicity 0.80")
    assert told.automated_detection and told.automated_decision and told.ground == "rules"
    assert told.based_on == "the moderation models' reading of its text"
    assert told.appeal_until - told.decided_at == APPEAL_WINDOW >= timedelta(days=183)
    assert "appeal once, from the comment itself" in told.how_to_appeal
    assert any("Automated moderation decided this" in line for line in told.lines())
    assert told.to_dict()["lines"] == told.lines() and told.text == "\n".join(told.lines())


def test_a_moderators_decision_on_a_report_names_the_report_and_the_law(store):
    services = make_services(store)
    comment = post(services, WRITER)
    services.reports.report(guest("n"), comment.id, reason="illegal", law="§ 130 StGB", text="Incitement.",
                            good_faith=True)
    decision = services.decisions.decide(moderator(store), comment.id, "reject", reason="Incites hatred",
                                         legal_ground="§ 130 StGB (Volksverhetzung)")
    told = statement(decision)
    assert told.what.startswith("Your comment was removed")
    assert told.why == "A moderator's reason: Incites hatred." and told.ground == "law"
    assert told.based_on == "a reader's report" and not told.automated_decision and not told.automated_detection
    assert any("§ 130 StGB (Volksverhetzung)" in line for line in told.lines())
    assert "other than the one who decided" in told.how_to_appeal


def test_no_statement_for_a_decision_that_restricts_nothing(store):
    services = make_services(store)
    comment = post(services, WRITER, "This is awful.")
    approved = services.decisions.decide(moderator(store), comment.id, "approve")
    with pytest.raises(ValueError):
        statement(approved)
    with pytest.raises(ValueError):
        transparency_record(approved, "Example News")


def test_transparency_records_use_the_databases_fields_and_values(store):
    services = make_services(store)
    mo = moderator(store)
    folded = post(services, WRITER, "Rubbish, all of it.")
    auto = transparency_record(_only(store, folded.id), "Example News", comment=folded)
    assert auto.keys() >= REQUIRED
    assert auto["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    assert (auto["automated_detection"], auto["automated_decision"]) == ("Yes", "AUTOMATED_DECISION_FULLY")
    assert (auto["source_type"], auto["decision_ground"]) == ("SOURCE_VOLUNTARY",
                                                              "DECISION_GROUND_INCOMPATIBLE_CONTENT")
    assert auto["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert auto["content_type"] == ["CONTENT_TYPE_TEXT"] and auto["territorial_scope"] == list(EEA)
    assert auto["content_date"] == folded.created_at.date().isoformat() == auto["application_date"]
    assert auto["puid"].startswith("parley-decision-") and auto["incompatible_content_ground"].startswith(
        "Example News discussion rules:")
    assert "Rubbish" not in orjson.dumps(auto).decode()  # no comment text: it may hold personal data

    reported = post(services, WRITER, "A claim someone finds illegal.")
    report = services.reports.report(guest("n"), reported.id, reason="illegal", law="§ 130 StGB", text="Why.",
                                     good_faith=True, name="Nora Notifier", email="nora@example.org")
    decision = services.decisions.decide(mo, reported.id, "reject", reason="Incites hatred",
                                         legal_ground="§ 130 StGB")
    legal = transparency_record(decision, "Example News", comment=store.get_comment(reported.id), report=report)
    assert (legal["decision_ground"], legal["illegal_content_legal_ground"]) == ("DECISION_GROUND_ILLEGAL_CONTENT",
                                                                                 "§ 130 StGB")
    assert legal["illegal_content_explanation"] == "Incites hatred"
    assert (legal["source_type"], legal["category"]) == ("SOURCE_ARTICLE_16",
                                                         "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE")
    assert (legal["automated_detection"], legal["automated_decision"]) == ("No", "AUTOMATED_DECISION_NOT_AUTOMATED")
    assert legal["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert "Nora" not in orjson.dumps(legal).decode() and "nora@" not in orjson.dumps(legal).decode()

    held = post(services, WRITER, "Buy now, cheap watches.")  # held as spam by the models
    suspended = services.decisions.sanction(mo, held.id, "suspend", reason="Spam", days=7)
    record = transparency_record(suspended, "Example News", comment=store.get_comment(held.id))
    assert record["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert record["end_date_service_restriction"] == suspended.until.date().isoformat()
    assert record["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]  # rejected with it
    assert record["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"  # a moderator, on the models' hold
    assert record["category"] == "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    for value in (auto, legal, record):
        assert value["category"] in CATEGORIES


def test_the_export_is_json_lines_of_restricting_decisions_for_auditors(store):
    services = make_services(store)
    mo = moderator(store)
    folded = post(services, WRITER, "Rubbish.")  # 1: fold (automated)
    fine = post(services, WRITER, "Fine.")
    services.decisions.decide(mo, fine.id, "approve")  # 2: approve, restricts nothing
    undone = post(services, WRITER, "Mistake.")
    services.decisions.undo(mo, services.decisions.decide(mo, undone.id, "reject", reason="Oops").id)
    kept = post(services, WRITER, "Really bad.")
    rejected = services.decisions.decide(mo, kept.id, "reject", reason="Abuse")
    with pytest.raises(Forbidden):
        next(services.appeals.export_statements(Actor(Role.STAFF, name="Editor")))
    lines = "".join(services.appeals.export_statements(mo, platform_name="Example News")).splitlines()
    records = [orjson.loads(line) for line in lines]
    assert [r["puid"] for r in records] == [f"parley-decision-{_only(store, folded.id).id}",
                                            f"parley-decision-{rejected.id}"]
    assert all(r["platform_name"] == "Example News" for r in records)
    after = "".join(services.appeals.export_statements(mo, _only(store, folded.id).id)).splitlines()
    assert [orjson.loads(line)["puid"] for line in after] == [f"parley-decision-{rejected.id}"]
