-- An alert reaches those in its list's audience when it is raised (R8): someone added to an
-- audience, given the investigator role or switched back on later does not see the alerts raised
-- before. A role audience is kept on the alert with the time each role was granted; a members
-- audience is kept as the alert's recipients (a handful of people a list).

ALTER TABLE user_roles ADD COLUMN granted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN active_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hotlist_members ADD COLUMN added_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET active_since = created_at;
ALTER TABLE alerts ADD COLUMN audience_role TEXT;

CREATE TABLE alert_recipients (
    alert_id BIGINT NOT NULL REFERENCES alerts (id),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (alert_id, user_id)
);

-- Alerts already held: their lists' audiences as they stand are the best record there is.
UPDATE alerts SET audience_role = (SELECT h.audience_role FROM hotlists h WHERE h.id = alerts.hotlist_id);
INSERT INTO alert_recipients (alert_id, user_id)
SELECT a.id, m.user_id FROM alerts a JOIN hotlist_members m ON m.hotlist_id = a.hotlist_id;
