package federation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
)

// docFixture is a forum with the real Markdown renderer, served like cmd/stoa mounts federation
// under forum.example, with carol (gts.example) as a known remote actor whose key signs requests.
type docFixture struct {
	f     *forum.Forum
	pool  *pgxpool.Pool
	ctx   context.Context
	iris  IRIs
	docs  *Documents
	srv   *httptest.Server
	cat   forum.Category
	alice forum.Member
	bob   forum.Member
	mod   forum.Member
	carol forum.Actor
	zoe   forum.Actor // a cached remote actor, mentionable as @zoe@social.example
}

func newDocFixture(t *testing.T, authorizedFetch bool) *docFixture {
	t.Helper()
	base, _ := url.Parse("https://forum.example")
	iris := MustIRIs("https://forum.example")
	f, pool := forumtest.New(t, forum.Options{Markup: markup.New(markup.Options{BaseURL: base, TagURL: iris.Tag})}) // as cmd/stoa wires it
	fx := &docFixture{f: f, pool: pool, ctx: context.Background(), iris: iris}
	var err error
	if fx.cat, err = f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	fx.alice = forumtest.Member(t, f, "alice", forum.RoleMember)
	fx.bob = forumtest.Member(t, f, "bob", forum.RoleMember)
	fx.mod = forumtest.Member(t, f, "molly", forum.RoleModerator)
	if fx.carol, err = f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: carolID, Kind: forum.ActorPerson, Username: "carol",
		Domain: "gts.example", InboxURL: carolID + "/inbox", PublicKeyID: carolKey, PublicKeyPEM: publicPEM(t, "remote-a")}); err != nil {
		t.Fatal(err)
	}
	if fx.zoe, err = f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: "https://social.example/users/zoe", Kind: forum.ActorPerson,
		Username: "zoe", Domain: "social.example", InboxURL: "https://social.example/users/zoe/inbox"}); err != nil {
		t.Fatal(err)
	}
	fx.docs = NewDocuments(f, fx.iris, nil)
	verifier, err := NewVerifier(VerifierOptions{Keys: carolKeys(t), Host: fx.iris.Host()})
	if err != nil {
		t.Fatal(err)
	}
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, htmlMarker)
	})
	h, err := NewHandler(HandlerOptions{Forum: f, IRIs: fx.iris, Verifier: verifier, AuthorizedFetch: authorizedFetch,
		Fallback: web, Documents: fx.docs})
	if err != nil {
		t.Fatal(err)
	}
	fx.srv = httptest.NewServer(Negotiate(h, web))
	t.Cleanup(fx.srv.Close)
	return fx
}

