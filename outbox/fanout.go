package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// fanOutWorker turns a recorded activity into its delivery jobs. The documents are built and
// stored once (first bytes win, so a re-run sends what the first run would have), the recipients
// decided (plan.go), and the delivery jobs inserted with their bookkeeping, the last of them in the
// transaction that completes this job (river.JobCompleteTx): a crash before that commit runs the
// fan-out again, and the re-run queues only the deliveries that have no row yet (delivery jobs are
// also unique per (activity, document, inbox)); after it, everything is there exactly once. Large
// fan-outs queue batch jobs (batch.go) instead of one job per delivery.
type fanOutWorker struct {
	river.WorkerDefaults[FanOutArgs]
	ob *Outbox
}

// Timeout bounds a fan-out: mention lookups and one bulk insert.
func (w *fanOutWorker) Timeout(*river.Job[FanOutArgs]) time.Duration { return w.ob.o.FanOutTimeout }

// mentionFetchBudget bounds the fetches (WebFinger and actor documents) one publication may make
// to resolve the remote actors it mentions.
const mentionFetchBudget = 20

// Work implements river.Worker.
func (w *fanOutWorker) Work(ctx context.Context, job *river.Job[FanOutArgs]) error {
	ob := w.ob
	a, err := ob.forum.ActivityByID(ctx, job.Args.ActivityID)
	if err != nil {
		return err
	}
	if a.Verb == forum.VerbDelete && a.PostID != nil {
		// The post's Create and Update deliveries still queued will never be sent.
		// Batched ones first, as for a domain block (Outbox.CancelDomain).
		if _, err := ob.forum.CancelBatchedPostDeliveries(ctx, *a.PostID); err != nil {
			return err
		}
		if _, err := ob.cancelJobs(ctx, func(ctx context.Context) ([]int64, error) {
			return ob.forum.PendingPostDeliveryJobs(ctx, *a.PostID)
		}); err != nil {
			return err
		}
		ob.live.forget(*a.PostID)
	}
	docs, err := ob.plan(federation.WithFetchBudget(ctx, mentionFetchBudget), a)
	if errors.Is(err, forum.ErrNotFound) || errors.Is(err, forum.ErrGone) {
		// About something no longer public (hidden, deleted, in a category made private): nothing
		// federates. Completing the job is the answer.
		ob.log.DebugContext(ctx, "activity not federated", "activity", a.ID, "verb", a.Verb, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("plan activity %d: %w", a.ID, err)
	}
	// A fan-out run again (after a crash between its chunks) finds what it queued before in
	// deliveries, and queues only the rest.
	items, err := ob.notYetQueued(ctx, a.ID, ob.deliveries(ctx, a, docs))
	if err != nil {
		return err
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	var chunks []fanOutChunk
	if ob.o.BatchThreshold > 0 && len(items) >= ob.o.BatchThreshold {
		chunks = batchChunks(a.ID, job.Attempt, items)
	} else {
		chunks = singleChunks(items)
	}
	// Deliveries are committed in chunks, so the first ones go out while the rest of a large
	// fan-out is still being inserted; the last chunk commits with the job's completion. A crash
	// between chunks re-runs the fan-out, which queues only the deliveries without a row.
	for i := 0; i == 0 || i < len(chunks); i++ {
		last := i >= len(chunks)-1
		err := pgx.BeginFunc(ctx, ob.forum.DB(), func(tx pgx.Tx) error {
			if i < len(chunks) {
				if err := ob.insertChunk(ctx, client, tx, a.ID, chunks[i]); err != nil {
					return err
				}
			}
			if !last {
				return nil
			}
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		})
		if err != nil || last {
			return err
		}
	}
	return nil
}

// fanOutChunk is what one fan-out transaction inserts: jobs (delivery or batch jobs) and, for
// each job, the deliveries it carries.
type fanOutChunk struct {
	params  []river.InsertManyParams
	carried [][]DeliverArgs
	batched bool
}

// insertChunk inserts a chunk's jobs and their deliveries' bookkeeping.
func (ob *Outbox) insertChunk(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, activityID int64, c fanOutChunk) error {
	res, err := client.InsertManyTx(ctx, tx, c.params)
	if err != nil {
		return fmt.Errorf("insert %d delivery jobs of activity %d: %w", len(c.params), activityID, err)
	}
	var rows []forum.DeliveryRow
	for i, r := range res {
		for k, d := range c.carried[i] {
			row := forum.DeliveryRow{ActivityID: d.ActivityID, Document: d.Document, Inbox: d.Inbox, Domain: d.Domain, JobID: r.Job.ID}
			if c.batched {
				row.Batched, row.SignerID, row.Sync, row.Position = true, d.Signer, d.Sync, k
			}
			rows = append(rows, row)
		}
	}
	return ob.forum.InsertDeliveriesTx(ctx, tx, rows)
}

// singleChunks makes one delivery job per delivery, fanOutDeliveries to a transaction.
func singleChunks(items []DeliverArgs) []fanOutChunk {
	var out []fanOutChunk
	for start := 0; start < len(items); start += fanOutDeliveries {
		var c fanOutChunk
		for _, d := range items[start:min(start+fanOutDeliveries, len(items))] {
			c.params = append(c.params, river.InsertManyParams{Args: d, InsertOpts: d.insertOpts()})
			c.carried = append(c.carried, []DeliverArgs{d})
		}
		out = append(out, c)
	}
	return out
}

// batchChunks packs deliveries into batch jobs of up to BatchSize, an inbox's documents together
// and in order, about fanOutDeliveries of them to a transaction.
func batchChunks(activityID int64, run int, items []DeliverArgs) []fanOutChunk {
	var order []string
	byInbox := map[string][]DeliverArgs{}
	for _, d := range items {
		if _, ok := byInbox[d.Inbox]; !ok {
			order = append(order, d.Inbox)
		}
		byInbox[d.Inbox] = append(byInbox[d.Inbox], d)
	}
	var batches [][]DeliverArgs
	var cur []DeliverArgs
	for _, inbox := range order {
		g := byInbox[inbox]
		if len(cur) > 0 && len(cur)+len(g) > BatchSize {
			batches = append(batches, cur)
			cur = nil
		}
		cur = append(cur, g...)
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	var out []fanOutChunk
	c, n := fanOutChunk{batched: true}, 0
	for part, b := range batches {
		args := DeliverBatchArgs{ActivityID: activityID, Run: run, Part: part}
		c.params = append(c.params, river.InsertManyParams{Args: args})
		c.carried = append(c.carried, b)
		// The first chunk is one batch: it commits, and its inboxes are being sent to, while the
		// fan-out inserts the rest.
		if n += len(b); n >= fanOutDeliveries || len(out) == 0 {
			out, c, n = append(out, c), fanOutChunk{batched: true}, 0
		}
	}
	if len(c.params) > 0 {
		out = append(out, c)
	}
	return out
}

// notYetQueued leaves out the deliveries an earlier run of the fan-out queued.
func (ob *Outbox) notYetQueued(ctx context.Context, activityID int64, items []DeliverArgs) ([]DeliverArgs, error) {
	queued, err := ob.forum.DeliveryKeys(ctx, activityID)
	if err != nil {
		return nil, err
	}
	out := items[:0:0]
	for _, d := range items {
		if !queued[[2]string{d.Document, d.Inbox}] {
			out = append(out, d)
		}
	}
	return out, nil
}

// fanOutDeliveries is about how many deliveries one fan-out transaction inserts.
const fanOutDeliveries = 250

// BatchSize is the most deliveries one batch job carries.
const BatchSize = 32

// deliveries flattens planned documents into deliveries, skipping unavailable and blocked domains.
func (ob *Outbox) deliveries(ctx context.Context, a forum.Activity, docs []*plannedDoc) []DeliverArgs {
	var out []DeliverArgs
	for _, d := range docs {
		for _, inbox := range d.to.order {
			r, ok := d.to.byInbox[inbox]
			if !ok {
				continue
			}
			if r.Unavailable {
				ob.metrics.skipped.WithLabelValues("unavailable").Inc()
				continue
			}
			if ob.blocked(ctx, r.Domain) {
				ob.metrics.skipped.WithLabelValues("blocked").Inc()
				continue
			}
			out = append(out, DeliverArgs{ActivityID: a.ID, Document: d.name, Inbox: inbox, Domain: r.Domain,
				Signer: d.signer.ID, Sync: d.sync[r.Domain]})
		}
	}
	return out
}
