-- No side doors (R6–R10, R12, R21).

-- A partial plate matches only once an inspector has approved it with a rationale, and lapses
-- within days; an entry that matches too many vehicles is suspended and flagged to auditors.
ALTER TABLE hotlist_entries ADD COLUMN is_pattern BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hotlist_entries ADD COLUMN approved_at BIGINT;
ALTER TABLE hotlist_entries ADD COLUMN approved_by TEXT;
ALTER TABLE hotlist_entries ADD COLUMN approval_rationale TEXT;
ALTER TABLE hotlist_entries ADD COLUMN lapses_at BIGINT;
ALTER TABLE hotlist_entries ADD COLUMN suspended_at BIGINT;
ALTER TABLE hotlist_entries ADD COLUMN suspended_why TEXT;
-- Partial plates already held wait for an inspector like new ones, and lapse a week after
-- they were added.
UPDATE hotlist_entries SET is_pattern = 1, lapses_at = added_at + 604800000
 WHERE vrm LIKE '%?%' OR vrm LIKE '%*%';

-- The plate an alert was raised on, so an entry's distinct plates a day are counted without
-- reaching into every day's reads.
ALTER TABLE alerts ADD COLUMN plate TEXT;
CREATE INDEX alerts_entry_time ON alerts (entry_id, raised_at);

-- A supervisor may revoke an approval, with a rationale: its searches and watches stop.
ALTER TABLE requests ADD COLUMN revoked_at BIGINT;
ALTER TABLE requests ADD COLUMN revoked_by BIGINT REFERENCES users (id);
ALTER TABLE requests ADD COLUMN revoke_rationale TEXT;

-- Changes to a user's authority that need a second system admin (separation of duties).
CREATE TABLE user_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    change      TEXT   NOT NULL, -- JSON: the UserUpdate asked for
    proposed_by BIGINT NOT NULL REFERENCES users (id),
    proposed_at BIGINT NOT NULL,
    decided_by  BIGINT REFERENCES users (id),
    decided_at  BIGINT,
    outcome     TEXT CHECK (outcome IN ('approved', 'rejected'))
);
CREATE INDEX user_changes_open ON user_changes (decided_at, id);
