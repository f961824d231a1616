package forum_test

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A category's list carries the viewer's watch level for it, read by the list statement: on the
// first page and on a page reached by cursor, for the member who chose it and not for another, and
// on a page with no rows to carry it (an empty category).
func TestCategoryListCarriesTheWatchLevel(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	empty := fx.category(t, "empty")
	for i := 0; i < 3; i++ {
		fx.thread(t, fx.alice, fx.cat, "thread "+itoa(int64(i)), "b")
	}
	check := func(who string, v forum.Viewer, c forum.Category, want forum.WatchLevel) {
		t.Helper()
		first, err := fx.f.CategoryThreads(fx.ctx, v, c, "", 2)
		if err != nil {
			t.Fatal(err)
		}
		if first.Level != want {
			t.Errorf("%s, first page of %s: level %q, want %q", who, c.Slug, first.Level, want)
		}
		if first.Next == "" {
			return
		}
		next, err := fx.f.CategoryThreads(fx.ctx, v, c, first.Next, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Threads) == 0 || next.Level != want {
			t.Errorf("%s, second page of %s: %d threads, level %q, want %q", who, c.Slug, len(next.Threads), next.Level, want)
		}
		if l, err := fx.f.CategoryLevel(fx.ctx, v, c.ID); err != nil || l != want {
			t.Errorf("%s: CategoryLevel says %q, %v; the list %q", who, l, err, want)
		}
	}
	check("a guest", forum.Guest, fx.cat, forum.Tracking)
	check("carol by default", carol.Viewer(), fx.cat, forum.Tracking)
	for _, level := range []forum.WatchLevel{forum.Watching, forum.Muted} {
		if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID, level); err != nil {
			t.Fatal(err)
		}
		if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), empty.ID, level); err != nil {
			t.Fatal(err)
		}
		check("carol", carol.Viewer(), fx.cat, level)
		check("carol, empty category", carol.Viewer(), empty, level)
		check("bob, who chose nothing", fx.bob.Viewer(), fx.cat, forum.Tracking)
		check("a guest", forum.Guest, fx.cat, forum.Tracking)
	}
	if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID, forum.Tracking); err != nil {
		t.Fatal(err)
	}
	check("carol, back to tracking", carol.Viewer(), fx.cat, forum.Tracking)
}

// What a member muted (a thread, or a category without a level of the thread's own) shows no "N new"
// in the lists, read first-hand or from the rows kept for every reader; a thread they watch in a
// muted category, and everything else, keeps its count. Muting told them of nothing but mentions,
// yet the lists kept inviting them back.
func TestMutedThreadsShowNothingNewInTheLists(t *testing.T) {
	t.Parallel()
	fx := newListeningFixture(t, nil) // the shared reads keep lists only while the listener runs
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	quiet := fx.category(t, "quiet")
	mutedThread, _ := fx.thread(t, fx.alice, fx.cat, "Muted thread", "one")
	open, _ := fx.thread(t, fx.alice, fx.cat, "Open thread", "one")
	inQuiet, _ := fx.thread(t, fx.alice, quiet, "In a muted category", "one")
	watched, _ := fx.thread(t, fx.alice, quiet, "Watched in a muted category", "one")
	for _, l := range []error{
		fx.f.SetThreadLevel(fx.ctx, carol.Viewer(), mutedThread.ID, forum.Muted),
		fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), quiet.ID, forum.Muted),
		fx.f.SetThreadLevel(fx.ctx, carol.Viewer(), watched.ID, forum.Watching),
	} {
		if l != nil {
			t.Fatal(l)
		}
	}
	want := map[int64]int{mutedThread.ID: 0, open.ID: 1, inQuiet.ID: 0, watched.ID: 1}
	// The first read is carol's own (her counts in the statement), the second from the kept rows
	// (her state read for them).
	for _, reader := range []forum.Member{carol, carol} {
		list, err := fx.f.LatestThreads(fx.ctx, reader.Viewer(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range list.Threads {
			if w, ok := want[th.ID]; ok && th.Unread != w {
				t.Errorf("%q shows %d new, want %d", th.Title, th.Unread, w)
			}
		}
	}
}
