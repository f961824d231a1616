package forum_test

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func grid(rows ...forum.RolePermission) []forum.RolePermission { return rows }

func TestDefaultPermissionsPerRole(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	want := map[string]forum.Permission{
		"guest": {See: true},
		"alice": {See: true, Start: true, Reply: true},
		"molly": {See: true, Start: true, Reply: true, Moderate: true},
		"ada":   {See: true, Start: true, Reply: true, Moderate: true},
	}
	viewers := map[string]forum.Viewer{"guest": forum.Guest, "alice": fx.alice.Viewer(), "molly": fx.mod.Viewer(),
		"ada": fx.admin.Viewer()}
	for name, v := range viewers {
		got, err := fx.f.Permissions(fx.ctx, v, fx.cat)
		if err != nil {
			t.Fatal(err)
		}
		if got != want[name] {
			t.Errorf("%s: %+v, want %+v", name, got, want[name])
		}
	}
}

func TestStaffOnlyCategory(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	staff := fx.category(t, "team")
	sub, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "team_sub", Title: "Sub", ParentID: &staff.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), staff.ID, grid(
		forum.RolePermission{Role: forum.RoleGuest},
		forum.RolePermission{Role: forum.RoleMember},
		forum.RolePermission{Role: forum.RoleModerator, See: true, Start: true, Reply: true},
	)); err != nil {
		t.Fatal(err)
	}
	th, _ := fx.thread(t, fx.mod, staff, "Staff matters", "private")
	fx.thread(t, fx.alice, fx.cat, "Public", "open")

	_, _, err = fx.f.CreateThread(fx.ctx, fx.alice.Viewer(), forum.NewThread{CategoryID: staff.ID, Title: "t", Body: "b"})
	wantErr(t, "member starts in staff", err, forum.ErrNotFound)
	_, err = fx.f.ThreadByID(fx.ctx, fx.alice.Viewer(), th.ID)
	wantErr(t, "member reads staff thread", err, forum.ErrNotFound)
	_, err = fx.f.CategoryThreads(fx.ctx, forum.Guest, staff, "", 0)
	wantErr(t, "guest lists staff", err, forum.ErrNotFound)
	// Sub-categories of a hidden category are hidden too, whatever their own grid says.
	if p, err := fx.f.Permissions(fx.ctx, fx.alice.Viewer(), sub); err != nil || p.See {
		t.Errorf("member sees the staff sub-category: %+v (%v)", p, err)
	}
	if p, err := fx.f.Permissions(fx.ctx, fx.mod.Viewer(), sub); err != nil || !p.See {
		t.Errorf("moderator cannot see the staff sub-category: %+v (%v)", p, err)
	}

	latest, err := fx.f.LatestThreads(fx.ctx, fx.alice.Viewer(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest.Threads) != 1 || latest.Threads[0].Title != "Public" {
		t.Errorf("member's latest: %+v", latest.Threads)
	}
	latest, err = fx.f.LatestThreads(fx.ctx, fx.admin.Viewer(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest.Threads) != 2 {
		t.Errorf("admin's latest has %d threads, want 2", len(latest.Threads))
	}
	cats, err := fx.f.VisibleCategories(fx.ctx, forum.Guest)
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != 1 || cats[0].Slug != "general" {
		t.Errorf("guest's categories: %+v", cats)
	}
}

func TestReadOnlyAndAnnouncementCategories(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	news := fx.category(t, "news")
	// Members read and reply, only staff start threads: postingRestrictedToMods follows.
	if err := fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), news.ID, grid(
		forum.RolePermission{Role: forum.RoleGuest, See: true},
		forum.RolePermission{Role: forum.RoleMember, See: true, Reply: true},
	)); err != nil {
		t.Fatal(err)
	}
	news, _ = fx.f.CategoryByID(fx.ctx, news.ID)
	if !news.PostingRestrictedToMods {
		t.Error("postingRestrictedToMods not set when members may not start threads")
	}
	_, _, err := fx.f.CreateThread(fx.ctx, fx.alice.Viewer(), forum.NewThread{CategoryID: news.ID, Title: "t", Body: "b"})
	wantErr(t, "member starts in news", err, forum.ErrForbidden)
	th, _ := fx.thread(t, fx.mod, news, "Release", "notes")
	fx.reply(t, fx.alice, th.ID, "congrats")

	// Read-only for members: they can no longer reply.
	if err := fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), news.ID, grid(
		forum.RolePermission{Role: forum.RoleMember, See: true},
	)); err != nil {
		t.Fatal(err)
	}
	_, err = fx.f.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "x"})
	wantErr(t, "member replies in read-only", err, forum.ErrForbidden)
	fx.reply(t, fx.mod, th.ID, "moderators still can")

	// The flag alone (as a remote Group would carry it) restricts starting threads too.
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE categories SET posting_restricted_to_mods = true WHERE id = $1`, fx.cat.ID); err != nil {
		t.Fatal(err)
	}
	gen, _ := fx.f.CategoryByID(fx.ctx, fx.cat.ID)
	// This process changed the row behind the cache's back: the trigger notifies, but nothing
	// listens in this test, so read through a fresh Forum.
	other := forumtest.NewOn(t, fx.pool, forum.Options{})
	_, _, err = other.CreateThread(fx.ctx, fx.alice.Viewer(), forum.NewThread{CategoryID: gen.ID, Title: "t", Body: "b"})
	wantErr(t, "member starts under postingRestrictedToMods", err, forum.ErrForbidden)
}

func TestPermissionGridValidation(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	err := fx.f.SetPermissionGrid(fx.ctx, fx.mod.Viewer(), fx.cat.ID, nil)
	wantErr(t, "moderator edits grid", err, forum.ErrForbidden)
	err = fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), fx.cat.ID, grid(forum.RolePermission{Role: forum.RoleGuest, See: true, Reply: true}))
	wantInvalid(t, "guest reply", err, "guest")
	err = fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), fx.cat.ID, grid(forum.RolePermission{Role: forum.RoleMember, Reply: true}))
	wantInvalid(t, "reply without see", err, "member")
	err = fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), fx.cat.ID, grid(forum.RolePermission{Role: forum.RoleAdmin}))
	wantInvalid(t, "admin row", err, "role")
	got, err := fx.f.PermissionGrid(fx.ctx, fx.admin.Viewer(), fx.cat.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range forum.GridRoles {
		if got[i] != forum.DefaultRolePermission(r) {
			t.Errorf("refused changes altered the grid: %+v", got)
		}
	}
}
