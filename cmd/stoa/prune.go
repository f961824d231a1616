package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// pruneAccountsArgs is the periodic job that deletes expired sessions, used or expired reset
// tokens and stale rate-limit windows (forum.PruneAccounts).
type pruneAccountsArgs struct{}

func (pruneAccountsArgs) Kind() string { return "prune_accounts" }

type pruneAccountsWorker struct {
	river.WorkerDefaults[pruneAccountsArgs]
	forum *forum.Forum
	log   *slog.Logger
}

func (w *pruneAccountsWorker) Work(ctx context.Context, _ *river.Job[pruneAccountsArgs]) error {
	r, err := w.forum.PruneAccounts(ctx)
	if err != nil {
		return err
	}
	w.log.InfoContext(ctx, "pruned account rows", "sessions", r.Sessions, "password_resets", r.PasswordResets, "email_confirmations", r.EmailConfirmations, "rate_limits", r.RateLimits)
	return nil
}

// prunePeriodicJob runs the prune hourly (on the elected leader only) and once at start-up. Stale
// rows are never read as valid (every lookup checks expiry), so the interval only bounds table size.
func prunePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return pruneAccountsArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
		},
		&river.PeriodicJobOpts{RunOnStart: true})
}
