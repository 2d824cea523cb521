-- Each source for its own purpose (R3, R10): the purposes a feed's reads (or one zone's) may
-- serve, under which legal basis, from when. Governance acts, kept whole: a change is a new
-- row, never an edit, so a read is always judged by the basis it was collected under.
CREATE TABLE source_purposes (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id        BIGINT NOT NULL REFERENCES feeds (id),
    -- A zone of the feed with a basis of its own; NULL for the whole feed.
    zone           TEXT,
    -- Comma-separated purposes (shared::requests::Purpose), e.g. 'national_security'.
    purposes       TEXT   NOT NULL,
    legal_basis    TEXT   NOT NULL,
    reason         TEXT   NOT NULL,
    effective_from BIGINT NOT NULL,
    recorded_by    BIGINT NOT NULL REFERENCES users (id),
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX source_purposes_feed ON source_purposes (feed_id, zone, effective_from);

-- A list's alerts serve one purpose: it matches only reads whose source allows it.
ALTER TABLE hotlists ADD COLUMN purpose TEXT NOT NULL DEFAULT 'crime_investigation'
    CHECK (purpose IN ('crime_investigation', 'intelligence', 'safeguarding', 'national_security'));
