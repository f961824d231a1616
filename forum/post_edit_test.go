package forum_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// Concurrent edits of one post are serialised by its thread's lock, each over the version before
// it: every text any of them wrote is kept, in the post or its history, once each.
func TestConcurrentEditsKeepEveryVersion(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Busy", "opener")
	p := fx.reply(t, fx.alice, th.ID, "original")
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), p.ID, forum.PostEdit{Body: "edit " + strconv.Itoa(i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	versions := fx.strings(t, `SELECT previous_source FROM post_edits WHERE post_id = $1
		UNION ALL SELECT source FROM posts WHERE id = $1`, p.ID)
	slices.Sort(versions)
	want := []string{"original"}
	for i := range n {
		want = append(want, "edit "+strconv.Itoa(i))
	}
	slices.Sort(want)
	if !slices.Equal(versions, want) {
		t.Errorf("versions kept %q, want every one once: %q", versions, want)
	}
}
