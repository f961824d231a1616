package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestSearchPageFindsHighlightsAndPages(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	_, first := fx.thread(t, fx.alice, "Kettle descaling", "The kettle <script>alert(1)</script> needs vinegar.")
	for i := 0; i < forum.SearchPerPage; i++ {
		fx.thread(t, fx.bob, "Other "+strconv.Itoa(i), "a kettle story")
	}
	// Every page has the header's search box.
	box := one(t, doc(t, fx.get(t, forum.Guest, "/latest")), "search-box")
	if attr(box, "action") != "/search" || attr(box, "method") != "get" {
		t.Fatalf("search box posts to %q by %q", attr(box, "action"), attr(box, "method"))
	}
	// The bare page is the form.
	d := doc(t, fx.get(t, forum.Guest, "/search"))
	one(t, d, "search-form")
	if len(byTestID(d, "search-results")) != 0 {
		t.Fatal("results without a query")
	}

	rec := fx.get(t, forum.Guest, "/search?q=kettle")
	wantCode(t, rec, http.StatusOK)
	d = doc(t, rec)
	hits := byTestID(d, "search-hit")
	if len(hits) != forum.SearchPerPage || attr(hits[0], "data-post-id") != itoa(first.ID) {
		t.Fatalf("%d hits, first %s; want %d with the title match first", len(hits), attr(hits[0], "data-post-id"), forum.SearchPerPage)
	}
	title := one(t, hits[0], "hit-title")
	if attr(title, "href") != "/p/"+itoa(first.ID) || !strings.Contains(rec.Body.String(), "<mark>Kettle</mark> descaling") {
		t.Fatalf("title %q -> %q", text(title), attr(title, "href"))
	}
	// The byline reads "by Name", a word apart from the author's link.
	if author, byline := text(one(t, hits[0], "hit-author")), findAttr(hits[0], "class", "byline"); byline == nil || text(byline) != "by "+author {
		t.Fatalf("the byline runs its words together: %q", text(hits[0]))
	}
	// Snippets are text: markup in a post never becomes markup in the results.
	snippet := one(t, hits[0], "hit-snippet")
	if hasElement(snippet, "script") || !strings.Contains(text(snippet), "<script>alert(1)</script>") {
		t.Fatalf("a post's markup leaked into the snippet, or its text is lost: %q", text(snippet))
	}
	more := one(t, d, "more-results")
	d2 := doc(t, fx.get(t, forum.Guest, attr(more, "href")))
	if n := len(byTestID(d2, "search-hit")); n != 1 {
		t.Fatalf("the second page has %d hits, want 1", n)
	}
	if !strings.Contains(attr(more, "href"), "q=kettle") {
		t.Fatalf("more results loses the query: %q", attr(more, "href"))
	}
	// Filters, and bad input shown on the form with what was typed.
	rec = fx.get(t, forum.Guest, "/search?q=kettle&author=alice")
	if n := len(byTestID(doc(t, rec), "search-hit")); n != 1 {
		t.Fatalf("author filter: %d hits", n)
	}
	for _, bad := range []struct{ query, field string }{
		{"q=the", "q"}, {"q=kettle&category=nowhere", "category"}, {"q=kettle&after=yesterday", "after"}, {"author=alice", "q"},
	} {
		rec := fx.get(t, forum.Guest, "/search?"+bad.query)
		wantCode(t, rec, http.StatusUnprocessableEntity)
		one(t, doc(t, rec), "problem-"+bad.field)
	}
	if !strings.Contains(fx.get(t, forum.Guest, "/search?q=kettle&after=yesterday").Body.String(), `value="yesterday"`) {
		t.Fatal("the form lost what was typed")
	}
}

