-- Pattern analyses (R10–R13, R21): what each run found, kept with the search row that records
-- it. Convoy and several-places results are sets of reads no single filter describes: the read
-- gate reaches a read under such an analysis only if it is listed here (and the grant still
-- holds). The vehicles each analysis named, by the plate as read, and the cameras it saw them
-- at: their history at those cameras may be searched under the same request.

CREATE TABLE analysis_reads (
    search_id   BIGINT NOT NULL REFERENCES searches (id),
    read_id     BIGINT NOT NULL,
    captured_at BIGINT NOT NULL,
    PRIMARY KEY (search_id, read_id)
);

CREATE TABLE analysis_results (
    search_id BIGINT PRIMARY KEY REFERENCES searches (id),
    result    TEXT   NOT NULL -- JSON AnalysisResult
);

CREATE TABLE analysis_plates (
    search_id BIGINT NOT NULL REFERENCES searches (id),
    plate     TEXT   NOT NULL,
    camera_id BIGINT NOT NULL,
    PRIMARY KEY (search_id, plate, camera_id)
);
CREATE INDEX analysis_plates_plate ON analysis_plates (plate);

-- One capability per analysis, which a user may be barred from like any search (R13).
ALTER TABLE user_denied_capabilities DROP CONSTRAINT user_denied_capabilities_capability_check;
ALTER TABLE user_denied_capabilities ADD CONSTRAINT user_denied_capabilities_capability_check CHECK (capability IN
    ('plate_exact', 'plate_partial', 'plate_misread', 'area', 'convoy', 'places', 'description', 'pattern'));
