package e2e

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// mastoPeer is a scripted server that behaves the way FEDERATION.md describes Mastodon, written
// against the protocol only (it shares no code with Stoa, and verifies signatures with go-fed's
// httpsig directly): one account, carol@masto.test, that follows Groups like accounts, replies by
// mentioning the person it answers (addressed only to them), shows an Announce of an Article or Page
// as a boost made of title + summary + link (dropping content, as Mastodon does), ignores an
// Announce whose object is an activity, takes a boost back on its booster's Undo (and on nothing
// else: a Delete of a status from another server than the status's is not applied), and refuses
// unsigned or badly signed POSTs.
type mastoPeer struct {
	t      *testing.T
	host   string
	srv    *http.Server
	addr   string
	key    *rsa.PrivateKey
	pubPEM string
	client *http.Client // set by connect: resolves the instances' host names

	mu            sync.Mutex
	received      []peerActivity // every verified activity, in arrival order
	refused       []string       // why each refused POST was refused
	timeline      []timelineItem // what carol's home timeline shows
	notifications []timelineItem // mentions and replies to carol
	accepted      map[string]bool
	notes         map[string]map[string]any // carol's own statuses, served to fetchers
	seq           int
}

type peerActivity struct {
	ID, Type, Actor string
	Raw             map[string]any
}

// timelineItem is one entry as a Mastodon client would render it.
type timelineItem struct {
	Kind      string // "boost", "status"
	By        string // who boosted or wrote it
	Activity  string // the Announce's id, for a boost
	ObjectID  string
	Title     string // Articles and Pages: name
	Summary   string
	URL       string
	Content   string // Notes: the HTML content
	InReplyTo string
}

func newMastoPeer(t *testing.T) *mastoPeer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	p := &mastoPeer{t: t, host: "masto.test", key: key,
		pubPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		accepted: map[string]bool{}, notes: map[string]map[string]any{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/webfinger", p.webfinger)
	mux.HandleFunc("GET /users/carol", p.actor)
	mux.HandleFunc("GET /users/carol/statuses/{n}", p.status)
	mux.HandleFunc("POST /inbox", p.inbox)
	mux.HandleFunc("POST /users/carol/inbox", p.inbox)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = p.srv.Close()
		if t.Failed() {
			t.Logf("---- masto.test saw ----\n%s", p.dump())
		}
	})
	return p
}

// connect gives the peer a client that reaches the instances by name.
func (p *mastoPeer) connect(c *http.Client) { p.client = c }

func (p *mastoPeer) base() string    { return "http://" + p.host }
func (p *mastoPeer) actorID() string { return p.base() + "/users/carol" }

func (p *mastoPeer) webfinger(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("resource") != "acct:carol@"+p.host {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, "application/jrd+json", map[string]any{
		"subject": "acct:carol@" + p.host,
		"links":   []any{map[string]any{"rel": "self", "type": "application/activity+json", "href": p.actorID()}},
	})
}

func (p *mastoPeer) actor(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, "application/activity+json", map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                p.actorID(),
		"type":              "Person",
		"preferredUsername": "carol",
		"name":              "Carol",
		"inbox":             p.actorID() + "/inbox",
		"outbox":            p.actorID() + "/outbox",
		"followers":         p.actorID() + "/followers",
		"following":         p.actorID() + "/following",
		"url":               p.base() + "/@carol",
		"endpoints":         map[string]any{"sharedInbox": p.base() + "/inbox"},
		"publicKey":         map[string]any{"id": p.actorID() + "#main-key", "owner": p.actorID(), "publicKeyPem": p.pubPEM},
	})
}

func (p *mastoPeer) status(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	note, ok := p.notes[p.base()+r.URL.Path]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, "application/activity+json", note)
}

// inbox verifies the request the way Mastodon does (signed (request-target), host, date and digest;
// a matching Digest; a fresh Date; the key's owner is the activity's actor) and then applies it.
func (p *mastoPeer) inbox(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	act, why := p.verify(r, body)
	if why != "" {
		p.mu.Lock()
		p.refused = append(p.refused, why)
		p.mu.Unlock()
		http.Error(w, why, http.StatusUnauthorized)
		return
	}
	p.apply(act)
	w.WriteHeader(http.StatusAccepted)
}

