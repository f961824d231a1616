package forum_test

import (
	"slices"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func slugs(cs []forum.Category) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Slug)
	}
	return out
}

func TestCategoriesOrderAndReorder(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t) // has "general"
	b := fx.category(t, "b")
	c := fx.category(t, "cc")
	_, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "b_child", Title: "Child", ParentID: &b.ID})
	if err != nil {
		t.Fatal(err)
	}
	all, err := fx.f.LocalCategories(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := slugs(all); !slices.Equal(got, []string{"general", "b", "b_child", "cc"}) {
		t.Fatalf("order %v", got)
	}
	wantErr(t, "member reorders", fx.f.ReorderCategory(fx.ctx, fx.alice.Viewer(), c.ID, -1), forum.ErrForbidden)
	if err := fx.f.ReorderCategory(fx.ctx, fx.admin.Viewer(), c.ID, -1); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.ReorderCategory(fx.ctx, fx.admin.Viewer(), fx.cat.ID, -1); err != nil { // already first
		t.Fatal(err)
	}
	all, _ = fx.f.LocalCategories(fx.ctx)
	if got := slugs(all); !slices.Equal(got, []string{"general", "cc", "b", "b_child"}) {
		t.Fatalf("after moving cc up: %v", got)
	}
}

func TestUpdateCategory(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	parent := fx.category(t, "parent")
	kid, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "kid", Title: "Kid", ParentID: &parent.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fx.f.UpdateCategory(fx.ctx, fx.mod.Viewer(), fx.cat.ID, forum.CategoryEdit{Title: "x"})
	wantErr(t, "moderator edits", err, forum.ErrForbidden)
	_, err = fx.f.UpdateCategory(fx.ctx, fx.admin.Viewer(), fx.cat.ID, forum.CategoryEdit{Title: " "})
	wantInvalid(t, "blank title", err, "title")
	_, err = fx.f.UpdateCategory(fx.ctx, fx.admin.Viewer(), fx.cat.ID, forum.CategoryEdit{Title: "G", ParentID: &kid.ID})
	wantInvalid(t, "two levels", err, "parent")
	_, err = fx.f.UpdateCategory(fx.ctx, fx.admin.Viewer(), parent.ID, forum.CategoryEdit{Title: "P", ParentID: &fx.cat.ID})
	wantInvalid(t, "a parent becomes a child", err, "parent")
	_, err = fx.f.UpdateCategory(fx.ctx, fx.admin.Viewer(), fx.cat.ID, forum.CategoryEdit{Title: "G", ParentID: &fx.cat.ID})
	wantInvalid(t, "its own parent", err, "parent")

	got, err := fx.f.UpdateCategory(fx.ctx, fx.admin.Viewer(), fx.cat.ID, forum.CategoryEdit{
		Title: "General talk", Description: "Say hi", NoteMode: true, ParentID: &parent.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Slug != "general" || got.Title != "General talk" || !got.NoteMode || got.ParentID == nil || *got.ParentID != parent.ID {
		t.Fatalf("updated %+v", got)
	}
	actor, err := fx.f.ActorByID(fx.ctx, got.ActorID)
	if err != nil {
		t.Fatal(err)
	}
	if actor.DisplayName != "General talk" || actor.SummaryHTML != "<p>Say hi</p>" {
		t.Errorf("Group actor not updated: %q %q", actor.DisplayName, actor.SummaryHTML)
	}
	var verb forum.Verb
	if err := fx.pool.QueryRow(fx.ctx, `SELECT verb FROM activities WHERE target_actor_id = $1`, got.ActorID).Scan(&verb); err != nil || verb != forum.VerbUpdate {
		t.Errorf("no Update of the Group recorded: %v %v", verb, err)
	}
}
