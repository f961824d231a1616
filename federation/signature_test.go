package federation

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// staticKeys is a KeyResolver over fixed keys, counting lookups: the signature rules are tested
// here without a database; actors_test.go runs the same verifier over the real actor cache.
type staticKeys struct {
	mu        sync.Mutex
	keys      map[string]PublicKey
	rotated   map[string]PublicKey // what RefreshKey finds at the origin
	resolved  int
	refreshed int
}

func (s *staticKeys) ResolveKey(_ context.Context, keyID string) (PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resolved++
	k, ok := s.keys[keyID]
	if !ok {
		return PublicKey{}, forum.ErrNotFound
	}
	return k, nil
}

func (s *staticKeys) RefreshKey(_ context.Context, keyID string) (PublicKey, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshed++
	k, ok := s.rotated[keyID]
	return k, ok, nil
}

// signedDate is the pinned clock of the signature tests (the date of the openssl-made fixtures).
var signedDate = time.Date(2026, 11, 23, 1, 0, 42, 0, time.UTC)

const (
	carolID  = "https://gts.example/users/carol"
	carolKey = carolID + "#main-key"
)

// verifyServer is a real loopback server that verifies every request it gets.
type verifyServer struct {
	*httptest.Server
	v       *Verifier
	results chan verifyResult
}

type verifyResult struct {
	got Verified
	err error
}

func newVerifyServer(t *testing.T, keys KeyResolver, opts VerifierOptions) *verifyServer {
	t.Helper()
	s := &verifyServer{results: make(chan verifyResult, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, err := s.v.Verify(r.Context(), r, body)
		s.results <- verifyResult{got, err}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.Close)
	opts.Keys = keys
	if opts.Now == nil {
		opts.Now = func() time.Time { return signedDate }
	}
	if opts.Host == "" {
		opts.Host = strings.TrimPrefix(s.URL, "http://")
	}
	v, err := NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.v = v
	return s
}

// send delivers r and returns what the server's verifier said.
func (s *verifyServer) send(t *testing.T, r *http.Request) (Verified, error) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res := <-s.results
	return res.got, res.err
}

// sendRaw writes raw request bytes to the server, so headers arrive exactly as written.
func (s *verifyServer) sendRaw(t *testing.T, raw []byte) (Verified, error) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res := <-s.results
	return res.got, res.err
}

func carolKeys(t testing.TB) *staticKeys {
	pub := loadRSAKey(t, "remote-a").Public()
	k := PublicKey{ID: carolKey, Owner: carolID, Key: pub}
	gts := k
	gts.ID = carolID + "/main-key"
	return &staticKeys{keys: map[string]PublicKey{carolKey: k, gts.ID: gts}}
}

func carolSigner(t testing.TB) SigningKey {
	return SigningKey{KeyID: carolKey, Private: loadRSAKey(t, "remote-a")}
}

func newPost(t *testing.T, url string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", ActivityJSON)
	return r
}

func TestSignAndVerifyGetAndPost(t *testing.T) {
	t.Parallel()
	srv := newVerifyServer(t, carolKeys(t), VerifierOptions{})
	key := carolSigner(t)

	get, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := key.SignGet(get, signedDate); err != nil {
		t.Fatal(err)
	}
	sig := get.Header.Get("Signature")
	if !strings.Contains(sig, `algorithm="rsa-sha256"`) || !strings.Contains(sig, `headers="(request-target) host date"`) {
		t.Fatalf("GET signature header %q", sig)
	}
	if get.Header.Get("Date") != "Mon, 23 Nov 2026 01:00:42 GMT" {
		t.Fatalf("Date %q", get.Header.Get("Date"))
	}
	got, err := srv.send(t, get)
	if err != nil || got.Owner != carolID || got.KeyID != carolKey || got.Algorithm != "rsa-sha256" {
		t.Fatalf("GET: %+v, %v", got, err)
	}

	body := []byte(`{"type":"Follow"}`)
	post := newPost(t, srv.URL+"/inbox", body)
	if err := key.SignPost(post, DigestBody(body), signedDate); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(post.Header.Get("Signature"), `headers="(request-target) host date digest"`) {
		t.Fatalf("POST signature header %q", post.Header.Get("Signature"))
	}
	sum := sha256.Sum256(body)
	if post.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("Digest %q", post.Header.Get("Digest"))
	}
	if got, err := srv.send(t, post); err != nil || got.Owner != carolID {
		t.Fatalf("POST: %+v, %v", got, err)
	}

	// An escaped path and a query are signed as they go on the wire.
	odd, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/al%20ice/followers?page=1&before=5", nil)
	if err := key.SignGet(odd, signedDate); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.send(t, odd); err != nil {
		t.Fatalf("escaped path with query: %v", err)
	}
}

