package forum

import (
	"testing"
	"time"
)

// A late remote post moves the posts after it down one place; what readers had read moves with
// them, so only the late post is new to them.
func TestALatePostShiftsWhatReadersHaveRead(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	reader := fx.member(t, "reader")
	if _, err := fx.f.db.Exec(fx.ctx, `UPDATE members SET created_at = now() - interval '1 year'`); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Hour)
	fx.insert(t, t0, "opener")
	fx.insert(t, t0.Add(2*time.Minute), "b")
	fx.insert(t, t0.Add(3*time.Minute), "c")
	v := reader.Viewer()
	if _, err := fx.f.ReadThreadPage(fx.ctx, v, fx.threadID, 1); err != nil {
		t.Fatal(err)
	}
	late := fx.insert(t, t0.Add(time.Minute), "a")
	if late.Position != 2 {
		t.Fatalf("the late post went to position %d, want 2", late.Position)
	}
	var read string
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT read_positions::text FROM member_threads WHERE thread_id = $1 AND member_id = $2`,
		fx.threadID, reader.ID).Scan(&read); err != nil {
		t.Fatal(err)
	}
	if read != "{[1,2),[3,5)}" {
		t.Fatalf("read positions after the late post: %s, want {[1,2),[3,5)}", read)
	}
	list, err := fx.f.LatestThreads(fx.ctx, v, "", 10)
	if err != nil || len(list.Threads) != 1 || list.Threads[0].Unread != 1 {
		t.Fatalf("latest: %+v, %v; want the thread with 1 unread", list.Threads, err)
	}
	postID, _, err := fx.f.FirstUnread(fx.ctx, v, fx.threadID)
	if err != nil || postID != late.ID {
		t.Fatalf("first unread %d (%v), want the late post %d", postID, err, late.ID)
	}
	tp, err := fx.f.ReadThreadPage(fx.ctx, v, fx.threadID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tp.Posts {
		if p.Unread != (p.ID == late.ID) {
			t.Errorf("post at %d: unread %v", p.Position, p.Unread)
		}
	}
	// The remote author has no member row, so no read state either.
	var rows int
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT count(*) FROM member_threads WHERE member_id = $1`, fx.authorID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("remote author has %d read-state rows (%v)", rows, err)
	}
}
