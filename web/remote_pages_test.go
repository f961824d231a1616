package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// storedActors stands in for package federation's resolver (which web may not import; the real
// one, with WebFinger and fetches from a loopback peer, is tested in cmd/stoa): it answers from
// the actors already stored, as federation does for cached actors.
type storedActors struct{ f *forum.Forum }

func (s storedActors) ResolveHandle(ctx context.Context, username, host string) (forum.Actor, error) {
	if host == "forum.example" {
		return s.f.LocalActorByUsername(ctx, username)
	}
	return s.f.RemoteActorByHandle(ctx, username, host)
}

func (s storedActors) ResolveID(ctx context.Context, iri string) (forum.Actor, error) {
	return s.f.ActorByAPID(ctx, iri)
}

// remoteFixture is the web fixture with remote lookups, a remote Group and a remote person.
type remoteFixture struct {
	*webFixture
	group, bob forum.Actor
}

func newRemoteFixture(t *testing.T) *remoteFixture {
	t.Helper()
	fx := &remoteFixture{webFixture: newWebFixture(t)}
	base, _ := url.Parse("https://forum.example")
	fx.h = New(Options{Forum: fx.f, PublicURL: base, Federation: testFederation{base: base.String()}, Remote: storedActors{f: fx.f}})
	var err error
	fx.group, err = fx.f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: "https://lemmy.example/c/general", Kind: forum.ActorGroup,
		Username: "general", Domain: "lemmy.example", DisplayName: "General chat", URL: "https://lemmy.example/c/general",
		SummaryHTML: `<p>All <b>welcome</b></p><script>alert(1)</script>`, AvatarURL: "https://lemmy.example/icon.png",
		InboxURL: "https://lemmy.example/c/general/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	fx.bob, err = fx.f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: "https://social.example/users/bob", Kind: forum.ActorPerson,
		Username: "bob", Domain: "social.example", DisplayName: "Bob B.", URL: "https://social.example/@bob",
		AvatarURL: "https://social.example/bob.png", InboxURL: "https://social.example/users/bob/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func TestFindFollowAndReadARemoteCategoryInTheWebPages(t *testing.T) {
	t.Parallel()
	fx := newRemoteFixture(t)
	alice := fx.alice.Viewer()

	// The box: a bad handle and an unknown one are shown next to what was typed.
	page := doc(t, fx.get(t, alice, "/remote"))
	one(t, page, "remote-lookup")
	one(t, page, "no-follows")
	rec := fx.post(t, alice, "/remote", url.Values{"q": {"general at lemmy"}})
	wantCode(t, rec, http.StatusUnprocessableEntity)
	page = doc(t, rec)
	if p := text(one(t, page, "problem-q")); !strings.Contains(p, "@name@host") {
		t.Errorf("problem %q", p)
	}
	if v := attr(findAttr(page, "id", "f-q"), "value"); v != "general at lemmy" {
		t.Errorf("typed text lost: %q", v)
	}
	rec = fx.post(t, alice, "/remote", url.Values{"q": {"@nobody@lemmy.example"}})
	wantCode(t, rec, http.StatusNotFound)
	if p := text(one(t, doc(t, rec), "problem-q")); !strings.Contains(p, "Nothing by that name") {
		t.Errorf("not found problem %q", p)
	}
	// A guest may not make the server look anyone up.
	wantCode(t, fx.post(t, forum.Guest, "/remote", url.Values{"q": {"@general@lemmy.example"}}), http.StatusUnauthorized)

	rec = fx.post(t, alice, "/remote", url.Values{"q": {" @general@lemmy.example "}})
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/u/general@lemmy.example" {
		t.Fatalf("lookup went to %q", loc)
	}

	// The actor's page: sanitised summary, origin link, Follow.
	page = doc(t, fx.get(t, alice, "/u/general@lemmy.example"))
	if got := text(one(t, page, "member-name")); got != "General chat" {
		t.Errorf("name %q", got)
	}
	if got := text(one(t, page, "member-handle")); got != "@general@lemmy.example" {
		t.Errorf("handle %q", got)
	}
	if bio := one(t, page, "member-bio"); strings.Contains(text(bio), "alert") || len(byTestID(page, "member-avatar")) != 1 {
		t.Errorf("summary %q", text(bio))
	}
	if href := attr(one(t, page, "actor-origin"), "href"); href != "https://lemmy.example/c/general" {
		t.Errorf("origin %q", href)
	}
	one(t, page, "follow")
	rec = fx.post(t, alice, "/u/general@lemmy.example/follow", url.Values{"next": {"/u/general@lemmy.example"}})
	wantCode(t, rec, http.StatusSeeOther)

	// Pending until the Group accepts: on its page, the category mirror, and the index.
	page = doc(t, fx.get(t, alice, "/u/general@lemmy.example"))
	if got := text(one(t, page, "follow-state")); !strings.Contains(got, "waiting for lemmy.example") {
		t.Errorf("pending state %q", got)
	}
	if href := attr(one(t, page, "actor-category"), "href"); href != "/c/general@lemmy.example" {
		t.Errorf("mirror link %q", href)
	}
	page = doc(t, fx.get(t, alice, "/c/general@lemmy.example"))
	one(t, page, "remote-category")
	if got := text(one(t, page, "follow-state")); !strings.Contains(got, "waiting") {
		t.Errorf("category follow state %q", got)
	}
	page = doc(t, fx.get(t, alice, "/"))
	item := one(t, page, "category-general@lemmy.example")
	if len(byTestID(item, "follow-pending")) != 1 {
		t.Errorf("index does not say the follow is pending: %q", text(item))
	}
	if len(byTestID(doc(t, fx.get(t, fx.bob0(t), "/")), "remote-categories")) != 0 {
		t.Error("another member's index lists alice's follows")
	}

	if _, err := fx.f.SettleOwnFollow(fx.ctx, fx.group.ID, 0, true); err != nil {
		t.Fatal(err)
	}
	page = doc(t, fx.get(t, alice, "/c/general@lemmy.example"))
	if got := text(one(t, page, "follow-state")); got != "Following" {
		t.Errorf("accepted state %q", got)
	}
	if len(byTestID(doc(t, fx.get(t, alice, "/")), "follow-pending")) != 0 {
		t.Error("index still says pending after the Accept")
	}

	// A remote thread in the mirror reads like a local one, marked with its origin.
	mirror, err := fx.f.CategoryByHandle(fx.ctx, "general@lemmy.example")
	if err != nil {
		t.Fatal(err)
	}
	postID, _, err := fx.f.CreateRemotePost(fx.ctx, forum.RemotePost{APID: "https://social.example/notes/1",
		URL: "https://social.example/@bob/1", AuthorID: fx.bob.ID, Published: time.Now(),
		HTML:   `<p>Hello <em>there</em></p><script>alert(1)</script><a href="javascript:alert(1)">x</a>`,
		Thread: &forum.RemoteThread{CategoryID: mirror.ID, Title: "Remote hello", APID: "https://lemmy.example/post/1"}})
	if err != nil {
		t.Fatal(err)
	}
	page = doc(t, fx.get(t, alice, "/c/general@lemmy.example"))
	if href := attr(one(t, page, "thread-author"), "href"); href != "/u/bob@social.example" {
		t.Errorf("thread author link %q", href)
	}
	place, err := fx.f.PostPlaceByID(fx.ctx, postID)
	if err != nil {
		t.Fatal(err)
	}
	page = doc(t, fx.get(t, alice, "/t/"+itoa(place.ThreadID)))
	if got := text(one(t, page, "thread-origin")); !strings.Contains(got, "general@lemmy.example") {
		t.Errorf("thread origin %q", got)
	}
	post := one(t, page, "post")
	if got := text(one(t, post, "post-author")); got != "Bob B." {
		t.Errorf("author name %q", got)
	}
	if got := text(one(t, post, "author-handle")); got != "@bob@social.example" {
		t.Errorf("author handle %q", got)
	}
	if src := attr(one(t, post, "author-avatar"), "src"); src != "https://social.example/bob.png" {
		t.Errorf("avatar %q", src)
	}
	origin := one(t, post, "post-origin")
	if attr(origin, "href") != "https://social.example/@bob/1" || !strings.Contains(attr(origin, "rel"), "noopener") {
		t.Errorf("origin link %v", origin.Attr)
	}
	body := one(t, post, "post-body")
	if !strings.Contains(text(body), "Hello there") || findAttr(body, "href", "javascript:alert(1)") != nil || strings.Contains(text(body), "alert(1)") {
		t.Errorf("body not sanitised: %q", text(body))
	}

	// The mirror has an Atom feed, as a local category does, naming the thread.
	feed := fx.get(t, alice, "/c/general@lemmy.example/feed")
	wantCode(t, feed, http.StatusOK)
	if body := feed.Body.String(); !strings.Contains(body, "Remote hello") || !strings.Contains(body, "/c/general@lemmy.example/feed") {
		t.Errorf("the mirror's feed:\n%s", body)
	}

	// The Group's page lists its latest threads here.
	if rows := byTestID(one(t, doc(t, fx.get(t, alice, "/u/general@lemmy.example")), "actor-threads"), "thread-row"); len(rows) != 1 {
		t.Errorf("%d threads on the Group's page, want 1", len(rows))
	}
	// The author's page here lists it, as plain text.
	page = doc(t, fx.get(t, alice, "/u/bob@social.example"))
	entry := one(t, page, "member-post-"+itoa(postID))
	if got := text(entry); !strings.Contains(got, "Hello there") || strings.Contains(got, "<p>") {
		t.Errorf("post excerpt %q", got)
	}

	// A member starts a thread in the mirror from its page (the outbox sends it to the Group).
	if findAttr(doc(t, fx.get(t, alice, "/c/general@lemmy.example/new")), "action", "/c/general@lemmy.example/new") == nil {
		t.Error("the composer of a mirror does not post to the mirror")
	}
	rec = fx.post(t, alice, "/c/general@lemmy.example/new", url.Values{"title": {"Asked from here"}, "body": {"Hello, lemmy."}})
	wantCode(t, rec, http.StatusSeeOther)
	list, err := fx.f.CategoryThreads(fx.ctx, alice, mirror, "", 0)
	if err != nil || len(list.Threads) != 2 || list.Threads[0].Title != "Asked from here" {
		t.Fatalf("mirror after starting a thread: %+v, %v", list.Threads, err)
	}

	// Unfollow: gone from the index, the button is back.
	wantCode(t, fx.post(t, alice, "/u/general@lemmy.example/unfollow", url.Values{"next": {"/c/general@lemmy.example"}}), http.StatusSeeOther)
	if len(byTestID(doc(t, fx.get(t, alice, "/")), "remote-categories")) != 0 {
		t.Error("index lists an unfollowed category")
	}
	one(t, doc(t, fx.get(t, alice, "/c/general@lemmy.example")), "follow")
}

