package forum_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/testdb"
)

var seedTestOptions = forum.SeedOptions{Threads: 300, PostsPerThread: 6, Members: 40, Password: "seed-test-password",
	BatchThreads: 70, Workers: 2}

func newSeedForum(t *testing.T) (*forum.Forum, *pgxpool.Pool, *markup.Markup) {
	t.Helper()
	base, _ := url.Parse("https://forum.example")
	m := markup.New(markup.Options{BaseURL: base})
	f, pool := forumtest.New(t, forum.Options{Markup: m})
	return f, pool, m
}

func TestSeedMakesAConsistentForum(t *testing.T) {
	t.Parallel()
	f, pool, m := newSeedForum(t)
	ctx := context.Background()
	var phases []string
	rep, err := f.Seed(ctx, seedTestOptions, func(p forum.SeedProgress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"setup", "load", "finish", "done"}; !slices.Equal(phases, want) {
		t.Errorf("progress phases %v, want %v", phases, want)
	}
	if rep.Threads != 300 || rep.Resumed || rep.AlreadyDone {
		t.Errorf("report %+v", rep)
	}

	// Every invariant as one query that lists what breaks it; each must list nothing.
	invariants := map[string]string{
		"thread count": `SELECT count(*) FROM threads HAVING count(*) <> 300`,
		"post count":   `SELECT count(*) FROM posts HAVING count(*) <> $1`,
		"positions are 1..post_count": `SELECT t.id FROM threads t JOIN posts p ON p.thread_id = t.id
			GROUP BY t.id HAVING count(*) <> max(t.post_count) OR min(p.position) <> 1 OR max(p.position) <> max(t.post_count)`,
		"positions follow published order": `SELECT a.id FROM posts a JOIN posts b ON b.thread_id = a.thread_id AND b.position = a.position + 1
			WHERE b.created_at < a.created_at`,
		"last post": `SELECT t.id FROM threads t JOIN posts p ON p.id = t.last_post_id
			WHERE p.thread_id <> t.id OR p.position <> t.post_count OR p.created_at <> t.last_post_at`,
		"category counters": `SELECT c.slug FROM categories c JOIN category_totals ct ON ct.id = c.id LEFT JOIN LATERAL (
				SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS n, coalesce(sum(post_count) FILTER (WHERE deleted_at IS NULL), 0) AS posts,
					max(last_post_at) FILTER (WHERE deleted_at IS NULL AND hidden_at IS NULL) AS last
				FROM threads WHERE category_id = c.id) s ON true
			WHERE ct.thread_count <> s.n OR ct.post_count <> s.posts OR ct.last_post_at IS DISTINCT FROM s.last`,
		"member post counts": `SELECT m.actor_id FROM members m WHERE m.post_count <> (SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
			WHERE p.author_id = m.actor_id AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND t.deleted_at IS NULL AND t.hidden_at IS NULL)`,
		"like counts": `SELECT p.id FROM posts p WHERE p.like_count <> (SELECT count(*) FROM likes l WHERE l.post_id = p.id)`,
		"search rows": `SELECT p.id FROM posts p LEFT JOIN post_search s ON s.post_id = p.id
			JOIN threads t ON t.id = p.thread_id
			WHERE s.post_id IS NULL OR s.document <> stoa_search_document(CASE WHEN p.position = 1 THEN t.title END, s.body)`,
		"authors' read state": `SELECT p.id FROM posts p JOIN members m ON m.actor_id = p.author_id
			WHERE NOT EXISTS (SELECT 1 FROM member_threads mt WHERE mt.thread_id = p.thread_id AND mt.member_id = p.author_id
				AND mt.read_positions @> p.position AND mt.level = 'watching')`,
		"deleted threads have a deleted opener": `SELECT t.id FROM threads t JOIN posts p ON p.thread_id = t.id AND p.position = 1
			WHERE (t.deleted_at IS NULL) <> (p.deleted_at IS NULL)`,
		"nothing after the seed's now": `SELECT p.id FROM posts p WHERE p.created_at > now()`,
		"reply notifications": `SELECT n.id FROM notifications n JOIN posts p ON p.id = n.post_id JOIN posts parent ON parent.id = p.in_reply_to_id
			WHERE n.kind <> 'reply' OR n.member_id <> parent.author_id OR n.actor_id <> p.author_id OR n.member_id = n.actor_id
			   OR n.thread_id <> p.thread_id OR n.read_at < n.created_at
			UNION ALL SELECT n.id FROM notifications n LEFT JOIN posts p ON p.id = n.post_id WHERE p.in_reply_to_id IS NULL`,
	}
	for name, sql := range invariants {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, rep.Posts)
		}
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bad, err := pgx.CollectRows(rows, pgx.RowToMap)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(bad) > 0 {
			t.Errorf("%s broken for %d rows, e.g. %v", name, len(bad), bad[0])
		}
	}

	// Real variety: long and short threads, old and recent ones, moderation, remote posts, likes.
	var maxPosts, recent, pinned, remote, likes, unread int
	if err := pool.QueryRow(ctx, `SELECT (SELECT max(post_count) FROM threads),
			(SELECT count(*) FROM threads WHERE last_post_at > now() - interval '60 days'),
			(SELECT count(*) FROM threads WHERE pinned_at IS NOT NULL),
			(SELECT count(*) FROM posts WHERE ap_id IS NOT NULL AND source_kind = 'html'),
			(SELECT count(*) FROM likes),
			(SELECT count(*) FROM notifications WHERE read_at IS NULL)`).Scan(&maxPosts, &recent, &pinned, &remote, &likes, &unread); err != nil {
		t.Fatal(err)
	}
	if maxPosts < 3*forum.DefaultPostsPerPage || recent == 0 || recent > 150 || pinned == 0 || remote == 0 || likes == 0 || unread == 0 {
		t.Errorf("seed lacks variety: longest thread %d posts, %d recently active threads, %d pinned, %d remote posts, %d likes, %d unread notifications",
			maxPosts, recent, pinned, remote, likes, unread)
	}

	checkSeededPosts(t, f, pool, m)
	checkSeedSchema(t, pool)

	// A seeded member signs in with the seed password, and only with it.
	if _, err := f.Login(ctx, forum.LoginInput{Login: forum.SeedBenchUsername, Password: seedTestOptions.Password}); err != nil {
		t.Errorf("the bench member cannot sign in: %v", err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: forum.SeedBenchUsername, Password: "not-the-password"}); !errors.Is(err, forum.ErrBadCredentials) {
		t.Errorf("a wrong password: %v, want ErrBadCredentials", err)
	}

	// Search finds a seeded word, in the thread whose title has it.
	var threadID int64
	var title string
	if err := pool.QueryRow(ctx, `SELECT id, title FROM threads WHERE deleted_at IS NULL AND hidden_at IS NULL AND title ILIKE '%nginx%' LIMIT 1`).
		Scan(&threadID, &title); err != nil {
		t.Fatalf("no seeded title mentions nginx: %v", err)
	}
	res, err := f.Search(ctx, forum.Guest, forum.SearchQuery{Text: `"` + title + `"`})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Hits, func(h forum.SearchHit) bool { return h.Thread.ID == threadID }) {
		t.Errorf("searching for %q does not find thread %d (%d hits)", title, threadID, len(res.Hits))
	}

	checkBenchMember(t, f, pool)

	// The same command again does nothing; other options are refused.
	again, err := f.Seed(ctx, seedTestOptions, nil)
	if err != nil || !again.AlreadyDone {
		t.Errorf("seeding again: %+v, %v; want AlreadyDone", again, err)
	}
	other := seedTestOptions
	other.Threads = 301
	if _, err := f.Seed(ctx, other, nil); !errors.Is(err, forum.ErrConflict) {
		t.Errorf("seeding with other options: %v, want ErrConflict", err)
	}
}

