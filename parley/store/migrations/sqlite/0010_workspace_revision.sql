-- One number that moves, in the same transaction, whenever anything a page of the
-- moderators' queues shows may have changed: a comment (its text, state, queue, priority,
-- reports, verdict; a new one changes its author's history), a story's title or slug, an
-- author, a report, a sanction, an appeal. The workspace caches a rendered queue page
-- under it (parley/web/moderate.py), and every instance reads the same number, so a
-- decision made anywhere is on the next page anyone loads.
-- A comment column a card starts showing must join the UPDATE OF lists below (and in the
-- PostgreSQL migration); tests/store/test_workspace_revision.py checks COMMENT_COLUMNS
-- against them. Columns left out change often and show nowhere in the workspace
-- (reply_total, recommend_count, featured_at, changed_rev, shown).
CREATE TABLE workspace_revision (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO workspace_revision (id, n) VALUES (1, 0);

CREATE TRIGGER workspace_comment_insert AFTER INSERT ON comments
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_comment_update AFTER UPDATE OF story_id, parent_id, root_id, depth, author_id,
    body_source, body_html, state, notices, created_at, edited_at, verdict, queue, priority, report_count,
    resubmitted, reviewed_at, top_label, top_score ON comments
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_comment_delete AFTER DELETE ON comments
BEGIN UPDATE workspace_revision SET n = n + 1; END;

CREATE TRIGGER workspace_story_update AFTER UPDATE OF slug, title ON stories
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_author_update AFTER UPDATE ON authors
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_author_delete AFTER DELETE ON authors
BEGIN UPDATE workspace_revision SET n = n + 1; END;

CREATE TRIGGER workspace_report_insert AFTER INSERT ON reports
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_report_update AFTER UPDATE ON reports
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_report_delete AFTER DELETE ON reports
BEGIN UPDATE workspace_revision SET n = n + 1; END;

CREATE TRIGGER workspace_sanction_insert AFTER INSERT ON sanctions
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_sanction_update AFTER UPDATE ON sanctions
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_sanction_delete AFTER DELETE ON sanctions
BEGIN UPDATE workspace_revision SET n = n + 1; END;

CREATE TRIGGER workspace_appeal_insert AFTER INSERT ON appeals
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_appeal_update AFTER UPDATE ON appeals
BEGIN UPDATE workspace_revision SET n = n + 1; END;
CREATE TRIGGER workspace_appeal_delete AFTER DELETE ON appeals
BEGIN UPDATE workspace_revision SET n = n + 1; END;