// bob0 is the local member bob as a viewer (the fixture's bob field is shadowed by the remote bob).
func (fx *remoteFixture) bob0(t *testing.T) forum.Viewer {
	t.Helper()
	return fx.webFixture.bob.Viewer()
}

func TestRemoteActorPagesForGuestsAndUnknownHandles(t *testing.T) {
	t.Parallel()
	fx := newRemoteFixture(t)
	page := doc(t, fx.get(t, forum.Guest, "/u/general@lemmy.example"))
	control := one(t, page, "follow-control")
	if len(byTestID(control, "follow")) != 0 || !strings.Contains(text(control), "Sign in to follow") {
		t.Errorf("guest follow control %q", text(control))
	}
	wantCode(t, fx.post(t, forum.Guest, "/u/general@lemmy.example/follow", nil), http.StatusUnauthorized)
	wantCode(t, fx.get(t, forum.Guest, "/u/nobody@lemmy.example"), http.StatusNotFound)
	wantCode(t, fx.get(t, forum.Guest, "/c/nothing@lemmy.example"), http.StatusNotFound)
	// Members' own pages are untouched by the remote route.
	wantCode(t, fx.get(t, forum.Guest, "/u/alice"), http.StatusOK)
	// A server's own actor is shown but cannot be followed.
	if _, err := fx.f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: "https://social.example/actor", Kind: forum.ActorInstance,
		Username: "social.example", Domain: "social.example", InboxURL: "https://social.example/inbox"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, fx.get(t, fx.alice.Viewer(), "/u/social.example@social.example"), http.StatusOK)
	wantCode(t, fx.post(t, fx.alice.Viewer(), "/u/social.example@social.example/follow", nil), http.StatusUnprocessableEntity)
	// A member is told what a follow brings here: a Group's threads, a person's posts only where
	// something followed here puts them.
	if hint := text(one(t, doc(t, fx.get(t, fx.alice.Viewer(), "/u/general@lemmy.example")), "follow-hint")); !strings.Contains(hint, "category of their own") {
		t.Errorf("a Group's follow hint: %q", hint)
	}
	if hint := text(one(t, doc(t, fx.get(t, fx.alice.Viewer(), "/u/bob@social.example")), "follow-hint")); !strings.Contains(hint, "stays on social.example") {
		t.Errorf("a person's follow hint: %q", hint)
	}
	// Looking up a local handle leads to the member's own page.
	rec := fx.post(t, fx.alice.Viewer(), "/remote", url.Values{"q": {"@bob@forum.example"}})
	wantCode(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/u/bob" {
		t.Errorf("local lookup went to %q", loc)
	}
}

