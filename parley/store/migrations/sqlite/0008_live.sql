-- Issue 10: live updates. Every write that changes what readers see of a comment bumps its
-- story's revision in the same transaction; the comment now also keeps the revision at
-- which it last changed, so "what changed on this story since revision r" is one indexed
-- read of the shared database: a reader's stream resumes from its Last-Event-ID exactly,
-- on any instance and after a restart.
ALTER TABLE comments ADD COLUMN changed_rev INTEGER NOT NULL DEFAULT 0;
-- Whether readers were ever shown it: a comment held from the start is never announced,
-- not even by its id; one readers saw and then lost is announced as removed.
ALTER TABLE comments ADD COLUMN shown INTEGER NOT NULL DEFAULT 0;
UPDATE comments SET shown = state IN ('published', 'folded', 'deleted');
-- Partial, so that the planner never takes it for other reads of a story's comments (the
-- moderators' queues): the live read names changed_rev > 0 to use it.
CREATE INDEX comments_changed ON comments (story_id, changed_rev) WHERE changed_rev > 0;
