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
