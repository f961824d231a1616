package inbox

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// QueueApply is the River queue of apply jobs.
const QueueApply = "inbox_apply"

// applyMaxAttempts bounds retries of an activity whose application failed for a reason that may
// pass (its origin did not answer a fetch, the database was restarting): River's backoff
// (attempt^4 seconds) spreads 6 attempts over about a quarter of an hour. Reasons that will not
// pass (forbidden, malformed, gone) are recorded as the outcome at once, without retrying.
const applyMaxAttempts = 6

// ApplyArgs is the job that applies one recorded activity. It is inserted in the transaction that
// records the activity, and only when the activity is new, so each activity has one.
type ApplyArgs struct {
	InboundID int64 `json:"inbound_id"`
}

// Kind implements river.JobArgs.
func (ApplyArgs) Kind() string { return "inbox_apply" }

// InsertOpts implements river.JobArgsWithInsertOpts: the inbox's own queue.
func (ApplyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueApply, MaxAttempts: applyMaxAttempts}
}

// ApplyBatchArgs is the job that applies the activities one group commit recorded (recorder.go),
// in arrival order per actor (batch.go). It is inserted in the group's transaction when more than
// one of them is new; a single one gets an ApplyArgs job.
type ApplyBatchArgs struct {
	InboundIDs []int64 `json:"inbound_ids"`
}

// Kind implements river.JobArgs.
func (ApplyBatchArgs) Kind() string { return "inbox_apply_batch" }

// InsertOpts implements river.JobArgsWithInsertOpts: the inbox's own queue. A batch job fails
// only when the database does (an activity that fails alone gets its own ApplyArgs job), and a
// re-run skips what was applied.
func (ApplyBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueApply, MaxAttempts: applyMaxAttempts}
}

// PruneArgs is the daily job that deletes applied activities older than the retention.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return "inbox_prune" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueApply, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	ib *Inbox
}

// Work deletes in batches, so one run never holds a long transaction.
func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	before := w.ib.now().Add(-w.ib.o.Retention)
	for {
		n, err := w.ib.forum.PruneInbound(ctx, before, 5000)
		if err != nil {
			return err
		}
		if n < 5000 {
			return nil
		}
	}
}
