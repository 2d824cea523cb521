-- Reads kept by capture day (R18): `reads` becomes a table partitioned by `captured_at` (UTC
-- milliseconds), one partition a day named `reads_YYYYMMDD`, so that a day past retention goes
-- by dropping its partition instead of row by row. The server creates partitions a week ahead
-- and on demand for a backlog (reads::days). A database that already holds reads is moved in
-- place: a partition for every day it holds, every row copied once, in this migration's
-- transaction.
--
-- Compatible with a distributed PostgreSQL (Citus, distribution column `plate`; see the
-- README): nothing refers to `reads` by foreign key (alerts and clone pairs name a read by id,
-- and the purge removes them with it), and every unique key holds `plate` and `captured_at`.

-- Foreign keys that point at reads (alerts, clone pairs).
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
             WHERE contype = 'f' AND confrelid = 'reads'::regclass LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
    END LOOP;
END $$;

ALTER TABLE reads RENAME TO reads_undivided;
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'reads_undivided'::regclass AND contype IN ('p', 'u') LOOP
        EXECUTE format('ALTER TABLE reads_undivided DROP CONSTRAINT %I', c.conname);
    END LOOP;
END $$;
DROP INDEX reads_plate_time, reads_time, reads_skeleton_time, reads_corrected, reads_corrected_skeleton, reads_source;

CREATE SEQUENCE read_ids AS BIGINT;
SELECT setval('read_ids', COALESCE((SELECT MAX(id) FROM reads_undivided), 0) + 1, false);

CREATE TABLE reads (LIKE reads_undivided INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (captured_at);
ALTER TABLE reads ALTER COLUMN id SET DEFAULT nextval('read_ids');
ALTER SEQUENCE read_ids OWNED BY reads.id;
ALTER TABLE reads ADD CONSTRAINT reads_feed FOREIGN KEY (feed_id) REFERENCES feeds (id);
ALTER TABLE reads ADD CONSTRAINT reads_camera FOREIGN KEY (camera_id) REFERENCES cameras (id);
ALTER TABLE reads ADD PRIMARY KEY (id, captured_at, plate);
-- A retried batch must not store a read twice (camera first: see 0002).
ALTER TABLE reads ADD CONSTRAINT reads_once UNIQUE (camera_id, captured_at, plate, feed_id);
CREATE INDEX reads_plate_time ON reads (plate, captured_at);
-- No index on the capture time alone: each partition is one day, so a time range is a choice of
-- partitions, and such an index only tempts the planner into scanning a year of them in time
-- order for a plate search (measured: 210 ms a search against 8 ms without it, 366 days).
CREATE INDEX reads_skeleton_time ON reads (plate_skeleton, captured_at);
CREATE INDEX reads_corrected ON reads (corrected_plate) WHERE corrected_plate IS NOT NULL;
CREATE INDEX reads_corrected_skeleton ON reads (corrected_skeleton) WHERE corrected_skeleton IS NOT NULL;
CREATE INDEX reads_source ON reads (feed_id, source_key) WHERE source_key IS NOT NULL;

DO $$
DECLARE day date;
BEGIN
    FOR day IN SELECT DISTINCT (to_timestamp(captured_at / 1000.0) AT TIME ZONE 'UTC')::date FROM reads_undivided LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF reads FOR VALUES FROM (%s) TO (%s)',
                       'reads_' || to_char(day, 'YYYYMMDD'),
                       (extract(epoch FROM day::timestamp) * 1000)::bigint,
                       (extract(epoch FROM (day + 1)::timestamp) * 1000)::bigint);
    END LOOP;
END $$;
INSERT INTO reads SELECT * FROM reads_undivided;
DROP TABLE reads_undivided;
