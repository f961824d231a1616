package federation

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonicalHost(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"example.org":             "example.org",
		"Example.ORG":             "example.org",
		"example.org.":            "example.org",
		"social.example.org:8443": "social.example.org:8443",
		"bücher.example":          "xn--bcher-kva.example",
		"BÜCHER.example":          "xn--bcher-kva.example",
		"xn--bcher-kva.example":   "xn--bcher-kva.example",
		"203.0.113.7":             "203.0.113.7",
		"[2001:DB8::1]":           "[2001:db8::1]",
		"[2001:db8::1]:443":       "[2001:db8::1]:443",
		"alpha.test:41234":        "alpha.test:41234",
		// IDNA maps what browsers map: a zero-width space vanishes, so a block of ab.example holds.
		"a\u200bb.example": "ab.example",
	}
	for in, want := range good {
		got, err := CanonicalHost(in)
		if err != nil || got != want {
			t.Errorf("CanonicalHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// SECURITY.md rule 9: hosts with '/', '@', '%', user info or a port trick are invalid, so a
// domain block or an origin comparison cannot be dodged by spelling a host differently.
func TestRule09HostCanonicalisationRefusesTricks(t *testing.T) {
	t.Parallel()
	bad := []string{
		"", ".", "example..org", ".example.org", "example.org..",
		"evil.example/example.org", "user@example.org", "example.org@evil.example",
		"exa%6dple.org", `example.org\evil`, "example .org", "example.org\n",
		"example.org:", "example.org:0", "example.org:080", "example.org:+80", "example.org:80:80",
		"example.org:65536", "example.org:http", "[::1", "[fe80::1%eth0]", "[1.2.3.4]",
		"127.1", "0x7f.0.0.1", "2130706433", "017700000001", "1.2.3.04",
		"under_score.example", "-lead.example",
	}
	for _, in := range bad {
		if got, err := CanonicalHost(in); err == nil {
			t.Errorf("CanonicalHost(%q) = %q, want an error", in, got)
		} else if !errors.Is(err, ErrInvalidHost) {
			t.Errorf("CanonicalHost(%q): %v does not wrap ErrInvalidHost", in, err)
		}
	}
}

func TestOriginAndSameOrigin(t *testing.T) {
	t.Parallel()
	cases := map[string]Origin{
		"https://Example.org/users/a":       "https://example.org",
		"https://example.org:443/x":         "https://example.org",
		"http://example.org:80/x":           "http://example.org",
		"https://example.org:8443/x?y#z":    "https://example.org:8443",
		"https://bücher.example/u/x":        "https://xn--bcher-kva.example",
		"http://alpha.test:41234/u/alice":   "http://alpha.test:41234",
		"https://example.org./users/a#main": "https://example.org",
	}
	for in, want := range cases {
		got, err := OriginOf(in)
		if err != nil || got != want {
			t.Errorf("OriginOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"ftp://example.org/", "https://user:pw@example.org/", "mailto:a@example.org", "/relative", "https://exa mple.org/"} {
		if o, err := OriginOf(in); err == nil {
			t.Errorf("OriginOf(%q) = %q, want an error", in, o)
		}
	}
	if !SameOrigin("https://example.org/a", "https://EXAMPLE.org:443/b") {
		t.Error("default port and case must not make two origins")
	}
	if SameOrigin("https://example.org/a", "http://example.org/a") || SameOrigin("https://example.org/a", "https://example.org:8443/a") ||
		SameOrigin("https://a.example.org/", "https://example.org/") {
		t.Error("scheme, port and subdomain each make another origin")
	}
	if h, err := HostOf("https://Social.Example:8443/users/x"); err != nil || h != "social.example" {
		t.Errorf("HostOf = %q, %v", h, err)
	}
}

func FuzzCanonicalHost(f *testing.F) {
	for _, s := range []string{"example.org", "Example.ORG.", "bücher.example:8443", "[::1]:80", "127.1", "a@b", "x%2f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CanonicalHost(in)
		if err != nil {
			return
		}
		// Canonical output is a fixed point and never contains what rule 9 forbids.
		again, err := CanonicalHost(got)
		if err != nil || again != got {
			t.Fatalf("CanonicalHost(%q) = %q, but CanonicalHost(%q) = %q, %v", in, got, got, again, err)
		}
		for _, c := range []string{"/", "@", "%", "\\", " "} {
			if strings.Contains(got, c) {
				t.Fatalf("CanonicalHost(%q) = %q contains %q", in, got, c)
			}
		}
	})
}
