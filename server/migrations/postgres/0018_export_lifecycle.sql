-- Exported data's lifecycle (R20): every export (a spreadsheet, an evidential statement, a
-- subject access disclosure) has a keeper (the user who made it) and a review date. It falls
-- due at that date, or when the request it was made under closes, whichever comes first; the
-- keeper then says it was deleted, or why it is still needed with a new date. No answer within
-- `exports.answer_days` escalates it to the supervisor who approved the request (recorded here
-- as `escalate_to`; none for a subject access disclosure, which escalates to the audit unit).
--
-- A subject access disclosure is made under no search, so `search_id` may be empty. Every
-- existing row is kept as a spreadsheet or statement under its search's request, due for
-- review 28 days (the default `exports.review_days`) after it was made.
ALTER TABLE exports ALTER COLUMN search_id DROP NOT NULL;
ALTER TABLE exports DROP CONSTRAINT exports_format_check;
ALTER TABLE exports ADD CONSTRAINT exports_format_check CHECK (format IN ('csv', 'xlsx', 'pdf', 'json'));
ALTER TABLE exports ADD COLUMN kind TEXT CHECK (kind IN ('spreadsheet', 'statement', 'disclosure'));
-- The request it was made under (none for a subject access disclosure), and the reference it
-- was made under (the request's, or the subject access entry's).
ALTER TABLE exports ADD COLUMN request_id BIGINT REFERENCES requests (id);
ALTER TABLE exports ADD COLUMN reference TEXT;
ALTER TABLE exports ADD COLUMN review_at BIGINT;
-- Whom it escalates to when the keeper does not answer: the supervisor who approved its
-- request; NULL: the audit unit.
ALTER TABLE exports ADD COLUMN escalate_to BIGINT REFERENCES users (id);
ALTER TABLE exports ADD COLUMN state TEXT NOT NULL DEFAULT 'out' CHECK (state IN ('out', 'deleted'));
-- The last answer: a request that ended before it no longer makes the export due.
ALTER TABLE exports ADD COLUMN answered_at BIGINT;
ALTER TABLE exports ADD COLUMN deleted_at BIGINT;
UPDATE exports e SET kind = CASE WHEN e.format = 'pdf' THEN 'statement' ELSE 'spreadsheet' END,
    request_id = s.request_id, reference = COALESCE(q.reference, ''), review_at = e.at + 2419200000,
    escalate_to = q.decided_by
FROM searches s JOIN requests q ON q.id = s.request_id WHERE s.id = e.search_id;
ALTER TABLE exports ALTER COLUMN kind SET NOT NULL;
ALTER TABLE exports ALTER COLUMN reference SET NOT NULL;
ALTER TABLE exports ALTER COLUMN review_at SET NOT NULL;
CREATE INDEX exports_out ON exports (state, review_at);
CREATE INDEX exports_keeper ON exports (user_id, state);

-- Every answer about an export (R20, R21): deleted, or still needed with a new review date,
-- by the keeper or, once escalated, by whom it escalated to.
CREATE TABLE export_reviews (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
