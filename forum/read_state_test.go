package forum_test

import (
	"fmt"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestUnreadCountsFollowReadingAndAuthorship(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Five posts", "opener")
	for i := 0; i < 4; i++ {
		fx.reply(t, fx.bob, th.ID, fmt.Sprint("reply ", i))
	}
	wantUnread(t, fx, "carol, who read nothing", carol.Viewer(), th.ID, 5)
	wantUnread(t, fx, "alice, who wrote the opener", fx.alice.Viewer(), th.ID, 4)
	wantUnread(t, fx, "bob, who wrote the replies", fx.bob.Viewer(), th.ID, 1)
	wantUnread(t, fx, "a guest", forum.Guest, th.ID, 0)

	tp, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tp.Posts {
		if !p.Unread {
			t.Errorf("post %d was new to carol but is not marked unread", p.Position)
		}
	}
	wantUnread(t, fx, "carol after reading", carol.Viewer(), th.ID, 0)
	tp, err = fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tp.Posts {
		if p.Unread {
			t.Errorf("post %d is marked unread on the second visit", p.Position)
		}
	}
	// Guests read no state and write none.
	tp, err = fx.f.ReadThreadPage(fx.ctx, forum.Guest, th.ID, 1)
	if err != nil || len(tp.Posts) != 5 || tp.Posts[0].Unread {
		t.Fatalf("guest page: %v, %d posts", err, len(tp.Posts))
	}
}

func TestReadingAPageMarksExactlyItsPostsRead(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Two pages", "opener")
	var last forum.Post
	for i := 2; i <= forum.DefaultPostsPerPage+5; i++ {
		last = fx.reply(t, fx.bob, th.ID, fmt.Sprint("reply ", i))
	}
	if _, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 2); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after page 2", carol.Viewer(), th.ID, forum.DefaultPostsPerPage)
	postID, page, err := fx.f.FirstUnread(fx.ctx, carol.Viewer(), th.ID)
	if err != nil || postID != opener.ID || page != 1 {
		t.Fatalf("first unread: post %d page %d (%v), want the opener %d on page 1", postID, page, err, opener.ID)
	}
	if _, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after both pages", carol.Viewer(), th.ID, 0)
	// Everything read: the jump goes to the last post.
	postID, page, err = fx.f.FirstUnread(fx.ctx, carol.Viewer(), th.ID)
	if err != nil || postID != last.ID || page != 2 {
		t.Fatalf("first unread when all is read: post %d page %d (%v), want the last %d on page 2", postID, page, err, last.ID)
	}
}

func TestUnreadCountsOnlyPostsInsideTheWindow(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	dave := forumtest.Member(t, fx.f, "dave", forum.RoleMember)
	old, _ := fx.thread(t, fx.alice, fx.cat, "Old thread", "opener")
	fx.reply(t, fx.bob, old.ID, "old reply")
	mixed, _ := fx.thread(t, fx.alice, fx.cat, "Mixed", "opener")
	fx.reply(t, fx.bob, mixed.ID, "two")
	fx.reply(t, fx.bob, mixed.ID, "three")
	four := fx.reply(t, fx.bob, mixed.ID, "four")
	fx.reply(t, fx.bob, mixed.ID, "five")
	// Everyone joined a year ago; the old thread is 90 days old, the mixed one has three posts
	// just outside the window and two just inside it.
	for _, s := range []string{
		`UPDATE members SET created_at = now() - interval '1 year'`,
		`UPDATE posts SET created_at = now() - interval '90 days' + position * interval '1 minute' WHERE thread_id = ` + itoa(old.ID),
		`UPDATE threads SET created_at = now() - interval '90 days', last_post_at = now() - interval '89 days' WHERE id = ` + itoa(old.ID),
		`UPDATE posts SET created_at = now() - interval '61 days' + position * interval '1 minute' WHERE thread_id = ` + itoa(mixed.ID) + ` AND position <= 3`,
		`UPDATE posts SET created_at = now() - interval '59 days' + position * interval '1 minute' WHERE thread_id = ` + itoa(mixed.ID) + ` AND position > 3`,
	} {
		if _, err := fx.pool.Exec(fx.ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	wantUnread(t, fx, "a thread older than the window", dave.Viewer(), old.ID, 0)
	wantUnread(t, fx, "a thread across the window's start", dave.Viewer(), mixed.ID, 2)
	postID, _, err := fx.f.FirstUnread(fx.ctx, dave.Viewer(), mixed.ID)
	if err != nil || postID != four.ID {
		t.Fatalf("first unread: post %d (%v), want %d, the first inside the window", postID, err, four.ID)
	}
	tp, err := fx.f.ReadThreadPage(fx.ctx, dave.Viewer(), mixed.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tp.Posts {
		if p.Unread != (p.Position > 3) {
			t.Errorf("post %d: unread %v", p.Position, p.Unread)
		}
	}
	// A member who joined after the posts were written has nothing unread in them.
	erin := forumtest.Member(t, fx.f, "erin", forum.RoleMember)
	wantUnread(t, fx, "a member who joined later", erin.Viewer(), mixed.ID, 0)
}

func TestAnEditMakesThePostUnreadAgain(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Edits", "opener")
	reply := fx.reply(t, fx.bob, th.ID, "first version")
	for _, m := range []forum.Member{carol, fx.bob, fx.mod} {
		if _, err := fx.f.ReadThreadPage(fx.ctx, m.Viewer(), th.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), reply.ID, forum.PostEdit{Body: "second version"}); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol, who had read the first version", carol.Viewer(), th.ID, 1)
	wantUnread(t, fx, "bob, who edited", fx.bob.Viewer(), th.ID, 0)
	tp, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Posts[0].Unread || !tp.Posts[1].Unread {
		t.Fatalf("after the edit carol sees opener unread=%v, reply unread=%v", tp.Posts[0].Unread, tp.Posts[1].Unread)
	}
	// Staff editing someone's post: the author sees it as changed, the editor does not.
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), reply.ID, forum.PostEdit{Body: "moderated version"}); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "bob, whose post staff edited", fx.bob.Viewer(), th.ID, 1)
	wantUnread(t, fx, "the moderator who edited", fx.mod.Viewer(), th.ID, 0)
}

