package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// TestPostCountFollowsWhatPagesShow drives the triggers of migration 0017 through every change that
// can make a post appear or disappear, the way any code path (local or federated) would make it.
func TestPostCountFollowsWhatPagesShow(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	ann := forumtest.Member(t, f, "ann", forum.RoleMember)
	ben := forumtest.Member(t, f, "ben", forum.RoleMember)
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "talk", Title: "Talk"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	t1, _ := seedThread(t, pool, cat.ID, ann.ID, "One", now)
	t2, _ := seedThread(t, pool, cat.ID, ben.ID, "Two", now)
	p1 := seedPost(t, pool, t2, ann.ID, 2, "reply", now)
	seedPost(t, pool, t2, ann.ID, 3, "another", now)
	seedPost(t, pool, t1, ben.ID, 2, "ben's reply", now)

	counts := func() (int64, int64) {
		t.Helper()
		var a, b int64
		if err := pool.QueryRow(ctx, `SELECT
				(SELECT post_count FROM members WHERE actor_id = $1), (SELECT post_count FROM members WHERE actor_id = $2)`,
			ann.ID, ben.ID).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		// The counter must agree with counting from scratch.
		for id, got := range map[int64]int64{ann.ID: a, ben.ID: b} {
			var want int64
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
				WHERE p.author_id = $1 AND p.deleted_at IS NULL AND p.hidden_at IS NULL
				  AND t.deleted_at IS NULL AND t.hidden_at IS NULL`, id).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("member %d: counter %d, recount %d", id, got, want)
			}
		}
		return a, b
	}
	step := func(name, sql string, args []any, wantAnn, wantBen int64) {
		t.Helper()
		if sql != "" {
			if _, err := pool.Exec(ctx, sql, args...); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if a, b := counts(); a != wantAnn || b != wantBen {
			t.Fatalf("%s: ann %d ben %d, want %d %d", name, a, b, wantAnn, wantBen)
		}
	}
	step("seeded", "", nil, 3, 2)
	step("hide a post", `UPDATE posts SET hidden_at = now() WHERE id = $1`, []any{p1}, 2, 2)
	step("hide it again (no change)", `UPDATE posts SET hidden_at = now() WHERE id = $1`, []any{p1}, 2, 2)
	step("unhide", `UPDATE posts SET hidden_at = NULL WHERE id = $1`, []any{p1}, 3, 2)
	step("an edit touches nothing", `UPDATE posts SET source = 'edited', position = 9 WHERE id = $1`, []any{p1}, 3, 2)
	step("delete thread two", `UPDATE threads SET deleted_at = now() WHERE id = $1`, []any{t2}, 1, 1)
	step("new post in a deleted thread", `INSERT INTO posts (thread_id, author_id, position, source) VALUES ($1, $2, 10, 'x')`, []any{t2, ann.ID}, 1, 1)
	step("restore thread two", `UPDATE threads SET deleted_at = NULL WHERE id = $1`, []any{t2}, 4, 2)
	step("hide thread one", `UPDATE threads SET hidden_at = now() WHERE id = $1`, []any{t1}, 3, 1)
	step("move a post into the hidden thread", `UPDATE posts SET thread_id = $2 WHERE id = $1`, []any{p1, t1}, 2, 1)
	step("reassign its author while hidden", `UPDATE posts SET author_id = $2 WHERE id = $1`, []any{p1, ben.ID}, 2, 1)
	step("unhide thread one", `UPDATE threads SET hidden_at = NULL WHERE id = $1`, []any{t1}, 3, 3)
	step("hard delete", `DELETE FROM posts WHERE id = $1`, []any{p1}, 3, 2)
}
