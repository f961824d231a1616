package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/web"
)

// lookupPeer is one loopback server that answers for every remote host of a test by its Host
// header: WebFinger, and the documents a test puts at a host's paths. It records what it is asked.
type lookupPeer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	docs map[string]any // "host/path" -> document
	jrds map[string]any // "acct:user@host" -> JRD
	gets []string
}

func newLookupPeer(t *testing.T) *lookupPeer {
	p := &lookupPeer{docs: map[string]any{}, jrds: map[string]any{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *lookupPeer) serve(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(r.Host, ":")
	p.mu.Lock()
	p.gets = append(p.gets, host+r.URL.Path)
	var doc any
	typ := "application/activity+json"
	if r.URL.Path == "/.well-known/webfinger" {
		doc, typ = p.jrds[r.URL.Query().Get("resource")], "application/jrd+json"
	} else {
		doc = p.docs[host+r.URL.Path]
	}
	p.mu.Unlock()
	if doc == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	_ = json.NewEncoder(w).Encode(doc)
}

func (p *lookupPeer) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.gets)
}

// actor serves an actor document at http://host/path, and WebFinger for name@host (webfingerName
// lets a test make WebFinger lead to an actor of another name). It returns the actor's id.
func (p *lookupPeer) actor(t *testing.T, host, path, kind, name string, extra map[string]any) string {
	t.Helper()
	key, err := forumtest.SharedKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := "http://" + host + path
	doc := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              kind,
		"preferredUsername": name,
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"endpoints":         map[string]any{"sharedInbox": "http://" + host + "/inbox"},
		"publicKey": map[string]any{"id": id + "#main-key", "owner": id,
			"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
	}
	for k, v := range extra {
		doc[k] = v
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs[host+path] = doc
	p.jrds["acct:"+name+"@"+host] = map[string]any{"subject": "acct:" + name + "@" + host,
		"links": []any{map[string]any{"rel": "self", "type": "application/activity+json", "href": id}}}
	return id
}

// remoteSite is the real web handler tree with the real federation resolver behind webRemote,
// reaching the peer's hosts through the unsafe-local host map as `stoa serve` does in tests.
type remoteSite struct {
	f     *forum.Forum
	srv   *httptest.Server
	token string
	alice forum.Member
}

func newRemoteSite(t *testing.T, p *lookupPeer, hosts ...string) *remoteSite {
	t.Helper()
	public, _ := url.Parse("http://forum.test")
	f, _ := forumtest.New(t, forum.Options{Markup: markup.New(markup.Options{BaseURL: public})})
	hostMap := map[string]string{}
	for _, h := range hosts {
		hostMap[h] = p.srv.Listener.Addr().String()
	}
	// A host whose server is down: a port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostMap["down.test"] = l.Addr().String()
	_ = l.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed, err := federation.New(federation.Config{Forum: f, PublicURL: public, UnsafeLocal: true, HostMap: hostMap, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Options{Forum: f, PublicURL: public, Log: log, Federation: webIDs{iris: fed.IRIs},
		Remote: webRemote{actors: fed.Actors}})
	s := &remoteSite{f: f, srv: httptest.NewServer(h), alice: forumtest.Member(t, f, "alice", forum.RoleMember)}
	t.Cleanup(s.srv.Close)
	if _, s.token, err = f.CreateAccessToken(context.Background(), s.alice.Viewer(), s.alice.ID, "test"); err != nil {
		t.Fatal(err)
	}
	return s
}

// call makes an API request as alice (token "" for a guest) and decodes the JSON answer.
func (s *remoteSite) call(t *testing.T, token, method, path, body string, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, res.StatusCode, want, raw)
	}
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	return out
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestAPILooksUpFollowsAndReadsARemoteCategory(t *testing.T) {
	t.Parallel()
	p := newLookupPeer(t)
	groupID := p.actor(t, "lemmy.test", "/c/general", "Group", "general", map[string]any{
		"name":    "General chat",
		"summary": `<p>All <b>welcome</b></p><script>alert(1)</script><a href="javascript:alert(1)">x</a>`,
		"icon":    map[string]any{"type": "Image", "url": "javascript:alert(1)"},
		"url":     "http://lemmy.test/c/general",
	})
	s := newRemoteSite(t, p, "lemmy.test")
	ctx := context.Background()
	lookup := "/api/v1/lookup?q=" + url.QueryEscape("@general@lemmy.test")

	if got := errorCode(s.call(t, "", "GET", lookup, "", http.StatusUnauthorized)); got != "unauthorized" {
		t.Fatalf("guest lookup: %q", got)
	}
	if p.requests() != 0 {
		t.Fatalf("a guest's lookup reached the peer")
	}
	a := s.call(t, s.token, "GET", lookup, "", http.StatusOK)
	if a["kind"] != "group" || a["handle"] != "general@lemmy.test" || a["ap_id"] != groupID || a["local"] != false ||
		a["name"] != "General chat" || a["page"] != "http://forum.test/u/general@lemmy.test" || a["follow"] != nil || a["category"] != nil {
		t.Fatalf("lookup: %v", a)
	}
	summary, _ := a["summary_html"].(string)
	if !strings.Contains(summary, "<b>welcome</b>") || strings.Contains(summary, "script") || strings.Contains(summary, "javascript:") {
		t.Fatalf("summary not sanitised: %q", summary)
	}
	if a["avatar_url"] != "" {
		t.Fatalf("javascript: avatar kept: %v", a["avatar_url"])
	}
	asked := p.requests()
	if asked != 2 {
		t.Fatalf("first lookup made %d requests, want WebFinger and the actor", asked)
	}
	// The same actor by URL, and by handle again: from the cache, without asking the peer.
	byURL := s.call(t, s.token, "GET", "/api/v1/lookup?q="+url.QueryEscape(groupID), "", http.StatusOK)
	s.call(t, s.token, "GET", lookup, "", http.StatusOK)
	if byURL["id"] != a["id"] || p.requests() != asked {
		t.Fatalf("cached lookups: id %v vs %v, %d requests", byURL["id"], a["id"], p.requests()-asked)
	}

	// Follow: pending, with the mirror made at once.
	fo := s.call(t, s.token, "POST", "/api/v1/follows", `{"actor": "general@lemmy.test"}`, http.StatusOK)
	state, _ := fo["follow"].(map[string]any)
	if state["state"] != "pending" || state["accepted_at"] != nil || fo["category"] != "general@lemmy.test" {
		t.Fatalf("follow: %v", fo)
	}
	again := s.call(t, s.token, "POST", "/api/v1/follows", `{"actor": "@general@lemmy.test"}`, http.StatusOK)
	if again["follow"].(map[string]any)["followed_at"] != state["followed_at"] {
		t.Fatalf("following again made a new follow: %v", again)
	}
	list := s.call(t, s.token, "GET", "/api/v1/follows", "", http.StatusOK)
	follows, _ := list["follows"].([]any)
	if len(follows) != 1 || follows[0].(map[string]any)["state"] != "pending" || list["next_cursor"] != nil {
		t.Fatalf("follows: %v", list)
	}

	// The Group accepts (what the inbox does on its Accept): the list says so.
	group, err := s.f.ActorByAPID(ctx, groupID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.f.SettleOwnFollow(ctx, group.ID, 0, true); err != nil {
		t.Fatal(err)
	}
	list = s.call(t, s.token, "GET", "/api/v1/follows", "", http.StatusOK)
	entry := list["follows"].([]any)[0].(map[string]any)
	if entry["state"] != "accepted" || entry["accepted_at"] == nil || entry["actor"].(map[string]any)["handle"] != "general@lemmy.test" {
		t.Fatalf("after Accept: %v", entry)
	}

	// A thread the Group relays, by a remote person, read through the category and thread endpoints.
	bobID := p.actor(t, "social.test", "/users/bob", "Person", "bob", map[string]any{
		"name": "Bob B.", "icon": map[string]any{"type": "Image", "url": "https://social.test/bob.png"},
		"url": "https://social.test/@bob"})
	bob, err := s.f.UpsertRemoteActor(ctx, forum.RemoteActor{APID: bobID, Kind: forum.ActorPerson, Username: "bob",
		Domain: "social.test", DisplayName: "Bob B.", AvatarURL: "https://social.test/bob.png", URL: "https://social.test/@bob",
		InboxURL: bobID + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	mirror, err := s.f.CategoryByHandle(ctx, "general@lemmy.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.f.CreateRemotePost(ctx, forum.RemotePost{APID: "http://social.test/notes/1", URL: "https://social.test/@bob/1",
		AuthorID: bob.ID, HTML: `<p>Hello <em>there</em><img src=x onerror=alert(1)></p>`, Published: time.Now(),
		Thread: &forum.RemoteThread{CategoryID: mirror.ID, Title: "Remote hello", APID: "http://lemmy.test/post/1"}}); err != nil {
		t.Fatal(err)
	}
	threads := s.call(t, "", "GET", "/api/v1/categories/general@lemmy.test/threads", "", http.StatusOK)["threads"].([]any)
	if len(threads) != 1 {
		t.Fatalf("mirror threads: %v", threads)
	}
	th := threads[0].(map[string]any)
	author := th["author"].(map[string]any)
	if th["local"] != false || th["category"] != "general@lemmy.test" || author["handle"] != "bob@social.test" ||
		author["name"] != "Bob B." || author["avatar_url"] != "https://social.test/bob.png" || author["url"] != "https://social.test/@bob" ||
		author["page"] != "http://forum.test/u/bob@social.test" || author["local"] != false {
		t.Fatalf("remote thread: %v", th)
	}
	escaped := s.call(t, "", "GET", "/api/v1/categories/general%40lemmy.test/threads", "", http.StatusOK)["threads"].([]any)
	if len(escaped) != 1 {
		t.Fatalf("escaped handle: %v", escaped)
	}
	full := s.call(t, "", "GET", "/api/v1/threads/"+jsonID(th["id"]), "", http.StatusOK)
	post := full["posts"].([]any)[0].(map[string]any)
	body, _ := post["body_html"].(string)
	if post["origin_url"] != "https://social.test/@bob/1" || !strings.Contains(body, "<em>there</em>") || strings.Contains(body, "onerror") {
		t.Fatalf("remote post: %v", post)
	}

	// A thread actor of another Stoa (a Service), followed by its URL: pending like any follow.
	threadActor := p.actor(t, "lemmy.test", "/t/7/actor", "Service", "thread-7", map[string]any{"name": "Remote hello"})
	ta := s.call(t, s.token, "POST", "/api/v1/follows", `{"actor": "`+threadActor+`"}`, http.StatusOK)
	if ta["kind"] != "service" || ta["handle"] != "thread-7@lemmy.test" || ta["category"] != nil ||
		ta["follow"].(map[string]any)["state"] != "pending" {
		t.Fatalf("thread actor follow: %v", ta)
	}
	if n := len(s.call(t, s.token, "GET", "/api/v1/follows", "", http.StatusOK)["follows"].([]any)); n != 2 {
		t.Fatalf("%d follows, want the group and the thread", n)
	}
	s.call(t, s.token, "DELETE", "/api/v1/follows/"+jsonID(ta["id"]), "", http.StatusNoContent)

	// Unfollow: gone from the list.
	s.call(t, s.token, "DELETE", "/api/v1/follows/"+jsonID(a["id"]), "", http.StatusNoContent)
	if got := s.call(t, s.token, "GET", "/api/v1/follows", "", http.StatusOK)["follows"].([]any); len(got) != 0 {
		t.Fatalf("after unfollow: %v", got)
	}
	if got := s.call(t, s.token, "GET", "/api/v1/actors/"+jsonID(a["id"]), "", http.StatusOK); got["follow"] != nil {
		t.Fatalf("actor after unfollow: %v", got)
	}
}

// jsonID is a JSON number (an id) as a path segment.
func jsonID(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

func TestAPILookupErrorsSayWhatWentWrong(t *testing.T) {
	t.Parallel()
	p := newLookupPeer(t)
	p.actor(t, "social.test", "/users/carol", "Person", "carol", nil)
	// WebFinger for mallory@social.test leads to carol: the round trip does not hold.
	p.mu.Lock()
	p.jrds["acct:mallory@social.test"] = p.jrds["acct:carol@social.test"]
	p.docs["social.test/notes/1"] = map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": "http://social.test/notes/1", "type": "Note", "content": "hi", "attributedTo": "http://social.test/users/carol"}
	p.mu.Unlock()
	s := newRemoteSite(t, p, "social.test")
	for _, c := range []struct {
		q      string
		status int
		code   string
	}{
		{"", http.StatusUnprocessableEntity, "invalid"},
		{"just words", http.StatusUnprocessableEntity, "invalid"},
		{"@nobody@social.test", http.StatusNotFound, "not_found"},
		{"@mallory@social.test", http.StatusNotFound, "not_found"},
		{"@anyone@down.test", http.StatusBadGateway, "unavailable"},
		{"http://social.test/notes/1", http.StatusUnprocessableEntity, "invalid"},
		{"ftp://social.test/users/carol", http.StatusUnprocessableEntity, "invalid"},
		{"@x@bad/host", http.StatusUnprocessableEntity, "invalid"},
		// Bytes that are not text are the asker's error, not another server's: this one reached
		// the database's query and came back as 502 "unavailable", logged as an error.
		{"@bo\x00b@forum.test", http.StatusBadRequest, "invalid_text"},
		{"@a\x00b@social.test", http.StatusBadRequest, "invalid_text"},
		{"@a\xffb@social.test", http.StatusBadRequest, "invalid_text"},
	} {
		got := s.call(t, s.token, "GET", "/api/v1/lookup?q="+url.QueryEscape(c.q), "", c.status)
		if errorCode(got) != c.code {
			t.Errorf("lookup %q: %v, want code %s", c.q, got, c.code)
		}
	}
	// A local handle is this forum's own actor, which is watched here, not followed.
	me := s.call(t, s.token, "GET", "/api/v1/lookup?q="+url.QueryEscape("@alice@forum.test"), "", http.StatusOK)
	if me["local"] != true || me["page"] != "http://forum.test/u/alice" {
		t.Fatalf("local lookup: %v", me)
	}
	// So is a thread's actor, by the handle its API object gives, before anyone asked for it by
	// its address (which makes it): the handle answered 404 until then.
	cat, err := s.f.CreateCategory(context.Background(), forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.f.CreateThread(context.Background(), s.alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Findable", Body: "by its handle"})
	if err != nil {
		t.Fatal(err)
	}
	handle := fmt.Sprintf("thread-%d@forum.test", th.ID)
	ta := s.call(t, s.token, "GET", "/api/v1/lookup?q="+url.QueryEscape(handle), "", http.StatusOK)
	if ta["local"] != true || ta["handle"] != handle || ta["kind"] != "service" {
		t.Fatalf("lookup of a new thread's handle: %v", ta)
	}
	if errorCode(s.call(t, s.token, "POST", "/api/v1/follows", `{"actor": "@alice@forum.test"}`, http.StatusUnprocessableEntity)) != "invalid" {
		t.Fatal("following a local actor through federation was not refused")
	}
	if errorCode(s.call(t, s.token, "POST", "/api/v1/follows", `{"actor": "@bo\u0000b@forum.test"}`, http.StatusBadRequest)) != "invalid_text" {
		t.Fatal("a NUL in the actor to follow was not refused as not text")
	}
	if errorCode(s.call(t, s.token, "POST", "/api/v1/follows", `{"who": "x"}`, http.StatusUnprocessableEntity)) != "invalid" {
		t.Fatal("an unknown field was accepted")
	}
}
