package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"golang.org/x/net/html"
)

func TestHomeListsTheCategoriesTheViewerMaySee(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	team, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "team", Title: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), team.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	rec := fx.get(t, forum.Guest, "/")
	wantCode(t, rec, http.StatusOK)
	d := doc(t, rec)
	if got := text(one(t, d, "category-general")); !strings.Contains(got, "General") || !strings.Contains(got, "Talk") {
		t.Errorf("general row: %q", got)
	}
	if len(byTestID(d, "category-team")) != 0 {
		t.Error("guest sees the team category")
	}
	one(t, doc(t, fx.get(t, fx.mod.Viewer(), "/")), "category-team")
	wantCode(t, fx.get(t, forum.Guest, "/c/team"), http.StatusNotFound)
	if h := rec.Header().Get("Content-Security-Policy"); !strings.Contains(h, "script-src 'self'") {
		t.Errorf("CSP %q", h)
	}
}

func TestCategoryPageListsThreadsAndPagesWithACursor(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	var first forum.Thread
	for i := 0; i < forum.ThreadsPerPage+2; i++ {
		th, _ := fx.thread(t, fx.alice, "Thread "+strconv.Itoa(i), "body")
		if i == 0 {
			first = th
		}
	}
	if err := fx.f.PinThread(fx.ctx, fx.mod.Viewer(), first.ID, true); err != nil {
		t.Fatal(err)
	}
	rec := fx.get(t, forum.Guest, "/c/general")
	wantCode(t, rec, http.StatusOK)
	d := doc(t, rec)
	rows := byTestID(d, "thread-row")
	if len(rows) != forum.ThreadsPerPage+1 || attr(rows[0], "data-thread-id") != itoa(first.ID) {
		t.Fatalf("%d rows, first %s; want %d with the pinned thread first", len(rows), attr(rows[0], "data-thread-id"), forum.ThreadsPerPage+1)
	}
	one(t, rows[0], "badge-pinned")
	if author, byline := text(one(t, rows[0], "thread-author")), findAttr(rows[0], "class", "byline"); byline == nil || text(byline) != "by "+author {
		t.Errorf("the byline runs its words together: %q", text(rows[0]))
	}
	if len(byTestID(d, "new-thread")) != 0 {
		t.Error("guest is offered a new-thread button")
	}
	if got := text(one(t, d, "category-handle")); got != "@general@forum.example" {
		t.Errorf("handle %q", got)
	}
	more := attr(one(t, d, "more-threads"), "href")
	if !strings.HasPrefix(more, "/c/general?cursor=") {
		t.Fatalf("more link %q", more)
	}
	rec = fx.get(t, forum.Guest, more)
	wantCode(t, rec, http.StatusOK)
	d = doc(t, rec)
	if rows := byTestID(d, "thread-row"); len(rows) != 1 {
		t.Fatalf("second page has %d rows, want 1", len(rows))
	}
	if len(byTestID(d, "more-threads")) != 0 {
		t.Error("last page offers more")
	}
	one(t, doc(t, fx.get(t, fx.alice.Viewer(), "/c/general")), "new-thread")
	wantCode(t, fx.get(t, forum.Guest, "/c/general?cursor=garbage"), http.StatusUnprocessableEntity)
	wantCode(t, fx.get(t, forum.Guest, "/c/nowhere"), http.StatusNotFound)
}

func TestLatestPage(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.thread(t, fx.alice, "Older", "b")
	newer, _ := fx.thread(t, fx.bob, "Newer", "b")
	d := doc(t, fx.get(t, forum.Guest, "/latest"))
	rows := byTestID(d, "thread-row")
	if len(rows) != 2 || attr(rows[0], "data-thread-id") != itoa(newer.ID) || !strings.Contains(text(rows[0]), "in General") {
		t.Fatalf("latest rows: %d, first %q", len(rows), text(rows[0]))
	}
}