// checkSeededPosts verifies every post's MAC and that its stored HTML is what its source renders
// to (the seed joins pre-rendered pieces; the page would re-render a post whose MAC failed).
func checkSeededPosts(t *testing.T, f *forum.Forum, pool *pgxpool.Pool, m *markup.Markup) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, source, source_kind, html, html_mac FROM posts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type post struct {
		ID         int64
		Source     string
		SourceKind string
		HTML       string
		HTMLMAC    []byte
	}
	posts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[post])
	if err != nil {
		t.Fatal(err)
	}
	badMAC, badHTML := 0, 0
	for _, p := range posts {
		if !f.PostMACVerifies(p.ID, p.HTML, p.HTMLMAC) {
			badMAC++
		}
		want := m.SanitizeHTML(p.Source)
		if p.SourceKind == "markdown" {
			want = m.RenderMarkdown(p.Source).HTML
		}
		if want != p.HTML {
			if badHTML == 0 {
				t.Errorf("post %d: stored HTML\n%s\nis not the rendering of its source\n%s", p.ID, p.HTML, want)
			}
			badHTML++
		}
	}
	if badMAC > 0 || badHTML > 0 {
		t.Errorf("of %d posts, %d have a MAC that does not verify and %d HTML that is not their source's rendering", len(posts), badMAC, badHTML)
	}
}

