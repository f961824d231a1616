package federation

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalidHost is returned (wrapped) for a host name that is not a plain DNS name or IP literal.
var ErrInvalidHost = errors.New("invalid host")

// hostProfile converts internationalised names to their ASCII (punycode) form the way browsers
// resolve them (UTS #46 with the lookup rules), and refuses names that are not valid host names.
var hostProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
	idna.Transitional(false),
)

// CanonicalHost returns host (a name or IP literal, with an optional port) in the one form Stoa
// stores and compares: lower case, punycode for internationalised names, no trailing dot, IPv6 in
// brackets, and the port kept as given when there is one. It refuses anything that could make two
// spellings of a host compare differently or smuggle a path, user or second port through a host
// field (SECURITY.md rule 9; Mastodon CVE-2023-42451): '/', '@', '%', '\', whitespace, control
// characters, empty labels, ports that are not plain decimal numbers in 1-65535, and numeric
// names that are not a dotted-quad IPv4 address (a resolver may read "127.1" or "0x7f.1" as one).
//
// It does not know the scheme, so it cannot drop a default port; Origin does.
func CanonicalHost(host string) (string, error) {
	if host == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidHost)
	}
	if len(host) > 300 {
		return "", fmt.Errorf("%w: too long", ErrInvalidHost)
	}
	if !utf8.ValidString(host) {
		return "", fmt.Errorf("%w: not UTF-8", ErrInvalidHost)
	}
	for _, r := range host {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`/@%\?#"<>^{|}`+"`", r) {
			return "", fmt.Errorf("%w: %q contains %q", ErrInvalidHost, host, r)
		}
	}
	name, port, err := splitHostPort(host)
	if err != nil {
		return "", err
	}
	canon, err := canonicalName(name)
	if err != nil {
		return "", err
	}
	if port != "" {
		return canon + ":" + port, nil
	}
	return canon, nil
}

// splitHostPort separates an optional port, accepting "[v6]" and "[v6]:port" for IPv6.
func splitHostPort(host string) (name, port string, err error) {
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", "", fmt.Errorf("%w: unclosed IPv6 bracket in %q", ErrInvalidHost, host)
		}
		name, rest := host[:end+1], host[end+1:]
		if rest == "" {
			return name, "", nil
		}
		if rest[0] != ':' {
			return "", "", fmt.Errorf("%w: %q", ErrInvalidHost, host)
		}
		port, err := canonicalPort(rest[1:])
		return name, port, err
	}
	name, port, hasPort := strings.Cut(host, ":")
	if !hasPort {
		return name, "", nil
	}
	p, err := canonicalPort(port)
	return name, p, err
}

// canonicalPort accepts only what a URL parser and a dialer agree on: 1-5 decimal digits with no
// sign and no leading zero, in 1-65535. "host:", "host:+80", "host:0080" and "host:80:80" are refused.
func canonicalPort(p string) (string, error) {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return "", fmt.Errorf("%w: bad port %q", ErrInvalidHost, p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "", fmt.Errorf("%w: bad port %q", ErrInvalidHost, p)
		}
	}
	if n, _ := strconv.Atoi(p); n < 1 || n > 65535 {
		return "", fmt.Errorf("%w: port %q out of range", ErrInvalidHost, p)
	}
	return p, nil
}

func canonicalName(name string) (string, error) {
	if strings.HasPrefix(name, "[") {
		addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]"))
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", fmt.Errorf("%w: bad IPv6 literal %q", ErrInvalidHost, name)
		}
		return "[" + addr.String() + "]", nil
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" || strings.HasSuffix(name, ".") || strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		return "", fmt.Errorf("%w: empty label in %q", ErrInvalidHost, name)
	}
	labels := strings.Split(name, ".")
	if last := labels[len(labels)-1]; looksNumeric(last) {
		// WHATWG URL parsers read a name whose last label is a number as an IPv4 address in
		// any of several spellings; accept only the one dotted-quad form.
		addr, err := netip.ParseAddr(name)
		if err != nil || !addr.Is4() {
			return "", fmt.Errorf("%w: %q is neither a host name nor a dotted-quad IPv4 address", ErrInvalidHost, name)
		}
		return addr.String(), nil
	}
	ascii, err := hostProfile.ToASCII(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidHost, name, err)
	}
	ascii = strings.ToLower(ascii)
	// The ASCII form must itself be canonical (punycode that decodes to a valid name), so that
	// canonicalising twice gives the same host.
	if again, err := hostProfile.ToASCII(ascii); err != nil || again != ascii {
		return "", fmt.Errorf("%w: %q", ErrInvalidHost, name)
	}
	for i := 0; i < len(ascii); i++ {
		c := ascii[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", fmt.Errorf("%w: %q", ErrInvalidHost, name)
		}
	}
	return ascii, nil
}

// looksNumeric reports whether a label is a decimal, octal or hex number, as IPv4 parsers see it.
func looksNumeric(label string) bool {
	if label == "" {
		return false
	}
	l := strings.ToLower(label)
	if strings.HasPrefix(l, "0x") {
		l = l[2:]
		for i := 0; i < len(l); i++ {
			if !(l[i] >= '0' && l[i] <= '9' || l[i] >= 'a' && l[i] <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(l); i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	return true
}

// Origin is a URL's scheme, canonical host and port (default ports dropped), as a string like
// "https://example.org" or "http://alpha.test:8080". Two URLs with the same Origin are the same
// server for every trust decision Stoa makes (SECURITY.md rules 2 and 3).
type Origin string

// OriginOf returns the origin of an absolute http(s) URL.
func OriginOf(raw string) (Origin, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse %q: %w", raw, err)
	}
	return originOfURL(u)
}

func originOfURL(u *url.URL) (Origin, error) {
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("%q: scheme must be http or https", u.Redacted())
	}
	if u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("%q: %w: user information or opaque URL", u.Redacted(), ErrInvalidHost)
	}
	host, err := CanonicalHost(u.Host)
	if err != nil {
		return "", err
	}
	host = dropDefaultPort(u.Scheme, host)
	return Origin(u.Scheme + "://" + host), nil
}

func dropDefaultPort(scheme, host string) string {
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}

// Host is the origin's host[:port] part.
func (o Origin) Host() string {
	_, h, _ := strings.Cut(string(o), "://")
	return h
}

// Hostname is the origin's host without a port, as domain policies see it.
func (o Origin) Hostname() string {
	h := o.Host()
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		return h[:end+1]
	}
	name, _, _ := strings.Cut(h, ":")
	return name
}

// SameOrigin reports whether two absolute URLs share scheme, host and port. Unparseable URLs are
// never the same origin as anything.
func SameOrigin(a, b string) bool {
	oa, err := OriginOf(a)
	if err != nil {
		return false
	}
	ob, err := OriginOf(b)
	return err == nil && oa == ob
}

// HostOf returns the canonical host name (without port) of an absolute http(s) URL, for domain
// policies and for the domain column of remote actors.
func HostOf(raw string) (string, error) {
	o, err := OriginOf(raw)
	if err != nil {
		return "", err
	}
	return o.Hostname(), nil
}
