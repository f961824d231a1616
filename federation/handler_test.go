package federation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// site is a forum served the way cmd/stoa mounts federation, on a loopback server that answers to
// the host forum.example.
type site struct {
	forum    *forum.Forum
	pool     *pgxpool.Pool
	srv      *httptest.Server
	iris     IRIs
	alice    forum.Member
	bob      forum.Member
	general  forum.Category
	threadID int64
	openerID int64
	follower forum.Actor
	remote   *remoteServer
}

const htmlMarker = "<!doctype html><p>the web page</p>"

func newSite(t *testing.T, authorizedFetch bool, policy DomainPolicy) *site {
	t.Helper()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	s := &site{forum: f, pool: pool, iris: MustIRIs("https://forum.example")}
	s.alice = forumtest.Member(t, f, "alice", forum.RoleAdmin)
	s.bob = forumtest.Member(t, f, "bob", forum.RoleModerator)
	mustExec(t, pool, `UPDATE actors SET display_name = 'Alice A.', summary_html = '<p>Woodworker.</p>' WHERE id = $1`, s.alice.ID)
	mustExec(t, pool, `UPDATE members SET links = '[{"name":"Site","value":"https://alice.example/"},{"name":"Pronouns","value":"she/her <3"}]' WHERE actor_id = $1`, s.alice.ID)
	var err error
	s.general, err = f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General", Description: "Anything."})
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, pinned_at) VALUES ($1, $2, 'Welcome & rules', now()) RETURNING id`,
		s.general.ID, s.alice.ID).Scan(&s.threadID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO posts (thread_id, author_id, position, source) VALUES ($1, $2, 1, 'Be kind.') RETURNING id`,
		s.threadID, s.alice.ID).Scan(&s.openerID); err != nil {
		t.Fatal(err)
	}
	s.follower, err = f.UpsertRemoteActor(ctx, forum.RemoteActor{APID: "https://mastodon.example/users/ada", Kind: forum.ActorPerson,
		Username: "ada", Domain: "mastodon.example", InboxURL: "https://mastodon.example/users/ada/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `INSERT INTO follows (follower_id, target_id, state) VALUES ($1, $2, 'accepted')`, s.follower.ID, s.general.ActorID)

	s.remote = newRemoteServer(t)
	fetcher := newTestFetcher(t, s.remote, func(o *FetcherOptions) { o.Keys = NewLocalKeys(f, s.iris) })
	actors, err := NewActors(ActorsOptions{Forum: f, Fetcher: fetcher, IRIs: s.iris, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := NewVerifier(VerifierOptions{Keys: actors, Policy: policy, Host: s.iris.Host()})
	if err != nil {
		t.Fatal(err)
	}
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, htmlMarker)
	})
	h, err := NewHandler(HandlerOptions{Forum: f, IRIs: s.iris, Verifier: verifier, AuthorizedFetch: authorizedFetch, Policy: policy,
		Fallback: web, Software: Software{Name: "stoa", Version: "1.2.3", Repository: "https://example.org/stoa.git"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/webfinger", h.WebFinger)
	mux.HandleFunc("GET /.well-known/host-meta", h.HostMeta)
	mux.HandleFunc("GET /.well-known/nodeinfo", h.NodeInfoIndex)
	mux.HandleFunc("GET /nodeinfo/2.0", h.NodeInfo20)
	mux.HandleFunc("GET /nodeinfo/2.1", h.NodeInfo21)
	mux.Handle("GET /actor", h)
	mux.Handle("GET /actor/{rest...}", h)
	mux.Handle("/", Negotiate(h, web))
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func mustExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// get requests path from the site as forum.example, with an Accept header.
func (s *site) get(t *testing.T, path, accept string, edit ...func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = "forum.example"
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	for _, e := range edit {
		e(r)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// getDoc fetches an ActivityStreams document and decodes it.
func (s *site) getDoc(t *testing.T, path string, wantStatus int, edit ...func(*http.Request)) map[string]any {
	t.Helper()
	resp, body := s.get(t, path, ActivityJSON, edit...)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, body, wantStatus)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	if strings.Contains(string(body), "PRIVATE KEY") {
		t.Fatalf("GET %s: a private key in the response", path)
	}
	return doc
}

// field walks a decoded document: field(doc, "publicKey", "owner").
func field(doc map[string]any, path ...string) any {
	var v any = doc
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func wantFields(t *testing.T, what string, doc map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got := field(doc, strings.Split(path, ".")...)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("%s: %s = %s, want %s", what, path, gb, wb)
		}
	}
}

func TestPersonDocumentFieldByField(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	resp, body := s.get(t, "/u/alice", ActivityJSON)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ActivityJSON || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Fatalf("GET /u/alice: %d %q vary %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Vary"))
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	pemText, err := s.forum.PublicKeyPEM(context.Background(), s.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	id := "https://forum.example/u/alice"
	wantFields(t, "Person", doc, map[string]any{
		"id": id, "type": "Person", "preferredUsername": "alice", "name": "Alice A.", "summary": "<p>Woodworker.</p>",
		"url": id, "inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers", "following": id + "/following",
		"endpoints.sharedInbox": "https://forum.example/inbox",
		"publicKey.id":          id + "#main-key", "publicKey.owner": id, "publicKey.publicKeyPem": pemText,
		"manuallyApprovesFollowers": false, "discoverable": true, "indexable": true,
		"published": s.alice.JoinedAt.UTC().Truncate(time.Second).Format(time.RFC3339),
	})
	ctx, _ := doc["@context"].([]any)
	if len(ctx) != 3 || ctx[0] != activityStreamsNS || ctx[1] != "https://w3id.org/security/v1" {
		t.Errorf("@context %v", doc["@context"])
	}
	terms, _ := ctx[2].(map[string]any)
	for _, term := range []string{"manuallyApprovesFollowers", "discoverable", "indexable", "PropertyValue", "value", "featured", "postingRestrictedToMods"} {
		if terms[term] == nil {
			t.Errorf("@context does not define %q", term)
		}
	}
	att, _ := doc["attachment"].([]any)
	if len(att) != 2 {
		t.Fatalf("attachment %v", doc["attachment"])
	}
	wantFields(t, "link", att[0].(map[string]any), map[string]any{"type": "PropertyValue", "name": "Site",
		"value": `<a href="https://alice.example/" target="_blank" rel="nofollow noopener noreferrer me" translate="no">alice.example/</a>`})
	wantFields(t, "text field", att[1].(map[string]any), map[string]any{"name": "Pronouns", "value": "she/her &lt;3"})
	if _, ok := doc["featured"]; ok {
		t.Error("a Person has no featured collection yet")
	}
	// The same URL serves the page to browsers, and the ld+json form to those who ask for it.
	if resp, body := s.get(t, "/u/alice", "text/html,application/xhtml+xml,*/*;q=0.8"); string(body) != htmlMarker || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Errorf("browser got %q", body)
	}
	if resp, _ := s.get(t, "/u/alice", LDJSONActivityStreams); resp.Header.Get("Content-Type") != LDJSONActivityStreams {
		t.Errorf("ld+json content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestGroupServiceAndApplicationDocuments(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	g := s.getDoc(t, "/c/general", 200)
	id := "https://forum.example/c/general"
	wantFields(t, "Group", g, map[string]any{
		"id": id, "type": "Group", "preferredUsername": "general", "name": "General", "url": id,
		"attributedTo": id + "/moderators", "featured": id + "/featured", "postingRestrictedToMods": false, "sensitive": false,
		"inbox": id + "/inbox", "followers": id + "/followers", "endpoints.sharedInbox": "https://forum.example/inbox",
		"publicKey.id": id + "#main-key", "publicKey.owner": id, "manuallyApprovesFollowers": false, "discoverable": true,
	})
	if !strings.Contains(g["summary"].(string), "Anything.") {
		t.Errorf("group summary %v", g["summary"])
	}

	tid := strconv.FormatInt(s.threadID, 10)
	svc := s.getDoc(t, "/t/"+tid+"/actor", 200)
	sid := "https://forum.example/t/" + tid + "/actor"
	wantFields(t, "Service", svc, map[string]any{
		"id": sid, "type": "Service", "preferredUsername": "thread-" + tid, "name": "Welcome & rules",
		"url": "https://forum.example/t/" + tid, "inbox": sid + "/inbox", "outbox": sid + "/outbox", "followers": sid + "/followers",
		"publicKey.id": sid + "#main-key", "publicKey.owner": sid, "discoverable": false, "indexable": true,
		"manuallyApprovesFollowers": false,
	})
	if !strings.Contains(svc["summary"].(string), "Welcome &amp; rules") || !strings.Contains(svc["summary"].(string), "General") {
		t.Errorf("thread summary %v", svc["summary"])
	}

	// /actor is JSON whatever the Accept header says.
	resp, body := s.get(t, "/actor", "text/html")
	var app map[string]any
	if err := json.Unmarshal(body, &app); err != nil || resp.Header.Get("Content-Type") != ActivityJSON {
		t.Fatalf("/actor for a browser: %s %v", body, err)
	}
	wantFields(t, "Application", app, map[string]any{
		"id": "https://forum.example/actor", "type": "Application", "preferredUsername": forum.InstanceActorUsername,
		"inbox": "https://forum.example/actor/inbox", "outbox": "https://forum.example/actor/outbox",
		"publicKey.id": "https://forum.example/actor#main-key", "manuallyApprovesFollowers": true, "url": "https://forum.example/",
	})
}

func TestCollections(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	id := "https://forum.example/c/general"
	followers := s.getDoc(t, "/c/general/followers", 200)
	wantFields(t, "followers", followers, map[string]any{"id": id + "/followers", "type": "OrderedCollection", "totalItems": 1,
		"first": id + "/followers?page=1"})
	page := s.getDoc(t, "/c/general/followers?page=1", 200)
	wantFields(t, "followers page", page, map[string]any{"id": id + "/followers?page=1", "type": "OrderedCollectionPage",
		"partOf": id + "/followers", "orderedItems": []string{"https://mastodon.example/users/ada"}})
	if _, ok := page["next"]; ok {
		t.Error("a short page has no next")
	}
	mods := s.getDoc(t, "/c/general/moderators", 200)
	wantFields(t, "moderators", mods, map[string]any{"totalItems": 2,
		"orderedItems": []string{"https://forum.example/u/alice", "https://forum.example/u/bob"}})
	featured := s.getDoc(t, "/c/general/featured", 200)
	wantFields(t, "featured", featured, map[string]any{"id": id + "/featured", "totalItems": 1,
		"orderedItems": []string{s.iris.Post(s.openerID)}})
	// The outbox lists recorded activities (activity_document_test.go); this fixture's post was
	// inserted without one.
	outbox := s.getDoc(t, "/u/alice/outbox", 200)
	wantFields(t, "outbox", outbox, map[string]any{"type": "OrderedCollection", "totalItems": 0})
	following := s.getDoc(t, "/u/alice/following", 200)
	wantFields(t, "following", following, map[string]any{"totalItems": 0})
	empty := s.getDoc(t, "/u/alice/following?page=1", 200)
	wantFields(t, "empty page", empty, map[string]any{"orderedItems": []string{}})
	tid := strconv.FormatInt(s.threadID, 10)
	wantFields(t, "thread followers", s.getDoc(t, "/t/"+tid+"/actor/followers", 200), map[string]any{"totalItems": 0})
	wantFields(t, "instance following", s.getDoc(t, "/actor/following", 200), map[string]any{"totalItems": 0})

	// What has no document falls back to the pages; what does not exist is a 404.
	if _, body := s.get(t, "/u/alice/inbox", ActivityJSON); string(body) != htmlMarker {
		t.Errorf("GET of an inbox went to %q, want the web fallback", body)
	}
	if _, body := s.get(t, "/static/app.js", ActivityJSON); string(body) != htmlMarker {
		t.Errorf("unknown path went to %q", body)
	}
	for _, p := range []string{"/u/nobody", "/u/general", "/c/alice", "/c/general/nope-not-here", "/t/999999/actor", "/t/abc/actor", "/u/alice/moderators"} {
		resp, body := s.get(t, p, ActivityJSON)
		if p == "/c/general/nope-not-here" || p == "/u/alice/moderators" {
			if string(body) != htmlMarker {
				t.Errorf("%s: %d %s, want the fallback", p, resp.StatusCode, body)
			}
			continue
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", p, resp.StatusCode, body)
		}
	}
	if resp, _ := s.get(t, "/c/general/followers?page=1&before=abc", ActivityJSON); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
}

func TestConditionalGetHeadAndTombstone(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	resp, _ := s.get(t, "/u/alice", ActivityJSON)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	resp, body := s.get(t, "/u/alice", ActivityJSON, func(r *http.Request) { r.Header.Set("If-None-Match", etag) })
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	r, _ := http.NewRequest(http.MethodHead, s.srv.URL+"/c/general", nil)
	r.Host = "forum.example"
	r.Header.Set("Accept", ActivityJSON)
	head, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 200 || head.Header.Get("Content-Type") != ActivityJSON {
		t.Fatalf("HEAD: %d %q", head.StatusCode, head.Header.Get("Content-Type"))
	}
	mustExec(t, s.pool, `UPDATE actors SET deleted_at = now() WHERE id = $1`, s.bob.ID)
	gone := s.getDoc(t, "/u/bob", http.StatusGone)
	wantFields(t, "tombstone", gone, map[string]any{"id": "https://forum.example/u/bob", "type": "Tombstone", "formerType": "Person"})

	// A deleted thread's collection and actor are Tombstones too, not an error body.
	s.getDoc(t, "/t/"+itoa(s.threadID)+"/actor", http.StatusOK) // the actor exists before the deletion
	if err := s.forum.DeletePost(context.Background(), s.alice.Viewer(), s.openerID, ""); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/t/" + itoa(s.threadID), "/t/" + itoa(s.threadID) + "/actor"} {
		resp, body := s.get(t, path, ActivityJSON)
		if resp.StatusCode != http.StatusGone || resp.Header.Get("Content-Type") != ActivityJSON ||
			!strings.Contains(string(body), `"type":"Tombstone"`) || !strings.Contains(string(body), `"id":"https://forum.example`+path+`"`) {
			t.Errorf("%s after the thread's deletion: %d %q %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}

// Authorized fetch: GETs need a valid signature; unsigned actor fetches get the reduced document
// (enough to verify and deliver); blocked domains get nothing; the instance actor stays public.
func TestAuthorizedFetch(t *testing.T) {
	t.Parallel()
	s := newSite(t, true, blockList{"blocked.example": true})
	reduced := s.getDoc(t, "/u/alice", 200)
	if reduced["publicKey"] == nil || reduced["inbox"] == nil || reduced["endpoints"] == nil || reduced["preferredUsername"] != "alice" {
		t.Fatalf("reduced actor lacks what peers need: %v", reduced)
	}
	for _, f := range []string{"name", "summary", "attachment", "icon", "published"} {
		if _, ok := reduced[f]; ok {
			t.Errorf("reduced actor shows %s", f)
		}
	}
	resp, body := s.get(t, "/c/general/followers", ActivityJSON)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Signature") {
		t.Fatalf("unsigned collection: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("401 Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	app := s.getDoc(t, "/actor", 200)
	if app["name"] == nil {
		t.Error("the instance actor must stay public and complete")
	}
	for _, p := range []string{"/.well-known/webfinger?resource=acct:alice@forum.example", "/.well-known/nodeinfo", "/nodeinfo/2.1"} {
		if resp, body := s.get(t, p, ""); resp.StatusCode != 200 {
			t.Errorf("%s under authorized fetch: %d %s", p, resp.StatusCode, body)
		}
	}

	// A signed fetch by a known peer gets everything. The peer's key is fetched from it (loopback,
	// host map) and cached.
	keyID := "http://remote.example/users/ada#main-key"
	s.remote.doc("/users/ada", ActivityJSON, remotePerson("ada", keyID, publicPEM(t, "remote-a")))
	peer := SigningKey{KeyID: keyID, Private: loadRSAKey(t, "remote-a")}
	sign := func(key SigningKey) func(r *http.Request) {
		return func(r *http.Request) {
			if err := key.SignGet(r, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	full := s.getDoc(t, "/u/alice", 200, sign(peer))
	if full["name"] != "Alice A." || full["attachment"] == nil {
		t.Fatalf("signed fetch got %v", full)
	}
	if resp, _ := s.get(t, "/u/alice", ActivityJSON, sign(peer)); resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("Cache-Control under authorized fetch: %q", resp.Header.Get("Cache-Control"))
	}
	wantFields(t, "signed collection", s.getDoc(t, "/c/general/followers", 200, sign(peer)), map[string]any{"totalItems": 1})
	// A bad signature is a 401 even for an actor (only no signature gets the reduced form).
	wrong := SigningKey{KeyID: keyID, Private: loadRSAKey(t, "remote-b")}
	if resp, _ := s.get(t, "/u/alice", ActivityJSON, sign(wrong)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad signature: %d", resp.StatusCode)
	}
	blocked := SigningKey{KeyID: "http://blocked.example/users/x#main-key", Private: loadRSAKey(t, "remote-a")}
	hits := s.remote.hits.Load()
	if resp, _ := s.get(t, "/u/alice", ActivityJSON, sign(blocked)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("blocked domain: %d", resp.StatusCode)
	}
	if s.remote.hits.Load() != hits {
		t.Error("the key of a blocked domain was fetched")
	}
}

func TestWebFingerRoundTripForEveryActor(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	tid := strconv.FormatInt(s.threadID, 10)
	cases := []struct{ resource, actor, profile string }{
		{"acct:alice@forum.example", "https://forum.example/u/alice", "https://forum.example/u/alice"},
		{"acct:ALICE@Forum.Example", "https://forum.example/u/alice", "https://forum.example/u/alice"},
		{"acct:@alice@forum.example", "https://forum.example/u/alice", "https://forum.example/u/alice"},
		{"https://forum.example/u/alice", "https://forum.example/u/alice", "https://forum.example/u/alice"},
		{"acct:general@forum.example", "https://forum.example/c/general", "https://forum.example/c/general"},
		{"acct:thread-" + tid + "@forum.example", "https://forum.example/t/" + tid + "/actor", "https://forum.example/t/" + tid},
		{"https://forum.example/t/" + tid + "/actor", "https://forum.example/t/" + tid + "/actor", "https://forum.example/t/" + tid},
		// The thread's own address, which the thread actor lists among its aliases.
		{"https://forum.example/t/" + tid, "https://forum.example/t/" + tid + "/actor", "https://forum.example/t/" + tid},
		// A bare name@host, as Mastodon accepts.
		{"alice@forum.example", "https://forum.example/u/alice", "https://forum.example/u/alice"},
		{"acct:instance.actor@forum.example", "https://forum.example/actor", "https://forum.example/"},
	}
	for _, c := range cases {
		resp, body := s.get(t, "/.well-known/webfinger?resource="+c.resource, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jrd+json; charset=utf-8" ||
			resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d %q %s", c.resource, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			continue
		}
		var jrd JRD
		if err := json.Unmarshal(body, &jrd); err != nil {
			t.Fatal(err)
		}
		var self, profile string
		for _, l := range jrd.Links {
			switch {
			case l.Rel == "self" && l.Type == ActivityJSON:
				self = l.Href
			case l.Rel == "http://webfinger.net/rel/profile-page" && l.Type == "text/html":
				profile = l.Href
			}
		}
		if self != c.actor || profile != c.profile || len(jrd.Aliases) == 0 || jrd.Aliases[0] != c.actor {
			t.Errorf("%s: self %q profile %q aliases %v", c.resource, self, profile, jrd.Aliases)
		}
		// Mastodon's check: preferredUsername@host of the actor WebFinger points to leads back here.
		doc := s.getDoc(t, strings.TrimPrefix(self, "https://forum.example"), 200)
		if "acct:"+doc["preferredUsername"].(string)+"@forum.example" != jrd.Subject || doc["id"] != c.actor {
			t.Errorf("%s: subject %q but the actor is %v@forum.example (%v)", c.resource, jrd.Subject, doc["preferredUsername"], doc["id"])
		}
	}
	for resource, status := range map[string]int{
		"":                                 400,
		"acct:alice":                       422,
		"acct:alice@other.example":         404,
		"acct:nobody@forum.example":        404,
		"acct:thread-0@forum.example":      404,
		"acct:thread-999999@forum.example": 404,
		"https://forum.example/u/alice/followers": 404,
		"https://forum.example/p/1":               404,
		"https://other.example/u/alice":           404,
	} {
		if resp, body := s.get(t, "/.well-known/webfinger?resource="+resource, ""); resp.StatusCode != status {
			t.Errorf("resource %q: %d %s, want %d", resource, resp.StatusCode, body, status)
		}
	}
	// A deleted thread's actor is gone: a plain 410, not an ActivityStreams Tombstone (WebFinger
	// answers JRD).
	ctx := context.Background()
	c, err := s.forum.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "wf", Title: "WF"})
	if err != nil {
		t.Fatal(err)
	}
	var gone int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, deleted_at) VALUES ($1, $2, 'Gone', now()) RETURNING id`,
		c.ID, s.bob.ID).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	resp, body := s.get(t, "/.well-known/webfinger?resource=acct:thread-"+strconv.FormatInt(gone, 10)+"@forum.example", "")
	if resp.StatusCode != http.StatusGone || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		strings.Contains(string(body), "Tombstone") {
		t.Errorf("a deleted thread's WebFinger: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestHostMetaAndNodeInfo(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	resp, body := s.get(t, "/.well-known/host-meta", "")
	if resp.Header.Get("Content-Type") != "application/xrd+xml; charset=utf-8" ||
		!strings.Contains(string(body), `<Link rel="lrdd" template="https://forum.example/.well-known/webfinger?resource={uri}"/>`) {
		t.Errorf("host-meta %q: %s", resp.Header.Get("Content-Type"), body)
	}
	_, body = s.get(t, "/.well-known/nodeinfo", "")
	var index struct{ Links []struct{ Rel, Href string } }
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, l := range index.Links {
		links[l.Rel] = l.Href
	}
	if links[nodeInfo20Schema] != "https://forum.example/nodeinfo/2.0" || links[nodeInfo21Schema] != "https://forum.example/nodeinfo/2.1" ||
		links["https://www.w3.org/ns/activitystreams#Application"] != "https://forum.example/actor" {
		t.Errorf("nodeinfo index %s", body)
	}
	// The admin's settings: the site's name and description, and whether anyone may sign up.
	if _, err := s.forum.UpdateSiteSettings(context.Background(), forumtest.Admin, forum.SiteSettingsInput{SiteName: "Example Forum",
		Description: "About examples.", RegistrationOpen: false}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"2.0", "2.1"} {
		resp, body := s.get(t, "/nodeinfo/"+v, "")
		var ni map[string]any
		if err := json.Unmarshal(body, &ni); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(resp.Header.Get("Content-Type"), "schema/"+v) {
			t.Errorf("%s content type %q", v, resp.Header.Get("Content-Type"))
		}
		wantFields(t, "nodeinfo "+v, ni, map[string]any{
			"version": v, "software.name": "stoa", "software.version": "1.2.3", "protocols": []string{"activitypub"},
			"openRegistrations": false, "usage.users.total": 2, "usage.users.activeMonth": 1, "usage.users.activeHalfyear": 1,
			"usage.localPosts": 1, "metadata.nodeName": "Example Forum", "metadata.nodeDescription": "About examples.",
		})
		if repo := field(ni, "software", "repository"); (v == "2.1") != (repo == "https://example.org/stoa.git") {
			t.Errorf("%s: repository %v", v, repo)
		}
	}
}

// Every actor document has a summary and an icon (FEDERATION.md): a member without a bio or an
// avatar, a category, a thread's actor and the instance actor too; without a picture of its own
// the icon is the forum's placeholder, which the forum serves.
func TestEveryActorHasASummaryAndAnIcon(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	ctx := context.Background()
	c, err := s.forum.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "plain", Title: "Plain"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, s.bob.Viewer(), forum.NewThread{CategoryID: c.ID, Title: "Hello", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/u/bob", "/c/plain", "/t/" + strconv.FormatInt(th.ID, 10) + "/actor", "/actor"} {
		doc := s.getDoc(t, path, http.StatusOK)
		if _, ok := doc["summary"].(string); !ok {
			t.Errorf("%s has no summary: %v", path, doc["summary"])
		}
		icon, _ := doc["icon"].(map[string]any)
		if icon == nil || icon["type"] != "Image" || icon["url"] != "https://forum.example"+DefaultIconPath {
			t.Errorf("%s's icon %v, want the placeholder", path, doc["icon"])
		}
	}
}
