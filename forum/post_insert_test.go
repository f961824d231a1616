package forum

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// insertFixture is a bare forum with one category, one thread and one author, for driving
// insertPost directly with explicit published times, as remote posts and backfill will.
type insertFixture struct {
	f        *Forum
	ctx      context.Context
	threadID int64
	catID    int64
	authorID int64
}

func newInsertFixture(t *testing.T) *insertFixture {
	t.Helper()
	pool := testdb.New(t)
	f, err := New(pool, Options{Secret: []byte("insert-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	fx := &insertFixture{f: f, ctx: context.Background()}
	if err := pool.QueryRow(fx.ctx, `INSERT INTO actors (kind, username, domain, ap_id) VALUES ('person', 'r', 'remote.example', 'https://remote.example/u/r') RETURNING id`).Scan(&fx.authorID); err != nil {
		t.Fatal(err)
	}
	var groupID int64
	if err := pool.QueryRow(fx.ctx, `INSERT INTO actors (kind, username) VALUES ('group', 'g') RETURNING id`).Scan(&groupID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(fx.ctx, `INSERT INTO categories (actor_id, slug, title) VALUES ($1, 'g', 'G') RETURNING id`, groupID).Scan(&fx.catID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(fx.ctx, `INSERT INTO threads (category_id, author_id, title) VALUES ($1, $2, 'T') RETURNING id`, fx.catID, fx.authorID).Scan(&fx.threadID); err != nil {
		t.Fatal(err)
	}
	return fx
}

// member makes a local member (password "correct horse battery", e-mail name@example.test).
func (fx *insertFixture) member(t *testing.T, name string) Member {
	t.Helper()
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	m, err := fx.f.CreateMember(fx.ctx, NewMember{Username: name, Email: name + "@example.test", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// recordInbound records a received Create by the fixture's remote author, as the inbox would, and
// returns its id (for RemotePost.InboundID and Finishes).
func (fx *insertFixture) recordInbound(t *testing.T, label string) int64 {
	t.Helper()
	var id int64
	err := pgx.BeginFunc(fx.ctx, fx.f.db, func(tx pgx.Tx) error {
		var err error
		id, _, err = fx.f.RecordInboundTx(fx.ctx, tx, InboundRecord{APID: "https://remote.example/a/" + label, Type: "Create",
			ActorAPID: "https://remote.example/u/r", ActorID: fx.authorID, Inbox: "/inbox", Payload: []byte(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (fx *insertFixture) insert(t *testing.T, at time.Time, label string) placedPost {
	t.Helper()
	var placed placedPost
	err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
		var err error
		placed, err = fx.f.insertPost(fx.ctx, tx, postInsert{ThreadID: fx.threadID, AuthorID: fx.authorID,
			APID: "https://remote.example/p/" + label, Source: "<p>" + label + "</p>", SourceKind: "html",
			HTML: "<p>" + label + "</p>", CreatedAt: at})
		return err
	})
	if err != nil {
		t.Fatalf("insert %s: %v", label, err)
	}
	return placed
}

// order returns the posts' labels (their source) by position, checking positions are 1..n.
func (fx *insertFixture) order(t *testing.T) []string {
	t.Helper()
	rows, err := fx.f.db.Query(fx.ctx, `SELECT position, source FROM posts WHERE thread_id = $1 ORDER BY position`, fx.threadID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var labels []string
	for i := 1; rows.Next(); i++ {
		var pos int
		var src string
		if err := rows.Scan(&pos, &src); err != nil {
			t.Fatal(err)
		}
		if pos != i {
			t.Fatalf("positions not contiguous: %d at index %d", pos, i)
		}
		labels = append(labels, src[3:len(src)-4])
	}
	return labels
}

func TestLatePostsAreInsertedAtTheirPlace(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fx.insert(t, t0, "opener")
	fx.insert(t, t0.Add(10*time.Minute), "ten")
	last := fx.insert(t, t0.Add(20*time.Minute), "twenty")

	late := fx.insert(t, t0.Add(15*time.Minute), "fifteen")
	if late.Position != 3 {
		t.Errorf("late post at position %d, want 3", late.Position)
	}
	// Earlier than the opener (a peer's clock): still a reply, right after the opener.
	early := fx.insert(t, t0.Add(-time.Hour), "early")
	if early.Position != 2 {
		t.Errorf("post older than the opener at position %d, want 2", early.Position)
	}
	// The same instant as an existing post: after it (arrival order).
	tie := fx.insert(t, t0.Add(10*time.Minute), "ten-again")
	if tie.Position != 4 {
		t.Errorf("tied post at position %d, want 4", tie.Position)
	}
	want := []string{"opener", "early", "ten", "ten-again", "fifteen", "twenty"}
	if got := fx.order(t); !equalStrings(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}

	var count int
	var lastID int64
	var lastAt time.Time
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT post_count, last_post_id, last_post_at FROM threads WHERE id = $1`, fx.threadID).
		Scan(&count, &lastID, &lastAt); err != nil {
		t.Fatal(err)
	}
	if count != 6 || lastID != last.ID || !lastAt.Equal(last.CreatedAt) {
		t.Errorf("thread counters: %d posts, last %d at %v; want 6, %d at %v", count, lastID, lastAt, last.ID, last.CreatedAt)
	}
	var catPosts int64
	var catLast time.Time
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT post_count, last_post_at FROM category_totals WHERE id = $1`, fx.catID).Scan(&catPosts, &catLast); err != nil {
		t.Fatal(err)
	}
	if catPosts != 6 || !catLast.Equal(last.CreatedAt) {
		t.Errorf("category counters: %d posts, last %v", catPosts, catLast)
	}
}

func TestLocalPostsAlwaysAppendAndFuturePostsCountAsNow(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	// A remote post stamped an hour ahead is taken as published now.
	future := fx.insert(t, time.Now().Add(time.Hour), "future")
	if future.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("future post kept its time %v", future.CreatedAt)
	}
	// A local post (no published time) goes last, never before an existing post.
	var local placedPost
	if err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
		var err error
		local, err = fx.f.insertPost(fx.ctx, tx, postInsert{ThreadID: fx.threadID, AuthorID: fx.authorID, Source: "<p>local</p>",
			SourceKind: "markdown", HTML: "<p>local</p>"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if local.Position != 2 || local.CreatedAt.Before(future.CreatedAt) {
		t.Fatalf("local post at %d, %v; want 2, not before %v", local.Position, local.CreatedAt, future.CreatedAt)
	}
	// The stored MAC verifies for the stored HTML and this post's id only.
	var html string
	var mac []byte
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT html, html_mac FROM posts WHERE id = $1`, local.ID).Scan(&html, &mac); err != nil {
		t.Fatal(err)
	}
	if !fx.f.secrets.htmlOK("post", local.ID, html, mac) || fx.f.secrets.htmlOK("post", future.ID, html, mac) {
		t.Fatal("MAC not bound to the post's id and HTML")
	}
}

func TestDuplicateRemotePostIsAConflict(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	fx.insert(t, time.Now().Add(-time.Minute), "same")
	err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
		_, err := fx.f.insertPost(fx.ctx, tx, postInsert{ThreadID: fx.threadID, AuthorID: fx.authorID,
			APID: "https://remote.example/p/same", Source: "x", SourceKind: "html", HTML: "x", CreatedAt: time.Now()})
		return err
	})
	if err == nil || !isConflict(err) {
		t.Fatalf("second insert of one ap_id: %v, want ErrConflict", err)
	}
	if got := fx.order(t); len(got) != 1 {
		t.Fatalf("%d posts after a refused duplicate", len(got))
	}
}

func isConflict(err error) bool {
	for e := err; e != nil; {
		if e == ErrConflict {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
