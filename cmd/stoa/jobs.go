package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/mailer"
	"github.com/stoa-forum/stoa/internal/notify"
	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/internal/searchindex"
)

// riverJobs lets forum insert background jobs into River without importing it: forum.JobArgs has
// River's JobArgs method set. The client is set after construction because River's workers need
// the forum that needs this adapter.
type riverJobs struct {
	client *river.Client[pgx.Tx]
}

func (j *riverJobs) InsertTx(ctx context.Context, tx pgx.Tx, args forum.JobArgs) error {
	if j.client == nil {
		return errors.New("job queue not started")
	}
	_, err := j.client.InsertTx(ctx, tx, args, nil)
	return err
}

// riverSetup is what packages wired in serve.go add to the River client: their workers, queues and
// periodic jobs (federation's actor refresh, the outbox's fan-out and delivery).
type riverSetup struct {
	register func(*river.Workers)
	queues   map[string]river.QueueConfig
	periodic []*river.PeriodicJob
	// presence names the client after the process's presence key (forum/orphaned_jobs.go), so
	// that the jobs it leaves running if it dies are known to be orphans; zero lets River name it.
	presence *forum.ProcessPresence
}

// newRiverClient builds the River client with every worker the process runs.
func newRiverClient(pool *pgxpool.Pool, cfg *Config, log *slog.Logger, f *forum.Forum, setup riverSetup) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if setup.register != nil {
		setup.register(workers)
	}
	river.AddWorker(workers, &mailer.Worker{
		SMTP: mailer.SMTP{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, From: cfg.SMTP.From},
		Log:  log,
	})
	river.AddWorker(workers, &pruneAccountsWorker{forum: f, log: log})
	river.AddWorker(workers, &notify.Worker{Forum: f, PublicURL: cfg.PublicURL, Log: log})
	river.AddWorker(workers, &searchindex.Worker{Forum: f, Log: log})
	river.AddWorker(workers, &threadListsVacuumWorker{forum: f, log: log,
		timeout: min(10*time.Minute, cfg.Delivery.RescueAfter-15*time.Second)})
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}}
	for name, q := range setup.queues {
		queues[name] = q
	}
	clientID := ""
	if setup.presence != nil {
		clientID = setup.presence.ClientID()
	}
	return river.NewClient(riverpgxv5.New(pool), &river.Config{
		ID: clientID,
		// River spaces its insert notifications, per queue, by the client's FetchCooldown (100 ms
		// by default), whatever a queue's own cooldown: jobs committed within that time after a
		// notified insert waited for the queue's next poll (250 ms), so a large fan-out's chunks
		// after the first stood still while the CPUs idled. Notifying as often as the busiest
		// queue may fetch lets each commit wake its workers.
		FetchCooldown: cfg.Delivery.FetchCooldown,
		// While the database is away River logs an error for every poll of every queue, about ten
		// lines a second: each is logged once per 30 s, with how often it repeated.
		Logger:       slog.New(observe.LimitRepeats(log.Handler(), 30*time.Second, time.Now)),
		Workers:      workers,
		Middleware:   []rivertype.Middleware{&backgroundJobs{}},
		PeriodicJobs: append([]*river.PeriodicJob{prunePeriodicJob()}, setup.periodic...),
		Queues:       queues,
		// Every job's own timeout stays below the rescue delay, or a slow job would be run twice.
		JobTimeout:           min(time.Minute, cfg.Delivery.RescueAfter),
		RescueStuckJobsAfter: cfg.Delivery.RescueAfter,
	})
}

// newInsertOnlyClient is a River client that inserts jobs and runs none: the admin commands record
// activities whose fan-out `stoa serve` then works.
func newInsertOnlyClient(pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	return river.NewClient(riverpgxv5.New(pool), &river.Config{})
}

// backgroundJobs runs every job as background work (forum.InBackground): no request waits for a
// job, so its commits leave this process's kept pages and sessions to the triggers'
// notifications, which drop only what the job changed.
type backgroundJobs struct{ river.MiddlewareDefaults }

func (*backgroundJobs) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	return doInner(forum.InBackground(ctx))
}
