package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

func TestNewThreadFlowWithoutJavaScript(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	// A guest asking for the form is sent to sign in and brought back; a guest's post is refused.
	guest := fx.get(t, forum.Guest, "/c/general/new")
	wantCode(t, guest, http.StatusSeeOther)
	if loc := guest.Header().Get("Location"); loc != "/login?next=%2Fc%2Fgeneral%2Fnew" {
		t.Errorf("guest sent to %q, want the sign-in page coming back to the form", loc)
	}
	wantCode(t, fx.post(t, forum.Guest, "/c/general/new", url.Values{"title": {"t"}, "body": {"b"}}), http.StatusUnauthorized)
	d := doc(t, fx.get(t, fx.alice.Viewer(), "/c/general/new"))
	one(t, d, "title-input")
	one(t, d, "preview-button")

	// Preview: the form comes back with the text and its rendering; nothing is stored.
	rec := fx.post(t, fx.alice.Viewer(), "/c/general/new", url.Values{"title": {"My title"}, "body": {"Some *words*"}, "preview": {"1"}})
	wantCode(t, rec, http.StatusOK)
	d = doc(t, rec)
	if got := attr(one(t, d, "title-input"), "value"); got != "My title" {
		t.Errorf("title after preview %q", got)
	}
	if got := text(one(t, d, "body-input")); got != "Some *words*" {
		t.Errorf("body after preview %q", got)
	}
	if !strings.Contains(rec.Body.String(), "Some <em>words</em>") {
		t.Error("preview not rendered")
	}

	// Refused: 422, the errors named, the text kept.
	rec = fx.post(t, fx.alice.Viewer(), "/c/general/new", url.Values{"title": {"  "}, "body": {"kept text"}})
	wantCode(t, rec, http.StatusUnprocessableEntity)
	d = doc(t, rec)
	if got := text(one(t, d, "form-errors")); !strings.Contains(got, "Title") {
		t.Errorf("errors %q", got)
	}
	// The field says what is wrong with it, and points to that message.
	if got := text(one(t, d, "problem-title")); got == "" || attr(one(t, d, "title-input"), "aria-describedby") != "title-problem" {
		t.Errorf("the title's own message %q, described by %q", got, attr(one(t, d, "title-input"), "aria-describedby"))
	}
	if got := text(one(t, d, "body-input")); got != "kept text" {
		t.Errorf("body lost: %q", got)
	}
	if attr(one(t, d, "title-input"), "aria-invalid") != "true" {
		t.Error("the bad field is not marked invalid")
	}
	var n int
	if err := fx.pool.QueryRow(fx.ctx, "SELECT count(*) FROM threads").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d threads after preview and refusal", n)
	}

	rec = fx.post(t, fx.alice.Viewer(), "/c/general/new", url.Values{"title": {"My title"}, "body": {"Some *words*"}})
	wantCode(t, rec, http.StatusSeeOther)
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, "/t/") {
		t.Fatalf("redirect to %q", loc)
	}
	if got := text(one(t, doc(t, fx.get(t, forum.Guest, loc)), "thread-title")); got != "My title" {
		t.Fatalf("created thread title %q", got)
	}
}

func TestReplyWithQuoteAndInReplyTo(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "Quotable", "wise words")
	rec := fx.get(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply?quote="+itoa(opener.ID))
	wantCode(t, rec, http.StatusOK)
	d := doc(t, rec)
	quote := text(one(t, d, "body-input"))
	if !strings.HasPrefix(quote, "> [@alice wrote](/p/"+itoa(opener.ID)+"):") || !strings.Contains(quote, "> wise words") {
		t.Fatalf("quote %q", quote)
	}
	rec = fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", url.Values{"body": {"> wise words\n\nIndeed."}, "in_reply_to": {itoa(opener.ID)}})
	wantCode(t, rec, http.StatusSeeOther)
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, "/t/"+itoa(th.ID)+"#p") {
		t.Fatalf("redirect %q", loc)
	}
	page, err := fx.f.ThreadPageOf(fx.ctx, forum.Guest, th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := page.Posts[1]
	if r.InReplyToID == nil || *r.InReplyToID != opener.ID || !strings.Contains(r.HTML, "<blockquote>") {
		t.Fatalf("reply %+v", r)
	}
	rec = fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", url.Values{"body": {""}})
	wantCode(t, rec, http.StatusUnprocessableEntity)
	one(t, doc(t, rec), "form-errors")
}

