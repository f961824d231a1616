package forum

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// Lists under a flood from one server, before and after it is suspended, and the cost of the
// suspension (and its lift) itself. On seedLists' database, a remote account on flood.example
// adds 20,000 threads, each with an opener, newer than everything else, to one category. Run with
//
//	STOA_DATABASE_URL=... go test ./forum/ -run '^$' -bench 'Flood' -benchtime 2s
//
// The suspended lists read what the unflooded ones read: the flood's threads are out of the
// partial indexes the lists walk (threads.suppressed), so no page skips over them row by row.
func BenchmarkListsUnderAFlood(b *testing.B) {
	pool, err := pgxpool.New(context.Background(), testdb.NewURL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	cats, _ := seedLists(b, pool)
	ctx := context.Background()
	for _, s := range []string{
		`INSERT INTO actors (kind, username, domain, ap_id, inbox_url) VALUES ('person', 'flooder', 'flood.example',
			'https://flood.example/users/flooder', 'https://flood.example/users/flooder/inbox')`,
		`INSERT INTO threads (category_id, author_id, title, created_at, last_post_at, post_count)
			SELECT $1, (SELECT id FROM actors WHERE username = 'flooder'), 'flood ' || g,
				now() + g * interval '1 second', now() + g * interval '1 second', 1
			FROM generate_series(1, 20000) g`,
		`INSERT INTO posts (thread_id, author_id, position, source, html, created_at)
			SELECT id, author_id, 1, 'flood', '<p>flood</p>', created_at FROM threads WHERE title LIKE 'flood %'`,
		`UPDATE threads t SET last_post_id = p.id FROM posts p WHERE p.thread_id = t.id AND t.last_post_id IS NULL`,
		`ANALYZE`,
	} {
		args := []any{}
		if strings.Contains(s, "$1") {
			args = append(args, cats[3])
		}
		if _, err := pool.Exec(ctx, s, args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, s)
		}
	}
	f, err := New(pool, Options{Secret: []byte("bench-secret-0123456789abcdef-0123456789"),
		CanonicalHost: func(h string) (string, error) { return strings.ToLower(strings.TrimSuffix(h, ".")), nil }})
	if err != nil {
		b.Fatal(err)
	}
	c, err := f.CategoryByID(ctx, cats[3])
	if err != nil {
		b.Fatal(err)
	}
	admin := Viewer{Username: "console", Role: RoleAdmin}
	lists := func(state string) {
		b.Run("category_first_page/"+state, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := f.CategoryThreads(ctx, Guest, c, "", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("latest/"+state, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := f.LatestThreads(ctx, Guest, "", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	lists("flooded")
	block := DomainBlockInput{Domain: "flood.example", Severity: SeveritySuspend}
	b.Run("suspend_and_lift_20k_threads", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := f.BlockDomain(ctx, admin, block); err != nil {
				b.Fatal(err)
			}
			if _, err := f.UnblockDomain(ctx, admin, "flood.example", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	if _, err := f.BlockDomain(ctx, admin, block); err != nil {
		b.Fatal(err)
	}
	page, err := f.CategoryThreads(ctx, Guest, c, "", 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range page.Threads {
		if strings.HasPrefix(t.Title, "flood ") {
			b.Fatal("a suspended server's thread is listed")
		}
	}
	lists("suspended_before_vacuum")
	// What the job the block queued (ThreadListsVacuumArgs) does.
	if err := f.VacuumThreadLists(ctx); err != nil {
		b.Fatal(err)
	}
	lists("suspended")
}
