package forum

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// queryCounter counts the queries a pool runs.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Page reads on the seeded database of seedLists (5,000 threads, a 2,000-post thread) with a
// reader (seedReader) who has read half of them. Run with
//
//	STOA_DATABASE_URL=... go test ./forum/ -run '^$' -bench 'Page' -benchtime 2s
//
// ns/op is the wall time of the domain calls for one page, queries included; queries/op counts
// them. The guest variants do what every page did before unread tracking (a guest's list query
// skips the unread probes, and ThreadPageOf marks nothing read); the member variants add it, so
// one run compares the two on the same machine.
func BenchmarkPageReads(b *testing.B) {
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(b))
	if err != nil {
		b.Fatal(err)
	}
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	cats, long := seedLists(b, pool)
	member := Viewer{ActorID: seedReader(b, pool, long), Username: "u1", Role: RoleMember}
	f, err := New(pool, Options{Secret: []byte("bench-secret-0123456789abcdef-0123456789")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c, err := f.CategoryByID(ctx, cats[3])
	if err != nil {
		b.Fatal(err)
	}
	first, err := f.CategoryThreads(ctx, Guest, c, "", 0)
	if err != nil || first.Next == "" {
		b.Fatalf("seeded category has no second page: %v", err)
	}
	run := func(name string, page func() error) {
		b.Run(name, func(b *testing.B) {
			if err := page(); err != nil { // warm the caches, as every page but the first finds them
				b.Fatal(err)
			}
			start := counter.n.Load()
			for b.Loop() {
				if err := page(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(counter.n.Load()-start)/float64(b.N), "queries/op")
		})
	}
	for _, v := range []struct {
		who    string
		viewer Viewer
	}{{"guest", Guest}, {"member", member}} {
		run("category_first_page/"+v.who, func() error { _, err := f.CategoryThreads(ctx, v.viewer, c, "", 0); return err })
		run("category_later_page/"+v.who, func() error { _, err := f.CategoryThreads(ctx, v.viewer, c, first.Next, 0); return err })
		run("latest/"+v.who, func() error { _, err := f.LatestThreads(ctx, v.viewer, "", 0); return err })
	}
	// A member's unread state over a list shared by everyone (readerState, after a shared read),
	// for a page of recent threads and, every other call, the same page without its unpinned
	// threads (a deep page has few inside the window).
	var calls int
	run("category_unread_state/member", func() error {
		list := first
		if calls++; calls%2 == 0 {
			list.Threads = nil
		}
		return f.readerState(ctx, member, c.ID, &list)
	})
	run("thread_page_50_of_67/guest", func() error { _, err := f.ThreadPageOf(ctx, Guest, long, 50); return err })
	run("thread_page_50_of_67/member_no_tracking", func() error { _, err := f.ThreadPageOf(ctx, member, long, 50); return err })
	run("thread_page_50_of_67/member_read_tracked", func() error { _, err := f.ReadThreadPage(ctx, member, long, 50); return err })
}