// A post deleted or hidden after a member read the thread does not count as unread for them,
// and "jump to first unread" passes it by: they could not read it.
func TestRemovedPostsAreNotUnread(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Removals", "opener")
	if _, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	spam := fx.reply(t, fx.bob, th.ID, "spam")
	rude := fx.reply(t, fx.bob, th.ID, "rude")
	kept := fx.reply(t, fx.bob, th.ID, "a fair answer")
	wantUnread(t, fx, "carol before the removals", carol.Viewer(), th.ID, 3)
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), spam.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), rude.ID, true, "rude"); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after a delete and a hide", carol.Viewer(), th.ID, 1)
	postID, _, err := fx.f.FirstUnread(fx.ctx, carol.Viewer(), th.ID)
	if err != nil || postID != kept.ID {
		t.Fatalf("first unread: post %d (%v), want the kept reply %d, past the removed ones", postID, err, kept.ID)
	}
	// Restored, the hidden post stays read: it is not news, and re-counting it would need a log
	// of who read what.
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), rude.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after the unhide", carol.Viewer(), th.ID, 1)
}

func TestWatchLevels(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Levels", "opener")
	level := func(m forum.Member) forum.ThreadWatch {
		t.Helper()
		tp, err := fx.f.ReadThreadPage(fx.ctx, m.Viewer(), th.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		return tp.Watch
	}
	if w := level(fx.alice); w.Level != forum.Watching || !w.Chosen {
		t.Fatalf("the thread's author: %+v, want watching", w)
	}
	if w := level(carol); w.Level != forum.Tracking || w.Chosen {
		t.Fatalf("a reader: %+v, want tracking by default", w)
	}
	if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID, forum.Muted); err != nil {
		t.Fatal(err)
	}
	if w := level(carol); w.Level != forum.Muted || w.Chosen || w.CategoryLevel != forum.Muted {
		t.Fatalf("a reader who muted the category: %+v", w)
	}
	if err := fx.f.SetThreadLevel(fx.ctx, carol.Viewer(), th.ID, forum.Tracking); err != nil {
		t.Fatal(err)
	}
	if w := level(carol); w.Level != forum.Tracking || !w.Chosen {
		t.Fatalf("a level chosen for the thread wins over the category's: %+v", w)
	}
	// Replying makes a reader watch, unless they chose a level.
	fx.reply(t, carol, th.ID, "my reply")
	if w := level(carol); w.Level != forum.Tracking {
		t.Fatalf("replying changed a chosen level: %+v", w)
	}
	fx.reply(t, fx.bob, th.ID, "bob's reply")
	if w := level(fx.bob); w.Level != forum.Watching {
		t.Fatalf("replying did not make bob watch: %+v", w)
	}
	if l, err := fx.f.CategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID); err != nil || l != forum.Muted {
		t.Fatalf("category level %q, %v", l, err)
	}
	if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID, forum.Tracking); err != nil {
		t.Fatal(err)
	}
	if l, _ := fx.f.CategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID); l != forum.Tracking {
		t.Fatalf("category level after tracking: %q", l)
	}
	wantErr(t, "a guest watching", fx.f.SetThreadLevel(fx.ctx, forum.Guest, th.ID, forum.Watching), forum.ErrUnauthorized)
	wantInvalid(t, "an unknown level", fx.f.SetThreadLevel(fx.ctx, carol.Viewer(), th.ID, "loud"), "level")
	private := fx.staffRoom(t)
	wantErr(t, "watching a category one cannot see", fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), private.ID, forum.Watching), forum.ErrNotFound)
}

