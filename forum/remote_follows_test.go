package forum_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestMemberFollowsPagesEveryFollowOnceWithItsState(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	alice := fx.alice.Viewer()
	var ids []int64
	for i := range 5 {
		a := remoteActor(t, fx.f, forum.ActorPerson, fmt.Sprintf("p%d", i), "social.example", true)
		if _, err := fx.f.FollowRemote(fx.ctx, alice, a.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	group := remoteActor(t, fx.f, forum.ActorGroup, "general", "lemmy.example", true)
	if _, err := fx.f.FollowRemote(fx.ctx, alice, group.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EnsureRemoteCategory(fx.ctx, group.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.SettleOwnFollow(fx.ctx, ids[0], 0, true); err != nil {
		t.Fatal(err)
	}
	// Someone else's follows and remote followers of alice are not hers to list.
	if _, err := fx.f.FollowRemote(fx.ctx, fx.bob.Viewer(), ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: ids[2], TargetID: fx.alice.ID, APID: "https://social.example/f/1"}); err != nil {
		t.Fatal(err)
	}

	var seen []string
	states := map[string]forum.FollowState{}
	var before int64
	for pages := 0; ; pages++ {
		list, next, err := fx.f.MemberFollows(fx.ctx, alice, before, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, fa := range list {
			seen = append(seen, fa.Handle())
			states[fa.Handle()] = fa.State
			if fa.Handle() == "general@lemmy.example" && fa.CategoryHandle != "general@lemmy.example" {
				t.Errorf("group's mirror handle %q", fa.CategoryHandle)
			}
			if fa.State == forum.FollowAccepted && fa.AcceptedAt == nil {
				t.Errorf("%s accepted without a time", fa.Handle())
			}
		}
		if next == 0 {
			if pages != 1 {
				t.Errorf("%d pages, want 2", pages+1)
			}
			break
		}
		before = next
	}
	wantStrings(t, "follows, newest first", seen, []string{"general@lemmy.example", "p4@social.example", "p3@social.example",
		"p2@social.example", "p1@social.example", "p0@social.example"})
	if states["p0@social.example"] != forum.FollowAccepted || states["p1@social.example"] != forum.FollowPending {
		t.Errorf("states %v", states)
	}
	if _, _, err := fx.f.MemberFollows(fx.ctx, forum.Guest, 0, 10); !errors.Is(err, forum.ErrUnauthorized) {
		t.Errorf("guest: %v", err)
	}
}

func TestRemoteActorPostsListsOnlyWhatTheViewerMayRead(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	zoe := remoteActor(t, fx.f, forum.ActorPerson, "zoe", "social.example", true)
	staff := fx.category(t, "team")
	post := func(c forum.Category, n int, html string) int64 {
		id, _, err := fx.f.CreateRemotePost(fx.ctx, forum.RemotePost{APID: fmt.Sprintf("https://social.example/notes/%d", n),
			AuthorID: zoe.ID, HTML: html, Published: time.Now().Add(time.Duration(n) * time.Minute),
			Thread: &forum.RemoteThread{CategoryID: c.ID, Title: fmt.Sprintf("Zoe %d", n)}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	public := post(fx.cat, 1, "<p>In <b>public</b></p>")
	secret := post(staff, 2, "<p>Staff only</p>")
	// The category is closed to all but staff after the post arrived.
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, staff.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true},
	}); err != nil {
		t.Fatal(err)
	}

	ids := func(v forum.Viewer) []string {
		list, _, err := fx.f.RemoteActorPosts(fx.ctx, v, zoe.ID, forum.MemberActivityCursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range list {
			out = append(out, fmt.Sprint(p.ID))
			if strings.ContainsAny(p.Excerpt, "<>") {
				t.Errorf("excerpt is not plain text: %q", p.Excerpt)
			}
		}
		return out
	}
	wantStrings(t, "guest sees", ids(forum.Guest), []string{fmt.Sprint(public)})
	wantStrings(t, "moderator sees", ids(fx.mod.Viewer()), []string{fmt.Sprint(secret), fmt.Sprint(public)})
}

func TestSpendRemoteLookupIsLimitedPerMember(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	if err := fx.f.SpendRemoteLookup(fx.ctx, forum.Guest); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("guest: %v", err)
	}
	var err error
	n := 0
	for ; n < 1000 && err == nil; n++ {
		err = fx.f.SpendRemoteLookup(fx.ctx, fx.alice.Viewer())
	}
	if !errors.Is(err, forum.ErrRateLimited) || n < 100 || n > 200 {
		t.Fatalf("limited after %d lookups: %v", n, err)
	}
	if err := fx.f.SpendRemoteLookup(fx.ctx, fx.bob.Viewer()); err != nil {
		t.Fatalf("another member's budget is separate: %v", err)
	}
}
