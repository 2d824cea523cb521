-- Unusual use, flagged for the audit unit (R21, R22): searches, watches and analyses an auditor
-- would look at first, each with the reason and its figures, and the auditor's review. Owned
-- by `server::flags`.

-- One flag per search and kind; kept for audit (the annual report counts them, R23).
CREATE TABLE usage_flags (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    search_id   BIGINT NOT NULL REFERENCES searches (id),
    kind        TEXT   NOT NULL CHECK (kind IN ('unusual_hour', 'volume', 'same_plate', 'before_expiry',
        'broad_area', 'restricted_plate', 'outside_plates')),
    reason      TEXT   NOT NULL,
    flagged_at  BIGINT NOT NULL,
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at BIGINT,
    note        TEXT,
    UNIQUE (search_id, kind)
);
CREATE INDEX usage_flags_review ON usage_flags (reviewed_at, flagged_at);
CREATE INDEX usage_flags_flagged ON usage_flags (flagged_at);

-- The whole plate each scanned search named (a plate search, convoy or pattern of life), for
-- the same plate searched under several requests.
CREATE TABLE usage_plates (
    search_id  BIGINT PRIMARY KEY REFERENCES searches (id),
    user_id    BIGINT NOT NULL,
    request_id BIGINT NOT NULL,
    plate      TEXT   NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX usage_plates_user ON usage_plates (user_id, plate, at);

-- How far the scan has read (by search id).
CREATE TABLE usage_scan (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    last_search_id BIGINT NOT NULL,
    scanned_at     BIGINT
);
INSERT INTO usage_scan (id, last_search_id) VALUES (1, 0);

-- A user's searches in time order: their usual hours and daily count.
CREATE INDEX searches_user_at ON searches (user_id, at);
