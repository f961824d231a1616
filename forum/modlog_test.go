package forum_test

import (
	"encoding/json"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// logEntries reads the whole moderation log as an admin, newest first.
func (fx *contentFixture) logEntries(t *testing.T) []forum.ModerationEntry {
	t.Helper()
	log, err := fx.f.ModerationLog(fx.ctx, fx.admin.Viewer(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// lastEntry is the newest log entry with the action, failing the test if there is none.
func lastEntry(t *testing.T, log []forum.ModerationEntry, action string) forum.ModerationEntry {
	t.Helper()
	for _, e := range log {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no %s in the log", action)
	return forum.ModerationEntry{}
}

func TestModerationLogNamesTheCategoriesOfCategoryActionsAndBothEndsOfAMove(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	dest, err := fx.f.CreateCategory(fx.ctx, fx.admin.Viewer(), forum.NewCategory{Slug: "elsewhere", Title: "Somewhere Else"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), dest.ID, []forum.RolePermission{
		{Role: forum.RoleGuest, See: true}, {Role: forum.RoleMember, See: true, Reply: true}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true},
	}); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.ReorderCategory(fx.ctx, fx.admin.Viewer(), dest.ID, -1); err != nil {
		t.Fatal(err)
	}
	th, _ := fx.thread(t, fx.alice, fx.cat, "Wandering", "where does this go")
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), th.ID, dest.ID); err != nil {
		t.Fatal(err)
	}

	log := fx.logEntries(t)
	for _, action := range []string{"create_category", "set_category_permissions", "reorder_category"} {
		e := lastEntry(t, log, action)
		if e.Moderator != "ada" || e.CategoryID == nil || *e.CategoryID != dest.ID ||
			e.Category.ID != dest.ID || e.Category.Title != "Somewhere Else" || e.Category.Handle() != "elsewhere" {
			t.Errorf("%s: %+v", action, e)
		}
	}
	move := lastEntry(t, log, "move_thread")
	if move.Category.ID != dest.ID || move.Category.Title != "Somewhere Else" ||
		move.FromCategory.ID != fx.cat.ID || move.FromCategory.Title != "General" {
		t.Errorf("move names %+v to %+v", move.FromCategory, move.Category)
	}
	var details map[string]int64
	if err := json.Unmarshal(move.Details, &details); err != nil || details["from"] != fx.cat.ID || details["to"] != dest.ID {
		t.Errorf("move details %s (%v)", move.Details, err)
	}
	if move.ThreadID == nil || *move.ThreadID != th.ID || move.Target != "alice" {
		t.Errorf("move's thread %+v", move)
	}
}

func TestStaffEditOfSomeoneElsesPostIsLoggedButAnAuthorsOwnIsNot(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, op := fx.thread(t, fx.alice, fx.cat, "Typos", "teh text")
	if _, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), op.ID, forum.PostEdit{Body: "the text"}); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "log after the author's edit", fx.modActions(t), nil)

	reply := fx.reply(t, fx.bob, th.ID, "something rude")
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), reply.ID, forum.PostEdit{Body: "[removed by staff]"}); err != nil {
		t.Fatal(err)
	}
	// Saving the same text again changes nothing, so it is not logged either.
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), reply.ID, forum.PostEdit{Body: "[removed by staff]"}); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "log after staff's edit", fx.modActions(t), []string{"edit_post"})
	e := lastEntry(t, fx.logEntries(t), "edit_post")
	if e.Moderator != "molly" || e.Target != "bob" || e.PostID == nil || *e.PostID != reply.ID ||
		e.ThreadID == nil || *e.ThreadID != th.ID || e.Category.ID != fx.cat.ID {
		t.Errorf("edit entry %+v", e)
	}
}
