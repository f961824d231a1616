package web

import (
	"context"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// The overview counts what is written in this forum's categories and what waits for staff; only
// admins see how federation goes. Each figure is set up to differ from the others, so a column
// shown in the wrong place fails.
func TestTheOverviewCountsContentAndFederationForAdmins(t *testing.T) {
	t.Parallel()
	s := newDomainSite(t)
	ctx := context.Background()
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	forumtest.Member(t, s.f, "keeper", forum.RoleModerator)
	alice := forumtest.Member(t, s.f, "alice", forum.RoleMember)
	for _, title := range []string{"One", "Two"} {
		th, _, err := s.f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: title, Body: "opener"})
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{"a reply", "another reply"} {
			if _, err := s.f.CreatePost(ctx, alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: body}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, user := range []string{"a", "b", "c"} {
		fan := remotePerson(t, s.f, "fans.example", user)
		if _, err := s.f.AddRemoteFollower(ctx, forum.RemoteFollow{FollowerID: fan.ID, TargetID: cat.ActorID, APID: fan.APID + "/follow"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.f.BlockDomain(ctx, forumtest.Admin, forum.DomainBlockInput{Domain: "bad.example"}); err != nil {
		t.Fatal(err)
	}
	// A subscribed list's entries count too, but not one a local rule replaces or an allow exempts:
	// three rules in force in all (bad.example by hand, worse and noisy from the list).
	sub, err := s.f.SubscribeBlocklist(ctx, forumtest.Admin, "https://lists.example/block.csv", 0)
	if err != nil {
		t.Fatal(err)
	}
	list := "#domain,#severity\nbad.example,suspend\nworse.example,suspend\nnoisy.example,silence\nfriend.example,suspend\n"
	if _, err := s.f.ApplyBlocklistFetch(ctx, sub.ID, forum.BlocklistFetch{Data: []byte(list)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.f.AllowDomain(ctx, forumtest.Admin, "friend.example", "we know them"); err != nil {
		t.Fatal(err)
	}
	// A thread deleted today is not active.
	_, gone, err := s.f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Gone", Body: "soon"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.f.DeletePost(ctx, alice.Viewer(), gone.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.f.FileReport(ctx, alice.Viewer(), forum.NewReport{Account: "c@fans.example", Reason: "spam"}); err != nil {
		t.Fatal(err)
	}

	admin := s.browser()
	admin.login("owner")
	over := admin.get("/admin")
	want := map[string]string{"count-members": "3", "count-threads": "2", "count-posts": "6",
		"count-active-threads": "2", "count-open-reports": "1", "count-remote-followers": "3",
		"count-following": "0", "count-blocked": "3", "count-unavailable": "0"}
	for id, n := range want {
		if got := over.text(id); got != n {
			t.Errorf("admin's overview: %s = %q, want %s", id, got, n)
		}
	}

	mod := s.browser()
	mod.login("keeper")
	modOver := mod.get("/admin")
	if modOver.text("count-posts") != "6" || modOver.text("count-open-reports") != "1" {
		t.Errorf("moderator's overview: %q", modOver.text("content-counts"))
	}
	if modOver.has("federation-counts") {
		t.Error("a moderator is shown the federation figures, whose pages are admins' only")
	}
}

func TestCountsAreGroupedByThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234: "-1,234", 10000000: "10,000,000", 123456: "123,456"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
