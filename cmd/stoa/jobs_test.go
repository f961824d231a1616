package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// startRiverClient starts stoa's River client on a new test database, with setup's workers and
// queues, and stops it when the test ends.
func startRiverClient(t *testing.T, setup riverSetup) *river.Client[pgx.Tx] {
	t.Helper()
	ctx := context.Background()
	pool := testdb.New(t)
	f, err := forum.New(pool, forum.Options{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Delivery: DeliveryConfig{FetchCooldown: 5 * time.Millisecond, RescueAfter: 5 * time.Minute}}
	client, err := newRiverClient(pool, cfg, slog.New(slog.DiscardHandler), f, setup)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	})
	return client
}

// wakeArgs is a job of the test queue below.
type wakeArgs struct {
	N int `json:"n"`
}

func (wakeArgs) Kind() string                 { return "test_wake" }
func (wakeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: "test_wake"} }

type wakeWorker struct {
	river.WorkerDefaults[wakeArgs]
	started chan<- int
}

func (w *wakeWorker) Work(_ context.Context, job *river.Job[wakeArgs]) error {
	w.started <- job.Args.N
	return nil
}

// Two jobs committed 20 ms apart must both start without waiting for their queue's poll: River
// spaces insert notifications by the client's FetchCooldown, which was left at its 100 ms default,
// so the second of two quick commits (a fan-out's chunks, the inbox's groups) waited for the poll.
func TestJobsCommittedInQuickSuccessionWakeTheirWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	started := make(chan int, 4)
	// The poll is far away, so only a notification can start a job within the bound below.
	const poll = 10 * time.Second
	client := startRiverClient(t, riverSetup{
		register: func(w *river.Workers) { river.AddWorker(w, &wakeWorker{started: started}) },
		queues: map[string]river.QueueConfig{"test_wake": {MaxWorkers: 2, FetchCooldown: 5 * time.Millisecond,
			FetchPollInterval: poll}},
	})
	waitStart := func(n int, within time.Duration) {
		t.Helper()
		select {
		case got := <-started:
			if got != n {
				t.Fatalf("job %d started, want %d", got, n)
			}
		case <-time.After(within):
			t.Fatalf("job %d did not start within %s of its commit", n, within)
		}
	}
	// The first job is found by the producer's first fetch or by its notification; the pause after
	// it lets the client's listener settle and any earlier notification's spacing pass.
	if _, err := client.Insert(ctx, wakeArgs{N: 0}, nil); err != nil {
		t.Fatal(err)
	}
	waitStart(0, poll)
	time.Sleep(300 * time.Millisecond)
	for n := 1; n <= 2; n++ {
		if _, err := client.Insert(ctx, wakeArgs{N: n}, nil); err != nil {
			t.Fatal(err)
		}
		waitStart(n, 2*time.Second)
		time.Sleep(20 * time.Millisecond)
	}
}

// backgroundArgs is a job that reports whether it runs as background work.
type backgroundArgs struct{}

func (backgroundArgs) Kind() string { return "test_background" }

type backgroundWorker struct {
	river.WorkerDefaults[backgroundArgs]
	saw chan<- bool
}

func (w *backgroundWorker) Work(ctx context.Context, _ *river.Job[backgroundArgs]) error {
	w.saw <- forum.IsBackground(ctx)
	return nil
}

// Every job runs as background work (backgroundJobs): its transactions leave the process's kept
// pages and sessions to the triggers' notifications.
func TestJobsRunAsBackgroundWork(t *testing.T) {
	t.Parallel()
	saw := make(chan bool, 1)
	client := startRiverClient(t, riverSetup{
		register: func(w *river.Workers) { river.AddWorker(w, &backgroundWorker{saw: saw}) },
	})
	if _, err := client.Insert(context.Background(), backgroundArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case background := <-saw:
		if !background {
			t.Fatal("a job ran as foreground work: its commits would drop every kept page")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the job did not run")
	}
}
