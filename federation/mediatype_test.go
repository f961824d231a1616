package federation

import (
	"net/http"
	"strings"
	"testing"
)

func TestWantsActivityStreams(t *testing.T) {
	t.Parallel()
	cases := []struct {
		accept string
		want   bool
		ct     string
	}{
		{"", false, ""},
		{"*/*", false, ""},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false, ""},
		{"application/activity+json", true, ActivityJSON},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true, LDJSONActivityStreams},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams",application/activity+json`, true, ActivityJSON},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/activity+json;q=0.9`, true, LDJSONActivityStreams},
		{"application/ld+json", true, LDJSONActivityStreams},
		{`application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"`, false, ""},
		{"application/activity+json, text/html", true, ActivityJSON},
		{"text/html, application/activity+json;q=0.5", false, ""},
		{"application/activity+json;q=0", false, ""},
		{"application/*", false, ""},
		{"application/json", false, ""},
		{`text/html; x="a,application/activity+json"`, false, ""},
		{"application/activity+json;q=2", false, ""},
		{"application/activity+json;q=abc, text/html", false, ""},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(http.MethodGet, "https://forum.example/u/alice", nil)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		if got := WantsActivityStreams(r); got != c.want {
			t.Errorf("Accept %q: WantsActivityStreams = %v, want %v", c.accept, got, c.want)
		}
		if c.want {
			if ct := responseContentType(r); ct != c.ct {
				t.Errorf("Accept %q: content type %q, want %q", c.accept, ct, c.ct)
			}
		}
	}
}

// SECURITY.md rule 12: only ActivityStreams media types are accepted from a fetch, parsed properly.
func TestRule12ContentTypeMustBeActivityStreams(t *testing.T) {
	t.Parallel()
	ok := []string{
		"application/activity+json",
		"application/activity+json; charset=utf-8",
		"Application/Activity+JSON",
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
		`application/ld+json;profile="https://www.w3.org/ns/activitystreams http://example.org/other"`,
	}
	for _, ct := range ok {
		if !IsActivityStreams(ct) {
			t.Errorf("%q refused", ct)
		}
	}
	refused := []string{
		"", "application/json", "text/html", "application/ld+json",
		`application/json; profile="https://www.w3.org/ns/activitystreams"`,
		`text/html; profile="https://www.w3.org/ns/activitystreams"`,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams-evil"`,
		`text/html; x=application/activity+json`, "application/activity+json; charset", "application/activity+jsonx",
	}
	for _, ct := range refused {
		if IsActivityStreams(ct) {
			t.Errorf("%q accepted", ct)
		}
	}
}

func FuzzAcceptHeader(f *testing.F) {
	for _, s := range []string{"*/*", "application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams";q=0.9, text/html`, `a/b; x="\"", c/d`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		ct, ok := negotiateActivityStreams([]string{accept})
		if ok && ct != ActivityJSON && ct != LDJSONActivityStreams {
			t.Fatalf("Accept %q gave content type %q", accept, ct)
		}
		if len(parseAccept(accept)) > maxAcceptRanges {
			t.Fatalf("more than %d ranges", maxAcceptRanges)
		}
	})
}

func FuzzContentType(f *testing.F) {
	for _, s := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, "text/html"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if !IsActivityStreams(ct) {
			return
		}
		// Whatever is accepted is one of the two types, never another type with a clever parameter.
		mt := strings.ToLower(strings.TrimSpace(ct))
		if !strings.HasPrefix(mt, ActivityJSON) && !strings.HasPrefix(mt, "application/ld+json") {
			t.Fatalf("%q accepted", ct)
		}
		if strings.HasPrefix(mt, "application/ld+json") && !strings.Contains(ct, activityStreamsNS) {
			t.Fatalf("%q accepted without the ActivityStreams profile", ct)
		}
	})
}
