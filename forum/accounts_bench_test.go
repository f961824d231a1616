package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// Absolute timings swing 2x on shared machines (PERFORMANCE.md), so each benchmark also reports its
// cost as a multiple of a primary-key lookup measured in the same run ("x-pk").

func pkLookupBaseline(b *testing.B, pool *pgxpool.Pool) time.Duration {
	b.Helper()
	ctx := context.Background()
	const n = 300
	var x int64
	start := time.Now()
	for range n {
		if err := pool.QueryRow(ctx, `SELECT actor_id FROM members WHERE actor_id = $1`, 1).Scan(&x); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / n
}

func reportRatio(b *testing.B, elapsed time.Duration, baseline time.Duration) {
	b.ReportMetric(float64(elapsed)/float64(b.N)/float64(baseline), "x-pk")
}

// seedMembers inserts n members straight into the tables (no argon2, no keys): list queries do
// not read either.
func seedMembers(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO actors (kind, username) SELECT 'person', 'user_' || g FROM generate_series(1, $1) g`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO members (actor_id, email, password_hash, created_at)
		SELECT id, username || '@example.test', 'x', now() - (id || ' minutes')::interval FROM actors
		WHERE kind = 'person' AND domain IS NULL AND NOT EXISTS (SELECT 1 FROM members WHERE actor_id = actors.id)`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkResumeSession(b *testing.B) {
	f, pool := forumtest.New(b, forum.Options{})
	ctx := context.Background()
	forumtest.Member(b, f, "reader", forum.RoleMember)
	ns, err := f.Login(ctx, forum.LoginInput{Login: "reader", Password: testPassword})
	if err != nil {
		b.Fatal(err)
	}
	base := pkLookupBaseline(b, pool)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, _, err := f.ResumeSession(ctx, ns.Token); err != nil {
			b.Fatal(err)
		}
	}
	reportRatio(b, time.Since(start), base)
}

func BenchmarkListMembers50k(b *testing.B) {
	f, pool := forumtest.New(b, forum.Options{})
	ctx := context.Background()
	seedMembers(b, pool, 50_000)
	base := pkLookupBaseline(b, pool)
	for _, bc := range []struct {
		name string
		q    forum.MemberListQuery
	}{
		{"newest", forum.MemberListQuery{}},
		{"deep-page", forum.MemberListQuery{After: "1000"}},
		{"prefix", forum.MemberListQuery{Prefix: "user_12"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				p, err := f.ListMembers(ctx, forumtest.Admin, bc.q)
				if err != nil || len(p.Members) == 0 {
					b.Fatalf("%v %d", err, len(p.Members))
				}
			}
			reportRatio(b, time.Since(start), base)
		})
	}
}

func BenchmarkMemberPosts20k(b *testing.B) {
	f, pool := forumtest.New(b, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(b, f, "prolific", forum.RoleMember)
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "busy", Title: "Busy"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO threads (category_id, author_id, title, created_at, post_count)
		SELECT $1, $2, 'Thread ' || g, now() - (g || ' hours')::interval, 10 FROM generate_series(1, 2000) g`, cat.ID, m.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO posts (thread_id, author_id, position, source, created_at)
		SELECT t.id, $1, p, repeat('words ', 50), t.created_at + (p || ' minutes')::interval
		FROM threads t, generate_series(1, 10) p`, m.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	base := pkLookupBaseline(b, pool)
	b.Run("posts-first-page", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if ps, _, err := f.MemberPosts(ctx, forum.Guest, m.ID, forum.MemberActivityCursor{}, 20); err != nil || len(ps) != 20 {
				b.Fatal(err)
			}
		}
		reportRatio(b, time.Since(start), base)
	})
	b.Run("threads-first-page", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if ts, _, err := f.MemberThreads(ctx, forum.Guest, m.ID, forum.MemberActivityCursor{}, 20); err != nil || len(ts) != 20 {
				b.Fatal(err)
			}
		}
		reportRatio(b, time.Since(start), base)
	})
	b.Run("profile-with-post-count", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if p, err := f.Profile(ctx, "prolific"); err != nil || p.PostCount != 20000 {
				b.Fatalf("%v %d", err, p.PostCount)
			}
		}
		reportRatio(b, time.Since(start), base)
	})
}