// The GoToSocial-shaped requests in testdata/signed were signed with openssl, not with Stoa's
// signer: the verifier must accept a peer's hs2019 signature with a key id without fragment.
func TestVerifyGoToSocialShapedRequestsSignedWithOpenSSL(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"gts-post-follow.http", "gts-get-actor.http"} {
		srv := newVerifyServer(t, carolKeys(t), VerifierOptions{Host: "forum.example"})
		got, err := srv.sendRaw(t, readFixture(t, "signed/"+name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.KeyID != carolID+"/main-key" || got.Owner != carolID || got.Algorithm != "rsa-sha256" {
			t.Errorf("%s: %+v", name, got)
		}
	}
	// One changed byte in the body breaks the Digest; one in a signed header breaks the signature.
	raw := readFixture(t, "signed/gts-post-follow.http")
	srv := newVerifyServer(t, carolKeys(t), VerifierOptions{Host: "forum.example"})
	if _, err := srv.sendRaw(t, bytes.Replace(raw, []byte(`"Follow"`), []byte(`"Follox"`), 1)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered body: %v", err)
	}
	if _, err := srv.sendRaw(t, bytes.Replace(raw, []byte("01:00:42 GMT"), []byte("01:00:43 GMT"), 1)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered date: %v", err)
	}
}

// signWith signs r by hand (no Stoa signer), so tests can produce what a careless or hostile peer
// sends: any header list, any algorithm parameter.
func signWith(t *testing.T, r *http.Request, keyID, algParam string, headers []string, key crypto.Signer, hash crypto.Hash) {
	t.Helper()
	var lines []string
	for _, h := range headers {
		switch h {
		case "(request-target)":
			lines = append(lines, "(request-target): "+strings.ToLower(r.Method)+" "+r.URL.RequestURI())
		case "host":
			lines = append(lines, "host: "+r.URL.Host)
		default:
			lines = append(lines, h+": "+r.Header.Get(h))
		}
	}
	msg := []byte(strings.Join(lines, "\n"))
	var sig []byte
	var err error
	switch k := key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, msg)
	default:
		h := hash.New()
		h.Write(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), hash, h.Sum(nil))
	}
	if err != nil {
		t.Fatal(err)
	}
	alg := ""
	if algParam != "" {
		alg = `algorithm="` + algParam + `",`
	}
	r.Header.Set("Signature", `keyId="`+keyID+`",`+alg+`headers="`+strings.Join(headers, " ")+`",signature="`+
		base64.StdEncoding.EncodeToString(sig)+`"`)
}

