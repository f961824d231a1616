package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestReportingAPostAndWorkingTheQueue(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ctx := context.Background()
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	forumtest.Member(t, s.f, "molly", forum.RoleModerator)
	alice := forumtest.Member(t, s.f, "alice", forum.RoleMember)
	bob := forumtest.Member(t, s.f, "bob", forum.RoleMember)
	th, own, err := s.f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Reports", Body: "opener"})
	if err != nil {
		t.Fatal(err)
	}
	spam, err := s.f.CreatePost(ctx, bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "buy cheap watches"})
	if err != nil {
		t.Fatal(err)
	}

	// Admins keep the rules with the site settings.
	admin := s.browser()
	admin.login("owner")
	wantStatus(t, admin.post("/admin/settings", url.Values{"site_name": {"Stoa"}, "registration_open": {"1"},
		"report_rules": {"Be kind\nNo spam\n"}}), http.StatusSeeOther)
	if got := admin.get("/admin/settings").body; !strings.Contains(got, "Be kind\nNo spam</textarea>") {
		t.Fatal("the settings page does not show the report rules")
	}

	// The thread page offers Report on others' posts only.
	b := s.browser()
	b.login("alice")
	tp := b.get(threadPath(th.ID))
	for _, p := range byTestID(tp.doc, "post") {
		has := firstByTestID(p, "report") != nil
		if mine := attr(p, "data-post-id") == itoa(own.ID); has == mine {
			t.Fatalf("post %s: report link %v", attr(p, "data-post-id"), has)
		}
	}
	form := b.get(postPath(spam.ID) + "/report")
	wantStatus(t, form, http.StatusOK)
	if got := form.text("report-rule"); !strings.Contains(got, "Be kind") || !strings.Contains(got, "No spam") {
		t.Fatalf("rules offered: %q", got)
	}
	if !strings.Contains(form.text("reported-post"), "buy cheap watches") {
		t.Fatalf("the form does not show the post: %q", form.text("reported-post"))
	}
	r := b.post(postPath(spam.ID)+"/report", url.Values{"rule": {"Made up"}, "reason": {"keep this text"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !r.has("problem-rule") || !strings.Contains(r.body, "keep this text") {
		t.Fatal("a bad rule lost the form")
	}
	r = b.post(postPath(spam.ID)+"/report", url.Values{"rule": {"No spam"}, "reason": {"an ad"}})
	wantStatus(t, r, http.StatusSeeOther)
	if !b.get(r.Header.Get("Location")).has("report-sent") {
		t.Fatal("no thanks after reporting")
	}
	// The member page offers to report the account.
	if !b.get("/u/bob").has("report-member") || b.get("/u/alice").has("report-member") {
		t.Fatal("report-member link on the wrong pages")
	}
	wantStatus(t, b.post("/u/bob/report", url.Values{"reason": {"spams everywhere"}}), http.StatusSeeOther)
	wantStatus(t, b.get("/u/nobody/report"), http.StatusNotFound)
	wantStatus(t, b.get("/admin/reports"), http.StatusForbidden)

	// Staff see the count in the header and the admin navigation, and the queue.
	mod := s.browser()
	mod.login("molly")
	if got := mod.get("/").text("nav-reports-count"); got != "2" {
		t.Fatalf("header report count %q, want 2", got)
	}
	q := mod.get("/admin/reports")
	wantStatus(t, q, http.StatusOK)
	if got := q.text("admin-reports-count"); got != "2" {
		t.Fatalf("admin nav count %q", got)
	}
	items := byTestID(q.doc, "report")
	if len(items) != 2 {
		t.Fatalf("%d reports in the queue", len(items))
	}
	postReport, accountReport := items[1], items[0]
	if text(one(t, postReport, "report-rule")) != "No spam" || text(one(t, postReport, "report-reason")) != "an ad" ||
		text(one(t, postReport, "report-excerpt")) != "buy cheap watches" || !strings.Contains(text(one(t, postReport, "report-reporter")), "alice") {
		t.Fatalf("post report: %q", text(postReport))
	}
	if firstByTestID(accountReport, "report-hide_post") != nil || firstByTestID(accountReport, "report-ban") == nil {
		t.Fatal("an account report offers hiding, or no ban")
	}
	if firstByTestID(postReport, "report-edited") != nil {
		t.Fatal("a post not edited since its report is marked edited")
	}
	// Edited after the report, the post is marked so, with its history, which holds what was
	// reported.
	if _, err := s.f.EditPost(ctx, bob.Viewer(), spam.ID, forum.PostEdit{Body: "nothing to see here"}); err != nil {
		t.Fatal(err)
	}
	q = mod.get("/admin/reports")
	edited := firstByTestID(byTestID(q.doc, "report")[1], "report-edited")
	if edited == nil || attr(edited, "href") != "/p/"+itoa(spam.ID)+"/history" {
		t.Fatalf("a post edited since its report is not marked so:\n%s", q.body)
	}
	postReport = byTestID(q.doc, "report")[1]
	// Hide the post: the report closes and the post is hidden.
	r = mod.post("/admin/reports/"+attr(postReport, "data-report-id"), url.Values{"action": {"hide_post"}})
	wantStatus(t, r, http.StatusSeeOther)
	if after := mod.get(r.Header.Get("Location")); !after.has("notice") || len(byTestID(after.doc, "report")) != 1 {
		t.Fatalf("after hiding: %s", after.text("report-list"))
	}
	if p, err := s.f.PostByID(ctx, forumtest.Admin, spam.ID); err != nil || !p.Hidden() {
		t.Fatalf("post hidden %v (%v)", p.Hidden(), err)
	}
	// Acting twice: someone else already did.
	r = mod.post("/admin/reports/"+attr(postReport, "data-report-id"), url.Values{"action": {"dismiss"}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=closed") {
		t.Fatalf("acting on a closed report: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	// Ban the account for a week.
	wantStatus(t, mod.post("/admin/reports/"+attr(accountReport, "data-report-id"), url.Values{"action": {"ban_member"}, "ban_for": {"forever-ish"}}),
		http.StatusUnprocessableEntity)
	wantStatus(t, mod.post("/admin/reports/"+attr(accountReport, "data-report-id"), url.Values{"action": {"ban_member"}, "ban_for": {"7d"}}),
		http.StatusSeeOther)
	m, err := s.f.MemberByID(ctx, bob.ID)
	if err != nil || !m.Banned(time.Now()) || m.BannedForever || m.BannedUntil.Before(time.Now().Add(6*24*time.Hour)) {
		t.Fatalf("bob's ban: %+v (%v)", m.BannedUntil, err)
	}
	if done := mod.get("/admin/reports"); !done.has("no-reports") || done.has("nav-reports-count") {
		t.Fatal("the queue is not empty at the end")
	}
	log := admin.get("/admin/log").text("log")
	for _, want := range []string{"hide_post", "ban_member", "report #"} {
		if !strings.Contains(log, want) {
			t.Errorf("moderation log lacks %q", want)
		}
	}
}

func TestReportQueueOffersBansOnlyWhereTheViewerMayBanAndNamesPostsByID(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Heated", "opening")
	for i := 0; i < 3; i++ {
		fx.reply(t, fx.alice, th.ID, "filler "+itoa(int64(i)))
	}
	// The moderator's post sits at position 5; posts in another thread first give it a
	// different id, so a label by position would name another post.
	other, _ := fx.thread(t, fx.bob, "Elsewhere", "first")
	fx.reply(t, fx.bob, other.ID, "second")
	modPost := fx.reply(t, fx.mod, th.ID, "a moderator being rude")
	if modPost.Position == int(modPost.ID) {
		t.Fatalf("post %d at position %d: the test needs them to differ", modPost.ID, modPost.Position)
	}
	forumtest.Member(t, fx.f, "mike", forum.RoleModerator)
	for _, in := range []forum.NewReport{{PostID: modPost.ID, Reason: "rude mod"}, {Account: "ada", Reason: "admin abuse"},
		{Account: "bob", Reason: "spam"}, {Account: "mike", Reason: "another moderator"}} {
		if _, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), in); err != nil {
			t.Fatal(err)
		}
	}
	banOffered := func(v forum.Viewer) map[string]bool {
		d := doc(t, fx.get(t, v, "/admin/reports"))
		out := map[string]bool{}
		for _, item := range byTestID(d, "report") {
			out[strings.Fields(text(one(t, item, "report-target")))[0]] = len(byTestID(item, "report-ban")) > 0
		}
		return out
	}
	// A moderator bans members only (and never themselves); an admin also moderators; nobody an admin.
	if got := banOffered(fx.mod.Viewer()); got["molly"] || got["mike"] || got["ada"] || !got["bob"] {
		t.Errorf("moderator is offered bans %v, want bob's only", got)
	}
	if got := banOffered(fx.admin.Viewer()); !got["molly"] || !got["mike"] || got["ada"] || !got["bob"] {
		t.Errorf("admin is offered bans %v, want molly's, mike's and bob's", got)
	}

	d := doc(t, fx.get(t, fx.mod.Viewer(), "/admin/reports"))
	link := one(t, d, "report-post-link")
	if want := "post #" + itoa(modPost.ID) + " in “Heated”"; text(link) != want || attr(link, "href") != "/p/"+itoa(modPost.ID) {
		t.Errorf("reported post shown as %q → %q, want %q → /p/%d", text(link), attr(link, "href"), want, modPost.ID)
	}
}
