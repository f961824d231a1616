package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// /u/{name} and /u/{name}/posts show a guest or member nothing from a category they may not see;
// a moderator, who may, sees it there too.
func TestMemberPageLeavesOutCategoriesTheViewerMayNotSee(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	staff, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "mods", Title: "Mods only"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, staff.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	fx.thread(t, fx.mod, "Open thread", "open words")
	if _, _, err := fx.f.CreateThread(fx.ctx, fx.mod.Viewer(), forum.NewThread{CategoryID: staff.ID, Title: "Secret plans", Body: "secret words"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/u/molly", "/u/molly/posts"} {
		for name, v := range map[string]forum.Viewer{"guest": forum.Guest, "member": fx.alice.Viewer()} {
			rec := fx.get(t, v, path)
			wantCode(t, rec, http.StatusOK)
			body := rec.Body.String()
			if !strings.Contains(body, "Open thread") {
				t.Errorf("%s on %s: the public thread is missing", name, path)
			}
			if strings.Contains(body, "Secret plans") || strings.Contains(body, "secret words") || strings.Contains(body, "Mods only") {
				t.Errorf("%s on %s sees the moderators' category", name, path)
			}
		}
		rec := fx.get(t, fx.mod.Viewer(), path)
		wantCode(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "Secret plans") {
			t.Errorf("moderator on %s does not see the thread they may read", path)
		}
	}
	// The post count counts what the viewer may see, as the lists do.
	for v, want := range map[forum.Viewer]string{forum.Guest: "1", fx.alice.Viewer(): "1", fx.mod.Viewer(): "2"} {
		if body := fx.get(t, v, "/u/molly").Body.String(); !strings.Contains(body, `data-testid="member-post-count">`+want+`<`) {
			t.Errorf("%s sees the post count of molly as other than %s", v.Role, want)
		}
	}
}
