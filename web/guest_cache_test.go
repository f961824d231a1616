package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// listen gives fx's handler page caches and runs the change listener it needs (as stoa serve
// does) until the test ends or stop is called; it waits until the listener is subscribed.
func (fx *webFixture) listen(t testing.TB) (stop func()) {
	t.Helper()
	base := "https://forum.example"
	public, _ := url.Parse(base)
	fx.h = New(Options{Forum: fx.f, PublicURL: public, Federation: testFederation{base: base},
		GuestCacheBytes: 64 << 20, MemberCacheBytes: 64 << 20})
	ctx, cancel := context.WithCancel(fx.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fx.f.ListenForChanges(ctx, func(err error) { fx.listenerErrors.Add(1); t.Logf("listener: %v", err) })
	}()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	waitFor(t, "the change listener to subscribe", func() bool { _, live := fx.f.PageGeneration(); return live })
	return stop
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func cacheState(rec *httptest.ResponseRecorder) string { return rec.Header().Get(cacheHeader) }

func TestGuestPagesComeFromTheCacheUntilTheyChange(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	stop := fx.listen(t)
	th, _ := fx.thread(t, fx.alice, "Cached", "the opener")
	paths := []string{"/t/" + itoa(th.ID), "/c/general", "/api/v1/threads/" + itoa(th.ID), "/api/v1/categories/general/threads",
		"/latest", "/c/general/feed", "/t/" + itoa(th.ID) + "/feed"}
	// A write made here moves the generation at once, and again when its own notification comes
	// back a moment later: pages are kept once that has arrived.
	fill := func(why string) {
		t.Helper()
		for _, p := range paths {
			var first *httptest.ResponseRecorder
			waitFor(t, why+": "+p+" kept", func() bool {
				rec := fx.get(t, forum.Guest, p)
				wantCode(t, rec, http.StatusOK)
				if cacheState(rec) == "hit" {
					if first == nil || rec.Body.String() != first.Body.String() ||
						rec.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
						t.Fatalf("%s: %s from the cache is not the page made for the cache", why, p)
					}
					return true
				}
				first = rec
				return false
			})
		}
	}
	fill("at first")
	// Members never get the guests' copy, nor add to it.
	if rec := fx.get(t, fx.bob.Viewer(), paths[0]); cacheState(rec) != "" {
		t.Fatalf("a member's page: cache %q", cacheState(rec))
	}

	// A change made by this process shows at once.
	fx.reply(t, fx.bob, th.ID, "a reply made here")
	for _, p := range paths {
		rec := fx.get(t, forum.Guest, p)
		if cacheState(rec) != "miss" {
			t.Fatalf("after a reply, %s answered %q, want a miss", p, cacheState(rec))
		}
		if strings.HasPrefix(p, "/t/") || strings.HasPrefix(p, "/api/v1/threads/") { // pages and feed of the thread
			if !strings.Contains(rec.Body.String(), "a reply made here") {
				t.Fatalf("after a reply, %s does not show it", p)
			}
		}
	}
	wantHit := func(why string) {
		t.Helper()
		waitFor(t, why+": "+paths[0]+" from the cache", func() bool {
			return cacheState(fx.get(t, forum.Guest, paths[0])) == "hit"
		})
	}
	wantHit("after a reply")

	// A change made by another process shows once its notification arrives.
	cfg := fx.pool.Config().Copy()
	other, err := pgxpool.NewWithConfig(fx.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	elsewhere := forumtest.NewOn(t, other, forum.Options{})
	if _, err := elsewhere.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "a reply made elsewhere"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other process's reply on the guests' page", func() bool {
		return strings.Contains(fx.get(t, forum.Guest, paths[0]).Body.String(), "a reply made elsewhere")
	})
	// So does a change no forum transaction made (an administrator's UPDATE in psql).
	wantHit("after the other process's reply")
	if _, err := other.Exec(fx.ctx, `UPDATE actors SET display_name = 'Alice From psql' WHERE id = $1`, fx.alice.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a display name changed in psql on the guests' page", func() bool {
		return strings.Contains(fx.get(t, forum.Guest, paths[0]).Body.String(), "Alice From psql")
	})

	// Without the listener, nothing is cached: changes could go unheard.
	stop()
	for range 2 {
		if rec := fx.get(t, forum.Guest, paths[0]); cacheState(rec) != "" {
			t.Fatalf("with the listener stopped, a guest's page: cache %q", cacheState(rec))
		}
	}
}

