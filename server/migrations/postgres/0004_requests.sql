-- Search requests and their decisions (R10, R11), searches with their audit sample (R21, R22),
-- per-user search restrictions (R13), and each read's misread-tolerant plate form (R5).

-- Plates are ASCII codes: compared byte by byte (collation "C") whatever the database's locale,
-- so a partial plate's prefix is one index range (a locale collation may ignore or reorder
-- characters).
ALTER TABLE reads ALTER COLUMN plate TYPE TEXT COLLATE "C";

-- A read's plate with every character replaced by its confusion class (shared::plate::skeleton),
-- so a misread-tolerant search is an index lookup.
ALTER TABLE reads ADD COLUMN plate_skeleton TEXT COLLATE "C";
UPDATE reads SET plate_skeleton = REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(plate, 'O', '0'), 'D', '0'), 'Q', '0'), 'I', '1'), 'L', '1'), 'Z', '2'), 'S', '5'), 'B', '8'), 'G', '6');
CREATE INDEX reads_skeleton_time ON reads (plate_skeleton, captured_at);

-- Requests and decisions are kept for audit: never deleted.
CREATE TABLE requests (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference     TEXT   UNIQUE,
    requester_id  BIGINT NOT NULL REFERENCES users (id),
    submitted_at  BIGINT NOT NULL,
    purpose       TEXT   NOT NULL,
    reason        TEXT   NOT NULL,
    crime_type    TEXT   NOT NULL,
    seriousness   TEXT   NOT NULL CHECK (seriousness IN ('serious', 'volume')),
    scope         TEXT   NOT NULL, -- JSON: plates, area, cameras, from, to
    handling      TEXT   NOT NULL,
    surveillance  BIGINT NOT NULL CHECK (surveillance IN (0, 1)),
    dsa_reference TEXT,
    status        TEXT   NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by    BIGINT REFERENCES users (id),
    decided_at    BIGINT,
    rationale     TEXT,
    expires_at    BIGINT
);
CREATE INDEX requests_status ON requests (status, submitted_at);
CREATE INDEX requests_requester ON requests (requester_id, submitted_at);

CREATE TABLE searches (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    request_id      BIGINT NOT NULL REFERENCES requests (id),
    at              BIGINT NOT NULL,
    capability      TEXT   NOT NULL,
    query           TEXT   NOT NULL, -- JSON SearchQuery
    window_from     BIGINT NOT NULL,
    window_to       BIGINT NOT NULL,
    result_count    BIGINT NOT NULL,
    beyond_standard BIGINT NOT NULL CHECK (beyond_standard IN (0, 1))
);
CREATE INDEX searches_at ON searches (at);
CREATE INDEX searches_request ON searches (request_id);

-- Searches drawn for the audit unit (R22) and its finding on each.
CREATE TABLE audit_samples (
    search_id     BIGINT PRIMARY KEY REFERENCES searches (id),
    sampled_at    BIGINT NOT NULL,
    reviewed_by   BIGINT REFERENCES users (id),
    reviewed_at   BIGINT,
    necessary     BIGINT CHECK (necessary IN (0, 1)),
    proportionate BIGINT CHECK (proportionate IN (0, 1)),
    note          TEXT
);
CREATE INDEX audit_samples_open ON audit_samples (reviewed_at, sampled_at);

CREATE TABLE user_denied_capabilities (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    capability TEXT   NOT NULL CHECK (capability IN ('plate_exact', 'plate_partial', 'plate_misread', 'area')),
    PRIMARY KEY (user_id, capability)
);

CREATE TABLE user_denied_cameras (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    PRIMARY KEY (user_id, camera_id)
);
