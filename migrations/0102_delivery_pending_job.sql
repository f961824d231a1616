-- A batch job reads its own pending deliveries (forum.PendingBatchItems), and cancelling jobs
-- marks theirs (forum.CancelDeliveries); both find rows by job_id. Without an index on it the
-- batch's query walked every delivery of its activity through the primary key (activity_id
-- first), so a fan-out of n deliveries in batches of 32 read about n*n/32 rows: 3 million for
-- 10,000 followers. Only pending rows are indexed: finished ones are never looked up by job.
CREATE INDEX deliveries_pending_job ON deliveries (job_id) WHERE state = 'pending';
