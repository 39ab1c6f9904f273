-- One number that moves, in the same transaction, whenever anything a page of the
-- moderators' queues shows may have changed: a comment (its text, state, queue, priority,
-- reports, verdict; a new one changes its author's history), a story's title or slug, an
-- author, a report, a sanction, an appeal. The workspace caches a rendered queue page
-- under it (parley/web/moderate.py), and every instance reads the same number, so a
-- decision made anywhere is on the next page anyone loads.
-- A comment column a card starts showing must join the UPDATE OF lists below (and in the
-- SQLite migration); tests/store/test_workspace_revision.py checks COMMENT_COLUMNS against
-- them. Columns left out change often and show nowhere in the workspace (reply_total,
-- recommend_count, featured_at, changed_rev, shown).
--
-- The triggers are deferred to the commit: every writer updates this one row, and a row
-- lock taken at the first insert would be held for the rest of the transaction; taken at
-- commit it is held only while the commit is written. And the row moves once a
-- transaction, however many rows it writes: each further update of one row in one
-- transaction lengthens the chain of versions the next must walk (an import of 100,000
-- comments took minutes instead of seconds).
CREATE TABLE workspace_revision (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   BIGINT NOT NULL
);
INSERT INTO workspace_revision (id, n) VALUES (1, 0);

CREATE FUNCTION parley_workspace_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('parley.workspace_moved', true) IS DISTINCT FROM 'yes' THEN
        UPDATE workspace_revision SET n = n + 1 WHERE id = 1;
        PERFORM set_config('parley.workspace_moved', 'yes', true);  -- until this transaction ends
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER workspace_comment_write AFTER INSERT OR DELETE OR UPDATE OF story_id, parent_id,
    root_id, depth, author_id, body_source, body_html, state, notices, created_at, edited_at, verdict, queue,
    priority, report_count, resubmitted, reviewed_at, top_label, top_score ON comments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_workspace_moved();
CREATE CONSTRAINT TRIGGER workspace_story_write AFTER UPDATE OF slug, title ON stories
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_workspace_moved();
CREATE CONSTRAINT TRIGGER workspace_author_write AFTER UPDATE OR DELETE ON authors
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_workspace_moved();
CREATE CONSTRAINT TRIGGER workspace_report_write AFTER INSERT OR UPDATE OR DELETE ON reports
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_workspace_moved();
CREATE CONSTRAINT TRIGGER workspace_sanction_write AFTER INSERT OR UPDATE OR DELETE ON sanctions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_workspace_moved();
CREATE CONSTRAINT TRIGGER workspace_appeal_write AFTER INSERT OR UPDATE OR DELETE ON appeals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_workspace_moved();
