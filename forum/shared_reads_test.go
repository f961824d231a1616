package forum_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// newSharedReadsFixture is a content fixture whose forum keeps shared reads, with its change
// listener subscribed, as in stoa serve.
func newSharedReadsFixture(t *testing.T) *contentFixture {
	t.Helper()
	return newListeningFixture(t, nil)
}

// newListeningFixture is newSharedReadsFixture whose listener calls beforeHearing, when not nil,
// before it applies each notification (forum.BeforeHearing): a slow or a stuck listener.
func newListeningFixture(t *testing.T, beforeHearing func()) *contentFixture {
	t.Helper()
	fx := newContentFixtureWith(t, forum.Options{SharedCacheBytes: 16 << 20})
	if beforeHearing != nil {
		forum.BeforeHearing(fx.f, beforeHearing)
	}
	ctx, cancel := context.WithCancel(fx.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fx.f.ListenForChanges(ctx, func(err error) { t.Logf("listener: %v", err) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "the change listener subscribed", func() bool { _, live := fx.f.PageGeneration(); return live })
	return fx
}

// withoutTriggers runs fn with a table's triggers off: what fn changes there, no process is told
// of.
func (fx *contentFixture) withoutTriggers(t *testing.T, table string, fn func()) {
	t.Helper()
	forumtest.WithoutTriggers(t, fx.pool, table, fn)
}

// quietly runs a statement on a table with its triggers off: a change no process is told of, so a
// read that still shows the old value came from memory.
func (fx *contentFixture) quietly(t *testing.T, table, sql string, args ...any) {
	t.Helper()
	fx.withoutTriggers(t, table, func() {
		if _, err := fx.pool.Exec(fx.ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	})
}

// notifyPagesChanged says what every trigger says.
func (fx *contentFixture) notifyPagesChanged(t *testing.T) {
	t.Helper()
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_pages_changed', '')`); err != nil {
		t.Fatal(err)
	}
}

// settle waits until the listener has heard every notification of the writes made so far (they
// arrive in commit order, so it waits for one of its own), so that none arrives later to drop
// what the test keeps next.
func (fx *contentFixture) settle(t *testing.T) {
	t.Helper()
	gen, _ := fx.f.PageGeneration()
	fx.notifyPagesChanged(t)
	eventually(t, "the listener catching up", func() bool { now, _ := fx.f.PageGeneration(); return now != gen })
}

// eventually polls check for up to 10 s.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !check(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}

func TestSharedReadsAreServedFromMemoryUntilAChangeIsNotified(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Before", "the opener")
	fx.settle(t)
	page := func(v forum.Viewer) forum.ThreadPage {
		t.Helper()
		p, err := fx.f.ReadThreadPage(fx.ctx, v, th.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	listTitle := func(v forum.Viewer) string {
		t.Helper()
		l, err := fx.f.CategoryThreads(fx.ctx, v, fx.cat, "", 0)
		if err != nil || len(l.Threads) != 1 {
			t.Fatalf("list: %+v, %v", l, err)
		}
		return l.Threads[0].Title
	}
	if got := page(fx.bob.Viewer()).Thread.Title; got != "Before" {
		t.Fatalf("title %q", got)
	}
	if got := listTitle(fx.bob.Viewer()); got != "Before" {
		t.Fatalf("list title %q", got)
	}
	latestTitle := func(v forum.Viewer) string {
		t.Helper()
		l, err := fx.f.LatestThreads(fx.ctx, v, "", 0)
		if err != nil || len(l.Threads) != 1 {
			t.Fatalf("latest: %+v, %v", l, err)
		}
		return l.Threads[0].Title
	}
	if got := latestTitle(fx.bob.Viewer()); got != "Before" {
		t.Fatalf("latest title %q", got)
	}
	fx.quietly(t, "threads", `UPDATE threads SET title = 'After' WHERE id = $1`, th.ID)
	fx.quietly(t, "posts", `UPDATE posts SET like_count = 7 WHERE id = $1`, opener.ID)
	// Every viewer, a guest too, is served the copy read before the unannounced change.
	for _, v := range []forum.Viewer{fx.alice.Viewer(), forum.Guest, fx.mod.Viewer()} {
		p := page(v)
		if p.Thread.Title != "Before" || p.Posts[0].LikeCount != 0 {
			t.Fatalf("%q read %q with %d likes: the posts were read again, not shared", v.Username, p.Thread.Title, p.Posts[0].LikeCount)
		}
		if got := listTitle(v); got != "Before" {
			t.Fatalf("%q's list says %q: the list was read again, not shared", v.Username, got)
		}
		if got := latestTitle(v); got != "Before" {
			t.Fatalf("%q's latest list says %q: it was read again, not shared", v.Username, got)
		}
	}
	fx.notifyPagesChanged(t)
	eventually(t, "the thread page after the notification", func() bool {
		p := page(fx.bob.Viewer())
		return p.Thread.Title == "After" && p.Posts[0].LikeCount == 7
	})
	eventually(t, "the list after the notification", func() bool { return listTitle(fx.bob.Viewer()) == "After" })
	eventually(t, "the latest list after the notification", func() bool { return latestTitle(fx.bob.Viewer()) == "After" })

	// A change made through this forum shows at once, with no notification needed.
	if _, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "made here"}); err != nil {
		t.Fatal(err)
	}
	if p := page(fx.alice.Viewer()); len(p.Posts) != 2 {
		t.Fatalf("a reply made by this process is missing from the next read: %d posts", len(p.Posts))
	}
}

func TestSharedPostsAreCompletedForEachViewer(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Thread", "opener")
	hidden := fx.reply(t, fx.bob, th.ID, "bob's hidden words")
	liked := fx.reply(t, fx.alice, th.ID, "liked by bob")
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), liked.ID); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "spam"); err != nil {
		t.Fatal(err)
	}
	type want struct {
		reads bool // the hidden post's words
		likes bool // the liked post, by this viewer
	}
	cases := []struct {
		name string
		v    forum.Viewer
		want want
	}{
		// Staff first: what they may read must not stay in the copy the next viewer gets.
		{"moderator", fx.mod.Viewer(), want{reads: true}},
		{"guest", forum.Guest, want{}},
		{"bob, the author and liker", fx.bob.Viewer(), want{reads: true, likes: true}},
		{"alice", fx.alice.Viewer(), want{}},
		// And what a guest may not read must not have been taken out of the copy.
		{"moderator again", fx.mod.Viewer(), want{reads: true}},
	}
	for _, c := range cases {
		for _, read := range []struct {
			how  string
			page func() ([]forum.Post, error)
		}{
			{"page", func() ([]forum.Post, error) {
				p, err := fx.f.ReadThreadPage(fx.ctx, c.v, th.ID, 1)
				return p.Posts, err
			}},
			{"API", func() ([]forum.Post, error) {
				_, posts, _, err := fx.f.ThreadPostsAfter(fx.ctx, c.v, th.ID, 0, forum.DefaultPostsPerPage)
				return posts, err
			}},
		} {
			posts, err := read.page()
			if err != nil || len(posts) != 3 {
				t.Fatalf("%s, %s: %d posts, %v", c.name, read.how, len(posts), err)
			}
			h, l := posts[1], posts[2]
			if reads := strings.Contains(h.HTML, "hidden words"); reads != c.want.reads || h.Redacted == c.want.reads {
				t.Errorf("%s, %s: reads the hidden post %v (redacted %v), want %v", c.name, read.how, reads, h.Redacted, c.want.reads)
			}
			if l.Liked != c.want.likes || l.LikeCount != 1 {
				t.Errorf("%s, %s: liked %v (%d likes), want %v", c.name, read.how, l.Liked, l.LikeCount, c.want.likes)
			}
		}
	}
}

