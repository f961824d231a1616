package forum_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
)

// slowListener takes 15 ms over each notification: a writer that returned before hearing its own
// would be shown what it wrote over.
func slowListener() { time.Sleep(15 * time.Millisecond) }

// A change made here returns once this process has heard what it changed: the thread it replied
// to is read afresh at once, and another thread's shared read stays kept.
func TestAChangeMadeHereIsHeardBeforeItReturns(t *testing.T) {
	t.Parallel()
	fx := newListeningFixture(t, slowListener)
	busy, _ := fx.thread(t, fx.alice, fx.cat, "Busy", "the opener")
	quiet, _ := fx.thread(t, fx.alice, fx.cat, "Quiet", "the opener")
	fx.settle(t)
	page := func(id int64) forum.ThreadPage {
		t.Helper()
		p, err := fx.f.ThreadPageOf(fx.ctx, forum.Guest, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	page(busy.ID)
	page(quiet.ID)
	// The quiet thread is renamed with no notification: a read that still shows the old title
	// came from memory.
	fx.quietly(t, "threads", `UPDATE threads SET title = 'Quiet, renamed unannounced' WHERE id = $1`, quiet.ID)

	if _, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: busy.ID, Body: "a reply made here"}); err != nil {
		t.Fatal(err)
	}
	if p := page(busy.ID); len(p.Posts) != 2 {
		t.Fatalf("right after the reply, its thread reads %d posts: a copy made before it", len(p.Posts))
	}
	if got := page(quiet.ID).Thread.Title; got != "Quiet" {
		t.Fatalf("the other thread reads %q: the reply dropped its shared read too", got)
	}
}

// CatchUp hears what a statement made outside the forum's transactions changed, by the time it
// returns.
func TestCatchUpHearsEveryChangeCommittedBeforeIt(t *testing.T) {
	t.Parallel()
	fx := newListeningFixture(t, slowListener)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Before", "the opener")
	fx.settle(t)
	title := func() string {
		t.Helper()
		p, err := fx.f.ThreadPageOf(fx.ctx, forum.Guest, th.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p.Thread.Title
	}
	title()
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE threads SET title = 'After' WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	fx.f.CatchUp(fx.ctx)
	if got := title(); got != "After" {
		t.Fatalf("after CatchUp the thread reads %q: a copy made before the change", got)
	}
}

// A request's transaction that wrote nothing sends no marker and waits for none: with the
// listener stuck, one that waited would give up after catchUpTimeout and count as a change to
// everything.
func TestAReadOnlyTransactionDoesNotWaitForTheListener(t *testing.T) {
	t.Parallel()
	stuck, release := make(chan bool, 1), make(chan struct{})
	fx := newListeningFixture(t, func() {
		select {
		case stuck <- true:
		default:
		}
		<-release
	})
	t.Cleanup(func() { close(release) }) // before the fixture's own cleanup stops the listener
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_pages_changed', '')`); err != nil {
		t.Fatal(err)
	}
	<-stuck // the listener holds that notification, and hears nothing more
	before, _ := fx.f.PageGeneration()
	if err := fx.f.InTx(fx.ctx, func(tx pgx.Tx) error {
		var name string
		return tx.QueryRow(fx.ctx, `SELECT username FROM actors WHERE id = $1`, fx.bob.ID).Scan(&name)
	}); err != nil {
		t.Fatal(err)
	}
	if after, _ := fx.f.PageGeneration(); after != before {
		t.Fatalf("a transaction that read only moved the page generation (%d to %d): it waited for a marker", before, after)
	}
	// A writing one waits, gives up, and counts as a change to everything.
	if err := fx.f.InTx(fx.ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(fx.ctx, `UPDATE members SET last_seen_at = now() WHERE actor_id = $1`, fx.bob.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if after, _ := fx.f.PageGeneration(); after == before {
		t.Fatal("a writing transaction whose marker was never heard did not count as a change to everything")
	}
}
