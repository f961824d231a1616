package forum_test

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// settleScoped waits, as settle does, for the listener to hear every notification of the writes
// made so far, with a notification that changes no page: one naming a member nobody is, on the
// readers' channel (the same connection hears both channels in commit order).
func (fx *contentFixture) settleScoped(t *testing.T) {
	t.Helper()
	const nobody = -7
	before, _ := fx.f.ReaderStamp(nobody)
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_readers_changed', $1)`, "-7"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the listener catching up", func() bool { now, _ := fx.f.ReaderStamp(nobody); return now != before })
}

// A change names its thread and category (migration 0110): what other threads' pages and other
// categories' lists read stays kept, what the change touched is read again, and the latest list,
// which shows every category, too.
func TestAChangeDropsOnlyTheSharedReadsOfItsThreadAndCategory(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	other := fx.category(t, "other")
	quiet, _ := fx.thread(t, fx.alice, fx.cat, "Quiet", "the opener")
	busy, _ := fx.thread(t, fx.alice, fx.cat, "Busy", "the opener")
	elsewhere, _ := fx.thread(t, fx.alice, other, "Elsewhere", "the opener")
	fx.settle(t)
	guest := forum.Guest
	title := func(id int64) string {
		t.Helper()
		p, err := fx.f.ReadThreadPage(fx.ctx, guest, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p.Thread.Title
	}
	titles := func(l forum.ThreadList, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, th := range l.Threads {
			out = append(out, th.Title)
		}
		return out
	}
	listed := func(c forum.Category) []string { return titles(fx.f.CategoryThreads(fx.ctx, guest, c, "", 0)) }
	latest := func() []string { return titles(fx.f.LatestThreads(fx.ctx, guest, "", 0)) }
	// Keep every read, then change each thread's title with no notification: a read that shows
	// the old title was kept.
	title(quiet.ID)
	title(busy.ID)
	listed(other)
	listed(fx.cat)
	latest()
	fx.quietly(t, "threads", `UPDATE threads SET title = title || ' (renamed)'`)

	// A reply in the busy thread, made the way an inbox job makes it: its commit moves nothing
	// here, its notifications name the thread and its category.
	if _, err := fx.f.CreatePost(forum.WithDeferredCommit(fx.ctx), fx.bob.Viewer(),
		forum.NewPost{ThreadID: busy.ID, Body: "a reply to the busy thread"}); err != nil {
		t.Fatal(err)
	}
	fx.settleScoped(t)
	if got := title(busy.ID); got != "Busy (renamed)" {
		t.Fatalf("the replied-to thread's page: %q, want it read again", got)
	}
	if got := title(quiet.ID); got != "Quiet" {
		t.Fatalf("a thread nobody changed: %q, want its kept read", got)
	}
	if got := listed(fx.cat); len(got) != 2 || got[0] != "Busy (renamed)" {
		t.Fatalf("the reply's category's list: %v, want it read again", got)
	}
	if got := listed(other); len(got) != 1 || got[0] != "Elsewhere" {
		t.Fatalf("another category's list: %v, want its kept read", got)
	}
	if got := latest(); len(got) != 3 || got[0] != "Busy (renamed)" || got[1] != "Elsewhere (renamed)" {
		t.Fatalf("latest: %v, want it read again", got)
	}
	// Any job's transaction (InBackground: a post's notifications, a delivery's bookkeeping) leaves
	// the kept reads to its notifications too.
	fx.quietly(t, "threads", `UPDATE threads SET title = title || '!'`)
	if _, err := fx.f.CreatePost(forum.InBackground(fx.ctx), fx.bob.Viewer(),
		forum.NewPost{ThreadID: busy.ID, Body: "a reply from a job"}); err != nil {
		t.Fatal(err)
	}
	fx.settleScoped(t)
	if got := title(quiet.ID); got != "Quiet" {
		t.Fatalf("a thread nobody changed, after a job's reply elsewhere: %q, want its kept read", got)
	}
	if got := title(busy.ID); got != "Busy (renamed)!" {
		t.Fatalf("the thread a job replied to: %q, want it read again", got)
	}

	// A statement naming more than 16 threads and categories names everything: even the other
	// category's list, which it did not touch, is read again.
	for i := range 15 {
		fx.thread(t, fx.alice, fx.cat, "Filler "+string(rune('a'+i)), "the opener")
	}
	fx.settle(t)
	listed(other)
	fx.quietly(t, "threads", `UPDATE threads SET title = 'Elsewhere, again' WHERE id = $1`, elsewhere.ID)
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE threads SET post_count = post_count WHERE category_id = $1`, fx.cat.ID); err != nil {
		t.Fatal(err)
	}
	fx.settleScoped(t)
	if got := listed(other); len(got) != 1 || got[0] != "Elsewhere, again" {
		t.Fatalf("another category's list after a change naming 17 threads: %v, want it read again", got)
	}
}
