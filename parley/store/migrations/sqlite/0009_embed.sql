-- Issue 10: the embed. A story an embedding page creates on first view keeps what the
-- page said of it besides its canonical URL (stories.url): its section, and the page's
-- own id for it when it gave one (the slug is that id, or a hash of it).
ALTER TABLE stories ADD COLUMN section TEXT NOT NULL DEFAULT '';
ALTER TABLE stories ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