// Rereading a page writes nothing (the read mark's statement is then read-only), unless the
// thread was mailed about since, which the read clears; new posts on the page are marked.
func TestRereadingAPageWritesNothing(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Reread", "opener")
	version := func() (xmin string, mailed bool) {
		t.Helper()
		if err := fx.pool.QueryRow(fx.ctx, `SELECT xmin::text, mailed_at IS NOT NULL FROM member_threads
			WHERE thread_id = $1 AND member_id = $2`, th.ID, fx.bob.ID).Scan(&xmin, &mailed); err != nil {
			t.Fatal(err)
		}
		return xmin, mailed
	}
	read := func() {
		t.Helper()
		if _, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	read()
	first, _ := version()
	read()
	if again, _ := version(); again != first {
		t.Fatalf("a reread wrote the read mark again (row version %s, then %s)", first, again)
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE member_threads SET mailed_at = now() WHERE thread_id = $1 AND member_id = $2`, th.ID, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	read()
	if _, mailed := version(); mailed {
		t.Fatal("reading a thread mailed about did not clear its mail mark")
	}
	fx.reply(t, fx.alice, th.ID, "new")
	tp, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1)
	if err != nil || len(tp.Posts) != 2 || tp.Posts[0].Unread || !tp.Posts[1].Unread {
		t.Fatalf("the page with a new post: %v, %+v", err, tp.Posts)
	}
	wantUnread(t, fx, "bob after reading the new post", fx.bob.Viewer(), th.ID, 0)
}

// An edit makes a post unread again for those who had read it, but not a hidden post's: its author
// may still edit it, and readers who cannot open it were shown a thread with "1 new" that led to
// a post shown only as hidden.
func TestEditingAHiddenPostLeavesReadersAlone(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Hidden edit", "opener")
	reply := fx.reply(t, fx.bob, th.ID, "a reply a moderator hides")
	if _, err := fx.f.ReadThreadPage(fx.ctx, carol.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), reply.ID, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), reply.ID, forum.PostEdit{Body: "edited while hidden"}); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after the hidden reply was edited", carol.Viewer(), th.ID, 0)
	// Shown again and edited, it is news to her again.
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), reply.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), reply.ID, forum.PostEdit{Body: "edited once shown"}); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after the shown reply was edited", carol.Viewer(), th.ID, 1)
}

// A removed post (deleted, or hidden by a moderator) does not count as new for a member who never
// opened its thread, nor does their jump to the first new post land on it; shown again, it is new
// to them. Only members who had opened the thread had it added to what they read.
func TestARemovedPostIsNotNewToMembersWhoNeverOpenedItsThread(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Four posts", "opener")
	// carol joins after the opener: her window starts after it, so the replies are all she has
	// not read, and the first of them is the one hidden.
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	late := forumtest.Member(t, fx.f, "late", forum.RoleModerator)
	hidden := fx.reply(t, fx.bob, th.ID, "soon hidden")
	deleted := fx.reply(t, fx.bob, th.ID, "soon deleted")
	kept := fx.reply(t, fx.bob, th.ID, "kept")
	wantUnread(t, fx, "carol before", carol.Viewer(), th.ID, 3)
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), deleted.ID, ""); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol after a hide and a delete", carol.Viewer(), th.ID, 1)
	// A first visit's page marks what is new: not the removed posts (a moderator sees them,
	// everyone else their placeholders). A moderator who joined with carol reads it here.
	tp, err := fx.f.ReadThreadPage(fx.ctx, late.Viewer(), th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tp.Posts {
		if removed := p.ID == hidden.ID || p.ID == deleted.ID; p.Unread == removed && p.Position > 1 {
			t.Errorf("post %d (removed %v) is marked new %v on a first visit", p.Position, removed, p.Unread)
		}
	}
	if id, _, err := fx.f.FirstUnread(fx.ctx, carol.Viewer(), th.ID); err != nil || id != kept.ID {
		t.Fatalf("carol's first unread: post %d (%v), want the kept reply %d, not the hidden %d", id, err, kept.ID, hidden.ID)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	wantUnread(t, fx, "carol once the hidden reply is shown again", carol.Viewer(), th.ID, 2)
}
