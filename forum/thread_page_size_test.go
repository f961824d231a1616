package forum_test

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// A forum made with a page size of its own pages threads by it everywhere a page is named: the
// pages themselves, the page a post is on, the first unread post's page and the API's default
// batch.
func TestAForumsPageSizePagesItsThreads(t *testing.T) {
	t.Parallel()
	fx := newContentFixtureWith(t, forum.Options{PostsPerPage: 10})
	if fx.f.PostsPerPage() != 10 {
		t.Fatalf("PostsPerPage %d, want 10", fx.f.PostsPerPage())
	}
	th, opener := fx.thread(t, fx.alice, fx.cat, "Paged by ten", "post 1")
	ids := []int64{opener.ID}
	for i := 2; i <= 25; i++ {
		ids = append(ids, fx.reply(t, fx.bob, th.ID, "post "+itoa(int64(i))).ID)
	}
	for _, c := range []struct{ position, page int }{{1, 1}, {10, 1}, {11, 2}, {20, 2}, {21, 3}, {25, 3}} {
		if got := fx.f.PageOf(c.position); got != c.page {
			t.Errorf("PageOf(%d) = %d, want %d", c.position, got, c.page)
		}
		if _, page, err := fx.f.PostLocation(fx.ctx, forum.Guest, ids[c.position-1]); err != nil || page != c.page {
			t.Errorf("post at position %d: page %d (%v), want %d", c.position, page, err, c.page)
		}
	}
	p2, err := fx.f.ReadThreadPage(fx.ctx, fx.alice.Viewer(), th.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Pages != 3 || len(p2.Posts) != 10 || p2.Posts[0].Position != 11 || p2.Posts[9].Position != 20 {
		t.Fatalf("page 2: %d pages, %d posts from %d", p2.Pages, len(p2.Posts), p2.Posts[0].Position)
	}
	// alice wrote post 1 and has now read 11-20: her first unread is post 2, on page 1; once she
	// has read page 1, post 21 on page 3.
	if _, page, err := fx.f.FirstUnread(fx.ctx, fx.alice.Viewer(), th.ID); err != nil || page != 1 {
		t.Fatalf("first unread on page %d (%v), want 1", page, err)
	}
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.alice.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if id, page, err := fx.f.FirstUnread(fx.ctx, fx.alice.Viewer(), th.ID); err != nil || page != 3 || id != ids[20] {
		t.Fatalf("first unread: post %d on page %d (%v), want post %d on page 3", id, page, err, ids[20])
	}
	if _, posts, next, err := fx.f.ThreadPostsAfter(fx.ctx, forum.Guest, th.ID, 0, 0); err != nil || len(posts) != 10 || next != 10 {
		t.Fatalf("the API's default batch: %d posts, next %d (%v), want 10 and 10", len(posts), next, err)
	}
}

// A page size outside the bounds is refused when the forum is made, not met later as odd pages.
func TestAPageSizeOutOfBoundsIsRefused(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	for _, n := range []int{forum.MinPostsPerPage - 1, forum.MaxPostsPerPage + 1, -5} {
		if _, err := forum.New(pool, forum.Options{Secret: []byte("page-size-test-secret-0123456789abcdef"), PostsPerPage: n}); err == nil {
			t.Errorf("%d posts per page was accepted", n)
		}
	}
	f, err := forum.New(pool, forum.Options{Secret: []byte("page-size-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	if f.PostsPerPage() != forum.DefaultPostsPerPage {
		t.Fatalf("no page size given: %d posts per page, want %d", f.PostsPerPage(), forum.DefaultPostsPerPage)
	}
}