func TestSafeAvatarKeepsOnlyLocalPathsAndHTTPURLs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/avatars/a.webp":               "/avatars/a.webp",
		"https://x.example/a.png":       "https://x.example/a.png",
		"http://x.example/a.png":        "http://x.example/a.png",
		"javascript:alert(1)":           "",
		"data:image/png;base64,AAAA":    "",
		"//evil.example/a.png":          "",
		"/\\evil.example/a.png":         "",
		"https:///nohost":               "",
		"":                              "",
		"JaVaScRiPt:alert(document.x)":  "",
		"vbscript:msgbox(1)":            "",
		"ftp://x.example/a.png":         "",
		" https://x.example/leading.sp": "",
	} {
		if got := safeAvatar(in); got != want {
			t.Errorf("safeAvatar(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRemoteQuery(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]remoteQuery{
		"@alice@social.example":           {Username: "alice", Host: "social.example"},
		"alice@social.example":            {Username: "alice", Host: "social.example"},
		"acct:alice@social.example":       {Username: "alice", Host: "social.example"},
		"https://social.example/@alice#x": {IRI: "https://social.example/@alice"},
	} {
		got, err := parseRemoteQuery("q", in)
		if err != nil || got != want {
			t.Errorf("parseRemoteQuery(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "alice", "@alice", "alice@", "@@host", "a@b@c", "ftp://x.example/u", "https://user:pw@x.example/u",
		"javascript:alert(1)", "a b@host", strings.Repeat("a", maxLookupQuery) + "@x.example"} {
		if _, err := parseRemoteQuery("q", bad); err == nil {
			t.Errorf("parseRemoteQuery(%q) accepted", bad)
		}
	}
}
