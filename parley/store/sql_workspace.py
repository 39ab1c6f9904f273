"""The SQL of the moderators' workspace (queues, reports, decisions, sanctions, appeals),
shared by both backends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from parley.domain import (
    Appeal,
    Comment,
    Decision,
    DecisionKind,
    Queue,
    Report,
    ReportReason,
    Sanction,
    SanctionKind,
)
from parley.domain.suggestions import ScoreSuggestion
from parley.errors import Conflict
from parley.store.base import AuditQuery, AuthorHistory, QueuePage, from_us, to_us
from parley.store.rows import COMMENT_SELECT, VISIBLE, comment_from_row

_REPORT_COLUMNS = ("id, comment_id, reason, reporter_key, reporter_name, reporter_email, text, law, good_faith,"
                   " created_at, resolved_at, outcome, reporter_addr")
_SUGGESTION_COLUMNS = ("id, text, story_text, parent_text, scores, languages, community_id, session_id, actor,"
                       " created_at")
_SANCTION_COLUMNS = "id, author_id, kind, reason, decided_by, until, writer_key, created_at, lifted_at"
_DECISION_COLUMNS = ("id, kind, actor, account_id, reason, automated, comment_id, author_id, prompted_by,"
                     " legal_ground, text, context, verdict, before, undoes, undone_at, until, created_at")
_APPEAL_COLUMNS = "id, comment_id, decision_id, writer_key, text, created_at, decided_at, outcome, decided_by"


def _us(moment: datetime | None) -> int | None:
    return to_us(moment) if moment is not None else None


def _time(us: int | None) -> datetime | None:
    return from_us(us) if us is not None else None


def _report(row) -> Report:
    (rid, comment_id, reason, key, name, email, text, law, good_faith, created, resolved, outcome, addr) = row
    return Report(id=rid, comment_id=comment_id, reason=ReportReason(reason), reporter_key=key, reporter_name=name,
                  reporter_email=email, text=text, law=law, good_faith=bool(good_faith), created_at=from_us(created),
                  resolved_at=_time(resolved), outcome=outcome, reporter_addr=addr)


def _suggestion(row) -> ScoreSuggestion:
    (sid, text, story_text, parent_text, scores, languages, community_id, session_id, actor, created) = row
    return ScoreSuggestion(id=sid, text=text, story_text=story_text, parent_text=parent_text,
                           scores=json.loads(scores), languages=tuple(json.loads(languages)),
                           community_id=community_id, session_id=session_id, actor=actor,
                           created_at=from_us(created))


def _sanction(row) -> Sanction:
    (sid, author_id, kind, reason, decided_by, until, writer_key, created, lifted) = row
    return Sanction(id=sid, author_id=author_id, kind=SanctionKind(kind), reason=reason, decided_by=decided_by,
                    until=_time(until), writer_key=writer_key, created_at=from_us(created), lifted_at=_time(lifted))


def _decision(row) -> Decision:
    (did, kind, actor, account_id, reason, automated, comment_id, author_id, prompted_by, legal_ground, text,
     context, verdict, before, undoes, undone, until, created) = row
    return Decision(id=did, kind=DecisionKind(kind), actor=actor, account_id=account_id, reason=reason,
                    automated=bool(automated), comment_id=comment_id, author_id=author_id, prompted_by=prompted_by,
                    legal_ground=legal_ground, text=text, context=json.loads(context),
                    verdict=json.loads(verdict) if verdict else None, before=json.loads(before) if before else None,
                    undoes=undoes, undone_at=_time(undone), until=_time(until), created_at=from_us(created))


def _history(rows) -> AuthorHistory:
    """An author's counts from (state, reviewed, count, first created) groups."""
    visible = ("published", "folded")
    first = min((r[3] for r in rows), default=None)
    return AuthorHistory(
        comments=sum(r[2] for r in rows),
        published=sum(r[2] for r in rows if r[0] in visible),
        approved=sum(r[2] for r in rows if r[0] in visible and r[1]),
        rejected=sum(r[2] for r in rows if r[0] == "rejected"),
        held=sum(r[2] for r in rows if r[0] == "pending"),
        first_seen=_time(first))


