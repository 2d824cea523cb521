-- A list holds each plate once (R6, R8): the live entry for a VRM is found by this index
-- before another is added.
CREATE INDEX hotlist_entries_live_vrm ON hotlist_entries (hotlist_id, vrm) WHERE ended_at IS NULL;