// SECURITY.md rule 10, one case each: required signed headers, Digest against the body, the Date
// window, and the algorithm chosen by the key's type.
func TestRule10SignatureRequirements(t *testing.T) {
	t.Parallel()
	rsaKey := loadRSAKey(t, "remote-a")
	edKey := loadPrivateKey(t, "ed25519").(ed25519.PrivateKey)
	weak := loadRSAKey(t, "weak-1024")
	keys := carolKeys(t)
	keys.keys["https://gts.example/users/ed#main-key"] = PublicKey{ID: "https://gts.example/users/ed#main-key", Owner: "https://gts.example/users/ed", Key: edKey.Public()}
	keys.keys["https://gts.example/users/weak#main-key"] = PublicKey{ID: "https://gts.example/users/weak#main-key", Owner: "https://gts.example/users/weak", Key: weak.Public()}
	srv := newVerifyServer(t, keys, VerifierOptions{})
	body := []byte(`{"type":"Like"}`)
	all := []string{"(request-target)", "host", "date", "digest"}

	type tc struct {
		name  string
		build func() *http.Request
		ok    bool
	}
	post := func(edit func(r *http.Request)) func() *http.Request {
		return func() *http.Request {
			r := newPost(t, srv.URL+"/inbox", body)
			r.Header.Set("Date", signedDate.Format(http.TimeFormat))
			r.Header.Set("Digest", string(DigestBody(body)))
			edit(r)
			return r
		}
	}
	sign := func(keyID, alg string, headers []string, key crypto.Signer) func(r *http.Request) {
		return func(r *http.Request) { signWith(t, r, keyID, alg, headers, key, crypto.SHA256) }
	}
	cases := []tc{
		{"baseline rsa-sha256", post(sign(carolKey, "rsa-sha256", all, rsaKey)), true},
		{"hs2019 defers to the RSA key", post(sign(carolKey, "hs2019", all, rsaKey)), true},
		{"no algorithm parameter", post(sign(carolKey, "", all, rsaKey)), true},
		{"request-target not signed", post(sign(carolKey, "rsa-sha256", []string{"host", "date", "digest"}, rsaKey)), false},
		{"host not signed", post(sign(carolKey, "rsa-sha256", []string{"(request-target)", "date", "digest"}, rsaKey)), false},
		{"date not signed", post(sign(carolKey, "rsa-sha256", []string{"(request-target)", "host", "digest"}, rsaKey)), false},
		{"digest not signed on POST", post(sign(carolKey, "rsa-sha256", []string{"(request-target)", "host", "date"}, rsaKey)), false},
		{"Digest does not match the body", post(func(r *http.Request) {
			r.Header.Set("Digest", string(DigestBody([]byte(`{"type":"Delete"}`))))
			signWith(t, r, carolKey, "rsa-sha256", all, rsaKey, crypto.SHA256)
		}), false},
		{"no Digest header", post(func(r *http.Request) {
			r.Header.Del("Digest")
			signWith(t, r, carolKey, "rsa-sha256", []string{"(request-target)", "host", "date"}, rsaKey, crypto.SHA256)
		}), false},
		{"Digest with an unknown algorithm only", post(func(r *http.Request) {
			r.Header.Set("Digest", "MD5=abc")
			signWith(t, r, carolKey, "rsa-sha256", all, rsaKey, crypto.SHA256)
		}), false},
		{"Date 11 hours old", post(func(r *http.Request) {
			r.Header.Set("Date", signedDate.Add(-11*time.Hour).Format(http.TimeFormat))
			signWith(t, r, carolKey, "rsa-sha256", all, rsaKey, crypto.SHA256)
		}), true},
		{"Date 13 hours old", post(func(r *http.Request) {
			r.Header.Set("Date", signedDate.Add(-13*time.Hour).Format(http.TimeFormat))
			signWith(t, r, carolKey, "rsa-sha256", all, rsaKey, crypto.SHA256)
		}), false},
		{"Date 2 hours ahead", post(func(r *http.Request) {
			r.Header.Set("Date", signedDate.Add(2*time.Hour).Format(http.TimeFormat))
			signWith(t, r, carolKey, "rsa-sha256", all, rsaKey, crypto.SHA256)
		}), false},
		{"Date unparseable", post(func(r *http.Request) {
			r.Header.Set("Date", "yesterday")
			signWith(t, r, carolKey, "rsa-sha256", all, rsaKey, crypto.SHA256)
		}), false},
		{"header claims rsa-sha512 (known to httpsig, refused)", post(func(r *http.Request) {
			signWith(t, r, carolKey, "rsa-sha512", all, rsaKey, crypto.SHA512)
		}), false},
		{"header claims hmac-sha256", post(sign(carolKey, "hmac-sha256", all, rsaKey)), false},
		{"unknown algorithm", post(sign(carolKey, "rot13", all, rsaKey)), false},
		{"header claims ed25519 for an RSA key", post(sign(carolKey, "ed25519", all, rsaKey)), false},
		{"Ed25519 key with hs2019", post(sign("https://gts.example/users/ed#main-key", "hs2019", all, edKey)), true},
		{"Ed25519 key, header claims rsa-sha256", post(sign("https://gts.example/users/ed#main-key", "rsa-sha256", all, edKey)), false},
		{"RSA-1024 key", post(sign("https://gts.example/users/weak#main-key", "rsa-sha256", all, weak)), false},
		{"signed by another key than keyId names", post(sign(carolKey, "rsa-sha256", all, loadRSAKey(t, "remote-b"))), false},
		{"unknown key", post(sign("https://gts.example/users/nobody#main-key", "rsa-sha256", all, rsaKey)), false},
	}
	for _, c := range cases {
		got, err := srv.send(t, c.build())
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted (owner %s)", c.name, got.Owner)
		case !c.ok && !errors.Is(err, ErrBadSignature):
			t.Errorf("%s: %v does not wrap ErrBadSignature", c.name, err)
		case !c.ok && !errors.Is(err, forum.ErrUnauthorized):
			t.Errorf("%s: %v does not wrap forum.ErrUnauthorized (401)", c.name, err)
		}
	}
}