func TestThreadPageShowsPostsAndTheRightTools(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "A <b>bold</b> title", "Hello <script>alert(1)</script> **world**")
	r := fx.reply(t, fx.bob, th.ID, "Nice")
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), r.ID, forum.PostEdit{Body: "Nice!"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}

	rec := fx.get(t, fx.bob.Viewer(), "/t/"+itoa(th.ID))
	wantCode(t, rec, http.StatusOK)
	body := rec.Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>bold</b>") {
		t.Fatal("user content reached the page as markup")
	}
	d := doc(t, rec)
	if got := text(one(t, d, "thread-title")); got != "A <b>bold</b> title" {
		t.Errorf("title %q", got)
	}
	posts := byTestID(d, "post")
	if len(posts) != 2 || attr(posts[0], "id") != "p"+itoa(opener.ID) {
		t.Fatalf("%d posts", len(posts))
	}
	if got := text(one(t, posts[0], "post-body")); !strings.Contains(got, "world") {
		t.Errorf("opener body %q", got)
	}
	like := one(t, posts[0], "like-button")
	if attr(like, "aria-pressed") != "true" || text(one(t, posts[0], "like-count")) != "1" {
		t.Errorf("bob's like state: pressed=%s count=%s", attr(like, "aria-pressed"), text(one(t, posts[0], "like-count")))
	}
	// Bob's own reply: no like button for him, but edit and delete; marked edited.
	if len(byTestID(posts[1], "like-button")) != 0 || len(byTestID(posts[1], "edit")) != 1 || len(byTestID(posts[1], "delete")) != 1 {
		t.Error("wrong tools on bob's own post")
	}
	one(t, posts[1], "edited")
	if len(byTestID(posts[0], "edit")) != 0 {
		t.Error("bob may edit alice's post")
	}
	if len(byTestID(d, "mod-tools")) != 0 {
		t.Error("member sees moderator tools")
	}
	one(t, d, "thread-handle")
	one(t, one(t, d, "reply-box"), "composer")

	// Moderators get the tools; guests get no buttons and a sign-in link.
	one(t, doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID))), "mod-tools")
	gd := doc(t, fx.get(t, forum.Guest, "/t/"+itoa(th.ID)))
	if len(byTestID(gd, "like-button")) != 0 || len(byTestID(gd, "quote")) != 0 || len(byTestID(gd, "composer")) != 0 {
		t.Error("guest offered actions")
	}

	wantCode(t, fx.get(t, forum.Guest, "/t/999999"), http.StatusNotFound)
	wantCode(t, fx.get(t, forum.Guest, "/t/abc"), http.StatusNotFound)
	wantCode(t, fx.get(t, forum.Guest, "/t/"+itoa(th.ID)+"?page=2"), http.StatusNotFound)
	wantCode(t, fx.get(t, forum.Guest, "/t/"+itoa(th.ID)+"?page=71582789"), http.StatusNotFound) // past int4 positions: was a 500
	wantCode(t, fx.get(t, forum.Guest, "/t/"+itoa(th.ID)+"?page=9223372036854775807"), http.StatusNotFound)
}

func TestLockedAndDeletedThreads(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "Closing soon", "b")
	wantCode(t, fx.post(t, fx.alice.Viewer(), "/t/"+itoa(th.ID)+"/lock", nil), http.StatusForbidden)
	rec := fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/lock", nil)
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/t/"+itoa(th.ID) {
		t.Errorf("redirect to %q", loc)
	}
	d := doc(t, fx.get(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)))
	one(t, d, "badge-locked")
	one(t, d, "locked-notice")
	if len(byTestID(d, "lock-reason")) != 0 {
		t.Error("a lock given without a reason shows one")
	}
	// Locked again with a reason, the notice gives it: the moderator's form calls it public.
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/unlock", nil), http.StatusSeeOther)
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/lock", url.Values{"reason": {"Discussion concluded"}}), http.StatusSeeOther)
	d = doc(t, fx.get(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)))
	if got := text(one(t, d, "lock-reason")); !strings.Contains(got, "Discussion concluded") {
		t.Errorf("the lock's reason reads %q", got)
	}
	if len(byTestID(d, "quote")) != 0 {
		t.Error("quote offered in a locked thread")
	}
	wantCode(t, fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", url.Values{"body": {"x"}}), http.StatusConflict)

	wantCode(t, fx.post(t, fx.mod.Viewer(), "/p/"+itoa(opener.ID)+"/delete", url.Values{"reason": {"spam"}}), http.StatusSeeOther)
	wantCode(t, fx.get(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)), http.StatusGone)
	staffView := doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)))
	one(t, staffView, "badge-deleted")
	if len(byTestID(staffView, "mod-tools")) != 0 {
		t.Error("a deleted thread offers moderation tools (the server refuses them)")
	}
}