func TestSharedListsCarryEachMembersUnreadCountsAndLevel(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Three posts", "one")
	fx.reply(t, fx.alice, th.ID, "two")
	fx.reply(t, fx.alice, th.ID, "three")
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID, forum.Watching); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		v      forum.Viewer
		unread int
		level  forum.WatchLevel
	}{
		// Carol reads the list first, with her own state in the same statement; the copy kept
		// for the others must not carry it.
		{"carol, who has read nothing", carol.Viewer(), 3, forum.Watching},
		{"guest", forum.Guest, 0, forum.Tracking},
		{"bob, who read it", fx.bob.Viewer(), 0, forum.Tracking},
		{"alice, who wrote it", fx.alice.Viewer(), 0, forum.Tracking},
		{"carol again", carol.Viewer(), 3, forum.Watching},
	}
	for _, c := range cases {
		l, err := fx.f.CategoryThreads(fx.ctx, c.v, fx.cat, "", 0)
		if err != nil || len(l.Threads) != 1 {
			t.Fatalf("%s: %+v, %v", c.name, l, err)
		}
		if l.Threads[0].Unread != c.unread || l.Level != c.level {
			t.Errorf("%s: %d unread at level %q, want %d at %q", c.name, l.Threads[0].Unread, l.Level, c.unread, c.level)
		}
	}
	// The latest list too, in the same order: carol first reads it with her own state.
	for _, c := range cases {
		l, err := fx.f.LatestThreads(fx.ctx, c.v, "", 0)
		if err != nil || len(l.Threads) != 1 {
			t.Fatalf("%s, latest: %+v, %v", c.name, l, err)
		}
		if l.Threads[0].Unread != c.unread || l.Level != "" {
			t.Errorf("%s, latest: %d unread at level %q, want %d and no level", c.name, l.Threads[0].Unread, l.Level, c.unread)
		}
	}
}
