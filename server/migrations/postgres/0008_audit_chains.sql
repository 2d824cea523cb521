-- The audit log as several chains (R21): one per stream of acts and server, each with its own
-- head, so no one lock holds up every act of every server. Every row keeps its place in the
-- whole log (`seq`, now drawn from a sequence, which takes no lock) and in its chain
-- (`chain`, `chain_seq`, `prev_hash`). The rows written before are the chain `main`.
ALTER TABLE audit_log ADD COLUMN chain TEXT NOT NULL DEFAULT 'main';
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
UPDATE audit_log SET chain_seq = seq;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;
ALTER TABLE audit_log ALTER COLUMN chain_seq SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN chain DROP DEFAULT;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain, chain_seq);

CREATE SEQUENCE audit_log_seq OWNED BY audit_log.seq;
SELECT setval('audit_log_seq', COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq');

-- Each chain's head: its last position and hash, and that row's place in the whole log.
-- Appending to a chain moves its head first, which serialises appends to that chain only.
CREATE TABLE audit_chains (
    chain    TEXT   PRIMARY KEY,
    seq      BIGINT NOT NULL,
    hash     TEXT   NOT NULL,
    last_row BIGINT NOT NULL
);
INSERT INTO audit_chains (chain, seq, hash, last_row)
SELECT 'main', seq, hash, seq FROM audit_head WHERE seq > 0;
DROP TABLE audit_head;
