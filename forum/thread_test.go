package forum_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A title is one line of text: no bell, escape, bidirectional override or non-character.
func TestATitleIsOneCleanLine(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	odd, _ := fx.thread(t, fx.alice, fx.cat, "Ring\u0007 the\u000b bell \u202eevil\ufffe\U0010FFFF!", "odd title")
	if odd.Title != "Ring the bell evil!" {
		t.Errorf("title %q, want the controls, override and non-characters gone", odd.Title)
	}
}

// What shows is what counts: a title is measured in NFC (an accent typed as a combining mark is part
// of its letter), and a body or a title of invisible characters only is empty.
func TestTextIsMeasuredAsItShows(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	combining := strings.Repeat("e\u0301", forum.MaxTitleLen)
	th, _ := fx.thread(t, fx.alice, fx.cat, combining, "accents")
	if th.Title != strings.Repeat("\u00e9", forum.MaxTitleLen) {
		t.Errorf("title %q, want it in NFC", th.Title)
	}
	for _, in := range []forum.NewThread{
		{CategoryID: fx.cat.ID, Title: "Blank body", Body: "\u200b\u200b\u2060 \n"},
		{CategoryID: fx.cat.ID, Title: "\u200b\u202e", Body: "a body"},
	} {
		var ve *forum.ValidationError
		if _, _, err := fx.f.CreateThread(fx.ctx, fx.alice.Viewer(), in); !errors.As(err, &ve) {
			t.Errorf("%+q, %+q: %v, want a validation error", in.Title, in.Body, err)
		}
	}
	var ve *forum.ValidationError
	if _, err := fx.f.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "\u200b"}); !errors.As(err, &ve) {
		t.Errorf("an invisible reply: %v, want a validation error", err)
	}
}

// A category's title is one clean line, as a thread's: no override, no title of invisible
// characters only.
func TestACategoryTitleIsOneCleanLine(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	c, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "rtl", Title: "\u202eRTL cat"})
	if err != nil || c.Title != "RTL cat" {
		t.Fatalf("created %q, %v; want the override gone", c.Title, err)
	}
	var ve *forum.ValidationError
	if _, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "blank", Title: "\u200b"}); !errors.As(err, &ve) {
		t.Errorf("an invisible title: %v, want a validation error", err)
	}
	if _, err := fx.f.UpdateCategory(fx.ctx, forumtest.Admin, c.ID, forum.CategoryEdit{Title: "\u200b\u2066"}); !errors.As(err, &ve) {
		t.Errorf("an invisible title by an edit: %v, want a validation error", err)
	}
}

func TestCreateThreadStoresOpenerCountersAndActivity(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "  Hello   there ", "First **post** for @bob")
	if th.Title != "Hello there" {
		t.Errorf("title %q, want white space collapsed", th.Title)
	}
	if opener.Position != 1 || opener.ThreadID != th.ID || opener.AuthorUsername != "alice" {
		t.Errorf("opener %+v", opener)
	}
	if !strings.Contains(opener.HTML, "<strong>post</strong>") || !strings.Contains(opener.HTML, `class="u-url mention"`) {
		t.Errorf("opener HTML not rendered: %s", opener.HTML)
	}
	if th.PostCount != 1 || th.LastPostID == nil || *th.LastPostID != opener.ID {
		t.Errorf("thread counters %+v", th)
	}
	reply := fx.reply(t, fx.bob, th.ID, "welcome")
	if reply.Position != 2 {
		t.Errorf("reply position %d, want 2", reply.Position)
	}
	c, err := fx.f.CategoryByID(fx.ctx, fx.cat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ThreadCount != 1 || c.PostCount != 2 || c.LastPostAt == nil || !c.LastPostAt.Equal(reply.CreatedAt) {
		t.Errorf("category counters %d threads, %d posts, last %v; want 1, 2, %v", c.ThreadCount, c.PostCount, c.LastPostAt, reply.CreatedAt)
	}
	tv, err := fx.f.ThreadByID(fx.ctx, fx.alice.Viewer(), th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tv.PostCount != 2 || *tv.LastPostID != reply.ID || !tv.LastPostAt.Equal(reply.CreatedAt) {
		t.Errorf("thread after reply: %+v", tv.Thread)
	}
	if got := fx.activities(t, th.ID); !slices.Equal(got, []forum.Verb{forum.VerbCreate, forum.VerbCreate}) {
		t.Errorf("activities %v, want two creates", got)
	}
}

func TestCreateThreadValidates(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	by := fx.alice.Viewer()
	_, _, err := fx.f.CreateThread(fx.ctx, by, forum.NewThread{CategoryID: fx.cat.ID, Title: "  ", Body: "x"})
	wantInvalid(t, "blank title", err, "title")
	_, _, err = fx.f.CreateThread(fx.ctx, by, forum.NewThread{CategoryID: fx.cat.ID, Title: strings.Repeat("t", forum.MaxTitleLen+1), Body: "x"})
	wantInvalid(t, "long title", err, "title")
	_, _, err = fx.f.CreateThread(fx.ctx, by, forum.NewThread{CategoryID: fx.cat.ID, Title: "ok", Body: " \n "})
	wantInvalid(t, "blank body", err, "body")
	_, err = fx.f.CreatePost(fx.ctx, by, forum.NewPost{ThreadID: 1, Body: strings.Repeat("é", forum.MaxBodyLen+1)})
	wantInvalid(t, "long body", err, "body")
	_, _, err = fx.f.CreateThread(fx.ctx, forum.Guest, forum.NewThread{CategoryID: fx.cat.ID, Title: "ok", Body: "x"})
	wantErr(t, "guest", err, forum.ErrUnauthorized)
	_, _, err = fx.f.CreateThread(fx.ctx, by, forum.NewThread{CategoryID: 999999, Title: "ok", Body: "x"})
	wantErr(t, "unknown category", err, forum.ErrNotFound)
	var n int
	if err := fx.pool.QueryRow(fx.ctx, "SELECT count(*) FROM threads").Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused input left %d threads (%v)", n, err)
	}
}

