-- Feeds, cameras and their governance (R3), reads (R1) and refused payloads.

CREATE TABLE feeds (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL UNIQUE,
    api_key_hash TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    disabled_at  BIGINT
);

CREATE TABLE cameras (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id           BIGINT NOT NULL REFERENCES feeds (id),
    external_id       TEXT   NOT NULL,
    name              TEXT   NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    lon               DOUBLE PRECISION NOT NULL,
    bearing           BIGINT,
    zone              TEXT   NOT NULL,
    status            TEXT   NOT NULL CHECK (status IN ('pending', 'approved', 'suspended')),
    status_changed_by TEXT   NOT NULL,
    status_changed_at BIGINT NOT NULL,
    status_reason     TEXT   NOT NULL,
    refused_reads     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (feed_id, external_id)
);
CREATE INDEX cameras_zone ON cameras (zone);

-- Reads from cameras the feed names but nobody has registered: refused and counted (R3).
CREATE TABLE unknown_cameras (
    feed_id       BIGINT NOT NULL REFERENCES feeds (id),
    external_id   TEXT   NOT NULL,
    refused_reads BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    PRIMARY KEY (feed_id, external_id)
);

CREATE TABLE reads (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id      BIGINT NOT NULL REFERENCES feeds (id),
    camera_id    BIGINT NOT NULL REFERENCES cameras (id),
    plate        TEXT   NOT NULL,
    captured_at  BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    confidence   DOUBLE PRECISION NOT NULL,
    direction    TEXT,
    lane         BIGINT,
    make         TEXT,
    model        TEXT,
    colour       TEXT,
    plate_image    TEXT,
    overview_image TEXT,
    -- A retried batch must not store a read twice. Camera first: each camera's reads arrive in
    -- time order, so inserts land at the end of its range, and the index also serves searches
    -- by camera and time.
    UNIQUE (camera_id, captured_at, plate, feed_id)
);
CREATE INDEX reads_plate_time ON reads (plate, captured_at);
CREATE INDEX reads_time ON reads (captured_at);

CREATE TABLE dead_letters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id     BIGINT REFERENCES feeds (id),
    received_at BIGINT NOT NULL,
    format      TEXT   NOT NULL,
    reason      TEXT   NOT NULL,
    payload     TEXT   NOT NULL
);
CREATE INDEX dead_letters_time ON dead_letters (received_at);
