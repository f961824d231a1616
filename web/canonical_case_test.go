package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCapitalisedAddressesRedirectToTheirOneAddress(t *testing.T) {
	t.Parallel()
	h := CanonicalCase(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, c := range []struct{ method, target, location string }{
		{"GET", "/u/ALICE", "/u/alice"},
		{"GET", "/c/General/feed?x=1", "/c/general/feed?x=1"},
		{"HEAD", "/u/Bob/", "/u/bob/"},
		{"GET", "/u/alice", ""},                   // already canonical
		{"GET", "/u/Gargron@mastodon.social", ""}, // a remote handle keeps its case
		{"POST", "/u/ALICE/inbox", ""},            // a POST is not redirected
		{"GET", "/t/1/Actor", ""},                 // not a name
		{"GET", "/u/%41lice", "/u/alice"},         // an escaped capital
		{"GET", "/u/Name%40host.example", ""},     // an escaped @: a remote handle
		{"GET", "/u/Al%2Fice", ""},                // not a name at all
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.target, nil))
		if c.location == "" {
			if rec.Code != http.StatusTeapot {
				t.Errorf("%s %s: %d, want it passed on", c.method, c.target, rec.Code)
			}
			continue
		}
		if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != c.location {
			t.Errorf("%s %s: %d to %q, want 301 to %q", c.method, c.target, rec.Code, rec.Header().Get("Location"), c.location)
		}
	}
}
