package forum_test

import (
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A category's last activity (the home page's "last post") follows what its visitors can read: a
// reply deleted or hidden takes its time with it, a reply shown again brings it back, and a reply
// in a hidden thread (its author and staff may still post there) never moves it. It kept the time
// of the deleted or hidden reply, and took that of the hidden thread's.
func TestACategorysLastActivityFollowsWhatItsVisitorsCanRead(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	last := func(what string) time.Time {
		t.Helper()
		c, err := fx.f.CategoryByID(fx.ctx, fx.cat.ID)
		if err != nil || c.LastPostAt == nil {
			t.Fatalf("%s: %+v, %v", what, c.LastPostAt, err)
		}
		return *c.LastPostAt
	}
	th, opener := fx.thread(t, fx.alice, fx.cat, "Activity", "opener")
	reply := fx.reply(t, fx.bob, th.ID, "a reply soon gone")
	if got := last("after the reply"); !got.Equal(reply.CreatedAt) {
		t.Fatalf("after the reply: %v, want %v", got, reply.CreatedAt)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), reply.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := last("after its deletion"); !got.Equal(opener.CreatedAt) {
		t.Errorf("after the reply's deletion: %v, want the opener's %v", got, opener.CreatedAt)
	}

	second := fx.reply(t, fx.bob, th.ID, "a reply a moderator hides")
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), second.ID, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	if got := last("after the hide"); !got.Equal(opener.CreatedAt) {
		t.Errorf("after the reply was hidden: %v, want the opener's %v", got, opener.CreatedAt)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), second.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if got := last("after the unhide"); !got.Equal(second.CreatedAt) {
		t.Errorf("after the reply was shown again: %v, want its %v", got, second.CreatedAt)
	}

	hidden, _ := fx.thread(t, fx.alice, fx.cat, "Hidden", "soon hidden")
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "spam"); err != nil {
		t.Fatal(err)
	}
	before := last("after the thread's hide")
	fx.reply(t, fx.alice, hidden.ID, "its author replies in the hidden thread")
	if got := last("after a reply in the hidden thread"); !got.Equal(before) {
		t.Errorf("a reply in a hidden thread moved the category's last activity from %v to %v", before, got)
	}
}

// A display name or a category title holding a NUL or bytes that are not UTF-8 is refused as not
// text, as a thread's title and a post's body are: both were stored with the bytes silently dropped
// or replaced.
func TestLinesThatAreNotTextAreRefused(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	for name, err := range map[string]error{
		"display name":                fx.f.UpdateProfile(fx.ctx, fx.alice.Viewer(), fx.alice.ID, forum.ProfileInput{DisplayName: "Al\x00ice"}),
		"display name, invalid UTF-8": fx.f.UpdateProfile(fx.ctx, fx.alice.Viewer(), fx.alice.ID, forum.ProfileInput{DisplayName: "Al\xffice"}),
	} {
		if !forum.NotText(err) {
			t.Errorf("%s: %v, want not text", name, err)
		}
	}
	if _, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "nul", Title: "N\x00ul"}); !forum.NotText(err) {
		t.Errorf("category title: %v, want not text", err)
	}
	if _, err := fx.f.UpdateCategory(fx.ctx, forumtest.Admin, fx.cat.ID, forum.CategoryEdit{Title: "Gen\xfferal"}); !forum.NotText(err) {
		t.Errorf("category title edited: %v, want not text", err)
	}
}
