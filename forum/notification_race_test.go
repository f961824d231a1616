package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// A notification job and the write that undoes its reason take turns: a like taken back, or a
// post deleted, while the job that tells of it is running leaves no unread notification behind.
// The job is held between its decision and its insert by a lock on the notified member's row (as
// a busy database holds it), and the undoing write is made meanwhile.
func TestANotificationRacingTheWriteThatUndoesItIsNotLeftBehind(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	waits := func() (n int) {
		t.Helper()
		if err := fx.pool.QueryRow(fx.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	race := func(name string, job forum.NotifyArgs, undo func() error) {
		t.Helper()
		hold, err := fx.pool.Begin(fx.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer hold.Rollback(context.Background())
		if _, err := hold.Exec(fx.ctx, `SELECT 1 FROM members WHERE actor_id = $1 FOR UPDATE`, fx.alice.Viewer().ActorID); err != nil {
			t.Fatal(err)
		}
		delivered := make(chan error, 1)
		go func() { _, err := fx.f.DeliverNotifications(fx.ctx, job, siteLink); delivered <- err }()
		undone := make(chan error, 1)
		var undoErr error
		deadline := time.Now().Add(10 * time.Second)
		// The job waits at its insert; then the undoing write either goes through (the bug) or
		// waits for the job in turn. The job is let go once the write is one or the other.
		for started, finished := false, false; !finished; {
			switch n := waits(); {
			case !started && n >= 1:
				started = true
				go func() { undone <- undo() }()
			case started && n >= 2:
				finished = true
			case started:
				select {
				case undoErr = <-undone:
					finished, undone = true, nil
				default:
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the job and the write never met", name)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := hold.Rollback(fx.ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-delivered; err != nil {
			t.Fatal(err)
		}
		if undone != nil {
			undoErr = <-undone
		}
		if undoErr != nil {
			t.Fatal(undoErr)
		}
		if n := fx.unreadNotifications(t, fx.alice); n != 0 {
			t.Errorf("%s: alice has %d unread notifications, want none", name, n)
		}
	}

	_, opener := fx.thread(t, fx.alice, fx.cat, "Like race", "like me")
	fx.deliver(t)
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	like := takeJobs[forum.NotifyArgs](fx.jobs)[0]
	race("a like taken back", like, func() error { _, err := fx.f.UnlikePost(fx.ctx, fx.bob.Viewer(), opener.ID); return err })

	th, _ := fx.thread(t, fx.alice, fx.cat, "Reply race", "reply to me")
	fx.deliver(t)
	reply := fx.reply(t, fx.bob, th.ID, "a reply soon deleted")
	var replyJob forum.NotifyArgs
	for _, j := range takeJobs[forum.NotifyArgs](fx.jobs) {
		if j.PostID == reply.ID {
			replyJob = j
		}
	}
	race("a reply deleted", replyJob, func() error { return fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), reply.ID, "") })
}
