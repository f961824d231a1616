package forum_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

func TestEditKeepsHistory(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Original title", "first version")

	// No change: no history, no activity.
	if _, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), opener.ID, forum.PostEdit{Body: "first version"}); err != nil {
		t.Fatal(err)
	}
	newTitle := "Better title"
	edited, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), opener.ID, forum.PostEdit{Body: "second *version*", Title: &newTitle})
	if err != nil {
		t.Fatal(err)
	}
	if edited.EditedAt == nil || !strings.Contains(edited.HTML, "<em>version</em>") || edited.Source != "second *version*" {
		t.Fatalf("edited post %+v", edited)
	}
	// Staff may edit someone else's post; that is recorded as their edit.
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), opener.ID, forum.PostEdit{Body: "third version"}); err != nil {
		t.Fatal(err)
	}
	_, err = fx.f.EditPost(fx.ctx, fx.bob.Viewer(), opener.ID, forum.PostEdit{Body: "vandalism"})
	wantErr(t, "another member's edit", err, forum.ErrForbidden)

	// The versions the moderator's edit replaced are for staff and the author only: such an edit
	// often takes out what must not stay public.
	cur, guests, err := fx.f.PostHistory(fx.ctx, forum.Guest, opener.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Source != "third version" || len(guests.Revisions) != 0 || guests.StaffOnly != 2 {
		t.Fatalf("a guest reads %q with %d revisions, %d left out; want third version, none, 2 left out",
			cur.Source, len(guests.Revisions), guests.StaffOnly)
	}
	_, authors, err := fx.f.PostHistory(fx.ctx, fx.alice.Viewer(), opener.ID)
	if err != nil {
		t.Fatal(err)
	}
	revs := authors.Revisions
	if len(revs) != 2 || authors.StaffOnly != 0 {
		t.Fatalf("the author reads %d revisions, %d left out; want 2, none", len(revs), authors.StaffOnly)
	}
	if revs[0].Source != "second *version*" || revs[0].EditorUsername != "molly" || revs[0].Title != nil {
		t.Errorf("newest revision %+v", revs[0])
	}
	if revs[1].Source != "first version" || revs[1].EditorUsername != "alice" || revs[1].Title == nil || *revs[1].Title != "Original title" {
		t.Errorf("oldest revision %+v", revs[1])
	}
	// A later edit by the author is public again; what the moderator replaced stays out.
	if _, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), opener.ID, forum.PostEdit{Body: "fourth version"}); err != nil {
		t.Fatal(err)
	}
	if _, h, err := fx.f.PostHistory(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil || len(h.Revisions) != 1 ||
		h.Revisions[0].Source != "third version" || h.StaffOnly != 2 {
		t.Fatalf("bob after the author's next edit: %+v, %v", h, err)
	}
	if _, h, err := fx.f.PostHistory(fx.ctx, fx.mod.Viewer(), opener.ID); err != nil || len(h.Revisions) != 3 || h.StaffOnly != 0 {
		t.Fatalf("a moderator: %+v, %v", h, err)
	}
	tv, err := fx.f.ThreadByID(fx.ctx, forum.Guest, th.ID)
	if err != nil || tv.Title != "Better title" {
		t.Fatalf("thread title %q (%v)", tv.Title, err)
	}
	if got := fx.activities(t, th.ID); !slices.Equal(got, []forum.Verb{forum.VerbCreate, forum.VerbUpdate, forum.VerbUpdate, forum.VerbUpdate}) {
		t.Errorf("activities %v", got)
	}

	// Only the opener's edit can rename the thread.
	reply := fx.reply(t, fx.bob, th.ID, "a reply")
	_, err = fx.f.EditPost(fx.ctx, fx.bob.Viewer(), reply.ID, forum.PostEdit{Body: "a reply", Title: &newTitle})
	wantInvalid(t, "title on a reply", err, "title")
}

func TestSoftDeleteKeepsThePositionAndHidesTheContent(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Thread", "opener")
	r1 := fx.reply(t, fx.bob, th.ID, "regrettable")
	fx.reply(t, fx.alice, th.ID, "after")

	wantErr(t, "someone else's post", fx.f.DeletePost(fx.ctx, fx.alice.Viewer(), r1.ID, ""), forum.ErrForbidden)
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), r1.ID, ""); err != nil {
		t.Fatal(err)
	}
	page, err := fx.f.ThreadPageOf(fx.ctx, fx.alice.Viewer(), th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Posts) != 3 || page.Posts[1].ID != r1.ID || page.Posts[1].Position != 2 || page.Posts[2].Position != 3 {
		t.Fatalf("positions after delete: %+v", page.Posts)
	}
	gone := page.Posts[1]
	if !gone.Deleted() || !gone.Redacted || gone.HTML != "" || gone.Source != "" {
		t.Fatalf("deleted post shown to a member: %+v", gone)
	}
	staffPage, err := fx.f.ThreadPageOf(fx.ctx, fx.mod.Viewer(), th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s := staffPage.Posts[1]; s.Redacted || !strings.Contains(s.HTML, "regrettable") {
		t.Fatalf("staff cannot read the deleted post: %+v", s)
	}
	_, err = fx.f.EditPost(fx.ctx, fx.bob.Viewer(), r1.ID, forum.PostEdit{Body: "undo"})
	wantErr(t, "edit deleted", err, forum.ErrGone)
	_, err = fx.f.LikePost(fx.ctx, fx.alice.Viewer(), r1.ID)
	wantErr(t, "like deleted", err, forum.ErrGone)
	_, err = fx.f.QuoteMarkdown(fx.ctx, fx.alice.Viewer(), r1.ID)
	wantErr(t, "quote deleted", err, forum.ErrGone)
	if got := fx.activities(t, th.ID); got[len(got)-1] != forum.VerbDelete {
		t.Errorf("activities %v, want a delete last", got)
	}
	if got := fx.modActions(t); len(got) != 0 {
		t.Errorf("an author deleting their own post was logged as moderation: %v", got)
	}
}

