package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// staticInstanceKey signs fetches as forum.example's instance actor with a pinned key.
type staticInstanceKey struct{ key SigningKey }

func (s staticInstanceKey) InstanceKey(context.Context) (SigningKey, error) { return s.key, nil }

const testInstanceKeyID = "https://forum.example/actor#main-key"

func testInstanceKey(t testing.TB) staticInstanceKey {
	return staticInstanceKey{SigningKey{KeyID: testInstanceKeyID, Private: loadRSAKey(t, "remote-b")}}
}

// remoteServer is a peer on loopback, reachable as http://remote.example through the host map.
// Every request it gets is checked for Stoa's instance signature.
type remoteServer struct {
	*httptest.Server
	mux    *http.ServeMux
	hits   atomic.Int64
	signed atomic.Int64
}

func newRemoteServer(t *testing.T) *remoteServer {
	t.Helper()
	rs := &remoteServer{mux: http.NewServeMux()}
	keys := &staticKeys{keys: map[string]PublicKey{testInstanceKeyID: {ID: testInstanceKeyID, Owner: "https://forum.example/actor",
		Key: loadRSAKey(t, "remote-b").Public()}}}
	v, err := NewVerifier(VerifierOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.hits.Add(1)
		if got, err := v.Verify(r.Context(), r, nil); err == nil && got.Owner == "https://forum.example/actor" &&
			r.Header.Get("Accept") == AcceptActivityStreams {
			rs.signed.Add(1)
		}
		rs.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs
}

// doc serves a JSON document at path with a content type.
func (rs *remoteServer) doc(path, contentType, body string) {
	rs.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	})
}

func (rs *remoteServer) addr() string { return strings.TrimPrefix(rs.URL, "http://") }

