package forum_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A form sent twice makes one post: the same words by the same member in the same place within
// half a minute answer with what the first made, also when both arrive at once. The same words
// elsewhere, by someone else, or later, are new posts.
func TestTheSameFormSentTwiceMakesOnePost(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Twice", "the opener")
	other, _ := fx.thread(t, fx.alice, fx.cat, "Elsewhere", "another opener")
	reply := func(by forum.Member, threadID int64, body string) forum.Post {
		t.Helper()
		p, err := fx.f.CreatePost(fx.ctx, by.Viewer(), forum.NewPost{ThreadID: threadID, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := reply(fx.bob, th.ID, "Same words.")
	if again := reply(fx.bob, th.ID, "Same words."); again.ID != first.ID {
		t.Fatalf("the same reply sent again made post %d beside %d", again.ID, first.ID)
	}
	if p := reply(fx.bob, other.ID, "Same words."); p.ID == first.ID {
		t.Fatal("the same words in another thread were taken for the first reply")
	}
	if p := reply(fx.alice, th.ID, "Same words."); p.ID == first.ID {
		t.Fatal("someone else's same words were taken for bob's reply")
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE posts SET created_at = now() - interval '1 minute' WHERE id = $1`, first.ID); err != nil {
		t.Fatal(err)
	}
	if p := reply(fx.bob, th.ID, "Same words."); p.ID == first.ID {
		t.Fatal("the same words a minute later were taken for the first reply")
	}

	// Both at once: one of them waits for the other's thread lock, then finds its post.
	var wg sync.WaitGroup
	ids := make([]int64, 2)
	for i := range ids {
		wg.Go(func() { ids[i] = reply(fx.bob, th.ID, "Double click.").ID })
	}
	wg.Wait()
	if ids[0] != ids[1] {
		t.Fatalf("a double click made posts %v", ids)
	}
	var n int
	if err := fx.pool.QueryRow(fx.ctx, `SELECT count(*) FROM posts WHERE thread_id = $1`, th.ID).Scan(&n); err != nil || n != 5 {
		t.Fatalf("thread holds %d posts (%v), want 5: the opener, bob's three and alice's", n, err)
	}

	// A new thread sent twice is one thread.
	again, againOpener := fx.thread(t, fx.alice, fx.cat, "Twice", "the opener")
	if again.ID != th.ID || againOpener.ID != opener.ID {
		t.Fatalf("the same new thread sent again made thread %d beside %d", again.ID, th.ID)
	}

	// What a reply answers must still be there to read.
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), first.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err := fx.f.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "To a deleted post", InReplyToID: &first.ID})
	var ve *forum.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "in_reply_to" {
		t.Fatalf("a reply to a deleted post: %v", err)
	}
}

// A submission sent again does not spend the posting budget: a client retrying after a timeout
// gets its post back, not "too fast". Two identical new threads at once are one thread.
func TestASubmissionSentAgainSpendsNoBudget(t *testing.T) {
	t.Parallel()
	fx := newContentFixtureWith(t, forum.Options{PostsPerMinute: 2})
	th, _ := fx.thread(t, fx.alice, fx.cat, "Budget", "opener")
	var first forum.Post
	for i := 0; i < 5; i++ {
		p, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "Retried."})
		if err != nil {
			t.Fatalf("sending the same reply a %d. time: %v", i+1, err)
		}
		if i == 0 {
			first = p
		} else if p.ID != first.ID {
			t.Fatalf("the same reply sent again made post %d beside %d", p.ID, first.ID)
		}
	}
	var threads [2]int64
	var wg sync.WaitGroup
	for i := range threads {
		wg.Go(func() {
			th, _, err := fx.f.CreateThread(fx.ctx, fx.bob.Viewer(), forum.NewThread{CategoryID: fx.cat.ID, Title: "At once", Body: "twice"})
			if err != nil {
				t.Error(err)
			}
			threads[i] = th.ID
		})
	}
	wg.Wait()
	if threads[0] != threads[1] {
		t.Fatalf("two identical new threads at once made threads %v", threads)
	}
	// Two posts spent the budget of two: a third, new one is too fast.
	_, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "Something new."})
	if !errors.Is(err, forum.ErrPostingTooFast) {
		t.Fatalf("a third different post in the minute: %v, want too fast", err)
	}
}
