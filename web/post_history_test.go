package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

func TestHiddenPostsHistoryFollowsThePostsVisibility(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Hidden things", "opening")
	p := fx.reply(t, fx.bob, th.ID, "first words")
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), p.ID, forum.PostEdit{Body: "second words"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/p/"+itoa(p.ID)+"/hide", url.Values{"reason": {"off topic"}}), http.StatusSeeOther)
	history := "/p/" + itoa(p.ID) + "/history"

	// The author and staff read the post, so its history too, told that it is hidden.
	for name, v := range map[string]forum.Viewer{"author": fx.bob.Viewer(), "moderator": fx.mod.Viewer()} {
		rec := fx.get(t, v, history)
		wantCode(t, rec, http.StatusOK)
		d := doc(t, rec)
		if len(byTestID(d, "revision")) != 1 || !strings.Contains(text(one(t, d, "current-version")), "second words") ||
			!strings.Contains(text(one(t, d, "post-hidden")), "Hidden") {
			t.Errorf("%s's history of the hidden post: %s", name, rec.Body)
		}
	}
	// Everyone else gets what the thread page gives them: the post's place, a placeholder, and
	// none of its words, then or now. Never "deleted": it was not.
	for name, v := range map[string]forum.Viewer{"member": fx.alice.Viewer(), "guest": forum.Guest} {
		wantCode(t, fx.get(t, v, "/t/"+itoa(th.ID)), http.StatusOK)
		rec := fx.get(t, v, history)
		wantCode(t, rec, http.StatusOK)
		d := doc(t, rec)
		body := rec.Body.String()
		if text(one(t, d, "post-hidden")) != "This post was hidden by a moderator." || len(byTestID(d, "revision")) != 0 ||
			strings.Contains(body, "words") || strings.Contains(body, "deleted") {
			t.Errorf("%s's history of the hidden post: %s", name, body)
		}
	}

	// A deleted post is gone for members, and its history with it; staff still see both.
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/p/"+itoa(p.ID)+"/delete", nil), http.StatusSeeOther)
	wantCode(t, fx.get(t, fx.alice.Viewer(), history), http.StatusGone)
	rec := fx.get(t, fx.mod.Viewer(), history)
	wantCode(t, rec, http.StatusOK)
	one(t, doc(t, rec), "post-deleted")
}

// What a moderator's edit replaced is for staff and the author: everyone else is told it is kept,
// not shown it.
func TestWhatAModeratorsEditReplacedIsKeptFromThePublic(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Addresses", "opening")
	p := fx.reply(t, fx.bob, th.ID, "I live at 12 Secret Lane")
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), p.ID, forum.PostEdit{Body: "I live nearby"}); err != nil {
		t.Fatal(err)
	}
	history := "/p/" + itoa(p.ID) + "/history"
	for name, v := range map[string]forum.Viewer{"member": fx.alice.Viewer(), "guest": forum.Guest} {
		rec := fx.get(t, v, history)
		wantCode(t, rec, http.StatusOK)
		d := doc(t, rec)
		if strings.Contains(rec.Body.String(), "Secret Lane") || len(byTestID(d, "revision")) != 0 ||
			!strings.Contains(text(one(t, d, "revisions-staff-only")), "1 older version is kept") || len(byTestID(d, "no-revisions")) != 0 {
			t.Errorf("%s's history after a moderator's edit: %s", name, rec.Body)
		}
	}
	for name, v := range map[string]forum.Viewer{"author": fx.bob.Viewer(), "moderator": fx.mod.Viewer()} {
		rec := fx.get(t, v, history)
		if !strings.Contains(rec.Body.String(), "Secret Lane") || len(byTestID(doc(t, rec), "revisions-staff-only")) != 0 {
			t.Errorf("%s's history after a moderator's edit: %s", name, rec.Body)
		}
	}
}