// Links to a post, a reply made through the page and the API's batches follow the forum's page
// size, the default one and one of the site's own.
func TestPostLinksRedirectToTheirPage(t *testing.T) {
	t.Parallel()
	for _, perPage := range []int{forum.DefaultPostsPerPage, 10} {
		t.Run(strconv.Itoa(perPage)+" a page", func(t *testing.T) {
			t.Parallel()
			fx := newWebFixtureWith(t, forum.Options{PostsPerPage: perPage})
			th, _ := fx.thread(t, fx.alice, "Long", "1")
			var last forum.Post
			for i := 2; i <= perPage+1; i++ {
				last = fx.reply(t, fx.bob, th.ID, "reply "+strconv.Itoa(i))
			}
			rec := fx.get(t, forum.Guest, "/p/"+itoa(last.ID))
			wantCode(t, rec, http.StatusSeeOther)
			want := "/t/" + itoa(th.ID) + "?page=2#p" + itoa(last.ID)
			if got := rec.Header().Get("Location"); got != want {
				t.Fatalf("redirect %q, want %q", got, want)
			}
			page2 := fx.get(t, forum.Guest, "/t/"+itoa(th.ID)+"?page=2")
			d := doc(t, page2)
			if posts := byTestID(d, "post"); len(posts) != 1 || attr(posts[0], "id") != "p"+itoa(last.ID) {
				t.Fatalf("page 2 has %d posts", len(posts))
			}
			if !strings.Contains(page2.Body.String(), "<title>"+th.Title+" · page 2 · ") {
				t.Fatalf("page 2's title does not say which page it is: %.400s", page2.Body.String())
			}
			if posts := byTestID(doc(t, fx.get(t, forum.Guest, "/t/"+itoa(th.ID))), "post"); len(posts) != perPage {
				t.Fatalf("page 1 has %d posts, want %d", len(posts), perPage)
			}
			pagers := byTestID(d, "pager")
			if len(pagers) != 2 {
				t.Fatalf("%d pagers, want one above and one below the posts", len(pagers))
			}
			if cur := findAttr(pagers[0], "aria-current", "page"); cur == nil || text(cur) != "2" || attr(cur, "href") != "/t/"+itoa(th.ID)+"?page=2" {
				t.Fatalf("pager does not mark page 2 as current: %q", text(pagers[0]))
			}
			wantCode(t, fx.get(t, forum.Guest, "/p/424242"), http.StatusNotFound)

			rec = fx.post(t, fx.bob.Viewer(), "/t/"+itoa(th.ID)+"/reply", url.Values{"body": {"one more"}})
			wantCode(t, rec, http.StatusSeeOther)
			if got := rec.Header().Get("Location"); !strings.HasPrefix(got, "/t/"+itoa(th.ID)+"?page=2#p") {
				t.Fatalf("a reply made here goes to %q, want page 2", got)
			}
			body := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(th.ID), "")).(map[string]any)
			if n := len(body["posts"].([]any)); n != perPage || body["next_cursor"] != strconv.Itoa(perPage) {
				t.Fatalf("the API's first batch: %d posts, next cursor %v; want %d and %d", n, body["next_cursor"], perPage, perPage)
			}
		})
	}
}

func TestFeeds(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Feed me", "opener **text**")
	fx.reply(t, fx.bob, th.ID, "a reply")
	rec := fx.get(t, forum.Guest, "/c/general/feed")
	wantCode(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{`<feed xmlns="http://www.w3.org/2005/Atom">`, "<title>Feed me</title>",
		"<id>https://forum.example/t/" + itoa(th.ID) + "</id>", "&lt;strong&gt;text&lt;/strong&gt;", `rel="self"`} {
		if !strings.Contains(body, want) {
			t.Errorf("category feed lacks %s\n%s", want, body)
		}
	}
	rec = fx.get(t, forum.Guest, "/t/"+itoa(th.ID)+"/feed")
	wantCode(t, rec, http.StatusOK)
	body = rec.Body.String()
	if strings.Count(body, "<entry>") != 2 || strings.Index(body, "a reply") > strings.Index(body, "opener") {
		t.Errorf("thread feed: want 2 entries, newest first\n%s", body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("a guest's feed: Cache-Control %q, want public", cc)
	}

	// A deleted or hidden post is not in the feed, not even as a placeholder; a member's feed,
	// which may hold what guests may not read, is kept out of shared caches.
	gone := fx.reply(t, fx.bob, th.ID, "spam to delete")
	hidden := fx.reply(t, fx.bob, th.ID, "rude words to hide")
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), gone.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	rec = fx.get(t, fx.alice.Viewer(), "/t/"+itoa(th.ID)+"/feed")
	body = rec.Body.String()
	if n := strings.Count(body, "<entry>"); n != 2 || strings.Contains(body, "not available") {
		t.Errorf("thread feed after a deletion and a hiding: %d entries, want the 2 readable ones\n%s", n, body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("a member's feed: Cache-Control %q, want private", cc)
	}
}

// The thread page's lock, pin and hide buttons share one form with a reason field, so a
// moderator can say why, and the reason reaches the moderation log.
func TestThreadToolsCarryAReason(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Getting heated", "b")
	d := doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)))
	reason := one(t, d, "mod-reason")
	if attr(reason, "name") != "reason" {
		t.Fatalf("reason field named %q", attr(reason, "name"))
	}
	form := enclosingForm(reason)
	// Enter in the reason field submits with the form's first button, which must be inert.
	if first := byTag(form, "button")[0]; attr(first, "data-testid") != "mod-default" || !hasAttr(first, "disabled") {
		t.Errorf("the form's first button is %q (disabled %v): Enter would press it", attr(first, "data-testid"), hasAttr(first, "disabled"))
	}
	for _, id := range []string{"lock", "pin", "hide"} {
		button := one(t, d, id)
		if enclosingForm(button) != form || form == nil {
			t.Errorf("%s is not in the reason's form", id)
		}
		if want := "/t/" + itoa(th.ID) + "/" + id; attr(button, "formaction") != want {
			t.Errorf("%s posts to %q, want %q", id, attr(button, "formaction"), want)
		}
	}

	wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/lock", url.Values{"reason": {"cooling off for a day"}}), http.StatusSeeOther)
	rows := logRows(t, doc(t, fx.get(t, fx.admin.Viewer(), "/admin/log")), "lock_thread")
	if len(rows) != 1 || !strings.Contains(text(rows[0]), "cooling off for a day") {
		t.Errorf("the lock's log rows do not give its reason: %d rows", len(rows))
	}
	// Once locked, the same place offers Unlock, still in the shared form.
	d = doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)))
	if enclosingForm(one(t, d, "unlock")) != enclosingForm(one(t, d, "mod-reason")) {
		t.Error("unlock is not in the reason's form")
	}
}

