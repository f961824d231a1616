package inbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// The batch apply job: one River job for the activities one group commit recorded, instead of a
// job each. River's job rows were a large part of the database's work per activity (each row
// inserted, rewritten when fetched and again when completed, with its args indexed), and a batch
// shares one row among the group. Each activity is applied as by the single job
// (applyAndFinish), in its own transaction(s), except the replies: those the batch's appliers
// reach at about the same time are stored in one transaction (reply_group.go), which locks their
// threads in order and holds them only for a few multi-row statements.

// handOffDelay is when an activity handed on to a job of its own first runs again: River's first
// backoff (1^4 s), as if its own job had failed once.
const handOffDelay = time.Second

// handOffMargin is the part of the job's timeout kept for handing on what applying had no time
// for (one insert), so the job ends before its timeout and is never rescued and run twice.
const handOffMargin = 5 * time.Second

type applyBatchWorker struct {
	river.WorkerDefaults[ApplyBatchArgs]
	ib *Inbox
}

// Timeout bounds the whole batch, as JobTimeout bounds one activity's job: the cmd/stoa wiring
// keeps it below River's rescue delay.
func (w *applyBatchWorker) Timeout(*river.Job[ApplyBatchArgs]) time.Duration {
	return w.ib.o.JobTimeout
}

// Work applies the batch's activities that are not applied yet (a re-run after a crash skips the
// others). One actor's activities run in arrival order, so a Create, its Update and its Delete
// apply in that order; different actors' run side by side, BatchParallel at a time (more with
// replies grouped, reply_group.go), so one slow fetch does not hold up the rest. An activity
// whose failure may pass is handed on to an ApplyArgs job of its own, which River retries with
// backoff; final outcomes are recorded as by the single job. Work fails only when a hand-on could
// not be queued (the database), never for one activity's sake.
func (w *applyBatchWorker) Work(ctx context.Context, job *river.Job[ApplyBatchArgs]) error {
	ib := w.ib
	// Idempotent applying, completed by River with a synchronous commit (worker.go says why).
	ctx = forum.WithDeferredCommit(ctx)
	recs, signers, err := ib.forum.InboundGroupToApply(ctx, job.Args.InboundIDs)
	if err != nil {
		return err
	}
	var actors []string
	byActor := map[string][]forum.InboundActivity{}
	for _, rec := range recs {
		if rec.AppliedAt != nil {
			continue // applied by an earlier run of this job, or by a job of its own
		}
		if _, ok := byActor[rec.ActorAPID]; !ok {
			actors = append(actors, rec.ActorAPID)
		}
		byActor[rec.ActorAPID] = append(byActor[rec.ActorAPID], rec)
	}
	applyCtx, cancel := context.WithTimeout(ctx, max(ib.o.JobTimeout-handOffMargin, ib.o.JobTimeout/2))
	defer cancel()
	// slots bound the appliers doing their own database work; with replies grouped, more
	// appliers run, and those waiting for their group hold no slot (reply_group.go).
	slots := make(chan struct{}, ib.o.BatchParallel)
	appliers := make(chan struct{}, ib.o.BatchParallel)
	var g *replyGrouper
	if ib.o.ReplyGroup > 1 {
		g = newReplyGrouper(applyCtx, ib, ib.o.ReplyGroup, slots)
		applyCtx = withGrouper(applyCtx, g)
		appliers = make(chan struct{}, max(ib.o.BatchParallel, ib.o.ReplyGroup))
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	// While this loop starts appliers it counts as one: a group does not close before the
	// appliers it can start have reached it. Waiting for an applier to end, it does not.
	g.enter()
	for _, actor := range actors {
		select {
		case appliers <- struct{}{}:
		default:
			g.leave()
			appliers <- struct{}{}
			g.enter()
		}
		g.enter()
		wg.Add(1)
		go func(list []forum.InboundActivity) {
			defer func() {
				g.leave()
				<-appliers
				wg.Done()
			}()
			if err := w.applyActor(ctx, applyCtx, list, signers, slots); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(byActor[actor])
	}
	g.leave()
	wg.Wait()
	return errors.Join(errs...)
}

// applyActor applies one actor's activities of the batch in order. When one fails for a reason
// that may pass (or the batch ran out of time), it and the actor's later ones are handed on to
// jobs of their own, so that none of the later ones overtakes it here (an Update must not run
// before the Create that failed). The error is the database's, when the hand-on failed.
func (w *applyBatchWorker) applyActor(ctx, applyCtx context.Context, list []forum.InboundActivity, signers map[int64]*forum.Actor,
	slots chan struct{}) error {
	for i, rec := range list {
		if err := applyCtx.Err(); err != nil {
			return w.handOn(ctx, list[i:], fmt.Errorf("the batch ran out of time: %w", err))
		}
		if w.ib.o.GiveWay != nil && w.ib.o.GiveWay.Yield(applyCtx) {
			w.ib.metrics.gaveWay.Inc()
		}
		var signer *forum.Actor
		if rec.ActorID != nil {
			signer = signers[*rec.ActorID]
		}
		slots <- struct{}{}
		err := w.ib.applyAndFinish(applyCtx, rec, signer, false)
		<-slots
		if err != nil {
			return w.handOn(ctx, list[i:], err)
		}
	}
	return nil
}

// handOn queues an ApplyArgs job for each activity of list, the first of which failed with why,
// scheduled after River's first backoff and in their order. The jobs are unique by args, so a
// batch re-run that hands on the same activity again adds nothing; a duplicate that ran anyway
// would find the activity applied. Each has one attempt fewer than a single job, the batch's
// having been the first.
func (w *applyBatchWorker) handOn(ctx context.Context, list []forum.InboundActivity, why error) error {
	client := w.ib.client.Load()
	if client == nil {
		return errNoQueue
	}
	at := time.Now().Add(handOffDelay) // River's clock, not the inbox's (tests may set that)
	params := make([]river.InsertManyParams, len(list))
	for i, rec := range list {
		params[i] = river.InsertManyParams{Args: ApplyArgs{InboundID: rec.ID}, InsertOpts: &river.InsertOpts{
			ScheduledAt: at.Add(time.Duration(i) * time.Millisecond), MaxAttempts: applyMaxAttempts - 1,
			UniqueOpts: river.UniqueOpts{ByArgs: true}}}
		reason := "will retry in a job of its own"
		if i > 0 {
			reason = "handed on behind the actor's earlier activity"
		}
		w.ib.log.InfoContext(ctx, "inbox: "+reason, "inbound", rec.ID, "activity", rec.APID, "type", rec.Type,
			"actor", rec.ActorAPID, "err", why)
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("hand on %d inbound activities after %v: %w", len(list), why, err)
	}
	return nil
}
