-- Verification of reads against their imagery (R15, R16), cloned-plate indicators (R17), the
-- retention purge's runs (R18), the evidence locker (R19), exports and evidential statements
-- (R14, R20).

-- A read's latest verification outcome, and the corrected plate (with its misread-tolerant
-- form) when the latest says it was misread. The plate as read is never changed (R15).
ALTER TABLE reads ADD COLUMN verdict TEXT CHECK (verdict IN ('confirmed', 'misread', 'cloned', 'unreadable'));
ALTER TABLE reads ADD COLUMN corrected_plate TEXT COLLATE "C";
ALTER TABLE reads ADD COLUMN corrected_skeleton TEXT COLLATE "C";
CREATE INDEX reads_corrected ON reads (corrected_plate) WHERE corrected_plate IS NOT NULL;
CREATE INDEX reads_corrected_skeleton ON reads (corrected_skeleton) WHERE corrected_skeleton IS NOT NULL;

-- Every verification, kept as the read's history. `read_id` has no foreign key: the figures
-- (R23) outlive the read, whose plate, correction and reason the purge blanks here (R18).
CREATE TABLE verifications (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_id          BIGINT NOT NULL,
    read_captured_at BIGINT NOT NULL,
    verified_by      BIGINT NOT NULL REFERENCES users (id),
    verified_at      BIGINT NOT NULL,
    verdict          TEXT   NOT NULL CHECK (verdict IN ('confirmed', 'misread', 'cloned', 'unreadable')),
    plate_before     TEXT,
    corrected_plate  TEXT,
    reason           TEXT
);
CREATE INDEX verifications_read ON verifications (read_id, id);
CREATE INDEX verifications_time ON verifications (verified_at);
CREATE INDEX verifications_captured ON verifications (read_captured_at);

-- The same plate at two places too far apart for the time between (R17).
CREATE TABLE clone_pairs (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plate          TEXT   NOT NULL,
    first_read_id  BIGINT NOT NULL REFERENCES reads (id),
    second_read_id BIGINT NOT NULL REFERENCES reads (id),
    first_at       BIGINT NOT NULL,
    distance_m   DOUBLE PRECISION NOT NULL,
    seconds      DOUBLE PRECISION NOT NULL,
    flagged_at     BIGINT NOT NULL,
    UNIQUE (first_read_id, second_read_id)
);
CREATE INDEX clone_pairs_time ON clone_pairs (first_at);
CREATE INDEX clone_pairs_second ON clone_pairs (second_read_id);

-- How far the clone scan has read (by read id).
CREATE TABLE clone_scan (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    last_read_id BIGINT NOT NULL
);
INSERT INTO clone_scan (id, last_read_id) VALUES (1, 0);

-- Each retention purge with what it deleted (R18).
CREATE TABLE purge_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           BIGINT NOT NULL,
    cutoff       BIGINT NOT NULL,
    reads        BIGINT NOT NULL,
    images       BIGINT NOT NULL,
    day_prefixes BIGINT NOT NULL,
    alerts       BIGINT NOT NULL,
    clone_pairs  BIGINT NOT NULL
);

-- The evidence locker (R19): cases, and the reads preserved into them. An item holds its own
-- copy of the read and its images (under `locker/`), so the purge never consults the locker.
CREATE TABLE locker_cases (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title              TEXT   NOT NULL,
    reason             TEXT   NOT NULL,
    crime_type         TEXT   NOT NULL,
    oic_id             BIGINT NOT NULL REFERENCES users (id),
    oic_supervisor_id  BIGINT NOT NULL REFERENCES users (id),
    created_by         BIGINT NOT NULL REFERENCES users (id),
    created_at         BIGINT NOT NULL
);

CREATE TABLE locker_items (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id        BIGINT NOT NULL REFERENCES locker_cases (id),
    read_id        BIGINT NOT NULL,
    search_id      BIGINT NOT NULL REFERENCES searches (id),
    -- JSON ReadView; NULL once deleted.
    read           TEXT,
    plate_image    TEXT,
    overview_image TEXT,
    preserved_by   BIGINT NOT NULL REFERENCES users (id),
    preserved_at   BIGINT NOT NULL,
    review_due_at  BIGINT NOT NULL,
    unanswered     BIGINT NOT NULL DEFAULT 0,
    escalated_to   BIGINT REFERENCES users (id),
    deleted_at     BIGINT,
    deleted_why    TEXT CHECK (deleted_why IN ('not_needed', 'unanswered')),
    UNIQUE (case_id, read_id)
);
CREATE INDEX locker_items_due ON locker_items (deleted_at, review_due_at);
CREATE INDEX locker_items_case ON locker_items (case_id);

CREATE TABLE locker_reviews (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     BIGINT NOT NULL REFERENCES locker_items (id),
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL,
    asked       BIGINT NOT NULL REFERENCES users (id),
    answer      TEXT   NOT NULL CHECK (answer IN ('still_needed', 'not_needed', 'no_answer')),
    note        TEXT   NOT NULL
);
CREATE INDEX locker_reviews_item ON locker_reviews (item_id, id);

-- Every export of search results, a disclosure with its recipient (R14, R20, R21).
CREATE TABLE exports (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    search_id  BIGINT NOT NULL REFERENCES searches (id),
    format     TEXT   NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf')),
    recipient  TEXT   NOT NULL,
    transfer   BIGINT NOT NULL CHECK (transfer IN (0, 1)),
    row_count  BIGINT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX exports_at ON exports (at);

-- Evidential statements: asked for separately, approved by a supervisor (R14).
CREATE TABLE statements (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    search_id    BIGINT NOT NULL REFERENCES searches (id),
    requester_id BIGINT NOT NULL REFERENCES users (id),
    read_ids     TEXT   NOT NULL, -- JSON list
    reason       TEXT   NOT NULL,
    requested_at BIGINT NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   BIGINT REFERENCES users (id),
    decided_at   BIGINT,
    rationale    TEXT
);
CREATE INDEX statements_status ON statements (status, requested_at);
