package web

import (
	"net/http"
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