func TestDeletingTheOpenerDeletesTheThread(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Doomed", "opener")
	fx.reply(t, fx.bob, th.ID, "reply")
	keep, _ := fx.thread(t, fx.bob, fx.cat, "Keeper", "stays")
	// Its author may not, once someone else has replied: bob's reply would go with it.
	wantErr(t, "the author deletes a thread with others' replies", fx.f.DeletePost(fx.ctx, fx.alice.Viewer(), opener.ID, ""),
		forum.ErrThreadHasReplies)
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), opener.ID, "off topic"); err != nil {
		t.Fatal(err)
	}
	_, err := fx.f.ThreadByID(fx.ctx, fx.alice.Viewer(), th.ID)
	wantErr(t, "member reads a deleted thread", err, forum.ErrGone)
	if _, err := fx.f.ThreadByID(fx.ctx, fx.mod.Viewer(), th.ID); err != nil {
		t.Fatalf("staff cannot read a deleted thread: %v", err)
	}
	_, err = fx.f.CreatePost(fx.ctx, fx.mod.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "x"})
	wantErr(t, "reply to a deleted thread", err, forum.ErrGone)
	c, err := fx.f.CategoryByID(fx.ctx, fx.cat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ThreadCount != 1 || c.PostCount != 1 {
		t.Errorf("category counts %d threads %d posts, want 1 and 1", c.ThreadCount, c.PostCount)
	}
	list, err := fx.f.CategoryThreads(fx.ctx, fx.mod.Viewer(), c, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Threads) != 1 || list.Threads[0].ID != keep.ID {
		t.Errorf("list after delete: %+v", list.Threads)
	}
	if got := fx.modActions(t); !slices.Equal(got, []string{"delete_thread"}) {
		t.Errorf("moderation log %v", got)
	}
}

func TestHiddenPostsAreWithheldFromOthers(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Thread", "opener")
	r := fx.reply(t, fx.bob, th.ID, "rude words")
	wantErr(t, "member hides", fx.f.HidePost(fx.ctx, fx.alice.Viewer(), r.ID, true, ""), forum.ErrForbidden)
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), r.ID, true, "rude"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who      forum.Viewer
		redacted bool
	}{{forum.Guest, true}, {fx.alice.Viewer(), true}, {fx.bob.Viewer(), false}, {fx.mod.Viewer(), false}} {
		p, err := fx.f.PostByID(fx.ctx, c.who, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Redacted != c.redacted || (!c.redacted && !strings.Contains(p.HTML, "rude words")) {
			t.Errorf("%q sees redacted=%v html=%q", c.who.Username, p.Redacted, p.HTML)
		}
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), r.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if p, err := fx.f.PostByID(fx.ctx, forum.Guest, r.ID); err != nil || p.Redacted {
		t.Fatalf("restored post still withheld: %v", err)
	}
}

func TestTamperedHTMLIsRenderedAgainFromSource(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Thread", "opener")
	r := fx.reply(t, fx.bob, th.ID, "honest *words*")
	evil := `<p>honest</p><script>alert(1)</script>`
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE posts SET html = $2 WHERE id = $1`, r.ID, evil); err != nil {
		t.Fatal(err)
	}
	got, err := fx.f.PostByID(fx.ctx, forum.Guest, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.HTML, "<script") || !strings.Contains(got.HTML, "honest <em>words</em>") {
		t.Fatalf("tampered HTML served: %s", got.HTML)
	}
	var stored string
	if err := fx.pool.QueryRow(fx.ctx, `SELECT html FROM posts WHERE id = $1`, r.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != got.HTML {
		t.Fatalf("re-rendered HTML not saved: %s", stored)
	}
	// A MAC copied from another post does not verify either.
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE posts SET html = (SELECT html FROM posts WHERE position = 1 AND thread_id = $2),
		html_mac = (SELECT html_mac FROM posts WHERE position = 1 AND thread_id = $2) WHERE id = $1`, r.ID, th.ID); err != nil {
		t.Fatal(err)
	}
	page, err := fx.f.ThreadPageOf(fx.ctx, forum.Guest, th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.Posts[1].HTML, "honest") {
		t.Fatalf("a MAC moved from another row was trusted: %s", page.Posts[1].HTML)
	}
}