func TestSearchAPI(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, first := fx.thread(t, fx.alice, "Kettle descaling", "Use vinegar.")
	reply := fx.reply(t, fx.bob, th.ID, "A kettle & more")
	rec := fx.get(t, forum.Guest, "/api/v1/search?q=kettle&author=bob")
	wantCode(t, rec, http.StatusOK)
	var res struct {
		Posts []struct {
			ID     int64  `json:"id"`
			URL    string `json:"url"`
			Body   string `json:"body_html"`
			Author struct {
				Handle string `json:"handle"`
			} `json:"author"`
			Snippet string `json:"snippet_html"`
			Thread  struct {
				ID       int64  `json:"id"`
				Title    string `json:"title"`
				Category string `json:"category"`
			} `json:"thread"`
		} `json:"posts"`
		Next *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Posts) != 1 || res.Next != nil {
		t.Fatalf("results %+v", res)
	}
	p := res.Posts[0]
	if p.ID != reply.ID || p.Thread.ID != th.ID || p.Thread.Title != "Kettle descaling" || p.Thread.Category != "general" ||
		p.Author.Handle != "bob@forum.example" || !strings.HasSuffix(p.Snippet, "<mark>kettle</mark> &amp; more") || !strings.Contains(p.Body, "kettle") {
		t.Fatalf("post %+v", p)
	}
	if first.ID == reply.ID {
		t.Fatal("fixture: the opener and the reply are one post")
	}
	// The handle a result gives names its author in the filter too, as does the category's.
	again := fx.get(t, forum.Guest, "/api/v1/search?q=kettle&author="+url.QueryEscape(p.Author.Handle)+"&category=general@forum.example")
	if wantCode(t, again, http.StatusOK); !strings.Contains(again.Body.String(), fmt.Sprintf(`"id":%d`, reply.ID)) {
		t.Fatalf("searching by the full handles the API gives: %s", again.Body.String())
	}
	rec = fx.get(t, forum.Guest, "/api/v1/search?q=")
	wantCode(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), `"code":"invalid"`) {
		t.Fatalf("error body %s", rec.Body.String())
	}
}

func TestAdminEditsSearchSynonyms(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "owner", forum.RoleAdmin)
	forumtest.Member(t, s.f, "molly", forum.RoleModerator)
	admin := s.browser()
	admin.login("owner")
	r := admin.post("/admin/search", url.Values{"synonyms": {"pg, the"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !r.has("problem-synonyms") || !strings.Contains(r.body, "pg, the") {
		t.Fatalf("bad list: %s", r.text("synonyms-form"))
	}
	r = admin.post("/admin/search", url.Values{"synonyms": {"PG, postgres\nk8s, kubernetes"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := admin.get(r.Header.Get("Location"))
	if !page.has("notice") || !strings.Contains(page.body, "pg, postgres\nk8s, kubernetes") {
		t.Fatalf("after saving: %s", page.text("synonyms-form"))
	}
	if !strings.Contains(admin.get("/admin").text("admin-nav-reports"), "Reports") {
		t.Fatal("the admin navigation lacks the reports")
	}
	mod := s.browser()
	mod.login("molly")
	wantStatus(t, mod.get("/admin/search"), http.StatusForbidden)
}

// hasElement reports whether n has an element named tag below it.
func hasElement(n *nodeT, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if (c.Type == html.ElementNode && c.Data == tag) || hasElement(c, tag) {
			return true
		}
	}
	return false
}

// When more posts match than a search ranks, the page and the API say so (and how to reach older
// posts); within the bound they say nothing.
func TestASearchThatMatchesTooMuchSaysItWasNarrowed(t *testing.T) {
	t.Parallel()
	fx := newWebFixtureWith(t, forum.Options{SearchCandidates: 2})
	th, _ := fx.thread(t, fx.alice, "Planes", "a plane")
	fx.reply(t, fx.bob, th.ID, "another plane")
	fx.reply(t, fx.bob, th.ID, "a third plane")

	d := doc(t, fx.get(t, forum.Guest, "/search?q=plane"))
	if got := text(one(t, d, "search-narrowed")); !strings.Contains(got, "newest") {
		t.Errorf("the narrowed note says %q", got)
	}
	if len(byTestID(doc(t, fx.get(t, forum.Guest, "/search?q=plane&author=alice")), "search-narrowed")) != 0 {
		t.Error("a search within the bound says it was narrowed")
	}
	var res struct {
		Posts    []json.RawMessage `json:"posts"`
		Narrowed bool              `json:"narrowed"`
	}
	if err := json.Unmarshal(fx.api(t, forum.Guest, "GET", "/api/v1/search?q=plane", "").Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Narrowed || len(res.Posts) != 2 {
		t.Errorf("the API: narrowed %v with %d posts, want true with 2", res.Narrowed, len(res.Posts))
	}
}
