package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyWorker applies one recorded activity. Each activity type has its own file (apply_*.go) that
// checks its own authority; this file loads the activity, runs its applier within a fetch budget,
// and records the outcome.
type applyWorker struct {
	river.WorkerDefaults[ApplyArgs]
	ib *Inbox
}

// Timeout bounds one application, the fetches it makes included.
func (w *applyWorker) Timeout(*river.Job[ApplyArgs]) time.Duration { return w.ib.o.JobTimeout }

// Work applies the activity. A reason that will not pass (forbidden, malformed, about something
// deleted or unknown) is recorded as the activity's outcome and the job completes; a failure that
// may pass (a fetch that timed out, the database) is returned so River retries, and recorded as the
// outcome on the last attempt. A re-run of an activity whose effects were kept finds them there
// (every applier checks before it writes) and changes nothing.
func (w *applyWorker) Work(ctx context.Context, job *river.Job[ApplyArgs]) error {
	ib := w.ib
	// Applying is idempotent and River completes the job afterwards with a synchronous commit,
	// so the job's own transactions need not wait for the WAL flush (forum/commit_mode.go).
	ctx = forum.WithDeferredCommit(ctx)
	rec, signer, err := ib.forum.InboundToApply(ctx, job.Args.InboundID)
	if errors.Is(err, forum.ErrNotFound) {
		return nil // pruned: nothing left to apply
	}
	if err != nil {
		return err
	}
	if rec.AppliedAt != nil {
		return nil // a re-run after the activity was applied (River is at least once)
	}
	err = ib.applyAndFinish(ctx, rec, signer, job.Attempt >= job.MaxAttempts)
	if err != nil {
		ib.log.InfoContext(ctx, "inbox: will retry", "inbound", rec.ID, "activity", rec.APID, "type", rec.Type,
			"actor", rec.ActorAPID, "attempt", job.Attempt, "err", err)
	}
	return err
}

// applyAndFinish applies a loaded activity, counts and logs what came of it, and records its
// outcome when it is final (or, on the last try, the failure). It returns the error worth
// retrying: the applier's when it may pass, or the database's when the outcome could not be
// recorded; nil when the activity is done. Shared by the single and the batch apply jobs.
func (ib *Inbox) applyAndFinish(ctx context.Context, rec forum.InboundActivity, signer *forum.Actor, lastTry bool) error {
	finished, err := ib.applyRecorded(ctx, rec, signer)
	outcome, final := classify(err)
	log := ib.log.With("inbound", rec.ID, "activity", rec.APID, "type", rec.Type, "actor", rec.ActorAPID)
	switch {
	case err == nil:
		ib.metrics.apply(rec.Type, "applied")
		log.DebugContext(ctx, "inbox: applied")
	case final:
		ib.metrics.apply(rec.Type, "ignored")
		log.InfoContext(ctx, "inbox: not applied", "why", outcome)
	case lastTry:
		ib.metrics.apply(rec.Type, "failed")
		log.WarnContext(ctx, "inbox: giving up", "err", err)
		outcome = "failed: " + outcome
	default:
		ib.metrics.apply(rec.Type, "retry")
		return err
	}
	if finished {
		return nil // marked applied in the transaction that applied it
	}
	return ib.forum.FinishInbound(ctx, rec.ID, outcome)
}

// applyRecorded decodes a recorded activity and runs its applier as its verified actor (signer,
// when the caller loaded it with the activity). finished reports that the applier's own
// transaction marked the activity applied (apply.finished).
func (ib *Inbox) applyRecorded(ctx context.Context, rec forum.InboundActivity, signer *forum.Actor) (finished bool, err error) {
	act, err := federation.DecodeActivity(rec.Payload)
	if err != nil {
		return false, err
	}
	var actor forum.Actor
	switch {
	case signer != nil:
		actor = *signer
	case rec.ActorID != nil:
		actor, err = ib.forum.ActorByID(ctx, *rec.ActorID)
	default:
		actor, err = ib.forum.ActorByAPID(ctx, rec.ActorAPID)
	}
	if err != nil {
		return false, err
	}
	if actor.APID != act.Actor {
		return false, fmt.Errorf("recorded actor %s is not the activity's %s: %w", actor.APID, act.Actor, forum.ErrForbidden)
	}
	if ib.blockedActor(ctx, actor) {
		// Blocked since it was received: what it asks for (an Accept, a post, a relay) would
		// reach a server Stoa no longer talks to.
		return false, ignore("%s is blocked", actor.Domain)
	}
	ctx = federation.WithFetchBudget(ctx, federation.DefaultFetchBudget)
	a := &apply{ib: ib, rec: rec, act: act, actor: actor, trusted: origin(act.Actor)}
	err = a.run(ctx)
	return err == nil && a.finished, err
}

// blockedActor asks the domain policy about an actor's host, as it stands now.
func (ib *Inbox) blockedActor(ctx context.Context, a forum.Actor) bool {
	host, err := federation.HostOf(a.APID)
	return err != nil || ib.policy.Blocked(ctx, host)
}

// classify turns an applier's error into the recorded outcome, and says whether it is final (no
// retry can change it) or worth retrying.
func classify(err error) (outcome string, final bool) {
	if err == nil {
		return "", true
	}
	var s *skipped
	if errors.As(err, &s) {
		return s.reason, true
	}
	var ve *forum.ValidationError
	var se *federation.StatusError
	switch {
	case errors.As(err, &ve),
		errors.Is(err, federation.ErrMalformed), errors.Is(err, federation.ErrUnsupportedObject),
		errors.Is(err, forum.ErrForbidden), errors.Is(err, forum.ErrNotFound), errors.Is(err, forum.ErrGone),
		errors.Is(err, forum.ErrConflict), errors.Is(err, forum.ErrLocked), errors.Is(err, forum.ErrUnauthorized),
		errors.Is(err, federation.ErrIDMismatch), errors.Is(err, federation.ErrNotActivityStreams),
		errors.Is(err, federation.ErrTooLarge), errors.Is(err, federation.ErrLocalIRI),
		errors.Is(err, federation.ErrUnsafeURL), errors.Is(err, federation.ErrBlockedDomain),
		errors.Is(err, federation.ErrFetchBudget):
		return err.Error(), true
	case errors.As(err, &se):
		// A 4xx other than a timeout or a rate limit will be the same answer next time.
		return err.Error(), se.Code >= 400 && se.Code < 500 && se.Code != http.StatusRequestTimeout &&
			se.Code != http.StatusTooManyRequests
	}
	return err.Error(), false
}

// skipped is an activity that was understood and deliberately not applied: its reason is the
// recorded outcome.
type skipped struct{ reason string }

func (s *skipped) Error() string { return s.reason }

// ignore says why an activity changes nothing.
func ignore(format string, args ...any) error {
	return &skipped{reason: fmt.Sprintf(format, args...)}
}
