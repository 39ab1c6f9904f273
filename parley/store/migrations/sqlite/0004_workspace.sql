-- Issue 9: who is acting (accounts, sessions, API tokens, single sign-on) and the
-- moderators' workspace (queues, reports, decisions, sanctions, appeals).

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,   -- stored casefolded
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('commenter', 'staff', 'moderator', 'admin')),
    password_hash  TEXT,                   -- argon2id, NULL for single sign-on readers
    sso_id         TEXT UNIQUE,            -- the publisher's own id (Coral's user.id)
    badges         TEXT NOT NULL DEFAULT '[]',
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

-- Only hashes of session ids and token secrets: a database leak opens nothing.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX sessions_by_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('commenter', 'staff', 'moderator', 'admin')),
    secret_hash   TEXT NOT NULL UNIQUE,
    created_by    INTEGER REFERENCES accounts (id),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);

-- Single sign-on tokens already used (their jti), kept until they expire.
CREATE TABLE sso_jtis (
    jti         TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- Login and password-reset attempts, for throttling across processes.
CREATE TABLE auth_attempts (
    key  TEXT NOT NULL,
    at   INTEGER NOT NULL
);
CREATE INDEX auth_attempts_by_key ON auth_attempts (key, at);

-- An account's comments are one author whatever its display name.
ALTER TABLE authors ADD COLUMN account_id INTEGER REFERENCES accounts (id);

-- writer_key: the account or guest cookie that wrote it ("account:7", "guest:<id>"), so
-- that its writer alone sees it while it is held. queue: the open queue it waits in,
-- NULL when none. priority orders each queue (see parley/service/decisions.py).
ALTER TABLE comments ADD COLUMN writer_key TEXT;
ALTER TABLE comments ADD COLUMN queue TEXT CHECK (queue IN ('held', 'reported', 'folded', 'resubmitted', 'appeals'));
ALTER TABLE comments ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN report_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN resubmitted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN reviewed_at INTEGER;
ALTER TABLE comments ADD COLUMN top_label TEXT;
ALTER TABLE comments ADD COLUMN top_score REAL NOT NULL DEFAULT 0;
UPDATE comments SET queue = 'held' WHERE state = 'pending';
-- Comments rejected before: decided when they were written, so that Rejected lists them.
UPDATE comments SET reviewed_at = created_at WHERE state = 'rejected';

CREATE INDEX comments_open_queue ON comments (queue, priority DESC, id) WHERE queue IS NOT NULL;
CREATE INDEX comments_open_queue_by_story ON comments (story_id, queue, priority DESC, id) WHERE queue IS NOT NULL;
-- reviewed_at: when a moderator last decided on it (or the model rejected it outright).
CREATE INDEX comments_reviewed ON comments (reviewed_at DESC, id DESC) WHERE reviewed_at IS NOT NULL;
CREATE INDEX comments_rejected ON comments (reviewed_at DESC, id DESC) WHERE state = 'rejected';
-- The queue of 0003 (held comments, oldest first) is the Held queue above now.
DROP INDEX comments_queue;
DROP INDEX comments_queue_by_story;
CREATE INDEX comments_by_writer ON comments (writer_key, story_id) WHERE writer_key IS NOT NULL;

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    comment_id      INTEGER NOT NULL REFERENCES comments (id),
    reason          TEXT NOT NULL CHECK (reason IN ('abusive', 'spam', 'off_topic', 'illegal', 'other')),
    reporter_key    TEXT NOT NULL,
    reporter_name   TEXT NOT NULL DEFAULT '',
    reporter_email  TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL DEFAULT '',
    law             TEXT NOT NULL DEFAULT '',
    good_faith      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    resolved_at     INTEGER,
    outcome         TEXT,
    UNIQUE (comment_id, reporter_key)
);
CREATE INDEX reports_by_reporter ON reports (reporter_key, created_at);

CREATE TABLE sanctions (
    id          INTEGER PRIMARY KEY,
    author_id   INTEGER NOT NULL REFERENCES authors (id),
    writer_key  TEXT,  -- the writer's browser or account too: a guest's new name does not lift it
    kind        TEXT NOT NULL CHECK (kind IN ('ban', 'suspend', 'premoderate', 'trust')),
    reason      TEXT NOT NULL DEFAULT '',
    decided_by  TEXT NOT NULL,
    until       INTEGER,
    created_at  INTEGER NOT NULL,
    lifted_at   INTEGER
);
CREATE INDEX sanctions_by_author ON sanctions (author_id);
CREATE INDEX sanctions_by_writer ON sanctions (writer_key) WHERE writer_key IS NOT NULL;

-- The audit log: every decision on a comment or an author, a moderator's or automated.
CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    account_id    INTEGER REFERENCES accounts (id),
    reason        TEXT NOT NULL DEFAULT '',
    automated     INTEGER NOT NULL DEFAULT 0,
    comment_id    INTEGER REFERENCES comments (id),
    author_id     INTEGER REFERENCES authors (id),
    prompted_by   TEXT NOT NULL DEFAULT 'moderator',
    legal_ground  TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    context       TEXT NOT NULL DEFAULT '{}',
    verdict       TEXT,
    before        TEXT,
    undoes        INTEGER REFERENCES decisions (id),
    undone_at     INTEGER,
    until         INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX decisions_by_time ON decisions (created_at, id);
CREATE INDEX decisions_by_comment ON decisions (comment_id, id) WHERE comment_id IS NOT NULL;
CREATE INDEX decisions_by_author ON decisions (author_id, id) WHERE author_id IS NOT NULL;

CREATE TABLE appeals (
    id           INTEGER PRIMARY KEY,
    comment_id   INTEGER NOT NULL UNIQUE REFERENCES comments (id),  -- one appeal a comment
    decision_id  INTEGER NOT NULL REFERENCES decisions (id),
    writer_key   TEXT NOT NULL,
    text         TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER,
    outcome      TEXT CHECK (outcome IN ('upheld', 'reversed')),
    decided_by   TEXT
);
