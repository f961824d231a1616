package web

import (
	"net/http"
	"net/url"
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

// lowerCasedName is the escaped path with the name after /u/ or /c/ in lower case, if that
// changes it. The name is judged decoded (/u/%41lice is Alice; /u/Name%40host is a remote handle),
// and written back decoded and lower-cased: a local name is [a-z0-9_], which needs no escaping.
func lowerCasedName(escaped string) (string, bool) {
	var prefix string
	switch {
	case strings.HasPrefix(escaped, "/u/"):
		prefix = "/u/"
	case strings.HasPrefix(escaped, "/c/"):
		prefix = "/c/"
	default:
		return "", false
	}
	raw, rest, more := strings.Cut(escaped[len(prefix):], "/")
	name, err := url.PathUnescape(raw)
	if err != nil || strings.Contains(name, "@") || !strings.ContainsFunc(name, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return "", false
	}
	lower := strings.ToLower(name)
	if strings.ContainsFunc(lower, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_') }) {
		return "", false // not a local name: no redirect to make, the page says it is unknown
	}
	out := prefix + lower
	if more {
		out += "/" + rest
	}
	return out, true
}