func TestBannedMembersCannotWrite(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Before the ban", "hello")
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE members SET banned_until = now() + interval '1 day' WHERE actor_id = $1`, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	by := fx.bob.Viewer()
	_, _, err := fx.f.CreateThread(fx.ctx, by, forum.NewThread{CategoryID: fx.cat.ID, Title: "t", Body: "b"})
	wantErr(t, "banned thread", err, forum.ErrForbidden)
	_, err = fx.f.CreatePost(fx.ctx, by, forum.NewPost{ThreadID: th.ID, Body: "b"})
	wantErr(t, "banned reply", err, forum.ErrForbidden)
	_, err = fx.f.LikePost(fx.ctx, by, opener.ID)
	wantErr(t, "banned like", err, forum.ErrForbidden)

	// A ban that ended no longer stops anyone.
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE members SET banned_until = now() - interval '1 second' WHERE actor_id = $1`, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	fx.reply(t, fx.bob, th.ID, "I'm back")
}

func TestLockedThreadsRefuseRepliesExceptFromStaff(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Heated", "opinions")
	if err := fx.f.LockThread(fx.ctx, fx.alice.Viewer(), th.ID, true, ""); err == nil {
		t.Fatal("a member locked a thread")
	}
	if err := fx.f.LockThread(fx.ctx, fx.mod.Viewer(), th.ID, true, "cool down"); err != nil {
		t.Fatal(err)
	}
	_, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "but"})
	wantErr(t, "reply to locked", err, forum.ErrLocked)
	_, err = fx.f.EditPost(fx.ctx, fx.alice.Viewer(), opener.ID, forum.PostEdit{Body: "changed"})
	wantErr(t, "edit in locked", err, forum.ErrLocked)
	fx.reply(t, fx.mod, th.ID, "Locked because it went in circles.")
	tv, err := fx.f.ThreadByID(fx.ctx, fx.bob.Viewer(), th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tv.CanReply() {
		t.Error("CanReply is true for a member in a locked thread")
	}
	if err := fx.f.LockThread(fx.ctx, fx.mod.Viewer(), th.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	fx.reply(t, fx.bob, th.ID, "thanks")
	if got := fx.activities(t, th.ID); !slices.Equal(got, []forum.Verb{forum.VerbCreate, forum.VerbLock, forum.VerbCreate, forum.VerbUnlock, forum.VerbCreate}) {
		t.Errorf("activities %v", got)
	}
	if got := fx.modActions(t); !slices.Equal(got, []string{"lock_thread", "unlock_thread"}) {
		t.Errorf("moderation log %v", got)
	}
}

func TestInReplyToMustBeInTheSameThread(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	a, aOpener := fx.thread(t, fx.alice, fx.cat, "A", "a")
	_, bOpener := fx.thread(t, fx.alice, fx.cat, "B", "b")
	_, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: a.ID, Body: "x", InReplyToID: &bOpener.ID})
	wantInvalid(t, "cross-thread reply", err, "in_reply_to")
	p, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: a.ID, Body: "x", InReplyToID: &aOpener.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p.InReplyToID == nil || *p.InReplyToID != aOpener.ID {
		t.Fatalf("in_reply_to %v, want %d", p.InReplyToID, aOpener.ID)
	}
}

