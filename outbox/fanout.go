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
// fan-out again, and since delivery jobs are unique per (activity, document, inbox) the re-run adds
// only what is missing; after it, everything is there exactly once.
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
	params, rows := ob.deliveries(ctx, a, docs)
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	// Deliveries are committed in chunks, so the first ones go out while the rest of a large
	// fan-out is still being inserted; the last chunk commits with the job's completion. A crash
	// between chunks re-runs the fan-out, and the jobs' uniqueness (activity, document, inbox)
	// makes the re-run insert only what is missing.
	for start := 0; ; start += fanOutChunk {
		end := min(start+fanOutChunk, len(params))
		last := end == len(params)
		err := pgx.BeginFunc(ctx, ob.forum.DB(), func(tx pgx.Tx) error {
			if end > start {
				res, err := client.InsertManyTx(ctx, tx, params[start:end])
				if err != nil {
					return fmt.Errorf("insert %d deliveries of activity %d: %w", end-start, a.ID, err)
				}
				for i, r := range res {
					rows[start+i].JobID = r.Job.ID
				}
				if err := ob.forum.InsertDeliveriesTx(ctx, tx, rows[start:end]); err != nil {
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
}

// fanOutChunk is how many deliveries one fan-out transaction inserts.
const fanOutChunk = 250

// deliveries flattens planned documents into delivery jobs, skipping unavailable and blocked
// domains.
func (ob *Outbox) deliveries(ctx context.Context, a forum.Activity, docs []*plannedDoc) ([]river.InsertManyParams, []forum.DeliveryRow) {
	var params []river.InsertManyParams
	var rows []forum.DeliveryRow
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
			args := DeliverArgs{ActivityID: a.ID, Document: d.name, Inbox: inbox, Domain: r.Domain, Signer: d.signer.ID,
				Sync: d.sync[r.Domain]}
			params = append(params, river.InsertManyParams{Args: args, InsertOpts: args.insertOpts()})
			rows = append(rows, forum.DeliveryRow{ActivityID: a.ID, Document: d.name, Inbox: inbox, Domain: r.Domain})
		}
	}
	return params, rows
}
