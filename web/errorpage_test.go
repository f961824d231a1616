package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

func TestErrorPageNamesEachProblemOnceForPeople(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Lost", "b")
	if _, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), forum.NewReport{Account: "bob", Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	reports, _, err := fx.f.OpenReports(fx.ctx, fx.mod.Viewer(), 0, 0)
	if err != nil || len(reports) != 1 {
		t.Fatalf("reports %v (%v)", reports, err)
	}
	for _, c := range []struct {
		what, path string
		form       url.Values
		want       string
	}{
		{"move to a missing category", "/t/" + itoa(th.ID) + "/move", url.Values{"category": {"987654"}}, "Category: does not exist"},
		{"ban for no known length", "/admin/reports/" + itoa(reports[0].ID), url.Values{"action": {"ban_member"}, "ban_for": {"forever-ish"}},
			"Ban length: choose how long the ban lasts"},
		{"unban of a member not banned", "/admin/members/bob/unban", nil, "Member: is not banned"},
	} {
		rec := fx.post(t, fx.mod.Viewer(), c.path, c.form)
		wantCode(t, rec, http.StatusUnprocessableEntity)
		page := one(t, doc(t, rec), "error")
		problems := byTestID(page, "error-problems")
		if len(problems) != 1 || strings.TrimSpace(text(problems[0])) != c.want {
			t.Errorf("%s: problems %q, want %q", c.what, text(page), c.want)
		}
		// The message's words (after the field) appear once on the page, not in the heading too.
		msg := c.want[strings.Index(c.want, ": ")+2:]
		if n := strings.Count(text(page), msg); n != 1 {
			t.Errorf("%s: %q appears %d times in %q", c.what, msg, n, text(page))
		}
	}
}
