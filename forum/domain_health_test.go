package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestDomainBecomesUnavailableAfterSevenDaysOfFailures(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	day0 := time.Now().UTC().AddDate(0, 0, -10)
	fail := func(day int, times int) {
		t.Helper()
		var batch []forum.DeliveryFailure
		for i := 0; i < times; i++ {
			batch = append(batch, forum.DeliveryFailure{Domain: "down.example", At: day0.AddDate(0, 0, day).Add(time.Duration(i) * time.Minute),
				Error: "connection refused"})
		}
		if err := f.RecordDeliveryResults(ctx, nil, batch); err != nil {
			t.Fatal(err)
		}
	}
	// Six days of failures, several a day (and one day reported twice): not yet.
	for day := 0; day < 6; day++ {
		fail(day, 3)
	}
	fail(5, 1)
	d, err := f.DomainByName(ctx, "down.example")
	if err != nil || len(d.FailureDays) != 6 || d.Unavailable() || d.LastError != "connection refused" {
		t.Fatalf("after 6 days: %+v, %v", d, err)
	}
	// The seventh distinct day makes it unavailable.
	fail(8, 1)
	if d, _ = f.DomainByName(ctx, "down.example"); !d.Unavailable() || len(d.FailureDays) != 7 {
		t.Fatalf("after 7 days: %+v", d)
	}
	// Any sign of life clears it: a signed request from the domain ...
	if err := f.DomainSeen(ctx, "down.example"); err != nil {
		t.Fatal(err)
	}
	if d, _ = f.DomainByName(ctx, "down.example"); d.Unavailable() || len(d.FailureDays) != 0 {
		t.Fatalf("after DomainSeen: %+v", d)
	}
	// ... or a successful delivery.
	for day := 0; day < 7; day++ {
		fail(day, 1)
	}
	if d, _ = f.DomainByName(ctx, "down.example"); !d.Unavailable() {
		t.Fatal("not unavailable again")
	}
	if err := f.RecordDeliveryResults(ctx, []string{"down.example", "down.example"}, nil); err != nil {
		t.Fatal(err)
	}
	if d, _ = f.DomainByName(ctx, "down.example"); d.Unavailable() || len(d.FailureDays) != 0 || d.LastSuccessAt == nil {
		t.Fatalf("after a success: %+v", d)
	}
	// A failure of a request that began before the last success does not count.
	if err := f.RecordDeliveryResults(ctx, nil, []forum.DeliveryFailure{{Domain: "down.example", At: time.Now().Add(-time.Hour), Error: "timeout"}}); err != nil {
		t.Fatal(err)
	}
	if d, _ = f.DomainByName(ctx, "down.example"); len(d.FailureDays) != 0 {
		t.Fatalf("a stale failure counted: %+v", d)
	}
	// Admins may reset a domain by hand; others may not.
	wantErr(t, "reset by a guest", f.ResetDomain(ctx, forum.Guest, "down.example"), forum.ErrForbidden)
	if err := f.ResetDomain(ctx, forumtest.Admin, "down.example"); err != nil {
		t.Fatal(err)
	}
}

func TestDomainSoftwareAndForumPeers(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	if err := f.SetDomainSoftware(ctx, "lemmy.example", " Lemmy ", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	d, err := f.DomainByName(ctx, "lemmy.example")
	if err != nil || d.Software != "lemmy" || !d.ForumSoftware() || d.SoftwareCheckedAt == nil {
		t.Fatalf("lemmy: %+v, %v", d, err)
	}
	for name, want := range map[string]bool{"mastodon": false, "gotosocial": false, "NodeBB": true, "piefed": true, "": false} {
		if forum.IsForumSoftware(name) != want {
			t.Errorf("IsForumSoftware(%q) = %v", name, !want)
		}
	}
	if _, err := f.DomainByName(ctx, "unknown.example"); err == nil {
		t.Fatal("an unknown domain was found")
	}
}

// A healthy domain's row is written by a success only when that changes something: failures to
// clear, or a last success older than a minute. Each batch of deliveries to a busy peer used to
// rewrite it.
func TestASuccessRewritesAHealthyDomainOnlyWhenItChangesSomething(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	succeed := func() {
		t.Helper()
		if err := f.RecordDeliveryResults(ctx, []string{"busy.example"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	version := func() (xmin string, last time.Time) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT xmin::text, last_success_at FROM domains WHERE domain = 'busy.example'`).Scan(&xmin, &last); err != nil {
			t.Fatal(err)
		}
		return xmin, last
	}
	succeed()
	first, at := version()
	succeed()
	if again, _ := version(); again != first {
		t.Fatalf("a second success within a minute rewrote the row (xmin %s, then %s)", first, again)
	}
	// A failure since is cleared by the next success, however recent the last one.
	if err := f.RecordDeliveryResults(ctx, nil, []forum.DeliveryFailure{{Domain: "busy.example", At: time.Now(), Error: "timeout"}}); err != nil {
		t.Fatal(err)
	}
	succeed()
	if d, _ := f.DomainByName(ctx, "busy.example"); len(d.FailureDays) != 0 || d.Unavailable() {
		t.Fatalf("a success after a failure left %+v", d)
	}
	// A last success older than a minute is brought up to date.
	if _, err := pool.Exec(ctx, `UPDATE domains SET last_success_at = now() - interval '2 minutes' WHERE domain = 'busy.example'`); err != nil {
		t.Fatal(err)
	}
	succeed()
	if _, last := version(); !last.After(at) || time.Since(last) > time.Minute {
		t.Fatalf("last success %v after a stale one was refreshed (first %v)", last, at)
	}
}
