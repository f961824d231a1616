package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// threadListsVacuumWorker vacuums threads after a block hid many of them
// (forum/domain_block_vacuum.go), so the lists stop stepping over their old index entries.
type threadListsVacuumWorker struct {
	river.WorkerDefaults[forum.ThreadListsVacuumArgs]
	forum *forum.Forum
	log   *slog.Logger
	// timeout stays below River's rescue delay, like every job's.
	timeout time.Duration
}

// Timeout: a vacuum of a large threads table with its indexes takes a while, and is safe to stop.
func (w *threadListsVacuumWorker) Timeout(*river.Job[forum.ThreadListsVacuumArgs]) time.Duration {
	return w.timeout
}

func (w *threadListsVacuumWorker) Work(ctx context.Context, _ *river.Job[forum.ThreadListsVacuumArgs]) error {
	start := time.Now()
	if err := w.forum.VacuumThreadLists(ctx); err != nil {
		return err
	}
	w.log.InfoContext(ctx, "vacuumed threads after a block", "took", time.Since(start).String())
	return nil
}
