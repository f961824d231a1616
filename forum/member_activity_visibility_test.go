package forum_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A member's page lists only what the viewer could read on the category and thread pages: threads
// and posts in a category only moderators may see stay off it for guests and members, including a
// thread moved there after it was written.
func TestMemberActivityHidesCategoriesTheViewerMayNotSee(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	staff := fx.staffRoom(t)
	fx.thread(t, fx.mod, fx.cat, "Public notes", "for everyone")
	secret, _ := fx.thread(t, fx.mod, staff, "Ban list", "only staff")
	fx.reply(t, fx.mod, secret.ID, "secret reply")
	moved, _ := fx.thread(t, fx.mod, fx.cat, "Moved away", "was public")
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), moved.ID, staff.ID); err != nil {
		t.Fatal(err)
	}

	threadTitles := func(v forum.Viewer) []string {
		t.Helper()
		list, _, err := fx.f.MemberThreads(fx.ctx, v, fx.mod.ID, forum.MemberActivityCursor{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, th := range list {
			titles = append(titles, th.Title)
		}
		slices.Sort(titles)
		return titles
	}
	postThreads := func(v forum.Viewer) []string {
		t.Helper()
		list, _, err := fx.f.MemberPosts(fx.ctx, v, fx.mod.ID, forum.MemberActivityCursor{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, p := range list {
			titles = append(titles, p.ThreadTitle)
		}
		slices.Sort(titles)
		return titles
	}
	for name, v := range map[string]forum.Viewer{"guest": forum.Guest, "member": fx.alice.Viewer()} {
		if got := fmt.Sprint(threadTitles(v)); got != "[Public notes]" {
			t.Errorf("%s sees threads %s", name, got)
		}
		if got := fmt.Sprint(postThreads(v)); got != "[Public notes]" {
			t.Errorf("%s sees posts in %s", name, got)
		}
	}
	// Staff may see the category, so they see everything.
	if got := fmt.Sprint(threadTitles(fx.admin.Viewer())); got != "[Ban list Moved away Public notes]" {
		t.Errorf("admin sees threads %s", got)
	}
	if got := fmt.Sprint(postThreads(fx.mod.Viewer())); got != "[Ban list Ban list Moved away Public notes]" {
		t.Errorf("moderator sees posts in %s", got)
	}
}