func TestEditAndHistoryPages(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "Draft title", "draft one")
	wantCode(t, fx.get(t, fx.bob.Viewer(), "/p/"+itoa(opener.ID)+"/edit"), http.StatusForbidden)
	d := doc(t, fx.get(t, fx.alice.Viewer(), "/p/"+itoa(opener.ID)+"/edit"))
	if got := text(one(t, d, "body-input")); got != "draft one" {
		t.Errorf("edit form body %q", got)
	}
	if got := attr(one(t, d, "title-input"), "value"); got != "Draft title" {
		t.Errorf("edit form title %q", got)
	}
	rec := fx.post(t, fx.alice.Viewer(), "/p/"+itoa(opener.ID)+"/edit", url.Values{"title": {"Final title"}, "body": {"final text"}})
	wantCode(t, rec, http.StatusSeeOther)
	d = doc(t, fx.get(t, forum.Guest, "/t/"+itoa(th.ID)))
	if text(one(t, d, "thread-title")) != "Final title" {
		t.Error("title not changed")
	}
	one(t, d, "edited")
	d = doc(t, fx.get(t, forum.Guest, "/p/"+itoa(opener.ID)+"/history"))
	revs := byTestID(d, "revision")
	if len(revs) != 1 || !strings.Contains(text(revs[0]), "draft one") || !strings.Contains(text(revs[0]), "Draft title") {
		t.Fatalf("history: %d revisions", len(revs))
	}
	if !strings.Contains(text(one(t, d, "current-version")), "final text") {
		t.Error("history lacks the current version")
	}
}

func TestLikeByFormAndByScript(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	_, opener := fx.thread(t, fx.alice, "Like me", "b")
	rec := fx.post(t, fx.bob.Viewer(), "/p/"+itoa(opener.ID)+"/like", nil)
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/p/"+itoa(opener.ID) {
		t.Errorf("redirect %q", loc)
	}
	rec = fx.do(t, fx.mod.Viewer(), http.MethodPost, "/p/"+itoa(opener.ID)+"/like", nil, "Accept", "application/json")
	wantCode(t, rec, http.StatusOK)
	var state likeState
	if err := json.Unmarshal(rec.Body.Bytes(), &state); err != nil || !state.Liked || state.LikeCount != 2 {
		t.Fatalf("like state %+v (%v): %s", state, err, rec.Body)
	}
	rec = fx.do(t, fx.mod.Viewer(), http.MethodPost, "/p/"+itoa(opener.ID)+"/unlike", nil, "Accept", "application/json")
	if err := json.Unmarshal(rec.Body.Bytes(), &state); err != nil || state.Liked || state.LikeCount != 1 {
		t.Fatalf("unlike state %+v (%v)", state, err)
	}
	rec = fx.do(t, fx.alice.Viewer(), http.MethodPost, "/p/"+itoa(opener.ID)+"/like", nil, "Accept", "application/json")
	wantCode(t, rec, http.StatusForbidden)
	if !strings.Contains(rec.Body.String(), `"code":"forbidden"`) {
		t.Errorf("self-like error body %s", rec.Body)
	}
}

func TestModeratorActionsOnPostsAndThreads(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Misplaced", "b")
	r := fx.reply(t, fx.bob, th.ID, "rude")
	dest, err := fx.f.CreateCategory(fx.ctx, fx.admin.Viewer(), forum.NewCategory{Slug: "elsewhere", Title: "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/p/"+itoa(r.ID)+"/hide", nil), http.StatusForbidden)
	rec := fx.post(t, fx.mod.Viewer(), "/p/"+itoa(r.ID)+"/hide", url.Values{"reason": {"rude"}})
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/t/"+itoa(th.ID)+"#p"+itoa(r.ID) {
		t.Errorf("redirect %q", loc)
	}
	one(t, doc(t, fx.get(t, fx.alice.Viewer(), "/t/"+itoa(th.ID))), "post-hidden")

	for _, action := range []string{"pin", "unpin", "hide", "unhide"} {
		wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/"+action, nil), http.StatusSeeOther)
	}
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/move", url.Values{"category": {"x"}}), http.StatusUnprocessableEntity)
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/move", url.Values{"category": {itoa(dest.ID)}}), http.StatusSeeOther)
	tv, err := fx.f.ThreadByID(fx.ctx, forum.Guest, th.ID)
	if err != nil || tv.CategoryID != dest.ID || tv.Pinned() || tv.HiddenAt != nil {
		t.Fatalf("thread after actions: %+v (%v)", tv.Thread, err)
	}
	// The author deletes their own post; it stays in place as deleted.
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/p/"+itoa(r.ID)+"/delete", nil), http.StatusSeeOther)
	one(t, doc(t, fx.get(t, fx.alice.Viewer(), "/t/"+itoa(th.ID))), "post-deleted")
	staffView := doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)))
	deleted := byTestID(staffView, "post")[1]
	one(t, deleted, "post-deleted")
	if len(byTestID(deleted, "quote")) != 0 || len(byTestID(deleted, "edit")) != 0 || len(byTestID(deleted, "like-count")) != 0 {
		t.Error("a deleted post offers quote, edit or likes to staff")
	}
}

