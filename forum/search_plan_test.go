package forum

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// The search query finds matches through the full-text index, on the seeded database of seedLists
// (7,000 posts, one in a hundred matching). How it then joins the matches to their posts and threads
// is the planner's choice by size (a hash join while posts is small, index probes per match once it
// is large); the page's rows alone are joined to authors and cut into snippets.
func TestSearchUsesTheFullTextIndex(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	cats, _ := seedLists(t, pool)
	ctx := context.Background()
	for _, s := range []string{
		`INSERT INTO post_search (post_id, body, document)
			SELECT p.id, b.body, stoa_search_document(CASE WHEN p.position = 1 THEN t.title END, b.body)
			FROM posts p JOIN threads t ON t.id = p.thread_id
			CROSS JOIN LATERAL (SELECT CASE WHEN p.id % 100 = 0 THEN 'a rare walrus sighting' ELSE 'ordinary words here' END AS body) b`,
		// Autovacuum's work on a live database: GIN's pending list merged, statistics taken.
		`VACUUM ANALYZE post_search`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	describe(explain(t, pool, searchSQL, "'walrus'", cats, nil, nil, nil, nil, nil, 21, "'walrus'", int64(0),
		snippetOptions, headlineFrom, titleOptions, headlineTo, SearchCandidates), 0, &lines)
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "/post_search_document]") {
		t.Errorf("search does not use the full-text index:\n%s", plan)
	}
	for _, l := range lines {
		if strings.Contains(l, "Seq Scan[post_search/") {
			t.Errorf("search scans a whole table:\n%s", plan)
		}
	}
	f, err := New(pool, Options{Secret: []byte("plan-secret-0123456789abcdef-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Search(ctx, Viewer{ActorID: -1, Role: RoleAdmin}, SearchQuery{Text: "walrus", Limit: 50})
	if err != nil || len(res.Hits) != 50 || res.Next == "" {
		t.Fatalf("search: %d hits, next %q, %v", len(res.Hits), res.Next, err)
	}
}

// A search statement that runs past the timeout is cancelled by the server and refused as too
// broad, the connection kept for the next.
func TestASearchPastItsTimeoutIsRefusedAsTooBroad(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	f, err := New(pool, Options{Secret: []byte("plan-secret-0123456789abcdef-0123456789"), SearchTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// No row comes back, but the sleep must run first: the timeout, not the data, decides.
	sleep := func(string, string) (string, []any) {
		return `SELECT x FROM (SELECT pg_sleep(2)::text AS x) s WHERE x = 'never'`, nil
	}
	_, err = f.runSearch(ctx, "walrus", sleep)
	if !errors.Is(err, ErrSearchTooBroad) {
		t.Fatalf("a statement past the timeout: %v, want ErrSearchTooBroad", err)
	}
	quick := func(string, string) (string, []any) {
		return `SELECT x FROM (SELECT ''::text AS x) s WHERE x = 'never'`, nil
	}
	if _, err := f.runSearch(ctx, "walrus", quick); err != nil {
		t.Fatalf("a quick statement after it: %v", err)
	}
}
