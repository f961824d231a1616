package federation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// listServer publishes a blocklist with an ETag, answering conditional requests with 304.
type listServer struct {
	mu       sync.Mutex
	body     string
	etag     string
	requests []http.Header
	srv      *httptest.Server
}

func newListServer(t *testing.T, body string) *listServer {
	ls := &listServer{body: body, etag: `"v1"`}
	ls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		defer ls.mu.Unlock()
		ls.requests = append(ls.requests, r.Header.Clone())
		if r.Header.Get("If-None-Match") == ls.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("ETag", ls.etag)
		_, _ = w.Write([]byte(ls.body))
	}))
	t.Cleanup(ls.srv.Close)
	return ls
}

func (ls *listServer) lastRequest() http.Header {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.requests[len(ls.requests)-1]
}

func (ls *listServer) publish(body, etag string) {
	ls.mu.Lock()
	ls.body, ls.etag = body, etag
	ls.mu.Unlock()
}

// A subscribed list is fetched through the safe transport, conditionally (an unchanged list is a
// 304 and changes nothing), and a retraction lifts the block; a list too large, or on a private
// address outside unsafe local mode, is refused and recorded, its entries left in force.
func TestBlocklistFetchAppliesConditionallyAndSafely(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, AllowAll{})
	f := rulesForum(t, s)
	ctx := context.Background()
	ls := newListServer(t, "#domain,#severity\nspam.example,suspend\nnoise.example,silence\n")
	fetcher := NewBlocklistFetcher(BlocklistFetcherOptions{
		Transport: TransportOptions{UnsafeLocal: true, HostMap: map[string]string{"lists.example": strings.TrimPrefix(ls.srv.URL, "http://")}}})
	sub, err := f.SubscribeBlocklist(ctx, forumtest.Admin, "http://lists.example/blocks.csv", 100)
	if err != nil {
		t.Fatal(err)
	}
	verdict := func(host string) forum.DomainLimit {
		t.Helper()
		v, err := f.DomainVerdict(ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		return v.Limit
	}
	if _, err := fetcher.Refresh(ctx, f, sub.ID); err != nil {
		t.Fatal(err)
	}
	if verdict("spam.example") != forum.LimitSuspend || verdict("noise.example") != forum.LimitSilence {
		t.Fatal("the list's entries do not apply")
	}
	res, err := fetcher.Refresh(ctx, f, sub.ID)
	if err != nil || len(res.Changes) != 0 {
		t.Fatalf("an unchanged list changed %d rules (%v)", len(res.Changes), err)
	}
	if got := ls.lastRequest().Get("If-None-Match"); got != `"v1"` {
		t.Fatalf("second fetch not conditional: If-None-Match %q", got)
	}
	ls.publish("#domain,#severity\nnoise.example,silence\n", `"v2"`)
	if _, err := fetcher.Refresh(ctx, f, sub.ID); err != nil {
		t.Fatal(err)
	}
	if verdict("spam.example") != forum.LimitNone || verdict("noise.example") != forum.LimitSilence {
		t.Fatal("the retraction was not applied")
	}

	small := NewBlocklistFetcher(BlocklistFetcherOptions{MaxBytes: 10,
		Transport: TransportOptions{UnsafeLocal: true, HostMap: map[string]string{"lists.example": strings.TrimPrefix(ls.srv.URL, "http://")}}})
	ls.publish("#domain,#severity\nnoise.example,silence\nother.example,suspend\n", `"v3"`)
	if _, err := small.Refresh(ctx, f, sub.ID); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("an oversized list: %v", err)
	}
	if got, _ := f.BlocklistSubscriptionByID(ctx, sub.ID); !strings.Contains(got.LastError, "larger than") || verdict("noise.example") != forum.LimitSilence {
		t.Fatalf("the failure is not recorded, or the entries were dropped: %q", got.LastError)
	}

	// Outside unsafe local mode: https only, and never a private or loopback address.
	safe := NewBlocklistFetcher(BlocklistFetcherOptions{})
	if _, err := safe.Fetch(ctx, forum.BlocklistSubscription{URL: ls.srv.URL + "/blocks.csv"}); err == nil {
		t.Fatal("an http list was fetched outside unsafe local mode")
	}
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a loopback address was contacted")
	}))
	defer tls.Close()
	if _, err := safe.Fetch(ctx, forum.BlocklistSubscription{URL: tls.URL + "/blocks.csv"}); err == nil {
		t.Fatal("a loopback list was fetched outside unsafe local mode")
	}
}
