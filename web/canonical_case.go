package web

import (
	"net/http"
	"strings"
)

// CanonicalCase redirects (301) a GET or HEAD of a member's or category's address written with
// capitals, /u/Alice or /c/General/feed, to its one address, /u/alice: usernames and slugs are
// lower case, and the lookups ignore case, so without it every spelling served the same page and
// document under its own URL, and a document whose id is not the URL fetched fails a peer's check.
// Remote handles (/u/Name@host) keep their case: it is their server's to decide.
func CanonicalCase(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if to, ok := lowerCasedName(r.URL.EscapedPath()); ok {
				if r.URL.RawQuery != "" {
					to += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, to, http.StatusMovedPermanently)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// lowerCasedName is path (escaped) with the name after /u/ or /c/ in lower case, if that changes it.
func lowerCasedName(path string) (string, bool) {
	var prefix string
	switch {
	case strings.HasPrefix(path, "/u/"):
		prefix = "/u/"
	case strings.HasPrefix(path, "/c/"):
		prefix = "/c/"
	default:
		return "", false
	}
	name, rest, more := strings.Cut(path[len(prefix):], "/")
	if strings.Contains(name, "@") || !strings.ContainsFunc(name, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return "", false
	}
	out := prefix + strings.ToLower(name)
	if more {
		out += "/" + rest
	}
	return out, true
}
