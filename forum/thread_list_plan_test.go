package forum

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// seedLists fills a database with 20 categories, 5,000 threads (each with an opener) and one
// thread of 2,000 posts, then ANALYZEs, so plans are the ones a real forum gets. It returns the
// category ids, a category's id and the long thread's id.
func seedLists(tb testing.TB, pool *pgxpool.Pool) (cats []int64, longThread int64) {
	tb.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO actors (kind, username) SELECT 'person', 'u' || g FROM generate_series(1, 50) g`,
		`INSERT INTO actors (kind, username) SELECT 'group', 'cat' || g FROM generate_series(1, 20) g`,
		`INSERT INTO categories (actor_id, slug, title, position)
			SELECT id, username, username, id FROM actors WHERE kind = 'group'`,
		`INSERT INTO threads (category_id, author_id, title, created_at, last_post_at, post_count)
			SELECT (SELECT id FROM categories ORDER BY id OFFSET (g % 20) LIMIT 1),
				(SELECT id FROM actors WHERE kind = 'person' ORDER BY id OFFSET (g % 50) LIMIT 1),
				'thread ' || g, now() - g * interval '1 minute', now() - (g / 3) * interval '1 minute', 1
			FROM generate_series(1, 5000) g`,
		`INSERT INTO posts (thread_id, author_id, position, source, html, created_at)
			SELECT id, author_id, 1, 'opener', '<p>opener</p>', created_at FROM threads`,
		`UPDATE threads t SET last_post_id = p.id FROM posts p WHERE p.thread_id = t.id`,
		`UPDATE threads SET pinned_at = now() WHERE id % 700 = 0`,
		`INSERT INTO posts (thread_id, author_id, position, source, html, created_at)
			SELECT (SELECT min(id) FROM threads), (SELECT min(id) FROM actors), g, 'reply', '<p>reply</p>', now() + g * interval '1 second'
			FROM generate_series(2, 2000) g`,
		`UPDATE threads SET post_count = 2000 WHERE id = (SELECT min(id) FROM threads)`,
		`ANALYZE`,
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s); err != nil {
			tb.Fatalf("seed: %v\n%s", err, s)
		}
	}
	rows, err := pool.Query(ctx, `SELECT id FROM categories ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		cats = append(cats, id)
	}
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM threads`).Scan(&longThread); err != nil {
		tb.Fatal(err)
	}
	return cats, longThread
}

// seedReader makes the first seeded person a member who has read every other seeded thread and
// the first half of the long one, so plans and benchmarks of a member's pages see real read state.
// It returns the member's actor id.
func seedReader(tb testing.TB, pool *pgxpool.Pool, longThread int64) int64 {
	tb.Helper()
	ctx := context.Background()
	var member int64
	err := pool.QueryRow(ctx, `INSERT INTO members (actor_id, email, password_hash, created_at)
		SELECT min(id), 'reader@example.test', 'not-a-hash', now() - interval '1 year' FROM actors WHERE kind = 'person'
		RETURNING actor_id`).Scan(&member)
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range []string{
		`INSERT INTO member_threads (thread_id, member_id, read_positions)
			SELECT id, $1, '{[1,2)}' FROM threads WHERE id % 2 = 0 AND id <> $2`,
		`INSERT INTO member_threads (thread_id, member_id, read_positions) VALUES ($2, $1, '{[1,1001)}')`,
	} {
		if _, err := pool.Exec(ctx, s, member, longThread); err != nil {
			tb.Fatalf("seed reader: %v\n%s", err, s)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	return member
}

// planNode is the part of EXPLAIN (FORMAT JSON) the checks read.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []planNode `json:"Plans"`
}

func explain(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) planNode {
	t.Helper()
	var out []byte
	if err := pool.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&out); err != nil {
		t.Fatalf("explain: %v", err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(out, &plans); err != nil {
		t.Fatal(err)
	}
	return plans[0].Plan
}

// describe flattens a plan to "NodeType[relation/index]" lines, for the checks and the failure message.
func describe(n planNode, depth int, out *[]string) {
	*out = append(*out, strings.Repeat("  ", depth)+n.NodeType+"["+n.RelationName+"/"+n.IndexName+"]")
	for _, c := range n.Plans {
		describe(c, depth+1, out)
	}
}

func TestListQueriesUseTheirIndexesLimitFirst(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	cats, long := seedLists(t, pool)
	member := seedReader(t, pool, long)
	cursorAt := time.Now().Add(-10 * time.Hour)
	cases := []struct {
		name      string
		sql       string
		args      []any
		wantIndex string
	}{
		{"category page 1", categoryFirstPageSQL(false, 31), []any{cats[3]}, "threads_category_activity"},
		{"category page n", categoryThreadsSQL(false, 31), []any{cats[3], cursorAt, int64(1 << 40)}, "threads_category_activity"},
		{"latest page 1", latestThreadsSQL(false, false, 31), []any{cats}, "threads_activity"},
		{"latest page n", latestThreadsSQL(true, false, 31), []any{cats, cursorAt, int64(1 << 40)}, "threads_activity"},
		// A member's unread counts: probes of posts_thread_created and member_threads per listed
		// thread, after the limit (or per thread asked about, for a category's shared list).
		{"category page 1, member", categoryFirstPageSQL(true, 31), []any{cats[3], member}, "posts_thread_created"},
		{"category page n, member", categoryThreadsSQL(true, 31), []any{cats[3], member, cursorAt, int64(1 << 40)}, "member_threads_pkey"},
		{"category unread state, member", readerStateSQL, []any{member, []int64{long, long + 1}, cats[3], []int32{1500, 3},
			[]time.Time{time.Now(), time.Now()}, []int64{cats[3], cats[3]}}, "posts_thread_created"},
		{"latest page 1, member", latestThreadsSQL(false, true, 31), []any{cats, member}, "member_threads_pkey"},
		{"latest page n, member", latestThreadsSQL(true, true, 31), []any{cats, member, cursorAt, int64(1 << 40)}, "posts_thread_created"},
		{"thread page", "SELECT " + postColumns(4) + ` FROM posts p` + authorProbe("p.author_id") + `
			WHERE p.thread_id = $1 AND p.position BETWEEN $2 AND $3 ORDER BY p.position`, []any{long, 1501, 1530, int64(0)}, "posts_thread_position"},
	}
	for _, c := range cases {
		var lines []string
		describe(explain(t, pool, c.sql, c.args...), 0, &lines)
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, "/"+c.wantIndex+"]") {
			t.Errorf("%s does not use %s:\n%s", c.name, c.wantIndex, plan)
		}
		for _, l := range lines {
			if strings.Contains(l, "Seq Scan[threads/") || strings.Contains(l, "Seq Scan[posts/") || strings.Contains(l, "Seq Scan[member_threads/") {
				t.Errorf("%s scans a whole table:\n%s", c.name, plan)
			}
		}
		// Authors are probed per listed row (authorProbe), never by hashing the actors table:
		// the hash's build side would read every actor on every page.
		for i := 1; i < len(lines); i++ {
			if strings.TrimSpace(lines[i-1]) == "Hash[/]" && strings.TrimSpace(lines[i]) == "Seq Scan[actors/]" {
				t.Errorf("%s hashes the whole actors table:\n%s", c.name, plan)
			}
		}
		// Limit-first: the LIMIT sits directly on the index scan, with no sort of the whole
		// category in between.
		if c.name != "thread page" && strings.Contains(plan, "Sort[threads/") {
			t.Errorf("%s sorts threads instead of reading them in index order:\n%s", c.name, plan)
		}
	}
}

// TestReaderStateKeepsItsGenericPlan: readerStateSQL, run again and again for pages with few
// threads inside the window (a deep page's), is planned no more than the five times PostgreSQL
// tries plans for the arguments before it settles; then it takes the generic plan for good.
// Without the subqueries around its arrays, it was planned on every call (readerStateSQL says why).
func TestReaderStateKeepsItsGenericPlan(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	cats, long := seedLists(t, pool)
	member := seedReader(t, pool, long)
	now := time.Now()
	wantGenericPlan(t, pool, "readerStateSQL", readerStateSQL, member, []int64{long, long + 1}, cats[3], []int32{2000, 1},
		[]time.Time{now, now}, []int64{cats[3], cats[3]})
}

// wantGenericPlan runs sql with args 12 times in one session (prepared statements and their plans
// belong to one) and fails unless PostgreSQL settled on its generic plan after at most the five
// plans it makes for the arguments first.
func wantGenericPlan(t *testing.T, pool *pgxpool.Pool, name, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	plans := func() (generic, custom int64) {
		t.Helper()
		err := conn.QueryRow(ctx, `SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
			FROM pg_prepared_statements WHERE statement = $1`, sql).Scan(&generic, &custom)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return generic, custom
	}
	generic0, custom0 := plans() // the session may have run it before
	for range 12 {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	generic, custom := plans()
	if generic, custom = generic-generic0, custom-custom0; custom > 5 || generic < 7 {
		t.Errorf("%s: 12 calls made %d plans for their arguments and used the generic plan %d times", name, custom, generic)
	}
}
