package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// retries records what "retry now" asked of the outbox.
type retries struct {
	mu      sync.Mutex
	domains []string
}

func (r *retries) RetryDomain(_ context.Context, domain string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.domains = append(r.domains, domain)
	return 3, nil
}

func TestAdminDeliveryPages(t *testing.T) {
	t.Parallel()
	control := &retries{}
	s := newSite(t, func(o *Options) { o.Deliveries = control })
	ctx := context.Background()
	forumtest.Member(t, s.f, "root_admin", forum.RoleAdmin)
	author := forumtest.Member(t, s.f, "plain", forum.RoleMember)
	forumtest.Member(t, s.f, "helper", forum.RoleModerator)
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	_, post, err := s.f.CreateThread(ctx, author.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Hello", Body: "text"})
	if err != nil {
		t.Fatal(err)
	}
	// What the outbox records for the post's Create: one delivery delivered, one failing.
	var createID int64
	if err := s.pool.QueryRow(ctx, `SELECT id FROM activities WHERE post_id = $1`, post.ID).Scan(&createID); err != nil {
		t.Fatal(err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.f.InsertDeliveriesTx(ctx, tx, []forum.DeliveryRow{
		{ActivityID: createID, Inbox: "https://ok.example/inbox", Domain: "ok.example", JobID: 1},
		{ActivityID: createID, Inbox: "https://down.example:8443/inbox", Domain: "down.example:8443", JobID: 2},
	}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.f.RecordDeliveryOutcomes(ctx, []forum.DeliveryOutcome{
		{ActivityID: createID, Inbox: "https://ok.example/inbox", State: forum.DeliveryDelivered, Attempted: true, Status: 202},
		{ActivityID: createID, Inbox: "https://down.example:8443/inbox", State: forum.DeliveryPending, Attempted: true, Status: 502, Error: "HTTP 502"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.f.RecordDeliveryResults(ctx, []string{"ok.example"}, []forum.DeliveryFailure{
		{Domain: "down.example:8443", At: time.Now().Add(-24 * time.Hour), Error: "HTTP 502"},
		{Domain: "down.example:8443", At: time.Now(), Error: "HTTP 502"},
	}); err != nil {
		t.Fatal(err)
	}

	for _, who := range []string{"plain", "helper"} {
		b := s.browser()
		b.login(who)
		for _, p := range []string{"/admin/deliveries", "/admin/deliveries/domains/ok.example", "/admin/deliveries/posts/1"} {
			wantStatus(t, b.get(p), http.StatusForbidden)
		}
		wantStatus(t, b.post("/admin/deliveries/domains/ok.example/retry", url.Values{}), http.StatusForbidden)
	}

	admin := s.browser()
	admin.login("root_admin")
	over := admin.get("/admin/deliveries")
	wantStatus(t, over, http.StatusOK)
	if over.text("count-delivered") != "1" || over.text("count-pending") != "1" || !over.has("trouble-down.example:8443") ||
		over.has("trouble-ok.example") {
		t.Fatalf("overview: %q / %q", over.text("day-counts"), over.text("trouble"))
	}
	if r := admin.get("/admin/deliveries?post=" + itoa(post.ID)); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != "/admin/deliveries/posts/"+itoa(post.ID) {
		t.Fatalf("post form: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	pp := admin.get("/admin/deliveries/posts/" + itoa(post.ID))
	wantStatus(t, pp, http.StatusOK)
	if row := pp.text("domain-down.example:8443"); !strings.Contains(row, "HTTP 502") || !strings.Contains(pp.text("domain-ok.example"), "202") {
		t.Fatalf("post page: %q / %q", row, pp.text("domain-ok.example"))
	}

	dp := admin.get("/admin/deliveries/domains/" + url.PathEscape("down.example:8443"))
	wantStatus(t, dp, http.StatusOK)
	if dp.text("domain-status") != "failing" || dp.text("domain-pending") != "1" || dp.text("domain-failure-days") != "2" ||
		!strings.Contains(dp.text("domain-deliveries"), "retrying") {
		t.Fatalf("domain page: %q, %q", dp.text("domain-health"), dp.text("domain-deliveries"))
	}
	r := admin.post("/admin/deliveries/domains/"+url.PathEscape("down.example:8443")+"/retry", url.Values{})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry now: %d", r.StatusCode)
	}
	after := admin.get(r.Header.Get("Location"))
	if after.text("domain-status") != "healthy" || after.text("domain-failure-days") != "0" || !after.has("retried") {
		t.Fatalf("after retry now: %q", after.text("domain-health"))
	}
	if len(control.domains) != 1 || control.domains[0] != "down.example:8443" {
		t.Fatalf("the outbox was asked to retry %v", control.domains)
	}
	wantStatus(t, admin.get("/admin/deliveries/domains/never.example"), http.StatusNotFound)
}
