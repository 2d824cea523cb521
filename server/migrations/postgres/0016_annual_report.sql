-- What the annual report needs that was not kept (R23): what each request was worth, the
-- breach and subject access registers, and the cameras' hourly reads and outages.

-- A request's outcome closes it (usefulness): nothing runs under it from then on.
ALTER TABLE requests ADD COLUMN outcome TEXT CHECK (outcome IN ('suspect_identified', 'vehicle_located',
    'eliminated', 'evidence_for_charge', 'intelligence_only', 'no_value'));
ALTER TABLE requests ADD COLUMN outcome_note TEXT;
ALTER TABLE requests ADD COLUMN closed_at BIGINT;
ALTER TABLE requests ADD COLUMN closed_by BIGINT REFERENCES users (id);

-- The registers auditors keep: breaches, and subject access requests (with the answer given
-- and, where a plate was named, what the system found for it).
CREATE TABLE register_entries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    register    TEXT   NOT NULL CHECK (register IN ('breach', 'subject_access')),
    reference   TEXT   UNIQUE,
    happened_on TEXT   NOT NULL, -- the day it happened or was asked (YYYY-MM-DD)
    what        TEXT   NOT NULL,
    plate       TEXT,
    found       TEXT,
    disclosed   TEXT,
    answer      TEXT CHECK (answer IN ('disclosed', 'nothing_held', 'national_security', 'not_specific')),
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL,
    searched_at BIGINT,
    reads_found BIGINT,
    closed_by   BIGINT REFERENCES users (id),
    closed_at   BIGINT
);
CREATE INDEX register_entries_kind ON register_entries (register, id);

-- Reads per camera per hour (hours since the epoch, UTC), counted from the reads as they are
-- stored: the health charts, the outages' usual rates, the intensity map and the extract for
-- independent analysis. Figures only, kept beyond the reads' retention.
CREATE TABLE camera_hours (
    camera_id BIGINT NOT NULL,
    hour      BIGINT NOT NULL,
    reads     BIGINT NOT NULL,
    last_at   BIGINT NOT NULL,
    PRIMARY KEY (camera_id, hour)
);
CREATE INDEX camera_hours_hour ON camera_hours (hour);

-- How far the counting has read (by read id), and each camera's refusals when last looked at.
CREATE TABLE outage_scan (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    last_read_id BIGINT NOT NULL,
    scanned_at   BIGINT
);
INSERT INTO outage_scan (id, last_read_id) VALUES (1, 0);
CREATE TABLE outage_refusals (
    camera_id BIGINT PRIMARY KEY,
    refused   BIGINT NOT NULL
);

-- A camera silent for longer than is usual for it at those hours, or refusing reads: the
-- report's technical difficulties.
CREATE TABLE camera_outages (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    camera_id      BIGINT NOT NULL REFERENCES cameras (id),
    kind           TEXT   NOT NULL CHECK (kind IN ('silent', 'refusing')),
    started_at     BIGINT NOT NULL,
    detected_at    BIGINT NOT NULL,
    ended_at       BIGINT,
    expected_reads DOUBLE PRECISION NOT NULL,
    refused_reads  BIGINT NOT NULL
);
CREATE INDEX camera_outages_camera ON camera_outages (camera_id, ended_at);
CREATE INDEX camera_outages_start ON camera_outages (started_at);
