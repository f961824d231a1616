package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// HEAD is answered as GET without the body (link checkers, feed readers, monitors), for pages and
// feeds alike; a page that does not exist is still a 404, and a method no route takes a 405.
func TestHeadIsAnsweredLikeGet(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Planes", "Which plane first?")
	for _, path := range []string{"/", "/c/general", "/c/general/feed", threadPath(th.ID), "/u/alice"} {
		get := fx.get(t, forum.Guest, path)
		head := fx.do(t, forum.Guest, http.MethodHead, path, nil)
		if head.Code != http.StatusOK || get.Code != http.StatusOK {
			t.Errorf("%s: HEAD %d, GET %d; want 200", path, head.Code, get.Code)
			continue
		}
		if a, b := head.Header().Get("Content-Type"), get.Header().Get("Content-Type"); a != b {
			t.Errorf("%s: HEAD says %q, GET %q", path, a, b)
		}
	}
	// A HEAD that made a page first leaves the cached copy whole for the GET after it.
	other, _ := fx.thread(t, fx.alice, "Chisels", "Which chisel first?")
	if head := fx.do(t, forum.Guest, http.MethodHead, threadPath(other.ID), nil); head.Code != http.StatusOK {
		t.Fatalf("HEAD of a new thread: %d", head.Code)
	}
	if get := fx.get(t, forum.Guest, threadPath(other.ID)); !strings.Contains(get.Body.String(), "Which chisel first?") {
		t.Errorf("GET after HEAD: %d without the page\n%.300s", get.Code, get.Body.String())
	}
	if rec := fx.do(t, forum.Guest, http.MethodHead, "/c/no-such-category", nil); rec.Code != http.StatusNotFound {
		t.Errorf("HEAD of a missing category: %d, want 404", rec.Code)
	}
	if rec := fx.do(t, forum.Guest, http.MethodDelete, "/c/general", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE of a category page: %d, want 405", rec.Code)
	}
}

// Bytes PostgreSQL cannot store as text (a NUL, invalid UTF-8) in an address, a query or a form
// are the request's fault: 400, never a 500 from deep in a query.
func TestBytesThatAreNotTextAreABadRequest(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Planes", "Which plane first?")
	for _, path := range []string{"/u/%00", "/c/%00", "/u/a%00@b.example", "/search?q=%00", "/search?q=%FF%FE",
		"/api/v1/categories/%00/threads"} {
		if rec := fx.get(t, forum.Guest, path); rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400\n%.300s", path, rec.Code, rec.Body.String())
		}
	}
	rec := fx.post(t, fx.bob.Viewer(), threadPath(th.ID)+"/reply", url.Values{"body": {"hi\x00there"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "not text") {
		t.Errorf("a reply with a NUL: %d, want 400 saying why\n%.300s", rec.Code, rec.Body.String())
	}
}
