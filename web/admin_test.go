package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestAdminAreaIsForStaffWithModeratorsSeeingLess(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "root_admin", forum.RoleAdmin)
	forumtest.Member(t, s.f, "helper", forum.RoleModerator)
	forumtest.Member(t, s.f, "plain", forum.RoleMember)

	guest := s.browser()
	if r := guest.get("/admin"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("guest on /admin: %d", r.StatusCode)
	}
	member := s.browser()
	member.login("plain")
	for _, p := range []string{"/admin", "/admin/members", "/admin/settings", "/admin/log"} {
		wantStatus(t, member.get(p), http.StatusForbidden)
	}
	wantStatus(t, member.post("/admin/members/helper/ban", url.Values{"permanent": {"1"}}), http.StatusForbidden)

	mod := s.browser()
	mod.login("helper")
	home := mod.get("/")
	if home.text("nav-admin") != "Moderation" {
		t.Fatalf("moderator's header: %q", home.text("account-nav"))
	}
	list := mod.get("/admin/members")
	wantStatus(t, list, http.StatusOK)
	if !list.has("member-plain") || strings.Contains(list.body, "plain@example.test") {
		t.Fatalf("moderator's member list (no e-mails wanted): %q", list.text("members"))
	}
	wantStatus(t, mod.get("/admin/settings"), http.StatusForbidden)
	wantStatus(t, mod.get("/admin/log"), http.StatusForbidden)
	// A moderator may ban a member but is not offered (nor allowed) to ban an admin.
	if adm := mod.get("/admin/members/root_admin"); adm.has("ban-form") || adm.has("role-form") {
		t.Fatal("moderator offered actions on an admin")
	}
	wantStatus(t, mod.post("/admin/members/root_admin/ban", url.Values{"permanent": {"1"}}), http.StatusForbidden)

	admin := s.browser()
	admin.login("root_admin")
	if r := admin.get("/"); r.text("nav-admin") != "Admin" {
		t.Fatalf("admin's header: %q", r.text("account-nav"))
	}
	over := admin.get("/admin")
	if over.text("count-members") != "3" || over.text("count-banned") != "0" {
		t.Fatalf("overview: %q", over.text("member-counts"))
	}
	if r := admin.get("/admin/members?q=PL"); !strings.Contains(r.text("members"), "plain@example.test") || r.has("member-helper") {
		t.Fatalf("search: %q", r.text("members"))
	}
	wantStatus(t, admin.get("/admin/members?q=no%25pe"), http.StatusUnprocessableEntity)
}

