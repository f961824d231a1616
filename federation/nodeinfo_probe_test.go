package federation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// probeJob is a probe of domain at its attempt-th try, as River hands it to the worker.
func probeJob(domain string, attempt int) *river.Job[forum.ProbeDomainArgs] {
	return &river.Job[forum.ProbeDomainArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: forum.ProbeDomainArgs{Domain: domain}}
}

// A forum peer whose NodeInfo fails for a passing reason (503) is probed again, not taken for a
// microblog for a day (it would get none of a category's replies); the last attempt gives up
// quietly, and an answer that will not change (404) is not retried.
func TestAProbeThatFailsForAPassingReasonIsRetried(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := int(status.Load()); code != http.StatusOK {
			http.Error(w, "not now", code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/nodeinfo":
			fmt.Fprintf(w, `{"links":[{"rel":%q,"href":"http://lemmy.test/nodeinfo/2.1"}]}`, nodeInfo21Schema)
		case "/nodeinfo/2.1":
			fmt.Fprint(w, `{"version":"2.1","software":{"name":"lemmy","version":"0.19.5"}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	f, _ := forumtest.New(t, forum.Options{})
	fed, err := New(Config{Forum: f, PublicURL: &url.URL{Scheme: "http", Host: "here.test"}, UnsafeLocal: true,
		HostMap: map[string]string{"lemmy.test": strings.TrimPrefix(srv.URL, "http://")}})
	if err != nil {
		t.Fatal(err)
	}
	w := &ProbeDomainWorker{Fetcher: fed.Fetcher, Forum: f, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()

	if err := w.Work(ctx, probeJob("lemmy.test", 1)); err == nil {
		t.Fatal("a 503 was taken as the final answer: no retry")
	}
	if err := w.Work(ctx, probeJob("lemmy.test", probeAttempts)); err != nil {
		t.Fatalf("the last attempt: %v, want it to give up without failing the job", err)
	}
	status.Store(http.StatusOK)
	if err := w.Work(ctx, probeJob("lemmy.test", 2)); err != nil {
		t.Fatal(err)
	}
	if d, err := f.DomainByName(ctx, "lemmy.test"); err != nil || d.Software != "lemmy" || !d.ForumSoftware() {
		t.Fatalf("after the retry: %+v, %v", d, err)
	}
	status.Store(http.StatusNotFound)
	if err := w.Work(ctx, probeJob("lemmy.test", 1)); err != nil {
		t.Errorf("a 404 is retried: %v", err)
	}
}
