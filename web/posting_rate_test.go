package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A member posting faster than the forum allows (here 3 a minute) gets their form back with their
// text and what to do (429, Retry-After), through the pages and the API alike; a refused post
// spends nothing; staff are not counted.
func TestMembersPostingTooFastAreAskedToWait(t *testing.T) {
	t.Parallel()
	fx := newWebFixtureWith(t, forum.Options{PostsPerMinute: 3})
	th, _ := fx.thread(t, fx.alice, "Planes", "Which plane first?") // alice's first post
	reply := func(v forum.Viewer, body string) *http.Response {
		t.Helper()
		return fx.post(t, v, threadPath(th.ID)+"/reply", url.Values{"body": {body}}).Result()
	}
	// A refused reply (empty) spends nothing of the budget.
	if res := reply(fx.alice.Viewer(), "  "); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an empty reply: %d", res.StatusCode)
	}
	for i, body := range []string{"second", "third"} {
		if res := reply(fx.alice.Viewer(), body); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("post %d of 3: %d", i+2, res.StatusCode)
		}
	}
	rec := fx.post(t, fx.alice.Viewer(), threadPath(th.ID)+"/reply", url.Values{"body": {"a fourth, too soon"}})
	wantCode(t, rec, http.StatusTooManyRequests)
	d := doc(t, rec)
	if got := text(one(t, d, "body-input")); got != "a fourth, too soon" {
		t.Errorf("the text was lost: %q", got)
	}
	if got := text(one(t, d, "form-errors")); !strings.Contains(got, "Wait a minute") || rec.Header().Get("Retry-After") == "" {
		t.Errorf("what to do: %q, Retry-After %q", got, rec.Header().Get("Retry-After"))
	}
	api := fx.api(t, fx.alice.Viewer(), http.MethodPost, "/api/v1/threads/"+itoa(th.ID)+"/posts", `{"body":"by the API"}`)
	if api.Code != http.StatusTooManyRequests || !strings.Contains(api.Body.String(), `"rate_limited"`) {
		t.Errorf("the API: %d %s", api.Code, api.Body.String())
	}
	// The budget is per minute: a bot told when to try again need not guess or hammer.
	if got := api.Header().Get("Retry-After"); got != "60" {
		t.Errorf("the API's 429: Retry-After %q, want 60", got)
	}
	if new := fx.post(t, fx.alice.Viewer(), "/c/general/new", url.Values{"title": {"Another"}, "body": {"thread"}}); new.Code != http.StatusTooManyRequests {
		t.Errorf("a new thread too soon: %d", new.Code)
	}
	// Another member, and staff, post as usual.
	if res := reply(fx.bob.Viewer(), "bob's reply"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another member: %d", res.StatusCode)
	}
	for i := range 5 {
		if res := reply(fx.mod.Viewer(), "moderator "+itoa(int64(i))); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("moderator's post %d: %d", i+1, res.StatusCode)
		}
	}
}