func TestLikes(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Likeable", "opener")
	_, err := fx.f.LikePost(fx.ctx, fx.alice.Viewer(), opener.ID)
	wantErr(t, "self-like", err, forum.ErrForbidden)
	_, err = fx.f.LikePost(fx.ctx, forum.Guest, opener.ID)
	wantErr(t, "guest like", err, forum.ErrUnauthorized)
	for i := 0; i < 2; i++ {
		n, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID)
		if err != nil || n != 1 {
			t.Fatalf("like #%d: count %d, %v", i+1, n, err)
		}
	}
	if n, err := fx.f.LikePost(fx.ctx, fx.mod.Viewer(), opener.ID); err != nil || n != 2 {
		t.Fatalf("second liker: %d, %v", n, err)
	}
	p, err := fx.f.PostByID(fx.ctx, fx.bob.Viewer(), opener.ID)
	if err != nil || !p.Liked || p.LikeCount != 2 {
		t.Fatalf("bob's view: liked=%v count=%d (%v)", p.Liked, p.LikeCount, err)
	}
	if p, _ := fx.f.PostByID(fx.ctx, fx.alice.Viewer(), opener.ID); p.Liked {
		t.Fatal("alice's view says she likes it")
	}
	for i := 0; i < 2; i++ {
		if n, err := fx.f.UnlikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil || n != 1 {
			t.Fatalf("unlike #%d: %d, %v", i+1, n, err)
		}
	}
	if got := fx.activities(t, th.ID); !slices.Equal(got, []forum.Verb{forum.VerbCreate, forum.VerbLike, forum.VerbLike, forum.VerbUndoLike}) {
		t.Errorf("activities %v: a repeated like or unlike was recorded", got)
	}
	// Liking is allowed in a locked thread: it adds no text.
	if err := fx.f.LockThread(fx.ctx, fx.mod.Viewer(), th.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatalf("like in a locked thread: %v", err)
	}
	// A post hidden, then deleted, takes no like, but a like given before can be taken back.
	th2, _ := fx.thread(t, fx.alice, fx.cat, "Likeable too", "opener")
	r := fx.reply(t, fx.alice, th2.ID, "soon hidden")
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), r.ID); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), r.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	_, err = fx.f.LikePost(fx.ctx, fx.mod.Viewer(), r.ID)
	wantErr(t, "like of a hidden post", err, forum.ErrNotFound)
	if n, err := fx.f.UnlikePost(fx.ctx, fx.bob.Viewer(), r.ID); err != nil || n != 0 {
		t.Fatalf("unlike of a hidden post: count %d, %v", n, err)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = fx.f.LikePost(fx.ctx, fx.bob.Viewer(), r.ID)
	wantErr(t, "like of a deleted post", err, forum.ErrGone)
}

func TestPostTagsForFederation(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	_, opener := fx.thread(t, fx.alice, fx.cat, "Tags", "cc @bob and @zoe@social.example about #Go, not `@code`")
	mentions, tags := fx.f.PostTags(opener)
	want := []forum.Mention{{Username: "bob"}, {Username: "zoe", Domain: "social.example"}}
	if !slices.Equal(mentions, want) || !slices.Equal(tags, []string{"Go"}) {
		t.Fatalf("mentions %v tags %v", mentions, tags)
	}
	opener.Redacted = true
	if m, h := fx.f.PostTags(opener); m != nil || h != nil {
		t.Fatal("a withheld post revealed its tags")
	}
}

// A reply deleted or hidden a moment after it was posted does not keep its thread at the top of
// the lists: the thread's last post is its newest one readers see, and comes back when the reply
// is shown again.
func TestAPostGoneNoLongerBumpsItsThread(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	quiet, _ := fx.thread(t, fx.alice, fx.cat, "Quiet", "opener")
	fx.thread(t, fx.alice, fx.cat, "Busy", "opener")
	order := func() []string {
		t.Helper()
		list, err := fx.f.LatestThreads(fx.ctx, fx.bob.Viewer(), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, th := range list.Threads {
			out = append(out, th.Title)
		}
		return out
	}
	r := fx.reply(t, fx.bob, quiet.ID, "bump")
	if got := order(); !slices.Equal(got, []string{"Quiet", "Busy"}) {
		t.Fatalf("after the reply: %v", got)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), r.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if got := order(); !slices.Equal(got, []string{"Busy", "Quiet"}) {
		t.Fatalf("after the reply was hidden: %v", got)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), r.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if got := order(); !slices.Equal(got, []string{"Quiet", "Busy"}) {
		t.Fatalf("after the reply was shown again: %v", got)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := order(); !slices.Equal(got, []string{"Busy", "Quiet"}) {
		t.Fatalf("after the reply was deleted: %v", got)
	}
}
