package forum

import (
	"context"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// Page reads on the seeded database of seedLists (5,000 threads, a 2,000-post thread). Run with
//
//	STOA_DATABASE_URL=... go test ./forum/ -run '^$' -bench 'Page' -benchtime 2s
//
// ns/op is the wall time of the domain calls for one page, queries included.
func BenchmarkPageReads(b *testing.B) {
	pool := testdb.New(b)
	cats, long := seedLists(b, pool)
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
	b.Run("category_first_page", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.CategoryThreads(ctx, Guest, c, "", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("category_later_page", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.CategoryThreads(ctx, Guest, c, first.Next, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("latest", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.LatestThreads(ctx, Guest, "", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("thread_page_50_of_67", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.ThreadPageOf(ctx, Guest, long, 50); err != nil {
				b.Fatal(err)
			}
		}
	})
}
