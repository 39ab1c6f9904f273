-- Counts per open queue, kept by a trigger in the transaction that moves a comment, so that
-- the workspace's tabs read a few rows instead of counting a queue of 100,000 on each page.
CREATE TABLE queue_counts (
    story_id  BIGINT NOT NULL REFERENCES stories (id),
    queue     TEXT NOT NULL,
    n         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (story_id, queue)
);
-- No instance may move a comment between the count and the trigger that keeps it.
LOCK TABLE comments IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO queue_counts (story_id, queue, n)
    SELECT story_id, queue, COUNT(*) FROM comments WHERE queue IS NOT NULL GROUP BY story_id, queue;

CREATE FUNCTION parley_count_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.queue IS NOT NULL THEN
        UPDATE queue_counts SET n = n - 1 WHERE story_id = OLD.story_id AND queue = OLD.queue;
    END IF;
    IF NEW.queue IS NOT NULL THEN
        INSERT INTO queue_counts (story_id, queue, n) VALUES (NEW.story_id, NEW.queue, 1)
            ON CONFLICT (story_id, queue) DO UPDATE SET n = queue_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER comments_queue_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.queue IS NOT NULL) EXECUTE FUNCTION parley_count_queue();
CREATE TRIGGER comments_queue_update AFTER UPDATE OF queue ON comments
    FOR EACH ROW WHEN (OLD.queue IS DISTINCT FROM NEW.queue) EXECUTE FUNCTION parley_count_queue();

-- An author's history on a comment card (counts by state and review) read from the index
-- alone: the index that lists an author's latest comments now carries those two columns.
DROP INDEX comments_by_author;
CREATE INDEX comments_by_author ON comments (author_id, created_at, state, reviewed_at);
