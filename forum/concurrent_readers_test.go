package forum_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A member's first view of a thread records it as read (a member_threads row, whose foreign key
// check takes a KEY SHARE lock on the thread) while a reply, a like or a hide of the same thread
// holds the thread's row lock and wants rows the view holds. The writers' lock was FOR UPDATE,
// which blocks that KEY SHARE, and about one such pair in fifteen deadlocked: a 500 for one of the
// two, after PostgreSQL's one-second detection (a QA load of 12 clients saw 45 in two minutes).
func TestFirstViewsRacingRepliesLikesAndHidesDoNotDeadlock(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	for i := range 25 {
		th, opener := fx.thread(t, fx.alice, fx.cat, fmt.Sprint("Race ", i), "opener")
		hidden := fx.reply(t, fx.alice, th.ID, "a reply a moderator hides")
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		run := func(what string, fn func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					errs <- fmt.Errorf("round %d, %s: %w", i, what, err)
				}
			}()
		}
		run("bob's first view", func() error { _, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1); return err })
		run("bob's reply", func() error {
			_, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "bob replies"})
			return err
		})
		run("carol's first view", func() error { _, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1); return err })
		run("carol's like", func() error { _, err := fx.f.LikePost(fx.ctx, carol.Viewer(), opener.ID); return err })
		run("the hide", func() error { return fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "off topic") })
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}
