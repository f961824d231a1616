-- Large fan-outs send their first attempts in batches: one River job carries up to a few dozen
-- deliveries of one activity (outbox/batch.go), so a thousand followers cost some thirty job rows
-- instead of a thousand. The batch's deliveries are its rows here, not its job's arguments (River
-- indexes every job's arguments with GIN, and rewrites a job row at each change of state): a
-- batched row names its batch job in job_id, the signing actor, the FEP-8fcf digest that travels
-- with it, and its place in the batch (an inbox's documents go in order).
--
-- A batch job is never cancelled or retried for one delivery's sake (it carries others):
-- cancelling a batched delivery marks its row, which the batch skips; one that must be tried again
-- becomes a delivery job of its own (batched false, job_id its job).
ALTER TABLE deliveries
    ADD COLUMN batched   boolean NOT NULL DEFAULT false,
    ADD COLUMN signer_id bigint,
    ADD COLUMN sync      text NOT NULL DEFAULT '',
    ADD COLUMN position  integer NOT NULL DEFAULT 0;
