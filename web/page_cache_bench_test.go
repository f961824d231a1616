package web

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// BenchmarkGuestPagesWhileRepliesAreMadeHere reads guests' thread pages, a hundred threads in turn,
// while a member of this same server replies in one of them every 20 ms through the web. A reply
// drops the copies of its thread and its category's lists (forum/catch_up.go): the other 99
// threads' pages stay kept. misses/1000 is how many pages in a thousand were made afresh.
func BenchmarkGuestPagesWhileRepliesAreMadeHere(b *testing.B) {
	fx := newWebFixture(b)
	fx.listen(b)
	var paths []string
	var busy forum.Thread
	for i := range 100 {
		busy, _ = fx.thread(b, fx.alice, "Thread "+itoa(int64(i)), "the opener")
		paths = append(paths, "/t/"+itoa(busy.ID))
	}
	for _, p := range paths {
		waitFor(b, p+" kept", func() bool { return cacheState(fx.get(b, forum.Guest, p)) == "hit" })
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failed []string
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			rec := fx.post(b, fx.bob.Viewer(), "/t/"+itoa(busy.ID)+"/reply", url.Values{"body": {"a reply made here"}})
			if rec.Code != http.StatusSeeOther {
				failed = append(failed, rec.Result().Status)
			}
		}
	})
	misses, n := 0, 0
	for b.Loop() {
		if cacheState(fx.get(b, forum.Guest, paths[n%len(paths)])) != "hit" {
			misses++
		}
		n++
	}
	close(stop)
	wg.Wait()
	if len(failed) > 0 {
		b.Fatalf("replies answered %v", failed)
	}
	b.ReportMetric(1000*float64(misses)/float64(n), "misses/1000")
}