def _appeal(row) -> Appeal:
    (aid, comment_id, decision_id, writer_key, text, created, decided, outcome, decided_by) = row
    return Appeal(id=aid, comment_id=comment_id, decision_id=decision_id, writer_key=writer_key, text=text,
                  created_at=from_us(created), decided_at=_time(decided), outcome=outcome, decided_by=decided_by)


class WorkspaceSQL:
    """Mixed into ``SQLStore``; uses its ``_tx``, ``_one``, ``_all``, ``_sql`` and the
    comment select it shares with the reader's side."""

    # --- queues ---------------------------------------------------------------
    def list_queue(self, page: QueuePage) -> list[Comment]:
        return [comment_from_row(r) for r in self._all(*self.queue_query(page))]

    def queue_query(self, page: QueuePage) -> tuple[str, list]:
        """The SQL for a page of a queue. Open queues walk the partial index of queued
        comments by priority; Approved and Rejected walk those of decided comments."""
        where, params = [], []
        if page.queue.open:
            where.append("c.queue = ?")
            params.append(page.queue.value)
            order = "c.priority DESC, c.id"
            if page.after:
                where.append("(c.priority < ? OR (c.priority = ? AND c.id > ?))")
                params += [page.after[0], page.after[0], page.after[1]]
        else:
            if page.queue is Queue.APPROVED:
                where.append(f"c.reviewed_at IS NOT NULL AND c.state IN {VISIBLE}")
            else:
                where.append("c.state = 'rejected'")
            order = "c.reviewed_at DESC, c.id DESC"
            if page.after:
                where.append("(c.reviewed_at, c.id) < (?, ?)")
                params += list(page.after)
        for clause, value in (("c.story_id = ?", page.story_id), ("c.top_label = ?", page.label),
                              ("c.top_score >= ?", page.min_score), ("c.author_id = ?", page.author_id)):
            if value is not None:
                where.append(clause)
                params.append(value)
        params.append(page.limit)
        return f"{COMMENT_SELECT} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?", params

    def queue_counts(self, story_id: int | None = None) -> dict[Queue, int]:
        """From the counts the triggers of migration 0006 keep, never by counting a queue."""
        where, params = "", []
        if story_id is not None:
            where, params = " WHERE story_id = ?", [story_id]
        found = dict(self._all(f"SELECT queue, SUM(n) FROM queue_counts{where} GROUP BY queue", params))
        return {q: int(found.get(q.value) or 0) for q in Queue if q.open}

    def workspace_revision(self) -> int:
        """A number that moves whenever anything a queue page shows may have changed
        (migration 0010's triggers, in the writing transaction). Read it before the data a
        page is made from: a page cached under it is then never older than it says."""
        return self._one("SELECT n FROM workspace_revision WHERE id = 1")[0]

    def list_writer_comments(self, writer_key: str, limit: int, *, story_id: int | None = None) -> list[Comment]:
        restricting = ", ".join(f"'{k.value}'" for k in DecisionKind if k.restricts)
        where, params = ["c.writer_key = ?", "c.state <> 'deleted'"], [writer_key]
        if story_id is not None:
            where.append("c.story_id = ?")
            params.append(story_id)
        where.append("(c.state IN ('pending', 'rejected') OR EXISTS (SELECT 1 FROM decisions d"
                     f" WHERE d.comment_id = c.id AND d.undone_at IS NULL AND d.kind IN ({restricting})))")
        params.append(limit)
        rows = self._all(f"{COMMENT_SELECT} WHERE {' AND '.join(where)} ORDER BY c.created_at DESC, c.id DESC"
                         " LIMIT ?", params)
        return [comment_from_row(r) for r in rows]

    def author_history(self, author_id: int) -> AuthorHistory:
        return self.author_histories([author_id])[author_id]

    def author_histories(self, author_ids: Sequence[int]) -> dict[int, AuthorHistory]:
        ids = list(dict.fromkeys(author_ids))
        if not ids:
            return {}
        where, params = self._in("author_id", ids)
        rows = self._all("SELECT author_id, state, reviewed_at IS NOT NULL, COUNT(*), MIN(created_at) FROM comments"
                         f" WHERE {where} GROUP BY author_id, state, reviewed_at IS NOT NULL", params)
        by_author: dict[int, list] = {i: [] for i in ids}
        for author_id, *rest in rows:
            by_author[author_id].append(rest)
        return {i: _history(found) for i, found in by_author.items()}

    def reports_for(self, comment_ids: Sequence[int]) -> dict[int, list[Report]]:
        return self._grouped(f"SELECT {_REPORT_COLUMNS} FROM reports", "comment_id", comment_ids, "id", _report,
                             lambda r: r.comment_id)

    def sanctions_for(self, author_ids: Sequence[int]) -> dict[int, list[Sanction]]:
        return self._grouped(f"SELECT {_SANCTION_COLUMNS} FROM sanctions", "author_id", author_ids, "id DESC",
                             _sanction, lambda s: s.author_id)

    def decisions_for(self, comment_ids: Sequence[int]) -> dict[int, list[Decision]]:
        return self._grouped(f"SELECT {_DECISION_COLUMNS} FROM decisions", "comment_id", comment_ids, "id DESC",
                             _decision, lambda d: d.comment_id)

    def appeals_for(self, comment_ids: Sequence[int]) -> dict[int, Appeal]:
        found = self._grouped(f"SELECT {_APPEAL_COLUMNS} FROM appeals", "comment_id", comment_ids, "id", _appeal,
                              lambda a: a.comment_id)
        return {k: v[0] for k, v in found.items() if v}

    def _grouped(self, select: str, column: str, keys: Sequence[int], order: str, make, key_of) -> dict:
        """Rows for several keys in one query, grouped by key (every key present)."""
        keys = list(dict.fromkeys(keys))
        out: dict = {k: [] for k in keys}
        if keys:
            where, params = self._in(column, keys)
            for row in self._all(f"{select} WHERE {where} ORDER BY {order}", params):
                made = make(row)
                out[key_of(made)].append(made)
        return out

    def update_review(self, comment: Comment) -> Comment:
        """Save where the comment stands for moderators (queue, priority, reports, when
        reviewed) and nothing readers see: the story's revision, which reader caches key
        on, stays as it is."""
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE comments SET queue = ?, priority = ?, report_count = ?, reviewed_at = ?"
                                   " WHERE id = ?"),
                         (comment.queue, comment.priority, comment.report_count, _us(comment.reviewed_at),
                          comment.id))
        return comment

    # --- reports ----------------------------------------------------------------
    def add_report(self, report: Report) -> Report:
        try:
            with self._tx() as conn:
                (report.id,) = conn.execute(self._sql(
                    "INSERT INTO reports (comment_id, reason, reporter_key, reporter_name, reporter_email, text,"
                    " law, good_faith, created_at, reporter_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                    (report.comment_id, report.reason.value, report.reporter_key, report.reporter_name,
                     report.reporter_email, report.text, report.law, report.good_faith,
                     to_us(report.created_at), report.reporter_addr)).fetchone()
        except self.integrity_errors:
            raise Conflict("you have reported this comment already", field="comment_id") from None
        return report

    def list_reports(self, comment_id: int) -> list[Report]:
        rows = self._all(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE comment_id = ? ORDER BY id", (comment_id,))
        return [_report(r) for r in rows]

    def reports_by(self, reporter_key: str, limit: int) -> list[Report]:
        rows = self._all(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE reporter_key = ?"
                         " ORDER BY created_at DESC, id DESC LIMIT ?", (reporter_key, limit))
        return [_report(r) for r in rows]

    def count_reports_from(self, reporter_addr: str, since: datetime) -> int:
        return self._one("SELECT COUNT(*) FROM reports WHERE reporter_addr = ? AND reporter_addr <> ''"
                         " AND created_at >= ?", (reporter_addr, to_us(since)))[0]

    def resolve_reports(self, comment_id: int, outcome: str, at: datetime) -> int:
        with self._tx() as conn:
            return conn.execute(self._sql("UPDATE reports SET resolved_at = ?, outcome = ?"
                                          " WHERE comment_id = ? AND resolved_at IS NULL"),
                                (to_us(at), outcome, comment_id)).rowcount

    def reopen_reports(self, comment_id: int, resolved_at: datetime) -> int:
        with self._tx() as conn:
            return conn.execute(self._sql("UPDATE reports SET resolved_at = NULL, outcome = NULL"
                                          " WHERE comment_id = ? AND resolved_at = ?"),
                                (comment_id, to_us(resolved_at))).rowcount

    # --- decisions: the audit log ---------------------------------------------------
    def add_decision(self, decision: Decision) -> Decision:
        with self._tx() as conn:
            (decision.id,) = conn.execute(self._sql(
                f"INSERT INTO decisions ({_DECISION_COLUMNS.removeprefix('id, ')}) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                (decision.kind.value, decision.actor, decision.account_id, decision.reason, decision.automated,
                 decision.comment_id, decision.author_id, decision.prompted_by, decision.legal_ground, decision.text,
                 json.dumps(decision.context, ensure_ascii=False),
                 json.dumps(decision.verdict, ensure_ascii=False) if decision.verdict is not None else None,
                 json.dumps(decision.before, ensure_ascii=False) if decision.before is not None else None,
                 decision.undoes, _us(decision.undone_at), _us(decision.until),
                 to_us(decision.created_at))).fetchone()
        return decision

    def get_decision(self, decision_id: int) -> Decision | None:
        row = self._one(f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE id = ?", (decision_id,))
        return _decision(row) if row else None

    def mark_undone(self, decision_id: int, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE decisions SET undone_at = ? WHERE id = ?"), (to_us(at), decision_id))

    def list_decisions(self, query: AuditQuery) -> list[Decision]:
        where, params = ["1 = 1"], []
        for clause, value in (("kind = ?", query.kind), ("comment_id = ?", query.comment_id),
                              ("author_id = ?", query.author_id), ("id < ?", query.before_id)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if query.text:
            # A plain substring search over who, what and why: LIKE with its wildcards escaped.
            needle = "%" + query.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(LOWER(actor) LIKE ? ESCAPE '\\' OR LOWER(reason) LIKE ? ESCAPE '\\'"
                         " OR LOWER(kind) LIKE ? ESCAPE '\\' OR LOWER(prompted_by) LIKE ? ESCAPE '\\')")
            params += [needle] * 4
        params.append(query.limit)
        rows = self._all(f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE {' AND '.join(where)}"
                         " ORDER BY id DESC LIMIT ?", params)
        return [_decision(r) for r in rows]

    def decisions_since(self, after_id: int, limit: int) -> list[Decision]:
        rows = self._all(f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE id > ? ORDER BY id LIMIT ?",
                         (after_id, limit))
        return [_decision(r) for r in rows]

    # --- sanctions ------------------------------------------------------------------
    def add_sanction(self, sanction: Sanction) -> Sanction:
        with self._tx() as conn:
            (sanction.id,) = conn.execute(self._sql(
                "INSERT INTO sanctions (author_id, kind, reason, decided_by, until, writer_key, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                (sanction.author_id, sanction.kind.value, sanction.reason, sanction.decided_by, _us(sanction.until),
                 sanction.writer_key, to_us(sanction.created_at))).fetchone()
        return sanction

    def get_sanction(self, sanction_id: int) -> Sanction | None:
        row = self._one(f"SELECT {_SANCTION_COLUMNS} FROM sanctions WHERE id = ?", (sanction_id,))
        return _sanction(row) if row else None

    def list_sanctions(self, author_id: int) -> list[Sanction]:
        rows = self._all(f"SELECT {_SANCTION_COLUMNS} FROM sanctions WHERE author_id = ? ORDER BY id DESC",
                         (author_id,))
        return [_sanction(r) for r in rows]

    def active_sanctions(self, author_id: int | None, writer_key: str | None, now: datetime) -> list[Sanction]:
        if author_id is None and writer_key is None:
            return []
        rows = self._all(f"SELECT {_SANCTION_COLUMNS} FROM sanctions WHERE (author_id = ? OR writer_key = ?)"
                         " AND lifted_at IS NULL AND (until IS NULL OR until > ?) ORDER BY id DESC",
                         (author_id, writer_key, to_us(now)))
        return [_sanction(r) for r in rows]

    def lift_sanction(self, sanction_id: int, at: datetime) -> bool:
        with self._tx() as conn:
            return conn.execute(self._sql("UPDATE sanctions SET lifted_at = ? WHERE id = ? AND lifted_at IS NULL"),
                                (to_us(at), sanction_id)).rowcount == 1

    def restore_sanction(self, sanction_id: int) -> None:
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE sanctions SET lifted_at = NULL WHERE id = ?"), (sanction_id,))

    # --- appeals ----------------------------------------------------------------------
    def add_appeal(self, appeal: Appeal) -> Appeal:
        try:
            with self._tx() as conn:
                (appeal.id,) = conn.execute(self._sql(
                    "INSERT INTO appeals (comment_id, decision_id, writer_key, text, created_at)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id"),
                    (appeal.comment_id, appeal.decision_id, appeal.writer_key, appeal.text,
                     to_us(appeal.created_at))).fetchone()
        except self.integrity_errors:
            raise Conflict("this comment was appealed already: a decision can be appealed once",
                           field="comment_id") from None
        return appeal

    def get_appeal(self, appeal_id: int) -> Appeal | None:
        row = self._one(f"SELECT {_APPEAL_COLUMNS} FROM appeals WHERE id = ?", (appeal_id,))
        return _appeal(row) if row else None

    def appeal_of(self, comment_id: int) -> Appeal | None:
        row = self._one(f"SELECT {_APPEAL_COLUMNS} FROM appeals WHERE comment_id = ?", (comment_id,))
        return _appeal(row) if row else None

    def update_appeal(self, appeal: Appeal) -> Appeal:
        with self._tx() as conn:
            conn.execute(self._sql("UPDATE appeals SET decided_at = ?, outcome = ?, decided_by = ? WHERE id = ?"),
                         (_us(appeal.decided_at), appeal.outcome, appeal.decided_by, appeal.id))
        return appeal

    # --- decisions are data: suggested scores ---------------------------------------
    def add_suggestion(self, suggestion: ScoreSuggestion) -> ScoreSuggestion:
        with self._tx() as conn:
            (suggestion.id,) = conn.execute(self._sql(
                f"INSERT INTO score_suggestions ({_SUGGESTION_COLUMNS.removeprefix('id, ')})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                (suggestion.text, suggestion.story_text, suggestion.parent_text,
                 json.dumps(suggestion.scores, ensure_ascii=False), json.dumps(list(suggestion.languages)),
                 suggestion.community_id, suggestion.session_id, suggestion.actor,
                 to_us(suggestion.created_at))).fetchone()
        return suggestion

    def suggestions_since(self, after_id: int, limit: int) -> list[ScoreSuggestion]:
        rows = self._all(f"SELECT {_SUGGESTION_COLUMNS} FROM score_suggestions WHERE id > ? ORDER BY id LIMIT ?",
                         (after_id, limit))
        return [_suggestion(r) for r in rows]
