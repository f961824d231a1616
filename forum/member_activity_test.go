package forum_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// seedThread inserts a thread with its opener and replies straight into the tables of migration
// 0003 (the thread and post aggregates are another package's), at the given times.
func seedThread(t *testing.T, pool *pgxpool.Pool, categoryID, author int64, title string, at time.Time) (threadID, openerID int64) {
	t.Helper()
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, created_at, last_post_at, post_count)
		VALUES ($1, $2, $3, $4, $4, 1) RETURNING id`, categoryID, author, title, at).Scan(&threadID); err != nil {
		t.Fatal(err)
	}
	openerID = seedPost(t, pool, threadID, author, 1, "Opening **"+title+"**", at)
	return threadID, openerID
}

func seedPost(t *testing.T, pool *pgxpool.Pool, threadID, author int64, position int, source string, at time.Time) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), `INSERT INTO posts (thread_id, author_id, position, source, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, threadID, author, position, source, at).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMemberThreadsAndPostsArePagedAndSkipHiddenContent(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	alice := forumtest.Member(t, f, "alice", forum.RoleMember)
	bob := forumtest.Member(t, f, "bob", forum.RoleMember)
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var threads []int64
	for i := 0; i < 5; i++ {
		id, _ := seedThread(t, pool, cat.ID, alice.ID, fmt.Sprintf("Thread %d", i), base.Add(time.Duration(i)*time.Hour))
		threads = append(threads, id)
	}
	bobsThread, _ := seedThread(t, pool, cat.ID, bob.ID, "Bob's", base)
	// Same timestamp for two replies: the id breaks the tie, so paging neither skips nor repeats.
	same := base.Add(10 * time.Hour)
	r1 := seedPost(t, pool, bobsThread, alice.ID, 2, "first   reply\n\nwith  spaces", same)
	r2 := seedPost(t, pool, bobsThread, alice.ID, 3, strings.Repeat("long ", 100), same)
	hiddenPost := seedPost(t, pool, bobsThread, alice.ID, 4, "hidden", same.Add(time.Hour))
	deletedPost := seedPost(t, pool, bobsThread, alice.ID, 5, "deleted", same.Add(2*time.Hour))
	if _, err := pool.Exec(ctx, `UPDATE posts SET hidden_at = now() WHERE id = $1`, hiddenPost); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE posts SET deleted_at = now() WHERE id = $1`, deletedPost); err != nil {
		t.Fatal(err)
	}
	// A deleted thread takes its posts off the member page too.
	if _, err := pool.Exec(ctx, `UPDATE threads SET deleted_at = now() WHERE id = $1`, threads[4]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE threads SET hidden_at = now() WHERE id = $1`, threads[3]); err != nil {
		t.Fatal(err)
	}

	var titles []string
	var cur forum.MemberActivityCursor
	for {
		page, next, err := f.MemberThreads(ctx, forum.Guest, alice.ID, cur, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range page {
			titles = append(titles, th.Title)
			if th.CategorySlug != "general" || th.CategoryTitle != "General" {
				t.Errorf("category of %q: %q %q", th.Title, th.CategorySlug, th.CategoryTitle)
			}
		}
		if next.IsZero() {
			break
		}
		// The cursor survives a trip through a URL.
		if cur, err = forum.ParseMemberActivityCursor(next.String()); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(titles) != "[Thread 2 Thread 1 Thread 0]" {
		t.Fatalf("threads %v", titles)
	}

	var ids []int64
	var excerpts []string
	cur = forum.MemberActivityCursor{}
	for {
		page, next, err := f.MemberPosts(ctx, forum.Guest, alice.ID, cur, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			ids = append(ids, p.ID)
			excerpts = append(excerpts, p.Excerpt)
		}
		if next.IsZero() {
			break
		}
		cur = next
	}
	// Newest first: the two same-time replies (higher id first), then the openers of threads 2..0.
	if len(ids) != 5 || ids[0] != r2 || ids[1] != r1 {
		t.Fatalf("posts %v (r1 %d, r2 %d)", ids, r1, r2)
	}
	if excerpts[1] != "first reply with spaces" || !strings.HasSuffix(excerpts[0], "…") || len([]rune(excerpts[0])) > 241 {
		t.Fatalf("excerpts %q", excerpts[:2])
	}
	if _, err := forum.ParseMemberActivityCursor("12.x"); err == nil {
		t.Fatal("bad cursor accepted")
	}

	p, err := f.Profile(ctx, "alice")
	if err != nil || p.PostCount != 5 { // as listed: 3 openers and 2 replies
		t.Fatalf("post count %d (%v)", p.PostCount, err)
	}
}
