-- Issue 10: readers' recommendations and the newsroom's featured picks.
-- recommend_count is kept in the transaction that adds or removes a recommendation, so
-- that a page shows counts and the Top sort orders by them without counting rows.
ALTER TABLE comments ADD COLUMN recommend_count INTEGER NOT NULL DEFAULT 0;
-- When staff featured it (NULL: not featured).
ALTER TABLE comments ADD COLUMN featured_at INTEGER;

-- One recommendation per reader per comment: the reader is their account, guest cookie or
-- token (``parley.service.reactions.reader_key``), never an address.
CREATE TABLE recommendations (
    comment_id  INTEGER NOT NULL REFERENCES comments (id),
    reader_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (comment_id, reader_key)
);
-- Which of a page's comments this reader recommended.
CREATE INDEX recommendations_by_reader ON recommendations (reader_key, comment_id);

-- The Top sort walks its own index, as the other sorts do.
CREATE INDEX comments_roots_by_recommends ON comments (story_id, recommend_count DESC, created_at, id)
    WHERE parent_id IS NULL;
-- The Featured tab: latest picks first.
CREATE INDEX comments_featured ON comments (story_id, featured_at DESC, id DESC) WHERE featured_at IS NOT NULL;
