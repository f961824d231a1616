package web

import (
	"net/url"
	"strings"
)

// safeNext returns where to send someone after signing in: raw if it is a path on this site, else
// "/". An open redirect here would let a link to our sign-in page land people on a look-alike
// site, so anything that a browser could read as another host is refused: "//host",
// "/\host" (browsers treat \ as /), "/%2F/host" and "/%5Chost" once decoded, schemes, and control
// characters (a tab inside "/\t/host" is dropped by browsers).
func safeNext(raw string) string {
	if raw == "" || len(raw) > 2000 {
		return "/"
	}
	decoded := raw
	// Decode repeatedly: "%252F" is "%2F" after one pass and "/" after two.
	for range 3 {
		d, err := url.PathUnescape(decoded)
		if err != nil {
			return "/"
		}
		if d == decoded {
			break
		}
		decoded = d
	}
	for _, s := range []string{raw, decoded} {
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, `/\`) {
			return "/"
		}
		for _, c := range s {
			if c < 0x20 || c == 0x7f || c == '\\' {
				return "/"
			}
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return raw
}
