package forum

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// insertIn stores a post in a thread of the fixture's category, in tx.
func (fx *insertFixture) insertIn(ctx context.Context, tx pgx.Tx, threadID int64, at time.Time, label string) error {
	_, err := fx.f.insertPost(ctx, tx, postInsert{ThreadID: threadID, AuthorID: fx.authorID,
		APID: "https://remote.example/p/" + label, Source: "<p>" + label + "</p>", SourceKind: "html",
		HTML: "<p>" + label + "</p>", CreatedAt: at})
	return err
}

func (fx *insertFixture) secondThread(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := fx.f.db.QueryRow(fx.ctx, `INSERT INTO threads (category_id, author_id, title) VALUES ($1, $2, 'T2') RETURNING id`,
		fx.catID, fx.authorID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if counterStripe(id) == counterStripe(fx.threadID) {
		t.Fatalf("threads %d and %d share a stripe", fx.threadID, id)
	}
	return id
}

// A post in one thread must not wait for an uncommitted post in another thread of the category:
// with the counters in the category's row, every posting transaction in a category queued behind
// the one before it until its commit.
func TestPostsInOtherThreadsDoNotWaitForTheirCategory(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	other := fx.secondThread(t)
	now := time.Now().Add(-time.Minute).Truncate(time.Microsecond)

	held, err := fx.f.db.Begin(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback(fx.ctx)
	if err := fx.insertIn(fx.ctx, held, fx.threadID, now, "held"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(fx.ctx, 5*time.Second)
	defer cancel()
	if err := fx.f.inTx(ctx, func(tx pgx.Tx) error { return fx.insertIn(ctx, tx, other, now.Add(time.Second), "free") }); err != nil {
		t.Fatalf("a post in another thread, while the first is uncommitted: %v", err)
	}
	if err := held.Commit(fx.ctx); err != nil {
		t.Fatal(err)
	}

	c, err := fx.f.CategoryByID(fx.ctx, fx.catID)
	if err != nil {
		t.Fatal(err)
	}
	if c.PostCount != 2 || c.LastPostAt == nil || !c.LastPostAt.Equal(now.Add(time.Second)) {
		t.Fatalf("category counters: %d posts, last %v; want 2, %v", c.PostCount, c.LastPostAt, now.Add(time.Second))
	}
	var basePosts int64
	var baseLast *time.Time
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT post_count, last_post_at FROM categories WHERE id = $1`, fx.catID).Scan(&basePosts, &baseLast); err != nil {
		t.Fatal(err)
	}
	if basePosts != 0 || baseLast != nil {
		t.Fatalf("the category's row was written by posting: %d posts, last %v", basePosts, baseLast)
	}
}

// Deleting the thread with the latest post recomputes the category's last activity from the
// threads left, and the stripes' maxima (which still hold the deleted thread's time) must not win.
func TestDeletingTheLatestThreadRecomputesTheCategorysActivity(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	other := fx.secondThread(t)
	earlier := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	fx.insert(t, earlier, "a")
	later := earlier.Add(time.Minute)
	if err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error { return fx.insertIn(fx.ctx, tx, other, later, "b") }); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.db.Exec(fx.ctx, `UPDATE categories SET thread_count = 2 WHERE id = $1`, fx.catID); err != nil {
		t.Fatal(err) // the fixture's threads were inserted without counting them
	}
	if err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
		return deleteThreadRow(fx.ctx, tx, Thread{ID: other, CategoryID: fx.catID, PostCount: 1})
	}); err != nil {
		t.Fatal(err)
	}
	c, err := fx.f.CategoryByID(fx.ctx, fx.catID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ThreadCount != 1 || c.PostCount != 1 || c.LastPostAt == nil || !c.LastPostAt.Equal(earlier) {
		t.Fatalf("after deleting the latest thread: %d threads, %d posts, last %v; want 1, 1, %v",
			c.ThreadCount, c.PostCount, c.LastPostAt, earlier)
	}
}