func (p *mastoPeer) verify(r *http.Request, body []byte) (peerActivity, string) {
	sig := r.Header.Get("Signature")
	if sig == "" {
		return peerActivity{}, "unsigned"
	}
	for _, h := range []string{"(request-target)", "host", "date", "digest"} {
		if !strings.Contains(strings.ToLower(sig), h) {
			return peerActivity{}, "header not signed: " + h
		}
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return peerActivity{}, "digest mismatch"
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || time.Since(date) > 12*time.Hour || time.Until(date) > time.Hour {
		return peerActivity{}, "stale or missing date"
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return peerActivity{}, "bad signature header: " + err.Error()
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return peerActivity{}, "bad json"
	}
	act := peerActivity{ID: str(raw["id"]), Type: str(raw["type"]), Actor: str(raw["actor"]), Raw: raw}
	owner, pub, err := p.fetchKey(v.KeyId())
	if err != nil {
		return peerActivity{}, "key: " + err.Error()
	}
	if owner != act.Actor {
		return peerActivity{}, fmt.Sprintf("key owner %s is not the actor %s", owner, act.Actor)
	}
	if err := v.Verify(pub, httpsig.RSA_SHA256); err != nil {
		return peerActivity{}, "signature does not verify: " + err.Error()
	}
	return act, ""
}

// fetchKey dereferences a key id (the actor document, fragment dropped) with a signed GET.
func (p *mastoPeer) fetchKey(keyID string) (string, *rsa.PublicKey, error) {
	u, err := url.Parse(keyID)
	if err != nil {
		return "", nil, err
	}
	u.Fragment = ""
	doc, err := p.fetch(u.String())
	if err != nil {
		return "", nil, err
	}
	pk, _ := doc["publicKey"].(map[string]any)
	block, _ := pem.Decode([]byte(str(pk["publicKeyPem"])))
	if block == nil {
		return "", nil, fmt.Errorf("no key in %s", u)
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return "", nil, err
	}
	rsaKey, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return "", nil, fmt.Errorf("key of %s is not RSA", u)
	}
	return str(pk["owner"]), rsaKey, nil
}

// fetch GETs an ActivityStreams document, signed as carol (servers in authorized-fetch mode refuse
// anything else).
func (p *mastoPeer) fetch(iri string) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodGet, iri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/activity+json")
	if err := p.sign(req, nil); err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", iri, resp.Status)
	}
	var doc map[string]any
	return doc, json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc)
}

