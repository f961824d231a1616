package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A path no route takes is drawn for the viewer like any other page: a signed-in member's 404 and
// 405 keep their header, where they showed "Sign in" as if the member had been signed out.
func TestAnUnknownPathKeepsTheSignedInHeader(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "alice", forum.RoleMember)
	b := s.browser()
	b.login("alice")
	for path, status := range map[string]int{"/no-such-page": http.StatusNotFound, "/categories": http.StatusNotFound} {
		r := b.get(path)
		if r.StatusCode != status || !r.has("nav-me") || r.has("nav-login") {
			t.Errorf("GET %s signed in: %d, header signed in %v", path, r.StatusCode, r.has("nav-me"))
		}
	}
	if r := b.post("/latest", nil); r.StatusCode != http.StatusMethodNotAllowed || !r.has("nav-me") {
		t.Errorf("POST /latest signed in: %d, header signed in %v", r.StatusCode, r.has("nav-me"))
	}
}

// A guest who opens any page of the admin area is sent to sign in and brought back, the same way
// on every one of them (two answered a bare 401 page).
func TestAGuestIsSentToSignInFromEveryAdminPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	b := s.browser()
	for _, path := range []string{"/admin", "/admin/members", "/admin/members/nobody", "/admin/settings", "/admin/log",
		"/admin/reports", "/admin/search", "/admin/categories", "/admin/categories/general", "/admin/deliveries",
		"/admin/deliveries/domains/example.org", "/admin/deliveries/posts/1", "/admin/domains", "/admin/domains/import",
		"/admin/domains/subscriptions", "/admin/accounts", "/admin/accounts/1"} {
		r := b.get(path)
		if want := "/login?next=" + url.QueryEscape(path); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("a guest at %s: %d to %q, want 303 to %s", path, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
}
