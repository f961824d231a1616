package inbox

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
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// peers is every remote server of a test, on one loopback listener: requests are told apart by
// their Host header, and Stoa's fetcher reaches each host name through the host map. Each host
// serves the documents a test puts on it and records every request it gets, so a test can say
// that nothing was fetched.
type peers struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	hosts map[string]*peer
}

// peer is one remote server.
type peer struct {
	host string
	mu   sync.Mutex
	// docs are served at their path, as application/activity+json unless types says otherwise.
	docs  map[string][]byte
	types map[string]string
	// redirects answer a path with a 302 to another URL.
	redirects map[string]string
	// down answers a path 503, as a server does while restarting, until it is served again.
	down map[string]bool
	gets []string
}

func newPeers(t *testing.T) *peers {
	ps := &peers{t: t, hosts: map[string]*peer{}}
	ps.srv = httptest.NewServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

// addr is the listener's address, which every peer host maps to.
func (ps *peers) addr() string { return ps.srv.Listener.Addr().String() }

// host returns (making it on first use) the peer with this host name.
func (ps *peers) host(name string) *peer {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.hosts[name]
	if p == nil {
		p = &peer{host: name, docs: map[string][]byte{}, types: map[string]string{}, redirects: map[string]string{},
			down: map[string]bool{}}
		ps.hosts[name] = p
	}
	return p
}

func (ps *peers) serve(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	p := ps.host(host)
	p.mu.Lock()
	p.gets = append(p.gets, r.Method+" "+r.URL.Path)
	doc, ok := p.docs[r.URL.Path]
	typ := p.types[r.URL.Path]
	to, redirect := p.redirects[r.URL.Path]
	down := p.down[r.URL.Path]
	p.mu.Unlock()
	switch {
	case down:
		http.Error(w, "restarting", http.StatusServiceUnavailable)
	case redirect:
		http.Redirect(w, r, to, http.StatusFound)
	case !ok:
		http.NotFound(w, r)
	default:
		if typ == "" {
			typ = "application/activity+json"
		}
		w.Header().Set("Content-Type", typ)
		_, _ = w.Write(doc)
	}
}

// put serves a document at a path of the peer.
func (p *peer) put(path string, doc any) {
	b, ok := doc.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(doc); err != nil {
			panic(err)
		}
	}
	p.mu.Lock()
	p.docs[path] = b
	delete(p.down, path)
	p.mu.Unlock()
}

// unavailable answers a path 503 until put serves it.
func (p *peer) unavailable(path string) {
	p.mu.Lock()
	p.down[path] = true
	p.mu.Unlock()
}

// setType serves a path with another Content-Type.
func (p *peer) setType(path, typ string) {
	p.mu.Lock()
	p.types[path] = typ
	p.mu.Unlock()
}

// redirect answers a path with a redirect to another URL.
func (p *peer) redirect(path, to string) {
	p.mu.Lock()
	p.redirects[path] = to
	p.mu.Unlock()
}

// total counts the requests every host got.
func (ps *peers) total() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	n := 0
	for _, p := range ps.hosts {
		n += len(p.requests())
	}
	return n
}

// requests lists what the peer was asked, "GET /path" each.
func (p *peer) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.gets...)
}

// base is the peer's origin.
func (p *peer) base() string { return "http://" + p.host }

// remoteActor is an account on a peer, with its key.
type remoteActor struct {
	id, keyID string
	key       *rsa.PrivateKey
	doc       map[string]any
	peer      *peer
}

// actor serves an actor document on the peer (kind "Person", "Group", "Application") at
// /users/{name} (/c/{name} for a Group) and returns it. Changing doc and calling publish again
// changes what the origin serves.
func (p *peer) actor(kind, name string, key *rsa.PrivateKey) *remoteActor {
	path := "/users/" + name
	if kind == "Group" {
		path = "/c/" + name
	}
	return p.actorAt(kind, path, name, key)
}

// actorAt serves an actor at a path of the peer's choosing (NodeBB's /uid/2, Lemmy's /u/lena,
// Mastodon's instance actor at /actor).
func (p *peer) actorAt(kind, path, name string, key *rsa.PrivateKey) *remoteActor {
	id := p.base() + path
	a := &remoteActor{id: id, keyID: id + "#main-key", key: key, peer: p}
	a.doc = map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              kind,
		"preferredUsername": name,
		"name":              strings.ToUpper(name[:1]) + name[1:],
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"url":               p.base() + "/@" + name,
		"endpoints":         map[string]any{"sharedInbox": p.base() + "/inbox"},
		"publicKey":         map[string]any{"id": a.keyID, "owner": id, "publicKeyPem": publicPEM(key)},
	}
	if kind == "Group" {
		a.doc["attributedTo"] = id + "/moderators"
		a.doc["featured"] = id + "/featured"
	}
	a.publish()
	return a
}

// publish serves the actor's current document.
func (a *remoteActor) publish() { a.peer.put(strings.TrimPrefix(a.id, a.peer.base()), a.doc) }

func publicPEM(k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

var (
	keysOnce sync.Once
	testKeys []*rsa.PrivateKey
)

// testKey is one of a few RSA keys made once per test process (making a key takes tens of
// milliseconds; tests need a handful of distinct ones, not one per actor).
func testKey(i int) *rsa.PrivateKey {
	keysOnce.Do(func() {
		for range 4 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys = append(testKeys, k)
		}
	})
	return testKeys[i%len(testKeys)]
}

// signature is how a test signs a request: draft-cavage written out here, independently of
// package federation, with the knobs the security tests turn.
type signature struct {
	keyID     string
	key       *rsa.PrivateKey
	headers   []string
	algorithm string
	date      time.Time
	// digest overrides the Digest header (a digest that does not match the body).
	digest string
}

func (a *remoteActor) signature() signature {
	return signature{keyID: a.keyID, key: a.key, headers: []string{"(request-target)", "host", "date", "digest"},
		algorithm: "rsa-sha256", date: time.Now()}
}

// sign sets Host, Date and Digest on req and signs it.
func (s signature) sign(req *http.Request, body []byte) {
	req.Header.Set("Date", s.date.UTC().Format(http.TimeFormat))
	sum := sha256.Sum256(body)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	if s.digest != "" {
		digest = s.digest
	}
	req.Header.Set("Digest", digest)
	var lines []string
	for _, h := range s.headers {
		switch h {
		case "(request-target)":
			lines = append(lines, "(request-target): "+strings.ToLower(req.Method)+" "+req.URL.RequestURI())
		case "host":
			lines = append(lines, "host: "+req.Host)
		default:
			lines = append(lines, h+": "+req.Header.Get(h))
		}
	}
	hashed := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, hashed[:])
	if err != nil {
		panic(err)
	}
	alg := ""
	if s.algorithm != "" {
		alg = fmt.Sprintf(`algorithm="%s",`, s.algorithm)
	}
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",%sheaders="%s",signature="%s"`,
		s.keyID, alg, strings.Join(s.headers, " "), base64.StdEncoding.EncodeToString(sig)))
}

// activity builds an activity document as a peer would send it: the ActivityStreams context, then
// the fields given.
func activity(fields map[string]any) []byte {
	doc := map[string]any{"@context": "https://www.w3.org/ns/activitystreams"}
	for k, v := range fields {
		doc[k] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// compact re-encodes a JSON document without insignificant white space.
func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
