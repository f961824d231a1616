package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A category made private stops showing to guests (and members) at once, though its pages were
// kept in the guests' cache a moment before: no kept copy outlives the permission change.
func TestACategoryMadePrivateLeavesThePageCaches(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	th, _ := fx.thread(t, fx.alice, "Soon private", "words about to be hidden")
	paths := []string{"/t/" + itoa(th.ID), "/c/general", "/latest", "/api/v1/threads/" + itoa(th.ID),
		"/api/v1/categories/general/threads", "/c/general/feed", "/t/" + itoa(th.ID) + "/feed", "/api/v1/latest"}
	viewers := map[string]forum.Viewer{"guest": forum.Guest, "member": fx.bob.Viewer()}
	for _, p := range paths {
		waitFor(t, p+" kept", func() bool {
			rec := fx.get(t, forum.Guest, p)
			return rec.Code == http.StatusOK && cacheState(rec) == "hit"
		})
		wantCode(t, fx.get(t, fx.bob.Viewer(), p), http.StatusOK)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, fx.cat.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	for name, v := range viewers {
		for _, p := range paths {
			rec := fx.get(t, v, p)
			if strings.Contains(rec.Body.String(), "Soon private") || strings.Contains(rec.Body.String(), "about to be hidden") {
				t.Errorf("%s: %s still shows the private thread (%d, cache %q)", name, p, rec.Code, cacheState(rec))
			}
		}
	}
}
