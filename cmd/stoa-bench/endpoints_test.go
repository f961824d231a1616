package main

import (
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// The thread pages and JSON answers the benchmark asks for are full pages: a thread of 25 posts
// read 10 to a page is asked for pages 1 and 2 and JSON from positions 0 and 10, never its third,
// shorter page.
func TestThreadEndpointsAskForFullPagesOnly(t *testing.T) {
	t.Parallel()
	targets := forum.SeedTargets{Threads: []forum.SeedTargetThread{{ID: 7, PostCount: 25}}}
	eps := endpoints("http://bench.test", targets, 10, []*http.Cookie{{Name: "stoa_session", Value: "x"}})
	seen := map[string]map[string]bool{"thread": {}, "json": {}}
	r := rand.New(rand.NewPCG(1, 2))
	for _, e := range eps {
		param, ok := map[string]string{"thread": "page", "json": "cursor"}[e.kind]
		if !ok {
			continue
		}
		for range 200 {
			seen[e.kind][e.request(r, 0).URL.Query().Get(param)] = true
		}
	}
	for kind, want := range map[string][]int{"thread": {1, 2}, "json": {0, 10}} {
		if len(seen[kind]) != len(want) {
			t.Errorf("%s: asked for %v, want %v", kind, seen[kind], want)
		}
		for _, w := range want {
			if !seen[kind][strconv.Itoa(w)] {
				t.Errorf("%s: never asked for %d (asked for %v)", kind, w, seen[kind])
			}
		}
	}
}

// --only keeps the pages it matches and the baseline, which every ratio is taken against.
func TestOnlyKeepsTheMatchedPagesAndTheBaseline(t *testing.T) {
	t.Parallel()
	targets := forum.SeedTargets{Threads: []forum.SeedTargetThread{{ID: 7, PostCount: 25}}}
	all := endpoints("http://bench.test", targets, 10, []*http.Cookie{{Name: "stoa_session", Value: "x"}})
	if got := (config{}).chosen(all); len(got) != len(all) {
		t.Fatalf("without --only, %d of %d pages kept", len(got), len(all))
	}
	var names []string
	for _, e := range (config{only: regexp.MustCompile(`thread page`)}).chosen(all) {
		names = append(names, e.name)
	}
	if want := []string{"GET /livez (trivial handler)", "thread page, member", "thread page, guest"}; !slices.Equal(names, want) {
		t.Fatalf("--only 'thread page' kept %q, want %q", names, want)
	}
}
