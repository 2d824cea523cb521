-- A recognition engine's own name for a sighting (OpenALPR: the uuid of a group's first frame),
-- and whether the read is only a preview: a final group replaces the preview it follows (R1).
ALTER TABLE reads ADD COLUMN source_key TEXT;
ALTER TABLE reads ADD COLUMN provisional BIGINT NOT NULL DEFAULT 0 CHECK (provisional IN (0, 1));
CREATE INDEX reads_source ON reads (feed_id, source_key) WHERE source_key IS NOT NULL;