func TestVerifyTargetHostQueryAndMissingSignature(t *testing.T) {
	t.Parallel()
	rsaKey := loadRSAKey(t, "remote-a")
	srv := newVerifyServer(t, carolKeys(t), VerifierOptions{})
	get := func(path string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		r.Header.Set("Date", signedDate.Format(http.TimeFormat))
		return r
	}
	// Signed without the query (some implementations do), sent with it: accepted.
	r := get("/u/alice/followers?page=1")
	noQuery := get("/u/alice/followers")
	signWith(t, noQuery, carolKey, "rsa-sha256", []string{"(request-target)", "host", "date"}, rsaKey, crypto.SHA256)
	r.Header.Set("Signature", noQuery.Header.Get("Signature"))
	if _, err := srv.send(t, r); err != nil {
		t.Errorf("request-target signed without the query: %v", err)
	}
	// A signature for another path is not one for this path.
	r = get("/u/bob")
	r.Header.Set("Signature", noQuery.Header.Get("Signature"))
	if _, err := srv.send(t, r); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signature of another path: %v", err)
	}
	// Signed for another host: not replayable here.
	other := get("/u/alice")
	other.URL.Host = "elsewhere.example"
	signWith(t, other, carolKey, "rsa-sha256", []string{"(request-target)", "host", "date"}, rsaKey, crypto.SHA256)
	r = get("/u/alice")
	r.Host = "elsewhere.example"
	r.Header.Set("Signature", other.Header.Get("Signature"))
	if _, err := srv.send(t, r); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "host") {
		t.Errorf("signed for another host: %v", err)
	}
	// No signature at all is its own error (authorized fetch serves a reduced actor for it).
	if _, err := srv.send(t, get("/u/alice")); !errors.Is(err, ErrUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
	// RFC 9421 only: refused with a message that says so.
	r = get("/u/alice")
	r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri");keyid="x"`)
	if _, err := srv.send(t, r); err == nil || !strings.Contains(err.Error(), "RFC 9421") {
		t.Errorf("RFC 9421: %v", err)
	}
}

type blockList map[string]bool

func (b blockList) Blocked(_ context.Context, host string) bool { return b[host] }

// SECURITY.md rule 9: the signer's domain is checked before any key lookup or fetch.
func TestRule09BlockedSignerIsRefusedBeforeAnyKeyFetch(t *testing.T) {
	t.Parallel()
	keys := carolKeys(t)
	srv := newVerifyServer(t, keys, VerifierOptions{Policy: blockList{"gts.example": true}})
	r, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := carolSigner(t).SignGet(r, signedDate); err != nil {
		t.Fatal(err)
	}
	_, err := srv.send(t, r)
	if !errors.Is(err, ErrBlockedDomain) || !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("blocked signer: %v", err)
	}
	if keys.resolved != 0 {
		t.Fatalf("the key of a blocked signer was looked up %d times", keys.resolved)
	}
}

// SECURITY.md rule 11: a failed verification refetches the key (once); a rotated key then verifies.
func TestRule11FailedVerificationRefetchesTheKeyOnce(t *testing.T) {
	t.Parallel()
	oldPub := loadRSAKey(t, "remote-a").Public()
	newKey := loadRSAKey(t, "remote-b")
	keys := &staticKeys{
		keys:    map[string]PublicKey{carolKey: {ID: carolKey, Owner: carolID, Key: oldPub}},
		rotated: map[string]PublicKey{carolKey: {ID: carolKey, Owner: carolID, Key: newKey.Public(), Fresh: true}},
	}
	srv := newVerifyServer(t, keys, VerifierOptions{})
	r, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := (SigningKey{KeyID: carolKey, Private: newKey}).SignGet(r, signedDate); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.send(t, r); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if keys.refreshed != 1 {
		t.Fatalf("refreshed %d times, want 1", keys.refreshed)
	}
	// A signature no key verifies costs one refresh, not a loop.
	keys.refreshed = 0
	bad, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := (SigningKey{KeyID: carolKey, Private: loadRSAKey(t, "weak-1024")}).SignGet(bad, signedDate); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.send(t, bad); !errors.Is(err, ErrBadSignature) || keys.refreshed != 1 {
		t.Fatalf("bad signature: %v after %d refreshes", err, keys.refreshed)
	}
}

func TestSignerRefusesWhatItCannotSign(t *testing.T) {
	t.Parallel()
	r, _ := http.NewRequest(http.MethodPost, "https://remote.example/inbox", nil)
	if err := (SigningKey{KeyID: carolKey, Private: loadRSAKey(t, "remote-a")}).SignPost(r, "MD5=xyz", signedDate); err == nil {
		t.Error("signed with a non-SHA-256 digest")
	}
	if err := (SigningKey{}).SignGet(r, signedDate); err == nil {
		t.Error("signed without a key")
	}
	rel := &http.Request{Method: http.MethodGet, URL: nil, Header: http.Header{}}
	if err := carolSigner(t).SignGet(rel, signedDate); err == nil {
		t.Error("signed a request without URL")
	}
}
