package e2e

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"github.com/stoa-forum/stoa/internal/fedtest"
)

// sinkFarm is many small remote servers on one listener: each host name (f001.test, ...) has one
// account, u, with its own inbox, and the farm tells them apart by the Host header. Every POST is
// verified by Mastodon's rules (fedtest.VerifyMastodonStyle) and recorded per host, deduplicated by
// activity id as a real server's inbox would be.
type sinkFarm struct {
	t      *testing.T
	hosts  []string
	addr   string
	key    *rsa.PrivateKey
	pubPEM string
	client *http.Client
	keys   fedtest.KeyFunc

	mu sync.Mutex
	// seen[host][activity id] counts the deliveries of each activity (more than 1: a redelivery
	// the receiver's dedup absorbed).
	seen    map[string]map[string]int
	types   map[string]string // activity id -> type
	refused []string
	// hold, when it returns true for a delivery, keeps the request open without processing it
	// until release is closed (a receiver that has not answered when the sender dies).
	hold    func(host string) bool
	release chan struct{}
}

func newSinkFarm(t *testing.T, n int) *sinkFarm {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	f := &sinkFarm{t: t, key: key, pubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		seen: map[string]map[string]int{}, types: map[string]string{}, release: make(chan struct{})}
	for i := 1; i <= n; i++ {
		h := fmt.Sprintf("f%03d.test", i)
		f.hosts = append(f.hosts, h)
		f.seen[h] = map[string]int{}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		f.releaseHeld()
		_ = srv.Close()
		if t.Failed() {
			t.Logf("---- the sink farm received ----\n%s", f.dump())
		}
	})
	return f
}

// hostMap maps every farm host to the farm's address, for the cluster.
func (f *sinkFarm) hostMap() map[string]string {
	m := map[string]string{}
	for _, h := range f.hosts {
		m[h] = f.addr
	}
	return m
}

// connect gives the farm a client that reaches the instances by name.
func (f *sinkFarm) connect(c *http.Client) {
	f.client = c
	f.keys = fedtest.FetchKeys(c, func(keyID string) string { return keyID })
}

func actorOf(host string) string { return "http://" + host + "/users/u" }

func (f *sinkFarm) releaseHeld() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.release:
	default:
		close(f.release)
	}
}

func (f *sinkFarm) serve(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(r.Host, ":")
	f.mu.Lock()
	_, known := f.seen[host]
	f.mu.Unlock()
	switch {
	case !known:
		http.NotFound(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/users/u":
		id := actorOf(host)
		writeJSON(w, "application/activity+json", map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": "u", "inbox": "http://" + host + "/inbox",
			"outbox": id + "/outbox", "followers": id + "/followers", "following": id + "/following",
			"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": f.pubPEM},
		})
	case r.Method == http.MethodPost && r.URL.Path == "/inbox":
		f.inbox(w, r, host)
	default:
		http.NotFound(w, r)
	}
}

func (f *sinkFarm) inbox(w http.ResponseWriter, r *http.Request, host string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil && hold(host) {
		<-f.release
		http.Error(w, "not processed", http.StatusServiceUnavailable)
		return
	}
	if _, err := fedtest.VerifyMastodonStyle(r, body, f.keys); err != nil {
		f.mu.Lock()
		f.refused = append(f.refused, host+": "+err.Error())
		f.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var env struct{ ID, Type string }
	_ = json.Unmarshal(body, &env)
	f.mu.Lock()
	f.seen[host][env.ID]++
	f.types[env.ID] = env.Type
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// follow sends host's account's signed Follow of target to inbox; it returns the Follow's id.
func (f *sinkFarm) follow(host, inbox, target string) string {
	f.t.Helper()
	id := actorOf(host) + "/follows/1"
	body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": id, "type": "Follow", "actor": actorOf(host), "object": target})
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := signer.SignRequest(crypto.PrivateKey(f.key), actorOf(host)+"#main-key", req, body); err != nil {
		f.t.Fatal(err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("follow from %s: %v", host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		f.t.Fatalf("follow from %s: %d %s", host, resp.StatusCode, msg)
	}
	return id
}

// followAll makes every host follow target, a few at a time.
func (f *sinkFarm) followAll(inbox, target string) {
	f.t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, h := range f.hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f.follow(h, inbox, target)
		}()
	}
	wg.Wait()
}

// count is how many hosts have received at least one activity of type typ, and how many activities
// of that type were delivered in all (redeliveries included).
func (f *sinkFarm) count(typ string) (hosts, deliveries int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ids := range f.seen {
		got := false
		for id, n := range ids {
			if f.types[id] == typ {
				got = true
				deliveries += n
			}
		}
		if got {
			hosts++
		}
	}
	return hosts, deliveries
}

// ids returns the distinct activity ids of type typ any host received, sorted.
func (f *sinkFarm) ids(typ string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id, tt := range f.types {
		if tt == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// missing lists the hosts that have not received every id in ids.
func (f *sinkFarm) missing(ids []string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, h := range f.hosts {
		for _, id := range ids {
			if f.seen[h][id] == 0 {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

func (f *sinkFarm) dump() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, h := range f.hosts {
		ids := make([]string, 0, len(f.seen[h]))
		for id, n := range f.seen[h] {
			ids = append(ids, fmt.Sprintf("%s %s x%d", f.types[id], id, n))
		}
		sort.Strings(ids)
		fmt.Fprintf(&b, "%s: %s\n", h, strings.Join(ids, ", "))
	}
	for _, r := range f.refused {
		fmt.Fprintf(&b, "refused: %s\n", r)
	}
	return b.String()
}
