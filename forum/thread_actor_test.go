package forum_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// insertThread writes a thread row directly: threads are created by the thread code of another part
// of the forum, and these tests only need one to exist.
func insertThread(t *testing.T, pool *pgxpool.Pool, categoryID, authorID int64, title string) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(), `INSERT INTO threads (category_id, author_id, title) VALUES ($1, $2, $3) RETURNING id`,
		categoryID, authorID, title).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestThreadActorUsernameRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{1, 42, 9007199254740993} {
		got, ok := forum.ThreadIDFromActorUsername(forum.ThreadActorUsername(id))
		if !ok || got != id {
			t.Errorf("round trip of %d: got %d, %v", id, got, ok)
		}
	}
	for _, bad := range []string{"thread-", "thread-0", "thread-01", "thread-+1", "thread--1", "thread-1a", "thread1", "alice", "thread-99999999999999999999"} {
		if id, ok := forum.ThreadIDFromActorUsername(bad); ok {
			t.Errorf("%q parsed as thread %d", bad, id)
		}
	}
	if err := forum.ValidateHandle("username", forum.ThreadActorUsername(1)); err == nil {
		t.Fatal("a thread actor handle is a valid username: thread actors could collide with members")
	}
}

func TestEnsureThreadActorCreatesOneActorUnderConcurrency(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	author := forumtest.Member(t, f, "author", forum.RoleMember)
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	threadID := insertThread(t, pool, cat.ID, author.ID, "Hello world")

	const callers = 8
	got := make([]forum.ThreadActor, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = f.EnsureThreadActor(ctx, threadID)
		}()
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if got[i].ID != got[0].ID {
			t.Fatalf("caller %d got actor %d, caller 0 got %d", i, got[i].ID, got[0].ID)
		}
	}
	ta := got[0]
	if ta.Kind != forum.ActorThread || ta.Username != forum.ThreadActorUsername(threadID) || ta.Title != "Hello world" ||
		ta.CategorySlug != "general" || ta.ThreadID != threadID || !ta.Local() {
		t.Fatalf("thread actor = %+v", ta)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM actors WHERE kind = 'thread'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d thread actors (err %v), want 1", n, err)
	}
	var linked int64
	if err := pool.QueryRow(ctx, `SELECT actor_id FROM threads WHERE id = $1`, threadID).Scan(&linked); err != nil || linked != ta.ID {
		t.Fatalf("threads.actor_id = %d (err %v), want %d", linked, err, ta.ID)
	}
	// Its key is made on first need, and is a real key.
	pem, err := f.PublicKeyPEM(ctx, ta.ID)
	if err != nil || pem == "" {
		t.Fatalf("key of thread actor: %q, %v", pem, err)
	}
	// The handle resolves like any local actor's.
	byName, err := f.LocalActorByUsername(ctx, ta.Username)
	if err != nil || byName.ID != ta.ID {
		t.Fatalf("LocalActorByUsername(%s) = %d, %v", ta.Username, byName.ID, err)
	}
}

func TestEnsureThreadActorRefusesInvisibleThreads(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	author := forumtest.Member(t, f, "author", forum.RoleMember)
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	deleted := insertThread(t, pool, cat.ID, author.ID, "Deleted")
	hidden := insertThread(t, pool, cat.ID, author.ID, "Hidden")
	remote := insertThread(t, pool, cat.ID, author.ID, "Remote")
	if _, err := pool.Exec(ctx, `UPDATE threads SET deleted_at = now() WHERE id = $1`, deleted); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE threads SET hidden_at = now() WHERE id = $1`, hidden); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE threads SET ap_id = 'https://remote.example/t/1' WHERE id = $1`, remote); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		id   int64
		want error
	}{
		{"deleted", deleted, forum.ErrGone},
		{"hidden", hidden, forum.ErrNotFound},
		{"remote", remote, forum.ErrNotFound},
		{"unknown", deleted + 1000, forum.ErrNotFound},
	}
	for _, c := range cases {
		if _, err := f.EnsureThreadActor(ctx, c.id); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// A thread deleted after its actor was made stops resolving too.
	visible := insertThread(t, pool, cat.ID, author.ID, "Visible")
	if _, err := f.EnsureThreadActor(ctx, visible); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE threads SET deleted_at = now() WHERE id = $1`, visible); err != nil {
		t.Fatal(err)
	}
	if _, err := f.EnsureThreadActor(ctx, visible); !errors.Is(err, forum.ErrGone) {
		t.Fatalf("deleted after its actor was made: %v, want ErrGone", err)
	}
}

func TestInstanceActorIsCreatedOnce(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]int64, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := f.InstanceActor(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = a.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == 0 {
			t.Fatalf("instance actor ids %v", ids)
		}
	}
	a, err := f.InstanceActor(ctx)
	if err != nil || a.Kind != forum.ActorInstance || a.Username != forum.InstanceActorUsername || !a.ManuallyApprovesFollowers {
		t.Fatalf("instance actor %+v, %v", a, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM actors WHERE kind = 'instance'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d instance actors, want 1 (%v)", n, err)
	}
}
