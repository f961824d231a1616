package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// deliver runs the notification jobs the site queued, as internal/notify's worker does.
func (s *site) deliver() {
	s.t.Helper()
	s.jobs.mu.Lock()
	var run []forum.NotifyArgs
	kept := s.jobs.args[:0]
	for _, a := range s.jobs.args {
		if n, ok := a.(forum.NotifyArgs); ok {
			run = append(run, n)
		} else {
			kept = append(kept, a)
		}
	}
	s.jobs.args = kept
	s.jobs.mu.Unlock()
	for _, a := range run {
		if _, err := s.f.DeliverNotifications(context.Background(), a, func(p string) string { return s.srv.URL + p }); err != nil {
			s.t.Fatal(err)
		}
	}
}

// newTwoMemberSite is a site with a category "general" and two members, alice and bob.
func newTwoMemberSite(t *testing.T) (*site, forum.Category, forum.Member, forum.Member) {
	t.Helper()
	s := newSite(t)
	cat, err := s.f.CreateCategory(context.Background(), forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	return s, cat, forumtest.Member(t, s.f, "alice", forum.RoleMember), forumtest.Member(t, s.f, "bob", forum.RoleMember)
}

func TestNotificationsPageHeaderCountAndMarkingRead(t *testing.T) {
	t.Parallel()
	s, cat, alice, bob := newTwoMemberSite(t)
	ctx := context.Background()
	th, _, err := s.f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Ping", Body: "opener"})
	if err != nil {
		t.Fatal(err)
	}
	var replies []forum.Post
	for _, body := range []string{"one", "two"} {
		p, err := s.f.CreatePost(ctx, bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, p)
	}
	s.deliver()

	b := s.browser()
	b.login("alice")
	if got := b.get("/").text("nav-notifications-count"); got != "2" {
		t.Fatalf("header count %q, want 2", got)
	}
	page := b.get("/notifications")
	wantStatus(t, page, http.StatusOK)
	items := byTestID(page.doc, "notification")
	if len(items) != 2 || attr(items[0], "data-kind") != "reply" {
		t.Fatalf("%d notifications listed: %s", len(items), page.text("notification-list"))
	}
	link := firstByTestID(items[0], "notification-link")
	if attr(link, "href") != "/p/"+itoa(replies[1].ID) || !strings.Contains(text(link), "bob replied to you in “Ping”") {
		t.Fatalf("newest notification links %q: %q", attr(link, "href"), text(link))
	}
	// Mark one read: a form post back to the list.
	id := notificationID(t, s, replies[1].ID)
	if findAttr(items[0], "action", "/notifications/"+id+"/read") == nil {
		t.Fatal("the newest notification has no mark-read form")
	}
	r := b.post("/notifications/"+id+"/read", nil)
	wantStatus(t, r, http.StatusSeeOther)
	if got := b.get(r.Header.Get("Location")).text("nav-notifications-count"); got != "1" {
		t.Fatalf("after marking one read the header says %q", got)
	}
	// Another member cannot touch alice's notification.
	other := s.browser()
	other.login("bob")
	wantStatus(t, other.post("/notifications/"+id+"/read", nil), http.StatusNotFound)
	// Mark all read.
	wantStatus(t, b.post("/notifications/read-all", nil), http.StatusSeeOther)
	after := b.get("/notifications")
	if after.has("nav-notifications-count") || after.has("mark-all-read") || after.has("mark-read") {
		t.Fatalf("after marking all read: %s", after.text("notification-list"))
	}
	// Guests are sent to sign in.
	guest := s.browser().get("/notifications")
	if guest.StatusCode != http.StatusSeeOther || !strings.HasPrefix(guest.Header.Get("Location"), "/login") {
		t.Fatalf("guest: %d %s", guest.StatusCode, guest.Header.Get("Location"))
	}
}

// notificationID finds the id of alice's notification about a post.
func notificationID(t *testing.T, s *site, postID int64) string {
	t.Helper()
	var id int64
	if err := s.pool.QueryRow(context.Background(), `SELECT id FROM notifications WHERE post_id = $1`, postID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return itoa(id)
}

func TestNotificationSettingsTurnMailOn(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "alice", forum.RoleMember)
	b := s.browser()
	b.login("alice")
	box := findAttr(b.get("/settings/notifications").doc, "data-testid", "email-notifications")
	if box == nil || hasAttr(box, "checked") {
		t.Fatal("mail is not off by default")
	}
	r := b.post("/settings/notifications", url.Values{"email": {"1"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := b.get(r.Header.Get("Location"))
	if !hasAttr(firstByTestID(page.doc, "email-notifications"), "checked") || !page.has("notice") {
		t.Fatal("mail did not turn on")
	}
}

func TestWatchButtonsWorkWithoutJavaScript(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Watch me", "opener")
	pressed := func(v forum.Viewer, path string) string {
		t.Helper()
		d := doc(t, fx.get(t, v, path))
		for _, l := range forum.WatchLevels {
			if attr(one(t, d, "watch-"+string(l)), "aria-pressed") == "true" {
				return string(l)
			}
		}
		return ""
	}
	if got := pressed(fx.bob.Viewer(), threadPath(th.ID)); got != "tracking" {
		t.Fatalf("a reader's default: %q", got)
	}
	if got := pressed(fx.alice.Viewer(), threadPath(th.ID)); got != "watching" {
		t.Fatalf("the author's level: %q", got)
	}
	rec := fx.post(t, fx.bob.Viewer(), threadPath(th.ID)+"/watch", url.Values{"level": {"watching"}, "next": {threadPath(th.ID)}})
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != threadPath(th.ID) {
		t.Fatalf("back to %q", loc)
	}
	if got := pressed(fx.bob.Viewer(), threadPath(th.ID)); got != "watching" {
		t.Fatalf("after watching: %q", got)
	}
	// Muting the category mutes its threads, and the thread page says why.
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/c/general/watch", url.Values{"level": {"muted"}}), http.StatusSeeOther)
	if got := pressed(fx.bob.Viewer(), "/c/general"); got != "muted" {
		t.Fatalf("category level: %q", got)
	}
	th2, _ := fx.thread(t, fx.alice, "Another", "opener")
	d := doc(t, fx.get(t, fx.bob.Viewer(), threadPath(th2.ID)))
	if attr(one(t, d, "watch-muted"), "aria-pressed") != "true" || !strings.Contains(text(one(t, d, "watch-hint")), "you muted General") {
		t.Fatalf("thread in a muted category: %q", text(one(t, d, "watch")))
	}
	wantCode(t, fx.post(t, fx.bob.Viewer(), threadPath(th.ID)+"/watch", url.Values{"level": {"loud"}}), http.StatusUnprocessableEntity)
	wantCode(t, fx.post(t, forum.Guest, threadPath(th.ID)+"/watch", url.Values{"level": {"muted"}}), http.StatusUnauthorized)
	if len(byTestID(doc(t, fx.get(t, forum.Guest, threadPath(th.ID))), "watch")) != 0 {
		t.Fatal("guests are offered the watch buttons")
	}
}

func TestUnreadMarkersCountsAndJumpToFirstUnread(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember) // joined before the posts: they are new to her
	th, opener := fx.thread(t, fx.alice, "Unread", "opener")
	fx.reply(t, fx.bob, th.ID, "two")
	fx.reply(t, fx.bob, th.ID, "three")
	v := carol.Viewer()
	for _, path := range []string{"/latest", "/c/general"} {
		badge := one(t, doc(t, fx.get(t, v, path)), "unread-count")
		if !strings.HasPrefix(text(badge), "3") || attr(badge, "href") != threadPath(th.ID)+"/unread" {
			t.Fatalf("%s: badge %q -> %q", path, text(badge), attr(badge, "href"))
		}
	}
	rec := fx.get(t, v, threadPath(th.ID)+"/unread")
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != threadPath(th.ID)+"#p"+itoa(opener.ID) {
		t.Fatalf("jump to %q", loc)
	}
	if n := len(byTestID(doc(t, fx.get(t, v, threadPath(th.ID))), "unread-marker")); n != 3 {
		t.Fatalf("%d unread markers on the first visit, want 3", n)
	}
	if n := len(byTestID(doc(t, fx.get(t, v, threadPath(th.ID))), "unread-marker")); n != 0 {
		t.Fatalf("%d unread markers on the second visit", n)
	}
	if len(byTestID(doc(t, fx.get(t, v, "/latest")), "unread-count")) != 0 {
		t.Fatal("the list still counts unread posts after reading")
	}
	four := fx.reply(t, fx.bob, th.ID, "four")
	if loc := fx.get(t, v, threadPath(th.ID)+"/unread").Header().Get("Location"); loc != threadPath(th.ID)+"#p"+itoa(four.ID) {
		t.Fatalf("jump to %q, want the new reply", loc)
	}
	// Guests see no unread state.
	if len(byTestID(doc(t, fx.get(t, forum.Guest, "/latest")), "unread-count")) != 0 ||
		len(byTestID(doc(t, fx.get(t, forum.Guest, threadPath(th.ID))), "unread-marker")) != 0 {
		t.Fatal("a guest sees unread state")
	}
}

// Opening a notification lands on the thread page that marks it read; that page's header counts
// it read already (it showed the count from before, until the next page).
func TestTheThreadPageThatReadsANotificationCountsItRead(t *testing.T) {
	t.Parallel()
	s, cat, alice, bob := newTwoMemberSite(t)
	ctx := context.Background()
	th, _, err := s.f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Ping", Body: "opener"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Pong", Body: "opener"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{th.ID, other.ID} {
		if _, err := s.f.CreatePost(ctx, bob.Viewer(), forum.NewPost{ThreadID: id, Body: "a reply"}); err != nil {
			t.Fatal(err)
		}
	}
	s.deliver()
	b := s.browser()
	b.login("alice")
	if got := b.get("/").text("nav-notifications-count"); got != "2" {
		t.Fatalf("header count %q, want 2", got)
	}
	if got := b.get("/t/" + itoa(th.ID)).text("nav-notifications-count"); got != "1" {
		t.Fatalf("the page that read one of two notifications says %q, want 1", got)
	}
}
