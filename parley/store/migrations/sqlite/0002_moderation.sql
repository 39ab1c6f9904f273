-- Moderation (issue 3): what it decided about each comment, and a story's own thresholds.
-- A verdict is JSON {"scores", "spans", "action", "reasons", "model"}: NULL for comments
-- never scored (imported, written by staff, posted with moderation off or before this).
ALTER TABLE comments ADD COLUMN verdict TEXT;
-- JSON {label: {action: threshold}} laid over the site's thresholds, NULL for none.
ALTER TABLE stories ADD COLUMN moderation_thresholds TEXT;
