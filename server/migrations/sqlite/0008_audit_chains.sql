-- The audit log as several chains (R21): one per stream of acts and server, each with its own
-- head. Every row keeps its place in the whole log (`seq`) and in its chain (`chain`,
-- `chain_seq`, `prev_hash`). The rows written before are the chain `main`.
ALTER TABLE audit_log ADD COLUMN chain TEXT NOT NULL DEFAULT 'main';
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET chain_seq = seq;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain, chain_seq);

-- Each chain's head: its last position and hash, and that row's place in the whole log.
CREATE TABLE audit_chains (
    chain    TEXT   PRIMARY KEY,
    seq      BIGINT NOT NULL,
    hash     TEXT   NOT NULL,
    last_row BIGINT NOT NULL
);
INSERT INTO audit_chains (chain, seq, hash, last_row)
SELECT 'main', seq, hash, seq FROM audit_head WHERE seq > 0;
DROP TABLE audit_head;