func newTestFetcher(t *testing.T, rs *remoteServer, edit func(*FetcherOptions)) *Fetcher {
	t.Helper()
	o := FetcherOptions{
		IRIs: MustIRIs("https://forum.example"),
		Keys: testInstanceKey(t),
		Transport: TransportOptions{UnsafeLocal: true, HostMap: map[string]string{
			"remote.example": rs.addr(), "other.example": rs.addr(),
		}},
	}
	if edit != nil {
		edit(&o)
	}
	f, err := NewFetcher(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetchSignsAndChecksTheDocument(t *testing.T) {
	t.Parallel()
	rs := newRemoteServer(t)
	rs.doc("/users/a", ActivityJSON, `{"id":"http://remote.example/users/a","type":"Person"}`)
	rs.doc("/users/ld", LDJSONActivityStreams, `{"id":"http://remote.example/users/ld","type":["Person","http://x/Other"]}`)
	f := newTestFetcher(t, rs, nil)
	doc, err := f.Get(context.Background(), "http://remote.example/users/a#main-key")
	if err != nil {
		t.Fatal(err)
	}
	if doc.ID != "http://remote.example/users/a" || doc.Type != "Person" || doc.URL != "http://remote.example/users/a" {
		t.Fatalf("document %+v", doc)
	}
	if _, err := f.Get(context.Background(), "http://remote.example/users/ld"); err != nil {
		t.Fatalf("ld+json with profile: %v", err)
	}
	if rs.signed.Load() != rs.hits.Load() || rs.hits.Load() != 2 {
		t.Fatalf("%d of %d fetches were signed by the instance actor with the AS Accept header", rs.signed.Load(), rs.hits.Load())
	}
}

// SECURITY.md rule 12: a response that is not an ActivityStreams document is refused.
func TestRule12FetchRefusesOtherMediaTypes(t *testing.T) {
	t.Parallel()
	rs := newRemoteServer(t)
	body := `{"id":"http://remote.example/x","type":"Note"}`
	rs.doc("/html", "text/html", body)
	rs.doc("/json", "application/json", body)
	rs.doc("/json-profile", `application/json; profile="https://www.w3.org/ns/activitystreams"`, body)
	rs.doc("/ld-no-profile", "application/ld+json", body)
	f := newTestFetcher(t, rs, nil)
	for _, p := range []string{"/html", "/json", "/json-profile", "/ld-no-profile"} {
		if _, err := f.Get(context.Background(), "http://remote.example"+p); !errors.Is(err, ErrNotActivityStreams) {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// SECURITY.md rule 13: the id must be the final URL; at most one redirect, within the origin.
func TestRule13IDMustBeTheFinalURL(t *testing.T) {
	t.Parallel()
	rs := newRemoteServer(t)
	rs.doc("/users/a", ActivityJSON, `{"id":"http://remote.example/users/a","type":"Person"}`)
	rs.doc("/claims-b", ActivityJSON, `{"id":"http://remote.example/users/b","type":"Person"}`)
	rs.doc("/claims-other-host", ActivityJSON, `{"id":"http://other.example/claims-other-host","type":"Person"}`)
	redirect := func(from, to string) {
		rs.mux.HandleFunc(from, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) })
	}
	redirect("/@a", "/users/a")
	redirect("/twice", "/@a")
	redirect("/elsewhere", "http://other.example/users/a")
	redirect("/to-https", "https://remote.example/users/a")
	f := newTestFetcher(t, rs, nil)
	ctx := context.Background()
	if _, err := f.Get(ctx, "http://remote.example/claims-b"); !errors.Is(err, ErrIDMismatch) {
		t.Errorf("id of another path: %v", err)
	}
	if _, err := f.Get(ctx, "http://remote.example/claims-other-host"); !errors.Is(err, ErrIDMismatch) {
		t.Errorf("id on another host: %v", err)
	}
	before := rs.signed.Load()
	doc, err := f.Get(ctx, "http://remote.example/@a")
	if err != nil || doc.URL != "http://remote.example/users/a" {
		t.Errorf("one redirect within the origin: %+v, %v", doc, err)
	}
	if rs.signed.Load()-before != 2 {
		t.Errorf("the redirected request was not signed again (%d signed)", rs.signed.Load()-before)
	}
	if _, err := f.Get(ctx, "http://remote.example/twice"); err == nil || !strings.Contains(err.Error(), "more than one redirect") {
		t.Errorf("two redirects: %v", err)
	}
	if _, err := f.Get(ctx, "http://remote.example/elsewhere"); !errors.Is(err, ErrUnsafeURL) {
		t.Errorf("redirect to another origin: %v", err)
	}
	if _, err := f.Get(ctx, "http://remote.example/to-https"); !errors.Is(err, ErrUnsafeURL) {
		t.Errorf("redirect to another scheme: %v", err)
	}
	// A document fetched by its key id has a different id; Get refuses it, the key path takes it.
	if _, err := f.Get(ctx, "http://remote.example/claims-b"); err == nil {
		t.Error("Get accepted a mismatched id")
	}
	if doc, err := f.getUnchecked(ctx, "http://remote.example/claims-b"); err != nil || doc.ID != "http://remote.example/users/b" {
		t.Errorf("getUnchecked: %+v, %v", doc, err)
	}
}

// SECURITY.md rule 14: addresses are checked at connect time, after DNS.
func TestRule14NonPublicAddressesAreRefusedAtDialTime(t *testing.T) {
	t.Parallel()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached a loopback server: %s", r.URL)
	}))
	defer tls.Close()
	port := tls.URL[strings.LastIndexByte(tls.URL, ':')+1:]
	safe, err := NewFetcher(FetcherOptions{IRIs: MustIRIs("https://forum.example"), Keys: testInstanceKey(t),
		// Without unsafe local mode the host map is ignored too.
		Transport: TransportOptions{HostMap: map[string]string{"localhost": "127.0.0.1:" + port}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"https://127.0.0.1:" + port + "/u",
		"https://localhost:" + port + "/u", // a name that resolves to loopback
		"https://[::ffff:127.0.0.1]:" + port + "/u",
	} {
		if _, err := safe.Get(context.Background(), u); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", u, err)
		}
	}
	if _, err := safe.Get(context.Background(), "http://remote.example/u"); !errors.Is(err, ErrUnsafeURL) {
		t.Errorf("plain http outside unsafe mode: %v", err)
	}
	for _, u := range []string{"ftp://remote.example/u", "file:///etc/passwd", "https://user@remote.example/u", "https://remote.example:0/u"} {
		if _, err := safe.Get(context.Background(), u); !errors.Is(err, ErrUnsafeURL) {
			t.Errorf("%s: %v, want ErrUnsafeURL", u, err)
		}
	}
}

func TestPublicUnicast(t *testing.T) {
	t.Parallel()
	refused := []string{
		"127.0.0.1", "127.255.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1", "255.255.255.255", "240.0.0.1",
		"192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.1", "203.0.113.5",
		"::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "fec0::1", "100::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "::10.0.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:a00:1::",
		"64:ff9b:1::7f00:1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "::ffff:0:127.0.0.1", "::ffff:0:8.8.8.8",
	}
	for _, s := range refused {
		if PublicUnicast(netip.MustParseAddr(s)) {
			t.Errorf("%s is not public unicast", s)
		}
	}
	public := []string{"1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.32.0.1", "2606:4700::1111",
		"::ffff:1.1.1.1", "64:ff9b::101:101", "2002:101:101::1"}
	for _, s := range public {
		if !PublicUnicast(netip.MustParseAddr(s)) {
			t.Errorf("%s is public unicast", s)
		}
	}
}

// SECURITY.md rule 15: size, time and number of fetches are bounded.
func TestRule15FetchBounds(t *testing.T) {
	t.Parallel()
	rs := newRemoteServer(t)
	rs.doc("/big", ActivityJSON, `{"id":"http://remote.example/big","type":"Note","content":"`+strings.Repeat("x", DefaultFetchMaxBytes)+`"}`)
	rs.mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ActivityJSON)
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"id":"http://remote.example/slow",`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	rs.doc("/users/a", ActivityJSON, `{"id":"http://remote.example/users/a","type":"Person"}`)
	rs.mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	f := newTestFetcher(t, rs, func(o *FetcherOptions) { o.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	if _, err := f.Get(ctx, "http://remote.example/big"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("body over 1 MiB: %v", err)
	}
	start := time.Now()
	if _, err := f.Get(ctx, "http://remote.example/slow"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow body: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the deadline did not cover the body: %s", took)
	}
	if _, err := f.Get(ctx, "http://remote.example/nothing-here"); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
	if _, err := f.Get(ctx, "http://remote.example/gone"); !errors.Is(err, forum.ErrGone) {
		t.Errorf("410: %v", err)
	}
	budget := WithFetchBudget(ctx, 2)
	for i := range 2 {
		if _, err := f.Get(budget, "http://remote.example/users/a"); err != nil {
			t.Fatalf("fetch %d within budget: %v", i, err)
		}
	}
	hits := rs.hits.Load()
	if _, err := f.Get(budget, "http://remote.example/users/a"); !errors.Is(err, ErrFetchBudget) {
		t.Errorf("third fetch on a budget of 2: %v", err)
	}
	if rs.hits.Load() != hits {
		t.Error("a fetch over budget reached the network")
	}
	if left, ok := FetchBudgetLeft(budget); !ok || left != 0 {
		t.Errorf("budget left %d, %v", left, ok)
	}
}

// SECURITY.md rules 6 and 9: Stoa's own ids are never fetched, and blocked hosts never contacted.
func TestRule06And09LocalAndBlockedHostsAreNeverFetched(t *testing.T) {
	t.Parallel()
	rs := newRemoteServer(t)
	rs.doc("/users/a", ActivityJSON, `{"id":"http://remote.example/users/a","type":"Person"}`)
	f := newTestFetcher(t, rs, func(o *FetcherOptions) {
		o.Policy = blockList{"remote.example": true}
		o.Transport.HostMap["forum.example"] = rs.addr()
	})
	if _, err := f.Get(context.Background(), "https://forum.example/u/alice"); !errors.Is(err, ErrLocalIRI) {
		t.Errorf("own id: %v", err)
	}
	if _, err := f.Get(context.Background(), "http://remote.example/users/a"); !errors.Is(err, ErrBlockedDomain) || !errors.Is(err, forum.ErrForbidden) {
		t.Errorf("blocked host: %v", err)
	}
	if rs.hits.Load() != 0 {
		t.Errorf("%d requests reached the network", rs.hits.Load())
	}
}

func TestParseHostMap(t *testing.T) {
	t.Parallel()
	m, err := ParseHostMap(" alpha.test=127.0.0.1:41234, Beta.Test:8080=[::1]:9000 ,")
	if err != nil || len(m) != 2 || m["alpha.test"] != "127.0.0.1:41234" || m["beta.test:8080"] != "[::1]:9000" {
		t.Fatalf("%v, %v", m, err)
	}
	for _, bad := range []string{"alpha.test", "alpha.test=localhost:80", "alpha.test=127.0.0.1", "a/b=127.0.0.1:1", "a.test=1.2.3.4:5,A.test=1.2.3.4:6"} {
		if _, err := ParseHostMap(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
