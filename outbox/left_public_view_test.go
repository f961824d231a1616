package outbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A post's Create waiting for a retry is not sent once the post has left public view by any way
// (SECURITY.md rule 18): its thread deleted (the Delete of the opener cancels only the opener's
// own deliveries), moved into a category guests may not see, its category closed to guests, or the
// post hidden by a moderator; the opener's own deletion is the control that cancelled before.
func TestAQueuedCreateIsNotSentOnceItsPostLeftPublicView(t *testing.T) {
	t.Parallel()
	for _, change := range []string{"opener deleted", "reply in a deleted thread", "thread moved to a private category",
		"category made private", "post hidden"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, []string{"flaky.example"})
			h.ob.retryIn = func(int) time.Duration { return time.Hour }
			failCreates := make(chan bool, 1)
			failCreates <- true
			h.peers["flaky.example"].Respond = func(r fedtest.Received, _ int) (int, http.Header) {
				fail := <-failCreates
				failCreates <- fail
				if r.Type == "Create" && fail {
					return http.StatusInternalServerError, nil
				}
				return http.StatusAccepted, nil
			}
			reader := h.remote(forum.ActorPerson, "flaky.example", "f", true)
			author := h.alice
			if change == "reply in a deleted thread" {
				author = h.bob
			}
			h.follow(reader, author.ID)
			th, opener, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Oops", Body: "text"})
			if err != nil {
				t.Fatal(err)
			}
			post := opener
			if change == "reply in a deleted thread" {
				if post, err = h.f.CreatePost(h.ctx, h.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "a reply"}); err != nil {
					t.Fatal(err)
				}
			}
			h.idle()
			if state, _, _ := h.jobOf("http://flaky.example/inbox"); state != "retryable" {
				t.Fatalf("the Create's job is %s, want retryable", state)
			}
			before := len(h.peers["flaky.example"].Received())
			private := []forum.RolePermission{{Role: forum.RoleGuest}, {Role: forum.RoleMember},
				{Role: forum.RoleModerator, See: true, Start: true, Reply: true}}
			switch change {
			case "opener deleted", "reply in a deleted thread":
				err = h.f.DeletePost(h.ctx, h.mod.Viewer(), opener.ID, "")
			case "thread moved to a private category":
				var closed forum.Category
				if closed, err = h.f.CreateCategory(h.ctx, forumtest.Admin, forum.NewCategory{Slug: "modsonly", Title: "Mods"}); err != nil {
					t.Fatal(err)
				}
				if err = h.f.SetPermissionGrid(h.ctx, forumtest.Admin, closed.ID, private); err != nil {
					t.Fatal(err)
				}
				err = h.f.MoveThread(h.ctx, h.mod.Viewer(), th.ID, closed.ID)
			case "category made private":
				err = h.f.SetPermissionGrid(h.ctx, forumtest.Admin, h.cat.ID, private)
			case "post hidden":
				err = h.f.HidePost(h.ctx, h.mod.Viewer(), post.ID, true, "spam")
			}
			if err != nil {
				t.Fatal(err)
			}
			h.idle()
			<-failCreates
			failCreates <- false
			h.ob.live.forget(post.ID) // what this process knew about the post a moment ago (its cache lives a second)
			// The retry comes due (an hour later in real time).
			if _, err := h.pool.Exec(h.ctx, `UPDATE river_job SET scheduled_at = now() WHERE queue = $1 AND state = 'retryable'`, QueueDelivery); err != nil {
				t.Fatal(err)
			}
			h.idle()
			got := h.peers["flaky.example"].Received()[before:]
			for _, r := range got {
				if r.Type == "Create" && r.Status < 300 {
					t.Errorf("the queued Create was delivered afterwards: %v", types(got))
				}
			}
		})
	}
}