func TestAdminBansAndChangesRolesThroughTheForms(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "boss", forum.RoleAdmin)
	forumtest.Member(t, s.f, "noisy", forum.RoleMember)
	victim := s.browser()
	victim.login("noisy")
	admin := s.browser()
	admin.login("boss")

	// A date in the past and a missing date are refused on the form, keeping the reason.
	r := admin.post("/admin/members/noisy/ban", url.Values{"until": {"2001-01-01"}, "reason": {"flood"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !r.has("problem-until") || !strings.Contains(r.body, `value="flood"`) {
		t.Fatalf("past date: %s", r.text("ban-form"))
	}
	wantStatus(t, admin.post("/admin/members/noisy/ban", url.Values{"reason": {"flood"}}), http.StatusUnprocessableEntity)

	until := time.Now().AddDate(0, 0, 7).UTC().Format("2006-01-02")
	r = admin.post("/admin/members/noisy/ban", url.Values{"until": {until}, "reason": {"flood"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := admin.get(r.Header.Get("Location"))
	if !strings.HasPrefix(page.text("member-status"), "banned until ") || !page.has("unban-form") {
		t.Fatalf("after ban: %q", page.text("member-facts"))
	}
	if victim.get("/").has("nav-me") {
		t.Fatal("banned member's session survived")
	}
	wantStatus(t, admin.post("/admin/members/noisy/unban", nil), http.StatusSeeOther)
	// A date and "permanent" together say two things: refused, not guessed.
	if r := admin.post("/admin/members/noisy/ban", url.Values{"until": {until}, "permanent": {"1"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a ban until a date and permanent: %d", r.StatusCode)
	}
	r = admin.post("/admin/members/noisy/ban", url.Values{"permanent": {"1"}})
	wantStatus(t, r, http.StatusSeeOther)
	if got := admin.get("/admin/members/noisy").text("member-status"); got != "banned permanently" {
		t.Fatalf("permanent ban shows %q", got)
	}
	wantStatus(t, admin.post("/admin/members/noisy/unban", nil), http.StatusSeeOther)

	r = admin.post("/admin/members/noisy/role", url.Values{"role": {"moderator"}})
	wantStatus(t, r, http.StatusSeeOther)
	if got := admin.get("/admin/members/noisy").text("member-role"); got != "moderator" {
		t.Fatalf("role shows %q", got)
	}
	wantStatus(t, admin.post("/admin/members/noisy/role", url.Values{"role": {"king"}}), http.StatusUnprocessableEntity)
	// An admin's own page offers no role form (they cannot demote themselves).
	if admin.get("/admin/members/boss").has("role-form") {
		t.Fatal("admin offered to change their own role")
	}

	log := admin.get("/admin/log")
	wantStatus(t, log, http.StatusOK)
	text := log.text("log")
	for _, want := range []string{"ban_member", "unban_member", "set_role", "noisy", "flood"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q: %q", want, text)
		}
	}
}

func TestSiteSettingsShowInTheLayoutAboutPageAndStylesheet(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	admin := s.browser()
	admin.login("owner")

	bad := admin.post("/admin/settings", url.Values{"site_name": {""}, "custom_css": {"p{}"}, "logo_url": {"javascript:alert(1)"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if !bad.has("problem-site_name") || !bad.has("problem-logo_url") || !strings.Contains(bad.body, "p{}") {
		t.Fatalf("bad settings form:\n%s", bad.text("site-settings-form"))
	}
	r := admin.post("/admin/settings", url.Values{"site_name": {"Potters' Wheel"}, "description": {"Clay and kilns."},
		"custom_css": {"body { background: #fed; } </style><script>alert(1)</script>"}, "rules": {"Be kind.\n\nNo spam."},
		"logo_url": {"/static/logo.png"}})
	wantStatus(t, r, http.StatusSeeOther)

	guest := s.browser()
	home := guest.get("/")
	if home.text("site-name") != "Potters' Wheel" || !strings.Contains(home.body, "<title>Potters&#39; Wheel</title>") {
		t.Fatalf("layout site name: %q", home.text("site-name"))
	}
	// Registration was not ticked: closed, and the header stops offering it.
	if home.has("nav-register") {
		t.Fatal("header offers registration while it is closed")
	}
	reg := guest.post("/register", url.Values{"username": {"late"}, "email": {"late@example.test"}, "password": {"long enough pw"}})
	wantStatus(t, reg, http.StatusForbidden)
	if !reg.has("registration-closed") {
		t.Fatalf("closed registration page:\n%s", reg.body)
	}

	cssLink := attr(firstByTestID(home.doc, "site-css"), "href")
	if !strings.HasPrefix(cssLink, "/site.css?v=") {
		t.Fatalf("custom CSS link %q", cssLink)
	}
	if strings.Contains(home.body, "background: #fed") {
		t.Fatal("custom CSS inlined in the page")
	}
	css := guest.get(cssLink)
	wantStatus(t, css, http.StatusOK)
	if css.Header.Get("Content-Type") != "text/css; charset=utf-8" || css.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(css.body, "background: #fed") {
		t.Fatalf("site.css: %v %q", css.Header, css.body)
	}

	about := guest.get("/about")
	if about.text("site-description") != "Clay and kilns." || !strings.Contains(about.text("site-rules"), "No spam.") {
		t.Fatalf("about page: %q / %q", about.text("site-description"), about.text("site-rules"))
	}
	if got := admin.get("/admin/log").text("log"); !strings.Contains(got, "update_site_settings") {
		t.Fatalf("settings change not logged: %q", got)
	}
}

func TestTokensAndSessionsPages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "lou", forum.RoleMember)
	laptop, phone := s.browser(), s.browser()
	phone.header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")
	laptop.login("lou")
	phone.login("lou")

	r := laptop.post("/settings/tokens", url.Values{"name": {"backup script"}})
	wantStatus(t, r, http.StatusOK)
	secret := attr(firstByTestID(r.doc, "new-token"), "value")
	if !strings.HasPrefix(secret, forum.AccessTokenPrefix) || !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("new token %q, Cache-Control %q", secret, r.Header.Get("Cache-Control"))
	}
	// Shown once: the list page does not show it again.
	list := laptop.get("/settings/tokens")
	if strings.Contains(list.body, secret) || !strings.Contains(list.text("tokens"), "backup script") {
		t.Fatalf("token list: %q", list.text("tokens"))
	}
	api := s.browser()
	api.header.Set("Authorization", "Bearer "+secret)
	wantStatus(t, api.get("/api/me"), http.StatusOK)
	// Read with the session, as the rest of the API, it is never stored by a cache.
	if me := laptop.get("/api/me"); me.Header.Get("Cache-Control") != "no-store" || !strings.Contains(me.body, `"username":"lou"`) {
		t.Fatalf("/api/me with a session: Cache-Control %q, %s", me.Header.Get("Cache-Control"), me.body)
	}
	wantStatus(t, laptop.post("/settings/tokens", url.Values{"name": {"  "}}), http.StatusUnprocessableEntity)

	revoke := firstByTestID(list.doc, "tokens")
	var action string
	var find func(n *nodeT)
	find = func(n *nodeT) {
		if n.Data == "form" && action == "" {
			action = attr(n, "action")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(revoke)
	wantStatus(t, laptop.post(action, nil), http.StatusSeeOther)
	wantStatus(t, api.get("/api/me"), http.StatusUnauthorized)

	sessions := laptop.get("/settings/sessions")
	if n := strings.Count(sessions.body, `data-testid="session-`); n != 2 || !sessions.has("this-session") {
		t.Fatalf("%d sessions listed:\n%s", n, sessions.text("sessions"))
	}
	// The phone's session is named as a person would name it, the raw header kept in the title.
	if !strings.Contains(sessions.text("sessions"), "Safari 18 on iPhone") {
		t.Errorf("the phone's session is not named:\n%s", sessions.text("sessions"))
	}
	wantStatus(t, laptop.post("/settings/sessions/revoke-others", nil), http.StatusSeeOther)
	if phone.get("/").has("nav-me") {
		t.Fatal("the phone is still signed in after 'sign out everywhere else'")
	}
	if !laptop.get("/").has("nav-me") {
		t.Fatal("'sign out everywhere else' signed this browser out")
	}
	wantStatus(t, laptop.post("/settings/sessions/999999/revoke", nil), http.StatusNotFound)

	// Changing the password keeps this session and ends the others.
	phone.login("lou")
	r = laptop.post("/settings/password", url.Values{"current_password": {"wrong wrong wrong"}, "new_password": {"another long password"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !r.has("problem-current_password") {
		t.Fatalf("wrong current password: %s", r.text("password-form"))
	}
	wantStatus(t, laptop.post("/settings/password", url.Values{"current_password": {testPassword}, "new_password": {"another long password"}}), http.StatusSeeOther)
	if phone.get("/").has("nav-me") || !laptop.get("/").has("nav-me") {
		t.Fatal("password change did not keep exactly this session")
	}
	// And the e-mail form.
	wantStatus(t, laptop.post("/settings/email", url.Values{"email": {"lou@new.example"}, "current_password": {"another long password"}}), http.StatusSeeOther)
	if got := laptop.get("/settings/email").text("current-email"); got != "lou@new.example" {
		t.Fatalf("e-mail now %q", got)
	}
	if m := s.jobs.lastMail(t); m.To != "lou@example.test" {
		t.Fatalf("change notice went to %q", m.To)
	}
}

// A reload of the page that showed a new token sends its form again: it makes no second token, and
// the page says what happened. A form shown afresh makes a token again.
func TestSendingTheTokenFormAgainMakesNoSecondToken(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "lou", forum.RoleMember)
	b := s.browser()
	b.login("lou")
	key := attr(findAttr(b.get("/settings/tokens").doc, "name", "form_key"), "value")
	if len(key) < 20 {
		t.Fatalf("the form's key is %q", key)
	}
	form := url.Values{"name": {"deploy"}, "form_key": {key}}
	first := b.post("/settings/tokens", form)
	wantStatus(t, first, http.StatusOK)
	if !first.has("new-token") {
		t.Fatal("no token shown")
	}
	again := b.post("/settings/tokens", form)
	wantStatus(t, again, http.StatusConflict)
	if again.has("new-token") || !strings.Contains(again.body, "This form was sent before and made the token “deploy”") {
		t.Fatalf("the form sent again shows:\n%s", again.body)
	}
	if n := strings.Count(b.get("/settings/tokens").text("tokens"), "deploy"); n != 1 {
		t.Fatalf("%d tokens named deploy, want 1", n)
	}
	next := attr(findAttr(first.doc, "name", "form_key"), "value")
	if next == key || next == "" {
		t.Fatalf("the page that showed the token offers the same key again: %q", next)
	}
	wantStatus(t, b.post("/settings/tokens", url.Values{"name": {"deploy"}, "form_key": {next}}), http.StatusOK)
	if n := strings.Count(b.get("/settings/tokens").text("tokens"), "deploy"); n != 2 {
		t.Fatalf("%d tokens named deploy after a second form, want 2", n)
	}
}
