-- Image objects the purge could not delete (R18): the rows are gone whatever the object store
-- says; what it failed to delete is tried again at each run until it goes.
CREATE TABLE image_deletions (
    target     TEXT   PRIMARY KEY, -- an object key, or a day prefix (`is_day` = 1)
    is_day     BIGINT NOT NULL,
    failed_at  BIGINT NOT NULL,
    attempts   BIGINT NOT NULL,
    last_error TEXT   NOT NULL
);
