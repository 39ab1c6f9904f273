-- The moderators' queue: held comments oldest first, on every story or on one. Few
-- comments wait at a time, so these partial indexes stay small.
CREATE INDEX comments_queue ON comments (created_at, id) WHERE state = 'pending';
CREATE INDEX comments_queue_by_story ON comments (story_id, created_at, id) WHERE state = 'pending';