// Staff's Hide and Delete on a post submit the thread tools' form, so the reason typed there goes
// with them into the log.
func TestPostModerationCarriesTheToolsReason(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Getting heated", "b")
	rude := fx.reply(t, fx.bob, th.ID, "something rude")
	worse := fx.reply(t, fx.bob, th.ID, "something worse")
	d := doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)))
	form := enclosingForm(one(t, d, "mod-reason"))
	if form == nil || attr(form, "id") == "" {
		t.Fatal("the reason field's form has no id for the posts' buttons to name")
	}
	posts := byTestID(d, "post")
	for _, c := range []struct {
		testID string
		post   int64
		action string
	}{{"hide-post", rude.ID, "/hide"}, {"delete", worse.ID, "/delete"}} {
		var button *html.Node
		for _, p := range posts {
			if attr(p, "id") == "p"+itoa(c.post) {
				button = one(t, p, c.testID)
			}
		}
		if button == nil {
			t.Fatalf("post %d is not on the page", c.post)
		}
		if attr(button, "form") != attr(form, "id") || attr(button, "formaction") != "/p/"+itoa(c.post)+c.action {
			t.Errorf("%s submits form %q to %q, want %q to %q", c.testID, attr(button, "form"), attr(button, "formaction"),
				attr(form, "id"), "/p/"+itoa(c.post)+c.action)
		}
	}

	// What the browser sends for those buttons: the shared form's fields, to the post's action.
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/p/"+itoa(rude.ID)+"/hide", url.Values{"reason": {"personal attack"}}), http.StatusSeeOther)
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/p/"+itoa(worse.ID)+"/delete", url.Values{"reason": {"doxxing"}}), http.StatusSeeOther)
	log := doc(t, fx.get(t, fx.admin.Viewer(), "/admin/log"))
	for action, reason := range map[string]string{"hide_post": "personal attack", "delete_post": "doxxing"} {
		rows := logRows(t, log, action)
		if len(rows) != 1 || !strings.Contains(text(rows[0]), reason) {
			t.Errorf("the log's %s rows do not give the reason %q: %d rows", action, reason, len(rows))
		}
	}
	// Unhide is in the shared form too, once the post is hidden.
	d = doc(t, fx.get(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)))
	if attr(one(t, d, "unhide-post"), "form") != attr(enclosingForm(one(t, d, "mod-reason")), "id") {
		t.Error("unhide does not submit the reason's form")
	}
}

// enclosingForm is the form element n sits in, or nil.
func enclosingForm(n *html.Node) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "form" {
			return p
		}
	}
	return nil
}

// A member's opening post offers Delete until someone else replies; then only staff may delete it
// (the server answers 409 has_replies), so the page stops offering it.
func TestAnAnsweredOpenerOffersNoDeleteToItsAuthor(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "Asking", "b")
	openerDeletes := func(v forum.Viewer) int {
		return len(byTestID(byTestID(doc(t, fx.get(t, v, "/t/"+itoa(th.ID))), "post")[0], "delete"))
	}
	fx.reply(t, fx.alice, th.ID, "a follow-up of my own")
	if openerDeletes(fx.alice.Viewer()) != 1 {
		t.Fatal("alice is not offered to delete her unanswered thread")
	}
	fx.reply(t, fx.bob, th.ID, "an answer")
	if openerDeletes(fx.alice.Viewer()) != 0 {
		t.Error("alice is offered to delete a thread bob answered")
	}
	if openerDeletes(fx.mod.Viewer()) != 1 {
		t.Error("the moderator is not offered to delete the opener")
	}
	wantCode(t, fx.post(t, fx.alice.Viewer(), "/p/"+itoa(opener.ID)+"/delete", nil), http.StatusConflict)
}