func TestPreviewEndpointForScripts(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	wantCode(t, fx.post(t, forum.Guest, "/preview", url.Values{"body": {"x"}}), http.StatusUnauthorized)
	rec := fx.post(t, fx.alice.Viewer(), "/preview", url.Values{"body": {"**hi** <script>x</script>"}})
	wantCode(t, rec, http.StatusOK)
	if got := rec.Body.String(); !strings.Contains(got, "<strong>hi</strong>") || strings.Contains(got, "<script") {
		t.Fatalf("preview %q", got)
	}
}

func TestAdminCategoryPages(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	wantCode(t, fx.get(t, fx.mod.Viewer(), "/admin/categories"), http.StatusForbidden)
	wantCode(t, fx.get(t, forum.Guest, "/admin/categories"), http.StatusSeeOther) // to sign in
	one(t, doc(t, fx.get(t, fx.admin.Viewer(), "/admin/categories")), "admin-category-general")

	rec := fx.post(t, fx.admin.Viewer(), "/admin/categories", url.Values{"slug": {"bad slug"}, "title": {"Bad"}})
	wantCode(t, rec, http.StatusUnprocessableEntity)
	d := doc(t, rec)
	if !strings.Contains(text(one(t, d, "form-errors")), "Handle") || attr(one(t, d, "slug-input"), "value") != "bad slug" {
		t.Fatal("refused category form lost its input or its error")
	}
	rec = fx.post(t, fx.admin.Viewer(), "/admin/categories", url.Values{"slug": {"News"}, "title": {"News"}, "parent": {itoa(fx.cat.ID)}})
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/admin/categories/news" {
		t.Fatalf("redirect %q", loc)
	}
	news, err := fx.f.CategoryBySlug(fx.ctx, "news")
	if err != nil || news.ParentID == nil || *news.ParentID != fx.cat.ID {
		t.Fatalf("created %+v (%v)", news, err)
	}

	// The grid: members read only; guests see nothing.
	d = doc(t, fx.get(t, fx.admin.Viewer(), "/admin/categories/news"))
	if !hasAttr(one(t, d, "see-guest"), "checked") || hasAttr(one(t, d, "start-guest"), "checked") {
		t.Error("default grid does not show guests may see")
	}
	if !hasAttr(one(t, d, "reply-guest"), "disabled") {
		t.Error("guests' reply box is not disabled")
	}
	if !strings.Contains(text(one(t, d, "parent-limits")), "may not see General may not see this one either") {
		t.Error("a sub-category's grid does not say its parent's limits apply")
	}
	if len(byTestID(doc(t, fx.get(t, fx.admin.Viewer(), "/admin/categories/general")), "parent-limits")) != 0 {
		t.Error("a top-level category's grid speaks of a parent")
	}
	rec = fx.post(t, fx.admin.Viewer(), "/admin/categories/news/permissions", url.Values{"see_member": {"1"}, "see_moderator": {"1"},
		"start_moderator": {"1"}, "reply_moderator": {"1"}})
	wantCode(t, rec, http.StatusSeeOther)
	wantCode(t, fx.get(t, forum.Guest, "/c/news"), http.StatusNotFound)
	d = doc(t, fx.get(t, fx.alice.Viewer(), "/c/news"))
	if len(byTestID(d, "new-thread")) != 0 {
		t.Error("member may start threads in a read-only category")
	}
	rec = fx.post(t, fx.admin.Viewer(), "/admin/categories/news/permissions", url.Values{"reply_member": {"1"}})
	wantCode(t, rec, http.StatusUnprocessableEntity)
	one(t, doc(t, rec), "grid-errors")

	// Edit and reorder.
	rec = fx.post(t, fx.admin.Viewer(), "/admin/categories/news", url.Values{"title": {"Announcements"}, "description": {"d"}})
	wantCode(t, rec, http.StatusSeeOther)
	if c, _ := fx.f.CategoryBySlug(fx.ctx, "news"); c.Title != "Announcements" || c.ParentID != nil {
		t.Fatalf("edited %+v", c)
	}
	wantCode(t, fx.post(t, fx.admin.Viewer(), "/admin/categories/news/move", url.Values{"direction": {"up"}}), http.StatusSeeOther)
	cats, _ := fx.f.LocalCategories(fx.ctx)
	if cats[0].Slug != "news" {
		t.Fatalf("after moving news up: %s first", cats[0].Slug)
	}
}

