-- Times are integer microseconds since the Unix epoch, in both dialects:
-- they sort, compare and convert the same way everywhere.
CREATE TABLE parley_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE stories (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    url            TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL,
    dateline       TEXT NOT NULL DEFAULT '',
    body           TEXT NOT NULL DEFAULT '',
    credit         TEXT NOT NULL DEFAULT '',
    published_at   INTEGER,
    comments_open  INTEGER NOT NULL DEFAULT 1,
    comment_count  INTEGER NOT NULL DEFAULT 0,
    revision       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE authors (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('guest', 'registered', 'staff')),
    display_name  TEXT NOT NULL,
    email         TEXT,
    identity_key  TEXT NOT NULL UNIQUE
);

CREATE TABLE comments (
    id               INTEGER PRIMARY KEY,
    story_id         INTEGER NOT NULL REFERENCES stories (id),
    parent_id        INTEGER REFERENCES comments (id),
    root_id          INTEGER REFERENCES comments (id),
    depth            INTEGER NOT NULL DEFAULT 0,
    author_id        INTEGER NOT NULL REFERENCES authors (id),
    body_source      TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('published', 'folded', 'pending', 'rejected', 'deleted')),
    notices          TEXT NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    edited_at        INTEGER,
    reply_total      INTEGER NOT NULL DEFAULT 0,
    idempotency_key  TEXT
);

-- A page of top-level comments, per sort, reads only its own rows.
CREATE INDEX comments_roots_by_time ON comments (story_id, created_at, id) WHERE parent_id IS NULL;
CREATE INDEX comments_roots_by_replies ON comments (story_id, reply_total DESC, created_at, id) WHERE parent_id IS NULL;
-- ...and their replies come from one range scan per root.
CREATE INDEX comments_by_root ON comments (root_id, created_at, id) WHERE root_id IS NOT NULL;
CREATE UNIQUE INDEX comments_idempotency ON comments (story_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX comments_by_author ON comments (author_id, created_at);
