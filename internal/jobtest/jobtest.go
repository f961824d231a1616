// Package jobtest runs a real River client on a test database, for tests of the workers: forum's
// jobs go into River in forum's own transactions (as cmd/stoa wires it), the client works them,
// and tests wait for the jobs they expect to complete.
package jobtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stoa-forum/stoa/forum"
)

// Jobs is a forum.Jobs that inserts into River in forum's transaction. Set Client before the
// first job is queued.
type Jobs struct{ Client *river.Client[pgx.Tx] }

// InsertTx implements forum.Jobs.
func (j *Jobs) InsertTx(ctx context.Context, tx pgx.Tx, args forum.JobArgs) error {
	if j.Client == nil {
		return errors.New("job queue not started")
	}
	_, err := j.Client.InsertTx(ctx, tx, args, nil)
	return err
}

// Queue is a started River client and its job events.
type Queue struct {
	Client *river.Client[pgx.Tx]
	events <-chan *river.Event
}

// Start starts a River client over pool with workers, polling fast, stopped when the test ends.
// It works the default queue and any others given (a package whose jobs have their own queue).
func Start(tb testing.TB, pool *pgxpool.Pool, workers *river.Workers, queues ...map[string]river.QueueConfig) *Queue {
	tb.Helper()
	all := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
	for _, qs := range queues {
		for name, q := range qs {
			all[name] = q
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Workers:           workers,
		Queues:            all,
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		TestOnly:          true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	if err := client.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = client.Stop(ctx)
		cancel()
	})
	return &Queue{Client: client, events: events}
}

// WaitFor reads job events until as many jobs of each kind as asked have completed; a failed job
// or a wait longer than 20 seconds fails the test.
func (q *Queue) WaitFor(tb testing.TB, want map[string]int) {
	tb.Helper()
	deadline := time.After(20 * time.Second)
	for {
		done := true
		for _, n := range want {
			if n > 0 {
				done = false
			}
		}
		if done {
			return
		}
		select {
		case ev := <-q.events:
			if ev.Kind == river.EventKindJobFailed {
				tb.Fatalf("job %s failed: %v", ev.Job.Kind, ev.Job.Errors)
			}
			want[ev.Job.Kind]--
		case <-deadline:
			tb.Fatalf("timed out waiting for jobs: %v still expected", want)
		}
	}
}
