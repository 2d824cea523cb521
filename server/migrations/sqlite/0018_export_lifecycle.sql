-- Exported data's lifecycle (R20): every export (a spreadsheet, an evidential statement, a
-- subject access disclosure) has a keeper (the user who made it) and a review date. It falls
-- due at that date, or when the request it was made under closes, whichever comes first; the
-- keeper then says it was deleted, or why it is still needed with a new date. No answer within
-- `exports.answer_days` escalates it to the supervisor who approved the request (recorded here
-- as `escalate_to`; none for a subject access disclosure, which escalates to the audit unit).
--
-- A subject access disclosure is made under no search, so `search_id` may be empty. SQLite
-- changes a column's NOT NULL only by making the table again; every existing row is kept,
-- with its id, as a spreadsheet or statement under its search's request, due for review 28
-- days (the default `exports.review_days`) after it was made.
CREATE TABLE exports_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The keeper: who made the export and answers for it.
    user_id     BIGINT NOT NULL REFERENCES users (id),
    search_id   BIGINT REFERENCES searches (id),
    format      TEXT   NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'json')),
    recipient   TEXT   NOT NULL,
    transfer    BIGINT NOT NULL CHECK (transfer IN (0, 1)),
    row_count   BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('spreadsheet', 'statement', 'disclosure')),
    -- The request it was made under (none for a subject access disclosure), and the reference
    -- it was made under (the request's, or the subject access entry's).
    request_id  BIGINT REFERENCES requests (id),
    reference   TEXT   NOT NULL,
    review_at   BIGINT NOT NULL,
    -- Whom it escalates to when the keeper does not answer: the supervisor who approved its
    -- request; NULL: the audit unit.
    escalate_to BIGINT REFERENCES users (id),
    state       TEXT   NOT NULL DEFAULT 'out' CHECK (state IN ('out', 'deleted')),
    -- The last answer: a request that ended before it no longer makes the export due.
    answered_at BIGINT,
    deleted_at  BIGINT
);
INSERT INTO exports_new (id, user_id, search_id, format, recipient, transfer, row_count, at, kind, request_id,
    reference, review_at, escalate_to, state)
SELECT e.id, e.user_id, e.search_id, e.format, e.recipient, e.transfer, e.row_count, e.at,
    CASE WHEN e.format = 'pdf' THEN 'statement' ELSE 'spreadsheet' END, s.request_id, COALESCE(q.reference, ''),
    e.at + 2419200000, q.decided_by, 'out'
FROM exports e JOIN searches s ON s.id = e.search_id JOIN requests q ON q.id = s.request_id;
DROP TABLE exports;
ALTER TABLE exports_new RENAME TO exports;
CREATE INDEX exports_at ON exports (at);
CREATE INDEX exports_out ON exports (state, review_at);
CREATE INDEX exports_keeper ON exports (user_id, state);

-- Every answer about an export (R20, R21): deleted, or still needed with a new review date,
-- by the keeper or, once escalated, by whom it escalated to.
CREATE TABLE export_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    export_id   BIGINT NOT NULL REFERENCES exports (id),
    answered_by BIGINT NOT NULL REFERENCES users (id),
    answered_at BIGINT NOT NULL,
    answer      TEXT   NOT NULL CHECK (answer IN ('deleted', 'still_needed')),
    note        TEXT   NOT NULL,
    -- The new review date of a `still_needed`.
    review_at   BIGINT,
    -- Whether it had escalated when answered (the keeper had not answered in time).
    escalated   BIGINT NOT NULL CHECK (escalated IN (0, 1))
);
CREATE INDEX export_reviews_export ON export_reviews (export_id, id);
