-- The days on which each plate skeleton was read (R5, R16): a vehicle-history or
-- misread-tolerant search looks here first and then reads only those days' partitions of
-- `reads`, instead of probing every day of a year. A plate's skeleton stands for the plate
-- itself (equal plates have equal skeletons), and a corrected read adds its corrected
-- skeleton's day, so the days found are never fewer than the days with a match.
--
-- `day` counts UTC days from 1970-01-01, as `captured_at / 86400000`. Rows of days past
-- retention go with the purge that drops those days' reads (R18).
--
-- On a distributed PostgreSQL (Citus) this table is distributed by `skeleton`, on its own.
CREATE TABLE read_skeleton_days (
    skeleton TEXT NOT NULL,
    day BIGINT NOT NULL,
    PRIMARY KEY (skeleton, day)
);
CREATE INDEX read_skeleton_days_day ON read_skeleton_days (day);

INSERT INTO read_skeleton_days (skeleton, day)
SELECT DISTINCT skeleton, captured_at / 86400000 FROM (
    SELECT plate_skeleton AS skeleton, captured_at FROM reads
    UNION ALL
    SELECT corrected_skeleton, captured_at FROM reads WHERE corrected_skeleton IS NOT NULL
) seen;

-- A read's feed and camera are checked by ingest, which takes only approved cameras of the
-- sending feed, and neither feeds nor cameras are ever deleted (they are suspended or
-- disabled): the foreign keys from `reads` cost a locking lookup per read for nothing
-- (measured: a tenth of the database's time under batch ingest).
ALTER TABLE reads DROP CONSTRAINT reads_feed, DROP CONSTRAINT reads_camera;