// A page whose making overlapped a change is not kept: it may show what was there before. When the
// change came before its body, the body is not even copied.
func TestAGuestPageMadeDuringAChangeIsNotKept(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	s := &Server{forum: fx.f, pages: newPageCache(1<<20, 0)}
	changeWhileMaking := true
	h := s.pageCached(func(w http.ResponseWriter, r *http.Request) {
		if changeWhileMaking {
			changeWhileMaking = false
			// A change to what every page shows, committed meanwhile and heard at once.
			if _, err := fx.pool.Exec(fx.ctx, `UPDATE actors SET display_name = 'Alice Meanwhile' WHERE id = $1`, fx.alice.ID); err != nil {
				t.Error(err)
			}
			fx.f.CatchUp(fx.ctx)
			_, _ = w.Write([]byte("page"))
			if rec := w.(*pageRecorder); !rec.notKept || rec.body.Len() != 0 {
				t.Errorf("a page that can no longer be kept was copied: %d bytes", rec.body.Len())
			}
			return
		}
		_, _ = w.Write([]byte("page"))
	})
	for i, want := range []string{"miss", "miss", "hit"} {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(http.MethodGet, "/t/1", nil))
		if cacheState(rec) != want {
			t.Fatalf("request %d: %q, want %q", i+1, cacheState(rec), want)
		}
	}
}

// A writing request's changes are heard before its client sees its answer, whatever it wrote
// with; a writing request that changed nothing keeps every copy.
func TestAWritingRequestsChangesAreHeardBeforeItAnswers(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	s := &Server{forum: fx.f} // catchUpAfterWrites needs only the forum
	th, _ := fx.thread(t, fx.alice, "Cached", "the opener")
	path := "/t/" + itoa(th.ID)
	waitFor(t, "the page kept", func() bool { return cacheState(fx.get(t, forum.Guest, path)) == "hit" })
	// A POST that fails validation changes nothing.
	fx.post(t, fx.bob.Viewer(), path+"/reply", nil)
	if rec := fx.get(t, forum.Guest, path); cacheState(rec) != "hit" {
		t.Fatalf("after a POST that changed nothing: %q, want a hit", cacheState(rec))
	}
	// A handler that writes with a statement of its own, outside the forum's transactions.
	rename := s.catchUpAfterWrites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := fx.pool.Exec(r.Context(), `UPDATE threads SET title = 'Renamed by a statement' WHERE id = $1`, th.ID); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusSeeOther)
	}))
	// What this process has heard is looked at the moment the status goes out. So that the
	// listener is not simply faster than the handler, it is first given twenty thousand other
	// processes' markers to get through: the change's notification queues behind them, and is
	// heard at the status only if the request waited for it.
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_caught_up', 'elsewhere:' || g) FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	scope := forum.ThreadScope(th.ID)
	gen, _ := fx.f.PageGeneration()
	seqBefore := fx.f.ScopeSeq(scope)
	heardAtStatus := false
	rec := httptest.NewRecorder()
	rename.ServeHTTP(statusSpy{ResponseWriter: rec, atStatus: func() {
		now, _ := fx.f.PageGeneration()
		heardAtStatus = now != gen || fx.f.ScopeSeq(scope) != seqBefore
	}}, httptest.NewRequest(http.MethodPost, path+"/anything", nil))
	if !heardAtStatus {
		t.Fatal("the writing request's status went out before this process heard of its change")
	}
	if rec := fx.get(t, forum.Guest, path); !strings.Contains(rec.Body.String(), "Renamed by a statement") {
		t.Fatalf("right after the writing request, the page (cache %q) does not show its change", cacheState(rec))
	}
}

// statusSpy calls atStatus when the response's status is written.
type statusSpy struct {
	http.ResponseWriter
	atStatus func()
}

func (s statusSpy) WriteHeader(code int) {
	s.atStatus()
	s.ResponseWriter.WriteHeader(code)
}

