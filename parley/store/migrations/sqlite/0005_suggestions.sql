-- Decisions are data: scores a client suggests for a comment (Perspective's and Coral's
-- SuggestCommentScore, POST /v1alpha1/comments:suggestscore), kept as labelled examples
-- that `parley train --decisions` reads beside the moderators' own decisions.
CREATE TABLE score_suggestions (
    id            INTEGER PRIMARY KEY,
    text          TEXT NOT NULL,
    story_text    TEXT NOT NULL DEFAULT '',
    parent_text   TEXT NOT NULL DEFAULT '',
    scores        TEXT NOT NULL,              -- {label: 0..1}, Parley's label names
    languages     TEXT NOT NULL DEFAULT '[]',
    community_id  TEXT NOT NULL DEFAULT '',
    session_id    TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL,              -- who suggested it (Actor.label)
    created_at    INTEGER NOT NULL
);

-- Readers' reports: a keyed hash of the reporter's address (never the address), so that
-- one machine counts once towards a comment's thresholds however many cookies it sheds,
-- and its reports per hour are limited too.
ALTER TABLE reports ADD COLUMN reporter_addr TEXT NOT NULL DEFAULT '';
CREATE INDEX reports_by_addr ON reports (reporter_addr, created_at) WHERE reporter_addr <> '';
