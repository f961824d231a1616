package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// Looking up a handle of this server (the API's lookup, the lookup box) finds a category or
// thread only for a viewer who may see it: to anyone else it is as unknown as a handle nobody has,
// so its name and description do not leak.
func TestLookupOfALocalHandleHidesWhatTheViewerMayNotSee(t *testing.T) {
	t.Parallel()
	fx := newRemoteFixture(t)
	staff, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "mods", Title: "Mods only", Description: "Where bans are argued"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, staff.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	th, _, err := fx.f.CreateThread(fx.ctx, fx.mod.Viewer(), forum.NewThread{CategoryID: staff.ID, Title: "Secret plans", Body: "shh"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EnsureThreadActor(fx.ctx, th.ID); err != nil { // as a past lookup by a moderator would have
		t.Fatal(err)
	}
	alice := fx.alice.Viewer()
	for _, q := range []string{"@mods@forum.example", "@" + forum.ThreadActorUsername(th.ID) + "@forum.example"} {
		rec := fx.api(t, alice, "GET", "/api/v1/lookup?q="+url.QueryEscape(q), "")
		wantAPIError(t, rec, http.StatusNotFound, "not_found")
		if body := rec.Body.String(); strings.Contains(body, "Mods only") || strings.Contains(body, "bans") || strings.Contains(body, "Secret") {
			t.Errorf("lookup of %s by a member tells %s", q, body)
		}
		// The lookup box answers as for a handle nobody has: no redirect to the page.
		rec = fx.post(t, alice, "/remote", url.Values{"q": {q}})
		wantCode(t, rec, http.StatusNotFound)
		// A moderator may see both.
		wantCode(t, fx.api(t, fx.mod.Viewer(), "GET", "/api/v1/lookup?q="+url.QueryEscape(q), ""), http.StatusOK)
	}
	// A public category is found as before, with its slug to read its threads by; a thread's
	// actor is a service, as the docs say.
	general := decode(t, fx.api(t, alice, "GET", "/api/v1/lookup?q="+url.QueryEscape("@general@forum.example"), "")).(map[string]any)
	if general["kind"] != "group" || general["category"] != "general" || general["local"] != true {
		t.Errorf("lookup of the local category: %v", general)
	}
	open, _, err := fx.f.CreateThread(fx.ctx, fx.alice.Viewer(), forum.NewThread{CategoryID: fx.cat.ID, Title: "Open", Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EnsureThreadActor(fx.ctx, open.ID); err != nil { // federation's resolver makes it; this stub does not
		t.Fatal(err)
	}
	q := "@" + forum.ThreadActorUsername(open.ID) + "@forum.example"
	// Its summary is its document's, which names the thread (the actor row keeps none).
	if thread := decode(t, fx.api(t, alice, "GET", "/api/v1/lookup?q="+url.QueryEscape(q), "")).(map[string]any); thread["kind"] != "service" ||
		thread["category"] != nil || thread["summary_html"] != "<p>The thread “Open” in General. Follow it to receive its replies.</p>" {
		t.Errorf("lookup of a local thread's actor: %v", thread)
	}
}