// A reply made here, through the web, shows at once on its thread's page, and drops only the
// pages of its thread and its category's lists: every other thread's stay kept.
func TestALocalReplyShowsAtOnceAndKeepsOtherThreadsPages(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	_, kept, dropped := fx.quietAndBusyPages(t)
	// Three thousand other processes' markers queued first, so that the reply's notifications are
	// heard some milliseconds after its commit (about 40 ms under the race detector, as make test
	// runs it; 2 ms without, when the check below may pass without the wait): its page is made
	// afresh at once only if the request waited for them. Not many more: past catchUpTimeout,
	// which the race detector nears at twenty thousand, the reply would count as a change to
	// everything.
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_caught_up', 'elsewhere:' || g) FROM generate_series(1, 3000) g`); err != nil {
		t.Fatal(err)
	}
	if rec := fx.post(t, fx.bob.Viewer(), dropped[0]+"/reply", url.Values{"body": {"a reply made here"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := fx.get(t, forum.Guest, dropped[0]); cacheState(rec) != "miss" || !strings.Contains(rec.Body.String(), "a reply made here") {
		t.Fatalf("right after the reply, its thread's page: cache %q, shows it: %v", cacheState(rec), strings.Contains(rec.Body.String(), "a reply made here"))
	}
	for _, p := range dropped[1:] {
		if rec := fx.get(t, forum.Guest, p); cacheState(rec) != "miss" {
			t.Fatalf("right after the reply, %s: %q, want it made again", p, cacheState(rec))
		}
	}
	fx.wantHits(t, kept, "after a reply in another thread")
}

func TestNoGuestCacheWhenItsSizeIsZero(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t) // GuestCacheBytes unset
	fx.listen(t)
	base := "https://forum.example"
	public, _ := url.Parse(base)
	fx.h = New(Options{Forum: fx.f, PublicURL: public, Federation: testFederation{base: base}})
	th, _ := fx.thread(t, fx.alice, "Not cached", "the opener")
	for range 3 {
		if rec := fx.get(t, forum.Guest, "/t/"+itoa(th.ID)); cacheState(rec) != "" {
			t.Fatalf("with no cache configured: %q", cacheState(rec))
		}
	}
}

// A reply made by an inbox job (no request waits for it) drops the pages of its thread and its
// category's lists once its notifications arrive, and keeps every other thread's.
func TestAReplyDropsOnlyItsThreadsAndCategorysPages(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	busy, kept, dropped := fx.quietAndBusyPages(t)
	if _, err := fx.f.CreatePost(forum.WithDeferredCommit(fx.ctx), fx.bob.Viewer(),
		forum.NewPost{ThreadID: busy.ID, Body: "a reply from an inbox job"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply on its thread's page", func() bool {
		return strings.Contains(fx.get(t, forum.Guest, dropped[0]).Body.String(), "a reply from an inbox job")
	})
	for _, p := range dropped[1:] { // notified in the same commit, heard a moment apart
		waitFor(t, p+" made again after the reply", func() bool { return cacheState(fx.get(t, forum.Guest, p)) == "miss" })
	}
	fx.wantHits(t, kept, "after a reply in another thread")
}

// quietAndBusyPages makes two threads and waits until guests' copies of their pages and of the
// lists are kept. It returns the busy one, the pages a reply to it must keep (the quiet thread's)
// and those it must drop (its own and the lists').
func (fx *webFixture) quietAndBusyPages(t *testing.T) (busy forum.Thread, kept, dropped []string) {
	t.Helper()
	quiet, _ := fx.thread(t, fx.alice, "Quiet", "the opener")
	busy, _ = fx.thread(t, fx.alice, "Busy", "the opener")
	kept = []string{"/t/" + itoa(quiet.ID), "/api/v1/threads/" + itoa(quiet.ID), "/t/" + itoa(quiet.ID) + "/feed"}
	dropped = []string{"/t/" + itoa(busy.ID), "/c/general", "/latest", "/c/general/feed"}
	for _, p := range append(kept, dropped...) {
		waitFor(t, p+" kept", func() bool { return cacheState(fx.get(t, forum.Guest, p)) == "hit" })
	}
	return busy, kept, dropped
}

// wantHits fails unless a guest is served each of paths from the cache.
func (fx *webFixture) wantHits(t *testing.T, paths []string, when string) {
	t.Helper()
	for _, p := range paths {
		if rec := fx.get(t, forum.Guest, p); cacheState(rec) != "hit" {
			t.Fatalf("%s, %s answered %q, want a hit", when, p, cacheState(rec))
		}
	}
}
