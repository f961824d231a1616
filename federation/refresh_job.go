package federation

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// RefreshActorWorker refetches a stale remote actor (forum.RequestActorRefresh queues it). A
// refresh is opportunistic: when the origin is down or the actor gone the job ends without retrying,
// and the next use of the still-stale actor queues another after the refresh interval.
type RefreshActorWorker struct {
	river.WorkerDefaults[forum.RefreshRemoteActorArgs]
	Actors *Actors
	Log    *slog.Logger
}

// Timeout bounds the job a little beyond one fetch's own deadline.
func (w *RefreshActorWorker) Timeout(*river.Job[forum.RefreshRemoteActorArgs]) time.Duration {
	return DefaultFetchTimeout + 15*time.Second
}

// Work implements river.Worker.
func (w *RefreshActorWorker) Work(ctx context.Context, job *river.Job[forum.RefreshRemoteActorArgs]) error {
	err := w.Actors.Refresh(ctx, job.Args.ActorID)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return err // shutting down: River retries it later
	case errors.Is(err, forum.ErrGone), errors.Is(err, forum.ErrNotFound):
		w.log().InfoContext(ctx, "remote actor is gone", "actor_id", job.Args.ActorID, "err", err)
	default:
		w.log().WarnContext(ctx, "actor refresh failed", "actor_id", job.Args.ActorID, "err", err)
	}
	return nil
}

func (w *RefreshActorWorker) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}
