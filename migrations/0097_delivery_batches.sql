-- Large fan-outs send their first attempts in batches: one River job carries up to a few dozen
-- deliveries of one activity (outbox/batch.go), so a thousand followers cost some thirty job rows
-- instead of a thousand. A batched delivery's job_id names its batch job, which must never be
-- cancelled or retried for one delivery's sake (it carries others): cancelling such a delivery
-- marks its row, which the batch skips; a batched delivery that must be tried again becomes a
-- delivery job of its own (batched false, job_id its job).
ALTER TABLE deliveries ADD COLUMN batched boolean NOT NULL DEFAULT false;