func TestQuoteMarkdownLinksTheQuotedPost(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Quotable", "line one\n\nline two")
	q, err := fx.f.QuoteMarkdown(fx.ctx, fx.bob.Viewer(), opener.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "> [@alice wrote](/p/" + itoa(opener.ID) + "):\n>\n> line one\n>\n> line two\n\n"
	if q != want {
		t.Fatalf("quote\n%q\nwant\n%q", q, want)
	}
	reply := fx.reply(t, fx.bob, th.ID, q+"I agree")
	if !strings.Contains(reply.HTML, `<blockquote>`) || !strings.Contains(reply.HTML, `href="https://forum.example/p/`+itoa(opener.ID)+`"`) {
		t.Fatalf("rendered quote lacks the blockquote or the link: %s", reply.HTML)
	}
}

func TestThreadPagesAndDeepLinks(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Long", "post 1")
	ids := []int64{opener.ID}
	for i := 2; i <= 65; i++ {
		by := fx.bob
		if i%2 == 1 {
			by = fx.alice
		}
		ids = append(ids, fx.reply(t, by, th.ID, "post "+itoa(int64(i))).ID)
	}
	for _, c := range []struct{ position, page int }{{1, 1}, {30, 1}, {31, 2}, {60, 2}, {61, 3}, {65, 3}} {
		tid, page, err := fx.f.PostLocation(fx.ctx, forum.Guest, ids[c.position-1])
		if err != nil {
			t.Fatal(err)
		}
		if tid != th.ID || page != c.page {
			t.Errorf("post at position %d: thread %d page %d, want %d page %d", c.position, tid, page, th.ID, c.page)
		}
	}
	p3, err := fx.f.ThreadPageOf(fx.ctx, forum.Guest, th.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p3.Pages != 3 || len(p3.Posts) != 5 || p3.Posts[0].Position != 61 || p3.Posts[4].Position != 65 {
		t.Fatalf("page 3: %d pages, %d posts", p3.Pages, len(p3.Posts))
	}
	_, err = fx.f.ThreadPageOf(fx.ctx, forum.Guest, th.ID, 4)
	wantErr(t, "page past the end", err, forum.ErrNotFound)
	_, err = fx.f.ThreadPageOf(fx.ctx, forum.Guest, th.ID, 0)
	wantErr(t, "page 0", err, forum.ErrNotFound)

	// The API's cursor walks the same posts in order.
	var seen []int
	after := 0
	for {
		_, posts, next, err := fx.f.ThreadPostsAfter(fx.ctx, forum.Guest, th.ID, after, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range posts {
			seen = append(seen, p.Position)
		}
		if next == 0 {
			break
		}
		after = next
	}
	if len(seen) != 65 || seen[0] != 1 || seen[64] != 65 || !slices.IsSorted(seen) {
		t.Fatalf("cursor walk saw %d posts: %v", len(seen), seen)
	}
}

func TestHiddenThreadsAreSeenByStaffAndAuthorOnly(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Spammy", "buy now")
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), th.ID, true, "spam"); err != nil {
		t.Fatal(err)
	}
	_, err := fx.f.ThreadByID(fx.ctx, fx.bob.Viewer(), th.ID)
	wantErr(t, "other member", err, forum.ErrNotFound)
	_, err = fx.f.ThreadByID(fx.ctx, forum.Guest, th.ID)
	wantErr(t, "guest", err, forum.ErrNotFound)
	for _, v := range []forum.Viewer{fx.alice.Viewer(), fx.mod.Viewer(), fx.admin.Viewer()} {
		if _, err := fx.f.ThreadByID(fx.ctx, v, th.ID); err != nil {
			t.Errorf("%s cannot see the hidden thread: %v", v.Username, err)
		}
	}
	list, err := fx.f.LatestThreads(fx.ctx, fx.mod.Viewer(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Threads) != 0 {
		t.Errorf("hidden thread listed: %+v", list.Threads)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), th.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.ThreadByID(fx.ctx, fx.bob.Viewer(), th.ID); err != nil {
		t.Fatalf("restored thread: %v", err)
	}
	if got := fx.modActions(t); !slices.Equal(got, []string{"hide_thread", "unhide_thread"}) {
		t.Errorf("moderation log %v", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
