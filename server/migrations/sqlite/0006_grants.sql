-- Every read behind a grant (R10, R12, R13, R18, R21, R22).

-- A requester may withdraw their request; from then on no search or watch runs under it.
ALTER TABLE requests ADD COLUMN withdrawn_at BIGINT;

-- A live-time watch is a search whose window runs from its opening to the end of the request's
-- window or approval: its reads are pushed as they are stored. It is closed by its user, or
-- when its request can no longer be used; `result_count` counts the reads delivered.
ALTER TABLE searches ADD COLUMN live BIGINT NOT NULL DEFAULT 0 CHECK (live IN (0, 1));
ALTER TABLE searches ADD COLUMN closed_at BIGINT;
ALTER TABLE searches ADD COLUMN close_reason TEXT;
CREATE INDEX searches_open_watches ON searches (user_id, live, closed_at);

