package web

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/stoa-forum/stoa/forum"
)

// refuseBytesNotText answers 400 invalid_text (docs/API.md) to a request whose path or query holds
// a NUL or bytes that are not UTF-8, before anything reads them. Each parameter met them its own
// way: a slug's NUL was a 400 from PostgreSQL, its invalid UTF-8 a 404, a cursor's a 422, a search
// filter's "no one is known here as ...".
func (s *Server) refuseBytesNotText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isText(r.URL.Path) || !queryIsText(r.URL.RawQuery, r) {
			s.fail(w, r, fmt.Errorf("the address: %w", forum.ErrNotText))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// queryIsText checks the query's decoded names and values; most requests have none.
func queryIsText(raw string, r *http.Request) bool {
	if raw == "" {
		return true
	}
	for name, values := range r.URL.Query() {
		if !isText(name) {
			return false
		}
		for _, v := range values {
			if !isText(v) {
				return false
			}
		}
	}
	return true
}
