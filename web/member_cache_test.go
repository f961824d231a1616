package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// signIn starts a session for m and returns its cookie: requests with it are resumed by the
// session middleware, as a browser's are.
func (fx *webFixture) signIn(t *testing.T, m forum.Member) *http.Cookie {
	t.Helper()
	ns, err := fx.f.Login(fx.ctx, forum.LoginInput{Login: m.Username, Password: forumtest.Password})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "stoa_session", Value: ns.Token}
}

// getWith asks for path with a session cookie and nothing else: the viewer is who it resumes.
func (fx *webFixture) getWith(t *testing.T, cookie *http.Cookie, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	wantCode(t, rec, http.StatusOK)
	return rec
}

// waitForHit asks until path comes from the cache (the notifications of earlier writes move the
// generation for a moment after them) and returns that answer.
func (fx *webFixture) waitForHit(t *testing.T, cookie *http.Cookie, path string) *httptest.ResponseRecorder {
	t.Helper()
	var hit *httptest.ResponseRecorder
	waitFor(t, path+" from the cache", func() bool {
		hit = fx.getWith(t, cookie, path)
		return cacheState(hit) == "hit"
	})
	return hit
}

func TestAMembersPagesAreKeptForThemUntilTheirReadingChanges(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	th, _ := fx.thread(t, fx.alice, "Kept for bob", "the opener")
	fx.reply(t, fx.alice, th.ID, "a reply bob has not read")
	bob, alice := fx.signIn(t, fx.bob), fx.signIn(t, fx.alice)

	lists := []string{"/c/general", "/latest"}
	for _, path := range lists {
		list := fx.waitForHit(t, bob, path)
		if !strings.Contains(list.Body.String(), `data-testid="unread-count">2`) || !strings.Contains(list.Body.String(), `>bob</a>`) {
			t.Fatalf("bob's kept %s does not show his two unread posts under his name:\n%s", path, list.Body.String())
		}
	}
	// Alice's list is her own, never bob's copy.
	if rec := fx.getWith(t, alice, "/c/general"); cacheState(rec) != "miss" || strings.Contains(rec.Body.String(), `>bob</a>`) {
		t.Fatalf("alice's first list: cache %q, shows bob's name: %v", cacheState(rec), strings.Contains(rec.Body.String(), `>bob</a>`))
	}

	// Reading the thread records it read; his list says so at once, with no help from the
	// triggers' notifications, and the thread page itself is kept from its third view on.
	path := "/t/" + itoa(th.ID)
	var views []string
	forumtest.WithoutTriggers(t, fx.pool, "member_threads", func() {
		for range 3 {
			views = append(views, cacheState(fx.getWith(t, bob, path)))
		}
		for _, path := range lists {
			if rec := fx.getWith(t, bob, path); cacheState(rec) != "miss" || strings.Contains(rec.Body.String(), `data-testid="unread-count"`) {
				t.Fatalf("bob's %s right after reading the thread: cache %q, still shows it unread: %v",
					path, cacheState(rec), strings.Contains(rec.Body.String(), `data-testid="unread-count"`))
			}
		}
	})
	if strings.Join(views, " ") != "miss miss hit" {
		t.Fatalf("bob's three views of the thread: %v, want a first view that records, a second that is kept, a hit", views)
	}

	// A change of his reading made elsewhere (here by hand in the database) shows once its
	// notification arrives.
	fx.waitForHit(t, bob, "/c/general")
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE member_threads SET read_positions = '{}' WHERE thread_id = $1 AND member_id = $2`,
		th.ID, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob's list showing the thread unread again", func() bool {
		return strings.Contains(fx.getWith(t, bob, "/c/general").Body.String(), `data-testid="unread-count">2`)
	})
}

// A bearer token's requests are never kept: its revocation is not among what a member's stamp
// follows.
func TestBearerTokenPagesAreNotKept(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	th, _ := fx.thread(t, fx.alice, "API", "the opener")
	_, token, err := fx.f.CreateAccessToken(fx.ctx, fx.bob.Viewer(), fx.bob.ID, "bot")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/threads/"+itoa(th.ID), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		wantCode(t, rec, http.StatusOK)
		if cacheState(rec) != "" {
			t.Fatalf("a bearer token's request: cache %q", cacheState(rec))
		}
	}
}

// A member's copy is served for between four fifths of memberPageMaxAge and all of it, then made
// afresh: a post leaves the unread window with the clock, not with any write.
func TestAMembersCopyAgesOut(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	public, _ := url.Parse("https://forum.example")
	fx.h = New(Options{Forum: fx.f, PublicURL: public, Federation: testFederation{base: public.String()},
		MemberCacheBytes: 64 << 20, Now: clock})
	fx.thread(t, fx.alice, "Ageing", "the opener")
	bob := fx.signIn(t, fx.bob)
	fx.waitForHit(t, bob, "/c/general")
	advance(memberPageMaxAge * 4 / 5)
	if rec := fx.getWith(t, bob, "/c/general"); cacheState(rec) != "hit" {
		t.Fatalf("a copy four fifths of the maximum age old: %q, want a hit", cacheState(rec))
	}
	advance(memberPageMaxAge / 5)
	if rec := fx.getWith(t, bob, "/c/general"); cacheState(rec) != "miss" {
		t.Fatalf("a copy of the maximum age: %q, want it made afresh", cacheState(rec))
	}
	if rec := fx.getWith(t, bob, "/c/general"); cacheState(rec) != "hit" {
		t.Fatalf("the copy made afresh: %q, want a hit", cacheState(rec))
	}
}