// checkSeedSchema compares the seeded tables' indexes, keys, triggers and storage options with a
// freshly migrated database's: what the load took off must all be back.
func checkSeedSchema(t *testing.T, seeded *pgxpool.Pool) {
	t.Helper()
	fresh := testdb.New(t)
	describe := func(pool *pgxpool.Pool) []string {
		rows, err := pool.Query(context.Background(), `
			SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename IN ('threads', 'posts', 'post_search', 'likes', 'member_threads', 'notifications')
			UNION ALL
			SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid::regclass::text IN ('threads', 'posts', 'post_search', 'likes', 'member_threads', 'notifications')
			UNION ALL
			SELECT 'trigger ' || tgname || ': ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
			UNION ALL
			SELECT 'options ' || relname || ': ' || coalesce(array_to_string(reloptions, ','), '') FROM pg_class
			WHERE relname IN ('threads', 'posts', 'post_search', 'likes', 'member_threads', 'notifications')
			ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return lines
	}
	want, got := describe(fresh), describe(seeded)
	if !slices.Equal(want, got) {
		t.Errorf("seeded schema differs from a migrated one:\nseeded:\n%s\nmigrated:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkBenchMember: the member benchmarks sign in as has read half of the bench thread, which is
// among the most recently active of the bench category and shows unread posts.
func checkBenchMember(t *testing.T, f *forum.Forum, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	targets, err := f.SeedBenchTargets(ctx, 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	bench, err := f.MemberByUsername(ctx, forum.SeedBenchUsername)
	if err != nil {
		t.Fatal(err)
	}
	if targets.Members[0] != forum.SeedBenchUsername || len(targets.Members) != 5 {
		t.Errorf("bench targets' members %v: want 5, the bench member first", targets.Members)
	}
	// One range from the first post to at least the middle (further where they also posted).
	var upper, posts int
	var oneRange bool
	if err := pool.QueryRow(ctx, `SELECT upper(mt.read_positions), t.post_count,
			mt.read_positions = int4multirange(int4range(1, upper(mt.read_positions)))
		FROM member_threads mt JOIN threads t ON t.id = mt.thread_id
		WHERE mt.thread_id = $1 AND mt.member_id = $2`, targets.BenchThread, bench.ID).Scan(&upper, &posts, &oneRange); err != nil {
		t.Fatalf("the bench member has no read state in the bench thread: %v", err)
	}
	if posts < 3*forum.DefaultPostsPerPage || !oneRange || upper < posts/2+1 || upper > posts {
		t.Errorf("bench thread of %d posts: read up to %d (one range: %v), want from the middle to before the end", posts, upper-1, oneRange)
	}
	list, err := f.CategoryThreads(ctx, bench.Viewer(), targets.Category, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	unread := 0
	for _, s := range append(list.Pinned, list.Threads...) {
		if s.ID == targets.BenchThread {
			unread = s.Unread
		}
	}
	if unread == 0 {
		t.Errorf("the bench thread is not on page 1 of %s with unread posts for the bench member", targets.Category.Slug)
	}
	if len(targets.Threads) < 2 || targets.Threads[0].ID != targets.BenchThread || len(targets.DeepCursors) == 0 {
		t.Errorf("bench targets: threads %v (want the bench thread %d first), %d deep cursors", targets.Threads, targets.BenchThread, len(targets.DeepCursors))
	}
	for _, th := range targets.Threads {
		if th.PostCount < forum.DefaultPostsPerPage {
			t.Errorf("bench target thread %d has %d posts, less than a page", th.ID, th.PostCount)
		}
	}
	for _, c := range targets.DeepCursors {
		page, err := f.CategoryThreads(ctx, forum.Guest, targets.Category, c.Cursor, 0)
		if err != nil || len(page.Threads) == 0 {
			t.Errorf("deep cursor %s (rank %d): %d threads, %v", c.Cursor, c.Rank, len(page.Threads), err)
		}
	}
}

// An interrupted seed resumes where it stopped, and the forum it makes is row for row the one an
// uninterrupted seed of the same options makes (times aside: they count back from each seed's now).
func TestSeedResumesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	whole, wholePool, _ := newSeedForum(t)
	if _, err := whole.Seed(ctx, seedTestOptions, nil); err != nil {
		t.Fatal(err)
	}

	resumed, pool, _ := newSeedForum(t)
	stop, cancel := context.WithCancel(ctx)
	_, err := resumed.Seed(stop, seedTestOptions, func(p forum.SeedProgress) {
		if p.Phase == "load" && p.ThreadsDone > 0 {
			cancel()
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted seed: %v, want context.Canceled", err)
	}
	var batches, threads int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stoa_seed_batches), (SELECT count(*) FROM threads)`).Scan(&batches, &threads); err != nil {
		t.Fatal(err)
	}
	if batches == 0 || batches >= 5 || threads != batches*seedTestOptions.BatchThreads {
		t.Fatalf("after the interruption: %d of 5 batches and %d threads; want some batches, whole", batches, threads)
	}
	rep, err := resumed.Seed(ctx, seedTestOptions, nil)
	if err != nil || !rep.Resumed {
		t.Fatalf("resumed seed: %+v, %v", rep, err)
	}
	if a, b := seedDigest(t, wholePool), seedDigest(t, pool); !slices.Equal(a, b) {
		t.Errorf("a resumed seed differs from an uninterrupted one:\n%v\n%v", a, b)
	}
	checkSeedSchema(t, pool)
}

// An empty database is the only one seed fills.
func TestSeedRefusesAForum(t *testing.T) {
	t.Parallel()
	f, _, _ := newSeedForum(t)
	ctx := context.Background()
	if _, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.Seed(ctx, seedTestOptions, nil)
	if !errors.Is(err, forum.ErrConflict) || !strings.Contains(err.Error(), "categories") {
		t.Errorf("seeding a forum with a category: %v, want ErrConflict naming categories", err)
	}
	st, err := f.SeedStatus(ctx)
	if err != nil || st.Exists {
		t.Errorf("after a refused seed: %+v, %v; want no seed bookkeeping", st, err)
	}
}

// seedDigest fingerprints every seeded table without its timestamps.
func seedDigest(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'threads ' || md5(string_agg(concat_ws('|', id, category_id, author_id, title, post_count, last_post_id,
			locked_at IS NULL, pinned_at IS NULL, hidden_at IS NULL, deleted_at IS NULL), ',' ORDER BY id)) FROM threads
		UNION ALL SELECT 'posts ' || md5(string_agg(concat_ws('|', id, thread_id, author_id, position, in_reply_to_id, ap_id, source,
			source_kind, html, encode(html_mac, 'hex'), like_count, hidden_at IS NULL, deleted_at IS NULL), ',' ORDER BY id)) FROM posts
		UNION ALL SELECT 'likes ' || md5(string_agg(post_id || ':' || actor_id, ',' ORDER BY post_id, actor_id)) FROM likes
		UNION ALL SELECT 'reads ' || md5(string_agg(concat_ws('|', thread_id, member_id, read_positions, level), ',' ORDER BY thread_id, member_id)) FROM member_threads
		UNION ALL SELECT 'search ' || md5(string_agg(concat_ws('|', post_id, body, document), ',' ORDER BY post_id)) FROM post_search
		UNION ALL SELECT 'categories ' || md5(string_agg(concat_ws('|', c.id, slug, parent_id, ct.thread_count, ct.post_count), ',' ORDER BY c.id)) FROM categories c JOIN category_totals ct ON ct.id = c.id
		UNION ALL SELECT 'notifications ' || md5(string_agg(concat_ws('|', member_id, kind, actor_id, post_id, read_at IS NULL), ',' ORDER BY post_id, member_id)) FROM notifications
		UNION ALL SELECT 'members ' || md5(string_agg(concat_ws('|', actor_id, email, role, post_count), ',' ORDER BY actor_id)) FROM members`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}