func (p *mastoPeer) sign(req *http.Request, body []byte) error {
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	headers := []string{httpsig.RequestTarget, "host", "date"}
	if body != nil {
		headers = append(headers, "digest")
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	return signer.SignRequest(crypto.PrivateKey(p.key), p.actorID()+"#main-key", req, body)
}

// post delivers an activity from carol to an inbox, signed.
func (p *mastoPeer) post(inbox string, activity map[string]any) (int, string) {
	p.t.Helper()
	body, err := json.Marshal(activity)
	if err != nil {
		p.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := p.sign(req, body); err != nil {
		p.t.Fatal(err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatalf("POST %s: %v", inbox, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(msg)
}

// inboxOf finds where to deliver to an actor: its shared inbox, else its own.
func (p *mastoPeer) inboxOf(actorIRI string) string {
	p.t.Helper()
	doc, err := p.fetch(actorIRI)
	if err != nil {
		p.t.Fatalf("fetch actor %s: %v", actorIRI, err)
	}
	if ep, ok := doc["endpoints"].(map[string]any); ok && str(ep["sharedInbox"]) != "" {
		return str(ep["sharedInbox"])
	}
	return str(doc["inbox"])
}

// resolve finds an actor by handle through WebFinger, as Mastodon's search does.
func (p *mastoPeer) resolve(handle string) string {
	p.t.Helper()
	_, host, _ := strings.Cut(strings.TrimPrefix(handle, "@"), "@")
	resp, err := p.client.Get("http://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+strings.TrimPrefix(handle, "@")))
	if err != nil {
		p.t.Fatalf("webfinger %s: %v", handle, err)
	}
	defer resp.Body.Close()
	var jrd struct {
		Links []struct{ Rel, Type, Href string } `json:"links"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jrd); err != nil || resp.StatusCode != http.StatusOK {
		p.t.Fatalf("webfinger %s: %s %v", handle, resp.Status, err)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && strings.Contains(l.Type, "activity+json") {
			return l.Href
		}
	}
	p.t.Fatalf("webfinger %s: no self link", handle)
	return ""
}

// follow sends carol's Follow to an actor and returns the Follow's id.
func (p *mastoPeer) follow(actorIRI string) string {
	p.t.Helper()
	id := p.nextID("follows")
	status, msg := p.post(p.inboxOf(actorIRI), map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Follow",
		"actor": p.actorID(), "object": actorIRI,
	})
	if status/100 != 2 {
		p.t.Fatalf("follow %s: %d %s", actorIRI, status, msg)
	}
	return id
}

// reply answers a post the way Mastodon does: a public Note (Public, carol's followers and the
// author it answers in its audience, never the Group), with a Mention of the author, delivered to
// that author's inbox only. It returns the Note's id.
func (p *mastoPeer) reply(inReplyTo, authorIRI, authorHandle, text string) string {
	p.t.Helper()
	noteID := p.nextID("users/carol/statuses")
	note := map[string]any{
		"@context":     "https://www.w3.org/ns/activitystreams",
		"id":           noteID,
		"type":         "Note",
		"attributedTo": p.actorID(),
		"inReplyTo":    inReplyTo,
		"to":           []any{"https://www.w3.org/ns/activitystreams#Public"},
		"cc":           []any{p.actorID() + "/followers", authorIRI},
		"published":    time.Now().UTC().Format(time.RFC3339),
		"url":          strings.Replace(noteID, "/users/carol/statuses/", "/@carol/", 1),
		"content": fmt.Sprintf(`<p><span class="h-card"><a href="%s" class="u-url mention">@<span>%s</span></a></span> %s</p>`,
			authorIRI, strings.SplitN(authorHandle, "@", 2)[0], text),
		"tag": []any{map[string]any{"type": "Mention", "href": authorIRI, "name": "@" + authorHandle}},
	}
	p.mu.Lock()
	p.notes[noteID] = note
	p.mu.Unlock()
	status, msg := p.post(p.inboxOf(authorIRI), map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": noteID + "/activity", "type": "Create",
		"actor": p.actorID(), "to": note["to"], "cc": note["cc"], "object": note,
	})
	if status/100 != 2 {
		p.t.Fatalf("reply to %s: %d %s", inReplyTo, status, msg)
	}
	return noteID
}

func (p *mastoPeer) nextID(path string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	return fmt.Sprintf("%s/%s/%d", p.base(), path, p.seq)
}

// apply updates carol's state from a verified activity, as Mastodon would show it.
func (p *mastoPeer) apply(a peerActivity) {
	p.mu.Lock()
	p.received = append(p.received, a)
	p.mu.Unlock()
	switch a.Type {
	case "Accept":
		if obj, ok := a.Raw["object"].(map[string]any); ok {
			p.mu.Lock()
			p.accepted[str(obj["id"])] = true
			p.mu.Unlock()
		} else {
			p.mu.Lock()
			p.accepted[str(a.Raw["object"])] = true
			p.mu.Unlock()
		}
	case "Announce":
		objID, _ := a.Raw["object"].(string)
		if objID == "" {
			return // Mastodon does not show an Announce of an activity
		}
		obj, err := p.fetch(objID)
		if err != nil {
			return
		}
		p.show("boost", a.Actor, str(a.Raw["id"]), obj)
	case "Create":
		if obj, ok := a.Raw["object"].(map[string]any); ok {
			p.show("status", a.Actor, "", obj)
		}
	case "Undo":
		undone := str(a.Raw["object"])
		if obj, ok := a.Raw["object"].(map[string]any); ok {
			undone = str(obj["id"])
		}
		p.mu.Lock()
		p.timeline = slices.DeleteFunc(p.timeline, func(it timelineItem) bool {
			return it.Kind == "boost" && it.Activity == undone && it.By == a.Actor
		})
		p.mu.Unlock()
	}
}

func (p *mastoPeer) show(kind, by, activity string, obj map[string]any) {
	item := timelineItem{Kind: kind, By: by, Activity: activity, ObjectID: str(obj["id"]), URL: str(obj["url"]), InReplyTo: str(obj["inReplyTo"])}
	switch str(obj["type"]) {
	case "Article", "Page":
		item.Title, item.Summary = str(obj["name"]), str(obj["summary"])
	default:
		item.Content = str(obj["content"])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timeline = append(p.timeline, item)
	if mentions(obj, p.actorID()) {
		p.notifications = append(p.notifications, item)
	}
}

func mentions(obj map[string]any, actor string) bool {
	tags, _ := obj["tag"].([]any)
	if t, ok := obj["tag"].(map[string]any); ok {
		tags = []any{t}
	}
	for _, t := range tags {
		if m, ok := t.(map[string]any); ok && str(m["type"]) == "Mention" && str(m["href"]) == actor {
			return true
		}
	}
	return false
}

// snapshot returns copies of what the peer has seen, for conditions and failure messages.
func (p *mastoPeer) snapshot() (received []peerActivity, timeline, notifications []timelineItem, refused []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]peerActivity(nil), p.received...), append([]timelineItem(nil), p.timeline...),
		append([]timelineItem(nil), p.notifications...), append([]string(nil), p.refused...)
}

func (p *mastoPeer) followAccepted(followID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted[followID]
}

func (p *mastoPeer) dump() string {
	received, timeline, notes, refused := p.snapshot()
	var b strings.Builder
	for _, a := range received {
		fmt.Fprintf(&b, "received %s %s from %s\n", a.Type, a.ID, a.Actor)
	}
	for _, it := range timeline {
		fmt.Fprintf(&b, "timeline %+v\n", it)
	}
	for _, it := range notes {
		fmt.Fprintf(&b, "notification %+v\n", it)
	}
	for _, r := range refused {
		fmt.Fprintf(&b, "refused: %s\n", r)
	}
	return b.String()
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(v)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
