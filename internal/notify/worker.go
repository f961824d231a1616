package notify

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// Worker runs forum.NotifyArgs jobs.
type Worker struct {
	river.WorkerDefaults[forum.NotifyArgs]
	Forum *forum.Forum
	// PublicURL is the site's address, for the links in notification mails.
	PublicURL *url.URL
	Log       *slog.Logger
}

// Timeout bounds one run; a category with many thousands of watchers is one INSERT ... SELECT.
func (w *Worker) Timeout(*river.Job[forum.NotifyArgs]) time.Duration { return 2 * time.Minute }

// Work delivers one event's notifications.
func (w *Worker) Work(ctx context.Context, job *river.Job[forum.NotifyArgs]) error {
	n, err := w.Forum.DeliverNotifications(ctx, job.Args, w.link)
	if err != nil {
		return err
	}
	if w.Log != nil {
		w.Log.DebugContext(ctx, "notifications delivered", "event", job.Args.Event, "post", job.Args.PostID, "made", n)
	}
	return nil
}

// link makes a site path absolute.
func (w *Worker) link(path string) string {
	return SiteLink(w.PublicURL)(path)
}

// SiteLink returns the function that makes a site path absolute under base: the links of every
// notification mail, whether the job writes it or the forum does (forum.Options.Link).
func SiteLink(base *url.URL) func(path string) string {
	return func(path string) string { return base.JoinPath(path).String() }
}
