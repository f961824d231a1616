package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// logRows are the log table's rows whose action cell is action, newest first.
func logRows(t *testing.T, d *html.Node, action string) []*html.Node {
	t.Helper()
	var out []*html.Node
	for _, tr := range byTag(one(t, d, "log"), "tr") {
		cells := byTag(tr, "td")
		if len(cells) > 2 && text(cells[2]) == action {
			out = append(out, tr)
		}
	}
	return out
}

// byTag lists the elements named tag under n, in document order.
func byTag(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// targetCell is a log row's Target cell.
func targetCell(t *testing.T, row *html.Node) *html.Node {
	t.Helper()
	return byTag(row, "td")[3]
}

func TestModerationLogShowsCategoriesMovesAndStaffEdits(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Misplaced", "b")
	reply := fx.reply(t, fx.bob, th.ID, "rude words")
	own := fx.reply(t, fx.mod, th.ID, "a moderator's own reply")

	wantCode(t, fx.post(t, fx.admin.Viewer(), "/admin/categories", url.Values{"slug": {"news"}, "title": {"News & Notes"}}), http.StatusSeeOther)
	wantCode(t, fx.post(t, fx.admin.Viewer(), "/admin/categories/news/permissions", url.Values{"see_guest": {"1"}, "see_member": {"1"},
		"see_moderator": {"1"}, "start_moderator": {"1"}, "reply_moderator": {"1"}, "reply_member": {"1"}}), http.StatusSeeOther)
	news, err := fx.f.CategoryBySlug(fx.ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/t/"+itoa(th.ID)+"/move", url.Values{"category": {itoa(news.ID)}}), http.StatusSeeOther)
	// Staff edit someone else's post through the form and through the API; their own edit is theirs.
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/p/"+itoa(reply.ID)+"/edit", url.Values{"body": {"[edited by staff]"}}), http.StatusSeeOther)
	wantCode(t, fx.api(t, fx.admin.Viewer(), "PATCH", "/api/v1/posts/"+itoa(reply.ID), `{"body":"[edited again]"}`), http.StatusOK)
	wantCode(t, fx.post(t, fx.mod.Viewer(), "/p/"+itoa(own.ID)+"/edit", url.Values{"body": {"my own words, fixed"}}), http.StatusSeeOther)

	d := doc(t, fx.get(t, fx.admin.Viewer(), "/admin/log"))
	for _, action := range []string{"create_category", "set_category_permissions"} {
		rows := logRows(t, d, action) // newest first: the fixture created "general" before
		if len(rows) == 0 {
			t.Fatalf("no %s rows", action)
		}
		link := one(t, targetCell(t, rows[0]), "log-category-news")
		if attr(link, "href") != "/admin/categories/news" || text(link) != "News & Notes" {
			t.Errorf("%s names the category as %q → %q", action, text(link), attr(link, "href"))
		}
	}
	moves := logRows(t, d, "move_thread")
	if len(moves) != 1 {
		t.Fatalf("%d move rows", len(moves))
	}
	target := targetCell(t, moves[0])
	if got := strings.Join(strings.Fields(text(target)), " "); got != "alice thread #"+itoa(th.ID)+" from General to News & Notes" {
		t.Errorf("move row says %q", got)
	}
	one(t, target, "log-category-general")
	one(t, target, "log-category-news")

	edits := logRows(t, d, "edit_post")
	if len(edits) != 2 {
		t.Fatalf("%d edit_post rows, want the moderator's and the admin's edit of bob's post only", len(edits))
	}
	for i, who := range []string{"ada", "molly"} {
		cells := byTag(edits[i], "td")
		if got := strings.Join(strings.Fields(text(cells[3])), " "); text(cells[1]) != who ||
			got != "bob post #"+itoa(reply.ID)+" in News & Notes" {
			t.Errorf("edit row %d: %q by %q", i, got, text(cells[1]))
		}
	}
}

// The log's details read as words, not JSON.
func TestLogDetailsReadAsWords(t *testing.T) {
	for raw, want := range map[string]string{
		`{"until":"permanent","report":4}`:           "report: 4; until: permanent",
		`{"registration_open":true,"site_name":"S"}`: "registration open: true; site name: S",
		`{}`:    "",
		``:      "",
		`[1,2]`: "[1,2]",
		`{"reason":"a \"quoted\" word","from":"x/y"}`: `from: x/y; reason: a "quoted" word`,
	} {
		if got := logDetails(json.RawMessage(raw)); got != want {
			t.Errorf("logDetails(%s) = %q, want %q", raw, got, want)
		}
	}
}
