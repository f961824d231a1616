package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stoa-forum/stoa/forum"
)

// batchWorker makes the first attempts of a batch's deliveries: each inbox's documents in order,
// the inboxes side by side (a host that never answers holds up only its own), each attempt exactly
// as a delivery job makes it (deliver). A delivery to try again later becomes a delivery job of
// its own, inserted in the transaction that completes the batch; one that is done (delivered,
// given up, cancelled) is recorded in its row. A crash mid-batch re-runs it, and the re-run sends
// only what its rows say is still pending: at least once, as for delivery jobs.
type batchWorker struct {
	river.WorkerDefaults[DeliverBatchArgs]
	ob *Outbox
}

// Timeout bounds a batch as one delivery: its inboxes are tried side by side.
func (w *batchWorker) Timeout(*river.Job[DeliverBatchArgs]) time.Duration {
	return w.ob.o.RequestTimeout + 10*time.Second
}

// spilled is a batched delivery handed over to a job of its own, due at at.
type spilled struct {
	args DeliverArgs
	at   time.Time
}

// Work implements river.Worker.
func (w *batchWorker) Work(ctx context.Context, job *river.Job[DeliverBatchArgs]) error {
	ob := w.ob
	pending, err := ob.forum.PendingBatchItems(ctx, job.Args.ActivityID, job.ID)
	if err != nil {
		return err
	}
	tried := make(map[[2]string]int, len(pending))
	var inboxes []string
	var groups [][]DeliverArgs
	index := map[string]int{}
	for _, it := range pending {
		tried[[2]string{it.Document, it.Inbox}] = it.Attempts
		i, ok := index[it.Inbox]
		if !ok {
			i = len(groups)
			index[it.Inbox] = i
			inboxes = append(inboxes, it.Inbox)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], DeliverArgs{ActivityID: job.Args.ActivityID, Document: it.Document, Inbox: it.Inbox,
			Domain: it.Domain, Signer: it.SignerID, Sync: it.Sync})
	}
	if len(groups) == 0 {
		return nil // delivered, given up, cancelled or handed over to jobs already
	}
	backlogs, err := ob.forum.DeliveryBacklogs(ctx, inboxes, job.Args.ActivityID)
	if err != nil {
		return err
	}
	spills := make([][]spilled, len(groups))
	var wg sync.WaitGroup
	for i, group := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			backlog := backlogs[inboxes[i]]
			spills[i] = ob.sendGroup(ctx, job.CreatedAt, group, tried, &backlog)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// Shutting down or out of time: the batch runs again later, for what is still pending.
		return err
	}
	return ob.completeBatch(ctx, job, spills)
}

// sendGroup sends one inbox's documents in order and returns those to hand over to jobs: the one
// to try again and, behind it, the documents not yet tried, due a moment after it. That keeps their
// order as a rule, not always: as with delivery jobs, nothing orders the documents of one activity
// once they are jobs of their own (what must come in order, an activity before a later one to the
// same inbox, is kept by the backlog rule).
func (ob *Outbox) sendGroup(ctx context.Context, created time.Time, group []DeliverArgs, tried map[[2]string]int,
	backlog *forum.Backlog) []spilled {
	var out []spilled
	for k, d := range group {
		attempt := tried[[2]string{d.Document, d.Inbox}] + 1
		select {
		case ob.sending <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		err := ob.deliver(ctx, delivery{args: d, created: created, attempt: attempt, backlog: backlog})
		<-ob.sending
		s, again := ob.spillOf(ctx, d, attempt, err)
		if !again {
			continue
		}
		out = append(out, s)
		for i, rest := range group[k+1:] {
			rest.Tried = tried[[2]string{rest.Document, rest.Inbox}]
			out = append(out, spilled{args: rest, at: s.at.Add(time.Duration(i+1) * time.Millisecond)})
		}
		return out
	}
	return out
}

// spillOf reads what deliver answered: nothing more to do (nil, JobCancel), or a job to hand the
// delivery to and when it is due: after the snooze asked for (which, as in River, is not an
// attempt), or by the retry schedule.
func (ob *Outbox) spillOf(ctx context.Context, d DeliverArgs, attempt int, err error) (spilled, bool) {
	var cancel *river.JobCancelError
	var snooze *river.JobSnoozeError
	switch {
	case err == nil, errors.As(err, &cancel), ctx.Err() != nil:
		return spilled{}, false
	case errors.As(err, &snooze):
		d.Tried = attempt - 1
		return spilled{args: d, at: ob.now().Add(snooze.Duration)}, true
	}
	d.Tried = attempt
	return spilled{args: d, at: ob.now().Add(ob.retryIn(attempt))}, true
}

// completeBatch inserts the delivery jobs of the spilled deliveries, hands their rows over to them,
// and completes the batch, in one transaction.
func (ob *Outbox) completeBatch(ctx context.Context, job *river.Job[DeliverBatchArgs], spills [][]spilled) error {
	var params []river.InsertManyParams
	var carried []spilled
	for _, group := range spills {
		for _, s := range group {
			opts := s.args.insertOpts()
			opts.ScheduledAt = s.at
			params = append(params, river.InsertManyParams{Args: s.args, InsertOpts: opts})
			carried = append(carried, s)
		}
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, ob.forum.DB(), func(tx pgx.Tx) error {
		if len(params) > 0 {
			res, err := client.InsertManyTx(ctx, tx, params)
			if err != nil {
				return fmt.Errorf("hand %d deliveries of batch %d over to jobs: %w", len(params), job.ID, err)
			}
			rows := make([]forum.DeliveryRow, len(res))
			for i, r := range res {
				a := carried[i].args
				rows[i] = forum.DeliveryRow{ActivityID: a.ActivityID, Document: a.Document, Inbox: a.Inbox, JobID: r.Job.ID}
			}
			if err := ob.forum.SpillDeliveriesTx(ctx, tx, rows); err != nil {
				return err
			}
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}
