-- Hotlists (R6), their reviews (R9) and the alerts they raise (R7, R8).

CREATE TABLE hotlists (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT   NOT NULL UNIQUE,
    kind          TEXT   NOT NULL CHECK (kind IN ('voi', 'vsh', 'pnc_marker', 'operation')),
    -- Either every holder of a role receives its alerts, or only the listed members (R8).
    audience_role TEXT,
    created_by    TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE hotlist_members (
    hotlist_id BIGINT NOT NULL REFERENCES hotlists (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (hotlist_id, user_id)
);

CREATE TABLE hotlist_entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    hotlist_id       BIGINT NOT NULL REFERENCES hotlists (id),
    vrm              TEXT   NOT NULL,
    intelligence_ref TEXT   NOT NULL,
    reason           TEXT   NOT NULL,
    warning_markers  TEXT   NOT NULL,
    action           TEXT   NOT NULL,
    added_by         TEXT   NOT NULL,
    added_at         BIGINT NOT NULL,
    reviewed_at      BIGINT NOT NULL,
    -- Set when the entry stops matching: removed by an admin, or lapsed unreviewed (R9).
    ended_at         BIGINT,
    ended_how        TEXT CHECK (ended_how IN ('removed', 'lapsed'))
);
CREATE INDEX hotlist_entries_list ON hotlist_entries (hotlist_id, ended_at);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    read_id     BIGINT NOT NULL REFERENCES reads (id),
    entry_id    BIGINT NOT NULL REFERENCES hotlist_entries (id),
    hotlist_id  BIGINT NOT NULL REFERENCES hotlists (id),
    match_kind  TEXT   NOT NULL CHECK (match_kind IN ('exact', 'possible')),
    raised_at   BIGINT NOT NULL,
    -- The recipient's decision on the hit, with the reason (misread, vehicle does not match,
    -- actioned...).
    decision        TEXT CHECK (decision IN ('accepted', 'rejected')),
    decision_reason TEXT,
    decided_by      TEXT,
    decided_at      BIGINT,
    UNIQUE (read_id, entry_id)
);
CREATE INDEX alerts_list ON alerts (hotlist_id, id);
