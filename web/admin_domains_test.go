package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// newDomainSite is newSite with hosts canonicalised as cmd/stoa wires it, which domain rules need.
func newDomainSite(t *testing.T) *site {
	t.Helper()
	jobs := &recordedJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs, CanonicalHost: federation.CanonicalHost})
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	h = New(Options{Forum: f, PublicURL: u, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &site{t: t, f: f, pool: pool, jobs: jobs, srv: srv, url: u}
}

// remotePerson stores a remote account, as the inbox would on first contact.
func remotePerson(t *testing.T, f *forum.Forum, host, user string) forum.Actor {
	t.Helper()
	id := "https://" + host + "/users/" + user
	a, err := f.UpsertRemoteActor(context.Background(), forum.RemoteActor{APID: id, Kind: forum.ActorPerson, Username: user,
		Domain: host, InboxURL: id + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func countRows(t *testing.T, s *site, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// The block form leads to a preview of what the block touches, which changes nothing; its one
// button applies the block, which the rules list, the public page and the log then show. Bad
// input comes back with the form as typed; members cannot get near any of it.
func TestBlockingADomainFromTheAdminPages(t *testing.T) {
	t.Parallel()
	s := newDomainSite(t)
	ctx := context.Background()
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	forumtest.Member(t, s.f, "alice", forum.RoleMember)
	troll := remotePerson(t, s.f, "sub.bad.example", "troll")
	if _, err := s.f.AddRemoteFollower(ctx, forum.RemoteFollow{FollowerID: troll.ID, TargetID: cat.ActorID, APID: troll.APID + "/follow"}); err != nil {
		t.Fatal(err)
	}

	member := s.browser()
	member.login("alice")
	wantStatus(t, member.get("/admin/domains"), http.StatusForbidden)
	wantStatus(t, member.post("/admin/domains", url.Values{"domain": {"bad.example"}}), http.StatusForbidden)

	admin := s.browser()
	admin.login("owner")
	page := admin.get("/admin/domains")
	wantStatus(t, page, http.StatusOK)
	if !page.has("block-form") || !page.has("no-rules") {
		t.Fatalf("domains page:\n%s", page.body)
	}
	bad := admin.post("/admin/domains/preview", url.Values{"domain": {"bad.example/path"}, "severity": {"suspend"}, "public_comment": {"kept"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if !bad.has("problem-domain") || !strings.Contains(bad.body, `value="kept"`) {
		t.Fatalf("a bad domain: no problem shown, or the form lost what was typed:\n%s", bad.body)
	}

	q := url.Values{"domain": {"BAD.Example."}, "severity": {"suspend"}, "public_comment": {"spam"},
		"private_comment": {"ticket 9"}, "obfuscate": {"1"}}
	preview := admin.post("/admin/domains/preview", q)
	wantStatus(t, preview, http.StatusOK)
	if preview.text("radius-accounts") != "1" || preview.text("radius-follows-groups") != "1" || !preview.has("confirm-block") {
		t.Fatalf("preview:\n%s", preview.body)
	}
	if n := countRows(t, s, `SELECT count(*) FROM domain_blocks`); n != 0 {
		t.Fatal("the preview blocked")
	}
	confirm := firstByTestID(preview.doc, "confirm-block")
	form := url.Values{}
	for _, name := range []string{"domain", "severity", "public_comment", "private_comment", "obfuscate"} {
		if in := findAttr(confirm, "name", name); in != nil {
			form.Set(name, attr(in, "value"))
		}
	}
	if form.Get("domain") != "bad.example" || form.Get("obfuscate") != "1" {
		t.Fatalf("the confirm button carries %v", form)
	}
	done := admin.post("/admin/domains", form)
	wantStatus(t, done, http.StatusSeeOther)
	after := admin.get(done.Header.Get("Location"))
	if !strings.Contains(after.text("notice"), "bad.example is blocked: 1 accounts limited") {
		t.Fatalf("notice %q", after.text("notice"))
	}
	if rows := byTestID(after.doc, "domain-rule"); len(rows) != 1 || attr(rows[0], "data-domain") != "bad.example" {
		t.Fatalf("rules listed: %d", len(rows))
	}
	if n, _ := s.f.CountFollowers(ctx, cat.ActorID); n != 0 {
		t.Fatal("the block did not sever the follow")
	}
	if n := countRows(t, s, `SELECT count(*) FROM moderation_log WHERE domain = 'bad.example' AND action = 'block_domain' AND reason = 'ticket 9'`); n != 1 {
		t.Fatal("no log entry")
	}
	// A rule's Change link previews it again, its private comment kept out of the URL but kept.
	change := attr(findAttr(after.doc, "data-testid", "change-rule"), "href")
	if change == "" || strings.Contains(change, "ticket") {
		t.Fatalf("change link %q", change)
	}
	again := admin.get(change)
	wantStatus(t, again, http.StatusOK)
	if in := findAttr(firstByTestID(again.doc, "confirm-block"), "name", "private_comment"); in == nil || attr(in, "value") != "ticket 9" {
		t.Fatalf("changing the rule would lose its private comment:\n%s", again.body)
	}

	if log := admin.get("/admin/log"); !strings.Contains(log.body, "block_domain") || !strings.Contains(log.body, `<td data-label="Target">bad.example</td>`) {
		t.Fatalf("the moderation log page does not show the block:\n%s", log.body)
	}
	// The public list: obfuscated, with the public comment only.
	pub := s.browser().get("/moderated-servers")
	wantStatus(t, pub, http.StatusOK)
	row := pub.text("moderated-server")
	if !strings.Contains(row, "bad.*****le") || strings.Contains(pub.body, "bad.example") || !strings.Contains(row, "spam") ||
		strings.Contains(pub.body, "ticket 9") {
		t.Fatalf("public list row %q\n%s", row, pub.body)
	}

	// Lifting it from the list brings the follow back.
	lift := admin.post("/admin/domains/bad.example/unblock", url.Values{"reason": {"sorted out"}})
	wantStatus(t, lift, http.StatusSeeOther)
	if n, _ := s.f.CountFollowers(ctx, cat.ActorID); n != 1 {
		t.Fatal("lifting the block did not restore the follow")
	}
	if !s.browser().get("/moderated-servers").has("no-moderated-servers") {
		t.Fatal("the lifted block is still on the public list")
	}
	export := admin.get("/admin/domains/export.csv")
	wantStatus(t, export, http.StatusOK)
	if ct := export.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("export type %q", ct)
	}
}

// The import page's dry run lists each domain's action and changes nothing; its button applies
// exactly that.
func TestImportDryRunPage(t *testing.T) {
	t.Parallel()
	s := newDomainSite(t)
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	admin := s.browser()
	admin.login("owner")
	if _, err := s.f.BlockDomain(context.Background(), forumtest.Admin, forum.DomainBlockInput{Domain: "strict.example"}); err != nil {
		t.Fatal(err)
	}
	csv := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
		"new.example,silence,false,false,loud,false\nstrict.example,silence,false,false,,false\nnot valid!,suspend,,,,\n"
	dry := admin.post("/admin/domains/import", url.Values{"csv": {csv}})
	wantStatus(t, dry, http.StatusOK)
	actions := map[string]string{}
	for _, r := range byTestID(dry.doc, "import-row") {
		actions[attr(r, "data-domain")] = attr(r, "data-action")
	}
	if actions["new.example"] != "add" || actions["strict.example"] != "keep" || len(actions) != 2 {
		t.Fatalf("dry run rows %v", actions)
	}
	if !strings.Contains(dry.text("import-problems"), "Line 4") || !dry.has("confirm-import") {
		t.Fatalf("dry run page:\n%s", dry.body)
	}
	if n := countRows(t, s, `SELECT count(*) FROM domain_blocks`); n != 1 {
		t.Fatal("the dry run imported")
	}
	wantStatus(t, admin.post("/admin/domains/import", url.Values{"csv": {csv}, "confirm": {"1"}}), http.StatusSeeOther)
	if n := countRows(t, s, `SELECT count(*) FROM domain_blocks WHERE (domain, severity) IN (('new.example', 'silence'), ('strict.example', 'suspend'))`); n != 2 {
		t.Fatal("the import did not do what the dry run showed")
	}
	// An uploaded file that is no blocklist at all: every row skipped, said why, nothing to import.
	junk := admin.upload("/admin/domains/import", "file", "list.csv", "text/csv", []byte("<html>not a list</html>"))
	wantStatus(t, junk, http.StatusOK)
	if !strings.Contains(junk.text("import-problems"), "is not a host name") || junk.has("confirm-import") {
		t.Fatalf("junk upload:\n%s", junk.body)
	}
}

// Subscribing queues the list's first fetch; the list page shows it; unsubscribing removes it.
func TestSubscriptionsPage(t *testing.T) {
	t.Parallel()
	s := newDomainSite(t)
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	admin := s.browser()
	admin.login("owner")
	bad := admin.post("/admin/domains/subscriptions", url.Values{"url": {"ftp://lists.example/x.csv"}, "priority": {"10"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if !bad.has("problem-url") {
		t.Fatalf("no problem shown for a bad URL:\n%s", bad.body)
	}
	wantStatus(t, admin.post("/admin/domains/subscriptions", url.Values{"url": {"https://lists.example/x.csv"}, "priority": {"10"}}), http.StatusSeeOther)
	fetches := 0
	s.jobs.mu.Lock()
	queued := append([]forum.JobArgs(nil), s.jobs.args...)
	s.jobs.mu.Unlock()
	for _, a := range queued {
		if _, ok := a.(forum.BlocklistFetchArgs); ok {
			fetches++
		}
	}
	if fetches != 1 {
		t.Fatalf("%d fetches queued", fetches)
	}
	list := admin.get("/admin/domains/subscriptions")
	if rows := byTestID(list.doc, "subscription"); len(rows) != 1 || !strings.Contains(text(rows[0]), "https://lists.example/x.csv") {
		t.Fatalf("subscriptions page:\n%s", list.body)
	}
	id := countRows(t, s, `SELECT id::int FROM blocklist_subscriptions`)
	wantStatus(t, admin.post("/admin/domains/subscriptions/"+itoa(int64(id))+"/priority", url.Values{"priority": {"200"}}), http.StatusSeeOther)
	if n := countRows(t, s, `SELECT priority::int FROM blocklist_subscriptions`); n != 200 {
		t.Fatalf("priority %d", n)
	}
	wantStatus(t, admin.post("/admin/domains/subscriptions/"+itoa(int64(id))+"/remove", nil), http.StatusSeeOther)
	if !admin.get("/admin/domains/subscriptions").has("no-subscriptions") {
		t.Fatal("unsubscribing left the list")
	}
}

// Staff silence a remote account from its page (reached from a report about it), forward the
// report to its server, and the queue shows it was forwarded.
func TestRemoteAccountModerationAndForwarding(t *testing.T) {
	t.Parallel()
	s := newDomainSite(t)
	forumtest.Member(t, s.f, "molly", forum.RoleModerator)
	alice := forumtest.Member(t, s.f, "alice", forum.RoleMember)
	troll := remotePerson(t, s.f, "far.example", "troll")
	reportID, err := s.f.FileReport(context.Background(), alice.Viewer(), forum.NewReport{Account: "troll@far.example", Reason: "abuse"})
	if err != nil {
		t.Fatal(err)
	}
	mod := s.browser()
	mod.login("molly")
	queue := mod.get("/admin/reports")
	if !queue.has("report-moderate-account") || !queue.has("report-forward") {
		t.Fatalf("the queue offers no action on the remote account:\n%s", queue.body)
	}
	acct := mod.get("/admin/accounts/" + itoa(troll.ID))
	wantStatus(t, acct, http.StatusOK)
	if !acct.has("account-silence") {
		t.Fatalf("account page:\n%s", acct.body)
	}
	wantStatus(t, mod.post("/admin/accounts/"+itoa(troll.ID), url.Values{"action": {"silence"}, "reason": {"abuse"}}), http.StatusSeeOther)
	if !mod.get("/admin/accounts/" + itoa(troll.ID)).has("account-unsilence") {
		t.Fatal("the account is not shown silenced")
	}
	if rows := byTestID(mod.get("/admin/accounts").doc, "remote-account"); len(rows) != 1 {
		t.Fatalf("%d moderated accounts listed", len(rows))
	}
	wantStatus(t, mod.post("/admin/accounts/"+itoa(troll.ID), url.Values{"action": {"explode"}}), http.StatusUnprocessableEntity)

	// Silencing closed the report; a new one is forwarded.
	second, err := s.f.FileReport(context.Background(), alice.Viewer(), forum.NewReport{Account: "troll@far.example", Reason: "more abuse"})
	if err != nil || second == reportID {
		t.Fatalf("second report %d: %v", second, err)
	}
	wantStatus(t, mod.post("/admin/reports/"+itoa(second)+"/forward", url.Values{"comment": {"please look"}}), http.StatusSeeOther)
	if n := countRows(t, s, `SELECT count(*) FROM reports WHERE id = $1 AND forwarded_at IS NOT NULL`, second); n != 1 {
		t.Fatal("the report is not marked forwarded")
	}
	if !mod.get("/admin/reports").has("report-forwarded") {
		t.Fatal("the queue does not show the report was forwarded")
	}
	member := s.browser()
	member.login("alice")
	wantStatus(t, member.get("/admin/accounts/"+itoa(troll.ID)), http.StatusForbidden)
}

// Switching to allowlist mode shows first which known servers it cuts off; the switch and the way
// back are one button each, and the public page says which mode the forum is in.
func TestAllowlistModePages(t *testing.T) {
	t.Parallel()
	s := newDomainSite(t)
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	remotePerson(t, s.f, "stranger.example", "s")
	remotePerson(t, s.f, "friend.example", "f")
	admin := s.browser()
	admin.login("owner")
	wantStatus(t, admin.post("/admin/domains/allows", url.Values{"allow_domain": {"Friend.Example."}, "allow_comment": {"partners"}}), http.StatusSeeOther)
	if bad := admin.post("/admin/domains/allows", url.Values{"allow_domain": {"not a domain"}}); bad.StatusCode != http.StatusUnprocessableEntity || !bad.has("problem-allow_domain") ||
		!strings.Contains(bad.body, `value="not a domain"`) || bad.has("problem-domain") {
		t.Fatalf("a bad allow: %d\n%s", bad.StatusCode, bad.body)
	}
	preview := admin.get("/admin/domains/mode?mode=allowlist")
	wantStatus(t, preview, http.StatusOK)
	if !strings.HasPrefix(preview.text("allowlist-count"), "1 known servers") || !strings.Contains(preview.text("allowlist-domains"), "stranger.example") {
		t.Fatalf("allowlist preview:\n%s", preview.body)
	}
	if mode, _ := s.f.FederationMode(context.Background()); mode != forum.FederateBlocklist {
		t.Fatal("the preview switched the mode")
	}
	wantStatus(t, admin.post("/admin/domains/mode", url.Values{"mode": {"allowlist"}}), http.StatusSeeOther)
	if !s.browser().get("/moderated-servers").has("allowlist-notice") {
		t.Fatal("the public page does not say the forum federates with allowed servers only")
	}
	if !admin.get("/admin/domains").has("mode-blocklist") {
		t.Fatal("no way back to blocklist mode")
	}
	wantStatus(t, admin.post("/admin/domains/mode", url.Values{"mode": {"blocklist"}}), http.StatusSeeOther)
	if mode, _ := s.f.FederationMode(context.Background()); mode != forum.FederateBlocklist {
		t.Fatal("the mode did not switch back")
	}
}