func (fx *docFixture) thread(t *testing.T, by forum.Member, title, body string) (forum.Thread, forum.Post) {
	t.Helper()
	th, p, err := fx.f.CreateThread(fx.ctx, by.Viewer(), forum.NewThread{CategoryID: fx.cat.ID, Title: title, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return th, p
}

func (fx *docFixture) reply(t *testing.T, by forum.Member, threadID int64, body string, to *int64) forum.Post {
	t.Helper()
	p, err := fx.f.CreatePost(fx.ctx, by.Viewer(), forum.NewPost{ThreadID: threadID, Body: body, InReplyToID: to})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// get fetches path as forum.example with an ActivityStreams Accept; signed by carol when asked.
func (fx *docFixture) get(t *testing.T, path string, signed bool, edit ...func(*http.Request)) (*http.Response, map[string]any, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, fx.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = "forum.example"
	r.Header.Set("Accept", ActivityJSON)
	for _, e := range edit {
		e(r)
	}
	if signed {
		signed := *r
		u := *r.URL
		u.Host = "forum.example"
		signed.URL = &u
		if err := carolSigner(t).SignGet(&signed, time.Now()); err != nil {
			t.Fatal(err)
		}
		r.Header = signed.Header
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	return resp, doc, body
}

// activityOf returns the newest recorded activity of a verb.
func (fx *docFixture) activityOf(t *testing.T, verb forum.Verb) forum.Activity {
	t.Helper()
	var id int64
	if err := fx.pool.QueryRow(fx.ctx, `SELECT id FROM activities WHERE verb = $1 ORDER BY id DESC LIMIT 1`, verb).Scan(&id); err != nil {
		t.Fatalf("no %s activity: %v", verb, err)
	}
	a, err := fx.f.ActivityByID(fx.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// build builds an activity's document and decodes it back with the inbox's decoder.
func (fx *docFixture) build(t *testing.T, a forum.Activity) (Built, map[string]any, Activity) {
	t.Helper()
	b, err := fx.docs.Activity(fx.ctx, a, false)
	if err != nil {
		t.Fatalf("build %s %d: %v", a.Verb, a.ID, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Body, &doc); err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeActivity(b.Body)
	if err != nil {
		t.Fatalf("the inbox's decoder refuses our %s: %v\n%s", a.Verb, err, b.Body)
	}
	return b, doc, dec
}

func TestArticleOfAThreadOpenerFieldByField(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	long := strings.Repeat("Sawdust everywhere, and glue too. ", 30)
	th, opener := fx.thread(t, fx.alice, "Dovetails & joints",
		"Hello @bob and @zoe@social.example and @nobody@nowhere.example, about #woodwork.\n\n![a dovetail joint](https://img.example/dt.png)\n\n"+long)
	resp, doc, _ := fx.get(t, "/p/"+itoa(opener.ID), false)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ActivityJSON {
		t.Fatalf("GET post: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	postID := "https://forum.example/p/" + itoa(opener.ID)
	wantFields(t, "article", doc, map[string]any{
		"id": postID, "type": "Article", "name": "Dovetails & joints", "mediaType": "text/html",
		"url":          "https://forum.example/t/" + itoa(th.ID),
		"attributedTo": "https://forum.example/u/alice", "audience": "https://forum.example/c/general",
		"context": "https://forum.example/t/" + itoa(th.ID), "to": []string{PublicCollection},
		"cc": []string{"https://forum.example/c/general", "https://forum.example/u/alice/followers",
			"https://forum.example/u/bob", "https://social.example/users/zoe"},
		"source.mediaType": "text/markdown", "replies.id": postID + "/replies", "replies.first": postID + "/replies?page=1",
		"sensitive": false, "commentsEnabled": true,
		"attachment": []map[string]any{{"type": "Image", "url": "https://img.example/dt.png", "name": "a dovetail joint", "mediaType": "image/png"}},
	})
	if doc["@context"] == nil || !strings.Contains(doc["content"].(string), "<p>Hello") ||
		!strings.HasPrefix(field(doc, "source", "content").(string), "Hello @bob") {
		t.Errorf("content/source/context: %v / %v", doc["content"], field(doc, "source", "content"))
	}
	summary := doc["summary"].(string)
	if n := utf8.RuneCountInString(summary); n > MaxTeaser || n < MaxTeaser-60 || strings.Contains(summary, "<") || !strings.HasSuffix(summary, "…") {
		t.Errorf("summary (%d characters): %q", n, summary)
	}
	obj, err := DecodeObject(toJSON(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	mentions := map[string]string{}
	for _, m := range obj.Mentions {
		mentions[m.Href] = m.Name
	}
	if len(mentions) != 2 || mentions["https://forum.example/u/bob"] != "@bob@forum.example" ||
		mentions["https://social.example/users/zoe"] != "@zoe@social.example" {
		t.Errorf("mentions %v: bob and the cached zoe are tagged, the unknown nobody stays text", obj.Mentions)
	}
	// The link of a mention of someone elsewhere leads to their own server once their actor is
	// known (Mastodon matches it to the tag); an unknown one's stays on this forum's page of them.
	content := doc["content"].(string)
	if !strings.Contains(content, `href="https://social.example/users/zoe"`) || strings.Contains(content, "/u/zoe@") ||
		!strings.Contains(content, `href="https://forum.example/u/nobody@nowhere.example"`) {
		t.Errorf("mention links in content: %s", content)
	}
	// A hashtag is a tag with the href Mastodon and GoToSocial link it by, and a link in the
	// content to the same place (the forum's search for it).
	if len(obj.Hashtags) != 1 || obj.Hashtags[0] != (Hashtag{Href: "https://forum.example/search?q=%23woodwork", Name: "#woodwork"}) {
		t.Errorf("hashtags %v", obj.Hashtags)
	}
	if !strings.Contains(content, `<a class="mention hashtag" href="https://forum.example/search?q=%23woodwork" rel="tag">#<span>woodwork</span></a>`) {
		t.Errorf("hashtag in content: %s", content)
	}
	if !obj.Updated.IsZero() {
		t.Error("an unedited post has updated")
	}

	// Locking the thread closes comments; editing sets updated.
	if err := fx.f.LockThread(fx.ctx, fx.mod.Viewer(), th.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), opener.ID, forum.PostEdit{Body: "Edited."}); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.get(t, "/p/"+itoa(opener.ID), false)
	if doc["commentsEnabled"] != false || doc["updated"] == nil {
		t.Errorf("after lock and edit: commentsEnabled %v, updated %v", doc["commentsEnabled"], doc["updated"])
	}
}

func TestReplyNoteMentionsItsParentsAuthorAndNoteMode(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	th, opener := fx.thread(t, fx.alice, "Question", "Which glue?")
	r1 := fx.reply(t, fx.bob, th.ID, "Hide glue.", nil)
	r2 := fx.reply(t, fx.alice, th.ID, "Thanks!", &r1.ID)
	_, doc, _ := fx.get(t, "/p/"+itoa(r1.ID), false)
	wantFields(t, "reply", doc, map[string]any{
		"type": "Note", "inReplyTo": "https://forum.example/p/" + itoa(opener.ID),
		"context": "https://forum.example/t/" + itoa(th.ID), "audience": "https://forum.example/c/general",
		"url": "https://forum.example/p/" + itoa(r1.ID), "tag": []map[string]any{{"type": "Mention",
			"href": "https://forum.example/u/alice", "name": "@alice@forum.example"}},
		"cc": []string{"https://forum.example/c/general", "https://forum.example/u/bob/followers", "https://forum.example/u/alice"},
	})
	if doc["name"] != nil || doc["summary"] != nil || doc["commentsEnabled"] != nil {
		t.Errorf("a reply has name %v, summary %v, commentsEnabled %v", doc["name"], doc["summary"], doc["commentsEnabled"])
	}
	_, doc, _ = fx.get(t, "/p/"+itoa(r2.ID), false)
	wantFields(t, "reply to a reply", doc, map[string]any{"inReplyTo": "https://forum.example/p/" + itoa(r1.ID),
		"tag.0.href": nil})
	if tags := doc["tag"].([]any); len(tags) != 1 || tags[0].(map[string]any)["href"] != "https://forum.example/u/bob" {
		t.Errorf("tags %v", tags)
	}

	// A category in note mode publishes its openers as Notes led by the title.
	if _, err := fx.f.UpdateCategory(fx.ctx, forumtest.Admin, fx.cat.ID, forum.CategoryEdit{Title: "General", NoteMode: true}); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.get(t, "/p/"+itoa(opener.ID), false)
	if doc["type"] != "Note" || doc["name"] != "Question" || !strings.HasPrefix(doc["content"].(string), "<p><strong>Question</strong></p>") {
		t.Errorf("note mode: %v %v %v", doc["type"], doc["name"], doc["content"])
	}
}

func TestPostDocumentsOnlyForWhatGuestsMayRead(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	th, opener := fx.thread(t, fx.alice, "Hello", "text")
	hidden := fx.reply(t, fx.bob, th.ID, "spam", nil)
	deleted := fx.reply(t, fx.bob, th.ID, "oops", nil)
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), deleted.ID, ""); err != nil {
		t.Fatal(err)
	}
	if resp, _, _ := fx.get(t, "/p/"+itoa(hidden.ID), false); resp.StatusCode != 404 {
		t.Errorf("hidden post: %d", resp.StatusCode)
	}
	resp, doc, _ := fx.get(t, "/p/"+itoa(deleted.ID), false)
	if resp.StatusCode != 410 {
		t.Fatalf("deleted post: %d", resp.StatusCode)
	}
	wantFields(t, "tombstone", doc, map[string]any{"type": "Tombstone", "formerType": "Note",
		"id": "https://forum.example/p/" + itoa(deleted.ID)})
	if doc["deleted"] == nil || strings.Contains(string(toJSON(t, doc)), "oops") {
		t.Errorf("tombstone %v", doc)
	}
	if resp, _, _ := fx.get(t, "/p/999999", false); resp.StatusCode != 404 {
		t.Errorf("unknown post: %d", resp.StatusCode)
	}
	// A browser still gets the page.
	if resp, _, body := fx.get(t, "/p/"+itoa(opener.ID), false, func(r *http.Request) { r.Header.Set("Accept", "text/html") }); !strings.Contains(string(body), htmlMarker) {
		t.Errorf("HTML request: %d %s", resp.StatusCode, body)
	}
	// A category guests cannot read publishes nothing.
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, fx.cat.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember, See: true, Start: true, Reply: true},
	}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/p/" + itoa(opener.ID), "/p/" + itoa(opener.ID) + "/replies", "/t/" + itoa(th.ID), "/t/" + itoa(th.ID) + "/history"} {
		if resp, _, _ := fx.get(t, path, false); resp.StatusCode != 404 {
			t.Errorf("%s in a private category: %d", path, resp.StatusCode)
		}
	}
}

func TestTeaser(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"<p>One</p><p>two  <em>three</em></p>", 100, "One two three"},
		{"<p>a&amp;b &lt;c&gt;</p>", 100, "a&b <c>"},
		{`<p>Hi <span class="h-card"><a href="/u/x">@<span>x</span></a></span>, <em>see</em>!</p><p>Next</p>`, 100, "Hi @x, see! Next"},
		{"<p>" + strings.Repeat("word ", 10) + "</p>", 11, "word word…"},
		{"<p>" + strings.Repeat("é", 20) + "</p>", 5, "éééé…"},
	} {
		if got := Teaser(c.in, c.max); got != c.want {
			t.Errorf("Teaser(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func toJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Posts rendered before mentions linked to this forum's page kept Mastodon's guess,
// https://host/@user; what is sent links the actor's own url instead, whichever form is stored.
func TestMentionLinksOfOlderPostsLeadToTheActorsProfile(t *testing.T) {
	t.Parallel()
	d := &Documents{iris: MustIRIs("https://forum.example")}
	zoe := forum.Actor{APID: "https://social.example/users/zoe", URL: "https://social.example/@zoe"}
	for _, stored := range []string{`<a href="https://social.example/@Zoe" class="u-url mention">`,
		`<a href="https://forum.example/u/zoe@social.example" class="u-url mention">`} {
		got := d.linkMention(stored, forum.Mention{Username: "Zoe", Domain: "social.example"}, zoe)
		if got != `<a href="https://social.example/@zoe" class="u-url mention">` {
			t.Errorf("%s became %s", stored, got)
		}
	}
}
