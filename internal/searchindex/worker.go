package searchindex

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// Worker runs forum.SearchReindexArgs jobs.
type Worker struct {
	river.WorkerDefaults[forum.SearchReindexArgs]
	Forum *forum.Forum
	Log   *slog.Logger
}

// Work re-indexes one batch.
func (w *Worker) Work(ctx context.Context, job *river.Job[forum.SearchReindexArgs]) error {
	n, err := w.Forum.ReindexSearchBatch(ctx, job.Args)
	if err != nil {
		return err
	}
	if w.Log != nil {
		w.Log.InfoContext(ctx, "search documents re-indexed", "count", n, "after_post", job.Args.AfterPostID)
	}
	return nil
}
