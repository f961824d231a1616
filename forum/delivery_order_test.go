package forum_test

import (
	"slices"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A server that was down gets what it missed in order: a delivery waits while its inbox has an
// earlier activity's delivery pending after a failed attempt or held back, and only then; the
// deliveries to wake are those of the earliest activity waiting.
func TestDeliveryBacklogKeepsAnInboxInOrder(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "In order", "first")
	second := fx.reply(t, fx.alice, th.ID, "second")
	third := fx.reply(t, fx.alice, th.ID, "third")
	act := func(postID int64) int64 {
		var id int64
		if err := fx.pool.QueryRow(fx.ctx, `SELECT id FROM activities WHERE post_id = $1 AND verb = 'create'`, postID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1, a2, a3 := act(opener.ID), act(second.ID), act(third.ID)
	const down, other = "https://down.example/inbox", "https://up.example/inbox"
	var rows []forum.DeliveryRow
	for i, a := range []int64{a1, a2, a3} {
		rows = append(rows, forum.DeliveryRow{ActivityID: a, Inbox: down, Domain: "down.example", JobID: int64(10 + i)},
			forum.DeliveryRow{ActivityID: a, Inbox: other, Domain: "up.example", JobID: int64(20 + i)})
	}
	tx, err := fx.pool.Begin(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.InsertDeliveriesTx(fx.ctx, tx, rows); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(fx.ctx); err != nil {
		t.Fatal(err)
	}
	state := func(inbox string, a int64) (waits, backlog bool) {
		t.Helper()
		b, err := fx.f.DeliveryBacklog(fx.ctx, inbox, a)
		if err != nil {
			t.Fatal(err)
		}
		many, err := fx.f.DeliveryBacklogs(fx.ctx, []string{inbox, "http://nobody.example/inbox"}, a)
		if err != nil {
			t.Fatal(err)
		}
		if many[inbox] != b || len(many) > 1 {
			t.Fatalf("backlogs of %s for activity %d: %+v, one by one %+v", inbox, a, many, b)
		}
		return b.Waits, b.Backlog
	}
	record := func(o forum.DeliveryOutcome) {
		t.Helper()
		o.Inbox = down
		if err := fx.f.RecordDeliveryOutcomes(fx.ctx, []forum.DeliveryOutcome{o}); err != nil {
			t.Fatal(err)
		}
	}
	held := func() []int64 {
		t.Helper()
		ids, err := fx.f.HeldDeliveryJobs(fx.ctx, down)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// Queued but never tried: deliveries run side by side, there is no backlog.
	if w, b := state(down, a3); w || b {
		t.Fatalf("before any failure: a3 waits %v, backlog %v", w, b)
	}
	// a1 fails: later deliveries to that inbox wait, a1 itself does not, the other inbox is free.
	record(forum.DeliveryOutcome{ActivityID: a1, State: forum.DeliveryPending, Attempted: true, Error: "connection refused"})
	if w, b := state(down, a1); w || !b {
		t.Fatalf("a1 after failing: waits %v, backlog %v", w, b)
	}
	if w, _ := state(down, a3); !w {
		t.Fatal("a3 does not wait behind a1, which failed")
	}
	if w, b := state(other, a3); w || b {
		t.Fatal("another inbox waits behind down.example")
	}
	// a2 and a3 are held back; a1 gets through: a2 goes, a3 still waits behind a2, which never
	// failed but was held, and a2's job is the one to wake.
	for _, a := range []int64{a2, a3} {
		if err := fx.f.HoldDelivery(fx.ctx, a, "", down); err != nil {
			t.Fatal(err)
		}
	}
	if ids := held(); !slices.Equal(ids, []int64{10}) {
		t.Fatalf("to wake while a1 is pending: %v, want a1's job", ids)
	}
	record(forum.DeliveryOutcome{ActivityID: a1, State: forum.DeliveryDelivered, Attempted: true, Status: 202})
	if ids := held(); !slices.Equal(ids, []int64{11}) {
		t.Fatalf("to wake after a1: %v, want a2's job", ids)
	}
	if w, b := state(down, a2); w || !b {
		t.Fatalf("a2 after a1 went through: waits %v, backlog %v", w, b)
	}
	if w, _ := state(down, a3); !w {
		t.Fatal("a3 overtakes a2, which was held back")
	}
	// Given up (failed for good): it holds nothing back any more.
	record(forum.DeliveryOutcome{ActivityID: a2, State: forum.DeliveryFailed, Attempted: true, Status: 503})
	if w, _ := state(down, a3); w {
		t.Fatal("a3 waits behind a delivery that was given up")
	}
	record(forum.DeliveryOutcome{ActivityID: a3, State: forum.DeliveryDelivered, Attempted: true, Status: 202})
	if w, b := state(down, a3); w || b || len(held()) != 0 {
		t.Fatalf("after the backlog drained: waits %v, backlog %v, held %v", w, b, held())
	}
}