// A reply as long as a post may be, in characters of four UTF-8 bytes, is taken as the browser sends
// it (each byte percent-encoded: twelve bytes a character), as the API takes it; a form whose body
// cannot be read as one (a bad percent escape) is the client's error, 400, on every form.
func TestFormsTakeLongNonLatinTextAndRefuseBrokenBodies(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Long", "opener")
	long := strings.Repeat("\U0001F332", forum.MaxBodyLen) // 4 bytes each, 12 percent-encoded
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", url.Values{"body": {long}}), http.StatusSeeOther)
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/c/general/new", url.Values{"title": {"Trees"}, "body": {long}}), http.StatusSeeOther)

	for _, path := range []string{"/t/" + itoa(th.ID) + "/reply", "/c/general/new", "/settings/profile", "/login"} {
		rec := fx.do(t, fx.bob.Viewer(), http.MethodPost, path, strings.NewReader("body=a%ZZ"),
			"Content-Type", "application/x-www-form-urlencoded")
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s with a broken escape: %d, want 400", path, rec.Code)
		}
		rec = fx.do(t, fx.bob.Viewer(), http.MethodPost, path, strings.NewReader("--b\r\nno end"),
			"Content-Type", "multipart/form-data; boundary=b")
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s with a broken multipart body: %d, want 400", path, rec.Code)
		}
	}
}

// A form sent as multipart/form-data (a page script's FormData, curl -F) is read like the
// url-encoded one the forum's pages send: it was read as empty, and a reply came back "empty".
func TestAMultipartFormIsReadLikeAnUrlEncodedOne(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Multipart", "opener")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("body", "a reply sent as multipart"); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	rec := fx.do(t, fx.bob.Viewer(), http.MethodPost, "/t/"+itoa(th.ID)+"/reply", &body, "Content-Type", mw.FormDataContentType())
	wantCode(t, rec, http.StatusSeeOther)
	page := fx.get(t, fx.bob.Viewer(), "/t/"+itoa(th.ID))
	if !strings.Contains(page.Body.String(), "a reply sent as multipart") {
		t.Fatal("the multipart reply is not on the thread page")
	}
}

// A hidden post, shown to its author and staff, offers no Quote, Reply or Like (each was refused),
// and a reply to a post hidden while it was being written comes back without the reference, so
// that sending it again posts it: it kept the reference and was refused however often it was sent.
func TestAHiddenPostIsNotAnsweredOrLiked(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Hidden answers", "opener")
	hidden, err := fx.f.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "soon hidden"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]forum.Viewer{"its author": fx.alice.Viewer(), "a moderator": fx.mod.Viewer()} {
		item := findAttr(doc(t, fx.get(t, v, "/t/"+itoa(th.ID))), "id", "p"+itoa(hidden.ID))
		if item == nil {
			t.Fatalf("%s does not see the hidden post", name)
		}
		for _, control := range []string{"quote", "reply-to", "like-button"} {
			if len(byTestID(item, control)) != 0 {
				t.Errorf("%s is offered %s on the hidden post", name, control)
			}
		}
	}
	wantCode(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/reply?quote="+itoa(hidden.ID)), http.StatusNotFound)
	form := url.Values{"body": {"an answer to a post hidden meanwhile"}, "in_reply_to": {itoa(hidden.ID)}}
	rec := fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", form)
	wantCode(t, rec, http.StatusUnprocessableEntity)
	kept := findAttr(doc(t, rec), "name", "in_reply_to")
	if kept != nil && attr(kept, "value") != "" {
		t.Fatalf("the form came back still answering the hidden post (%q)", attr(kept, "value"))
	}
	form.Del("in_reply_to")
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", form), http.StatusSeeOther)
}
