package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A bot reads its notifications with its token, newest first and paged, marks one and then all
// read, and never sees another member's; a notification about a post gone names neither the
// thread nor the post.
func TestTheAPIListsAndMarksTheCallersNotifications(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ctx := context.Background()
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	bot := forumtest.Member(t, s.f, "bot", forum.RoleMember)
	bob := forumtest.Member(t, s.f, "bob", forum.RoleMember)
	mod := forumtest.Member(t, s.f, "keeper", forum.RoleModerator)
	_, secret, err := s.f.CreateAccessToken(ctx, bot.Viewer(), bot.ID, "replies")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.f.CreateThread(ctx, bot.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Status", Body: "opener"})
	if err != nil {
		t.Fatal(err)
	}
	var replies []forum.Post
	for i := range forum.NotificationsPerPage + 1 {
		p, err := s.f.CreatePost(ctx, bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "ping " + itoa(int64(i))})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, p)
	}
	s.deliver()
	if err := s.f.DeletePost(ctx, mod.Viewer(), replies[len(replies)-1].ID, "spam"); err != nil {
		t.Fatal(err)
	}

	api := s.browser()
	api.header.Set("Authorization", "Bearer "+secret)
	type notification struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		Read   bool   `json:"read"`
		Actor  struct{ Handle string }
		Thread *struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"thread"`
		Post *struct {
			ID  int64  `json:"id"`
			URL string `json:"url"`
		} `json:"post"`
	}
	type page struct {
		Notifications []notification `json:"notifications"`
		NextCursor    *string        `json:"next_cursor"`
	}
	list := func(path string) page {
		t.Helper()
		r := api.get(path)
		wantStatus(t, r, http.StatusOK)
		var p page
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, r.body)
		}
		return p
	}
	first := list("/api/v1/notifications")
	if len(first.Notifications) != forum.NotificationsPerPage || first.NextCursor == nil {
		t.Fatalf("first page: %d notifications, next %v", len(first.Notifications), first.NextCursor)
	}
	gone, newest := first.Notifications[0], first.Notifications[1]
	if gone.Thread != nil || gone.Post != nil || gone.Actor.Handle == "" {
		t.Fatalf("a notification of a deleted post names it: %+v", gone)
	}
	if newest.Kind != "reply" || newest.Read || newest.Thread == nil || newest.Thread.Title != "Status" ||
		newest.Post == nil || newest.Post.ID != replies[len(replies)-2].ID || newest.Actor.Handle != "bob@"+s.url.Host {
		t.Fatalf("newest notification: %+v", newest)
	}
	second := list("/api/v1/notifications?cursor=" + *first.NextCursor)
	if len(second.Notifications) != 1 || second.NextCursor != nil || second.Notifications[0].ID >= first.Notifications[len(first.Notifications)-1].ID {
		t.Fatalf("second page: %+v, next %v", second.Notifications, second.NextCursor)
	}

	wantStatus(t, api.post("/api/v1/notifications/"+itoa(newest.ID)+"/read", nil), http.StatusNoContent)
	if again := list("/api/v1/notifications"); !again.Notifications[1].Read || again.Notifications[2].Read {
		t.Fatalf("after marking one read: %+v", again.Notifications[:3])
	}
	other := s.browser()
	other.login("bob")
	wantStatus(t, other.post("/api/v1/notifications/"+itoa(newest.ID)+"/read", nil), http.StatusNotFound)
	if r := other.get("/api/v1/notifications"); r.StatusCode != http.StatusOK || r.body != `{"notifications":[],"next_cursor":null}`+"\n" {
		t.Fatalf("bob's notifications: %d %s", r.StatusCode, r.body)
	}

	all := api.post("/api/v1/notifications/read", nil)
	wantStatus(t, all, http.StatusOK)
	// 31 replies, one read by hand, and the deleted post's settled when it went.
	if all.body != `{"marked":29}`+"\n" {
		t.Fatalf("mark all read: %s", all.body)
	}
	wantStatus(t, s.browser().get("/api/v1/notifications"), http.StatusUnauthorized)
	if bad := api.get("/api/v1/notifications?cursor=x"); bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "cursor:") {
		t.Errorf("a cursor not given out: %d %s, want 422 naming the cursor", bad.StatusCode, bad.body)
	}
}

// The latest threads across the categories the caller may see, as the Latest page lists them.
func TestTheAPIListsTheLatestThreads(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	staff, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "mods", Title: "Mods"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, staff.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []forum.Category{fx.cat, staff, fx.cat} {
		if _, _, err := fx.f.CreateThread(fx.ctx, fx.admin.Viewer(), forum.NewThread{CategoryID: c.ID, Title: "In " + c.Slug, Body: "x " + itoa(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(v forum.Viewer) []any {
		list := decode(t, fx.api(t, v, "GET", "/api/v1/latest", "")).(map[string]any)
		wantKeys(t, "latest", list, "threads", "next_cursor")
		var out []any
		for _, th := range list["threads"].([]any) {
			wantKeys(t, "thread", th, threadKeys...)
			out = append(out, th.(map[string]any)["title"])
		}
		return out
	}
	if got := titles(forum.Guest); len(got) != 2 || got[0] != "In general" {
		t.Fatalf("guest's latest: %v", got)
	}
	if got := titles(fx.mod.Viewer()); len(got) != 3 || got[1] != "In mods" {
		t.Fatalf("moderator's latest: %v", got)
	}
}
