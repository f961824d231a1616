package outbox

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
)

// harness is a Stoa (forum.test) with its outbox running in River against its own database, and
// remote servers on loopback, each under its own host name through the host map, recording and
// verifying what they receive. Nothing is faked but DNS.
type harness struct {
	t      *testing.T
	ctx    context.Context
	f      *forum.Forum
	setup  *forum.Forum // the same database without a Federator: setting up sends nothing
	pool   *pgxpool.Pool
	fed    *federation.Federation
	ob     *Outbox
	client *river.Client[pgx.Tx]
	policy *blockList
	peers  map[string]*peer
	cat    forum.Category
	alice  forum.Member
	bob    forum.Member
	mod    forum.Member
}

type harnessOption func(*Options)

func newHarness(t *testing.T, hosts []string, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), policy: &blockList{blocked: map[string]bool{}}, peers: map[string]*peer{}}
	hostMap := map[string]string{}
	for _, host := range hosts {
		p := newPeer(t, host, h)
		h.peers[host] = p
		hostMap[host] = strings.TrimPrefix(p.srv.URL, "http://")
	}
	public, _ := url.Parse("http://forum.test")
	federator := NewFederator()
	var pool *pgxpool.Pool
	h.f, pool = forumtest.New(t, forum.Options{Federator: federator, Markup: markup.New(markup.Options{BaseURL: public})})
	h.pool = pool
	h.setup = forumtest.NewOn(t, pool, forum.Options{Markup: markup.New(markup.Options{BaseURL: public})})
	var err error
	h.fed, err = federation.New(federation.Config{Forum: h.f, PublicURL: public, UnsafeLocal: true, HostMap: hostMap,
		Policy: h.policy, Software: federation.Software{Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Forum: h.f, Federation: h.fed, Policy: h.policy, DeliveryWorkers: 50, Log: quietLogger(),
		Transport:      federation.TransportOptions{UnsafeLocal: true, HostMap: hostMap},
		ConnectTimeout: 2 * time.Second, HeaderTimeout: 3 * time.Second, RequestTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if h.ob, err = New(o); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	h.ob.AddWorkers(workers)
	h.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers, Queues: h.ob.Queues(),
		JobTimeout: time.Minute, RescueStuckJobsAfter: 5 * time.Minute, Logger: quietLogger(),
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	federator.Use(h.client)
	h.ob.Use(h.client)
	if err := h.client.Start(h.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.client.StopAndCancel(ctx)
	})
	if h.cat, err = h.f.CreateCategory(h.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	h.alice = forumtest.Member(t, h.f, "alice", forum.RoleMember)
	h.bob = forumtest.Member(t, h.f, "bob", forum.RoleMember)
	h.mod = forumtest.Member(t, h.f, "molly", forum.RoleModerator)
	return h
}

// remote stores a remote actor of a peer, as a fetch from its origin would; shared gives it the
// peer's shared inbox.
func (h *harness) remote(kind forum.ActorKind, host, user string, shared bool) forum.Actor {
	h.t.Helper()
	id := "http://" + host + "/users/" + user
	in := forum.RemoteActor{APID: id, Kind: kind, Username: user, Domain: host, InboxURL: id + "/inbox"}
	if shared {
		in.SharedInboxURL = "http://" + host + "/inbox"
	}
	a, err := h.setup.UpsertRemoteActor(h.ctx, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// follow makes a remote actor follow a local one without sending the Accept.
func (h *harness) follow(follower forum.Actor, targetID int64) {
	h.t.Helper()
	if _, err := h.setup.AddRemoteFollower(h.ctx, forum.RemoteFollow{FollowerID: follower.ID, TargetID: targetID,
		APID: follower.APID + "/follows/" + fmt.Sprint(targetID)}); err != nil {
		h.t.Fatal(err)
	}
}

// software records a peer's NodeInfo software as the probe would.
func (h *harness) software(host, name string) {
	h.t.Helper()
	if err := h.f.SetDomainSoftware(h.ctx, host, name, "1"); err != nil {
		h.t.Fatal(err)
	}
}

// idle waits until the outbox has nothing left to do now (jobs retrying later may remain).
func (h *harness) idle() {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var busy int
		if err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM river_job WHERE queue IN ($1, $2)
			AND (state IN ('available', 'running', 'pending') OR (state IN ('scheduled', 'retryable') AND scheduled_at < now() + interval '2 seconds'))`,
			QueueFanOut, QueueDelivery).Scan(&busy); err != nil {
			h.t.Fatal(err)
		}
		if busy == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("the outbox did not settle in 30 s")
}

// jobStates counts delivery jobs by state.
func (h *harness) jobStates() map[string]int {
	h.t.Helper()
	rows, err := h.pool.Query(h.ctx, `SELECT state::text, count(*)::int FROM river_job WHERE queue = $1 GROUP BY 1`, QueueDelivery)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			h.t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// publicKey is the verifying side's key lookup: what a peer would fetch from the key id.
func (h *harness) publicKey(keyID string) (*rsa.PublicKey, error) {
	ref, ok := h.fed.IRIs.Parse(keyID)
	if !ok || !ref.Key {
		return nil, fmt.Errorf("key id %q is not one of forum.test's", keyID)
	}
	var a forum.Actor
	var err error
	switch ref.Kind {
	case federation.RefInstance:
		a, err = h.f.InstanceActor(h.ctx)
	case federation.RefThreadActor:
		a, err = h.f.LocalActorByUsername(h.ctx, forum.ThreadActorUsername(ref.ID))
	default:
		a, err = h.f.LocalActorByUsername(h.ctx, ref.Name)
	}
	if err != nil {
		return nil, err
	}
	pemText, err := h.f.PublicKeyPEM(h.ctx, a.ID)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return k.(*rsa.PublicKey), nil
}

// blockList is a domain policy tests change while the outbox runs.
type blockList struct {
	mu      sync.Mutex
	blocked map[string]bool
}

func (b *blockList) Blocked(_ context.Context, host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for h := host; h != ""; {
		if b.blocked[h] {
			return true
		}
		_, rest, ok := strings.Cut(h, ".")
		if !ok {
			break
		}
		h = rest
	}
	return false
}

func (b *blockList) block(host string) {
	b.mu.Lock()
	b.blocked[host] = true
	b.mu.Unlock()
}

// received is one POST a peer got, already verified.
type received struct {
	Inbox string // path
	ID    string
	Type  string
	Actor string
	// Object is the object's id (or the object itself when it is an IRI).
	Object  string
	Body    []byte
	Header  http.Header
	KeyID   string
	At      time.Time
	Status  int
	BadSign error
}

// peer is a remote server: it verifies each POST with Mastodon's rules and answers what respond
// says (202 by default).
type peer struct {
	host    string
	srv     *httptest.Server
	h       *harness
	mu      sync.Mutex
	got     []received
	respond func(r received, n int) (int, http.Header)
}

func newPeer(t *testing.T, host string, h *harness) *peer {
	p := &peer{host: host, h: h}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *peer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := received{Inbox: r.URL.Path, Body: body, Header: r.Header.Clone(), At: time.Now()}
	var env struct {
		ID     string          `json:"id"`
		Type   string          `json:"type"`
		Actor  string          `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	_ = json.Unmarshal(body, &env)
	rec.ID, rec.Type, rec.Actor = env.ID, env.Type, env.Actor
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(env.Object, &rec.Object) != nil && json.Unmarshal(env.Object, &obj) == nil {
		rec.Object = obj.ID
	}
	rec.KeyID, rec.BadSign = verifyMastodonStyle(r, body, p.h.publicKey)
	p.mu.Lock()
	n := len(p.got)
	status, header := http.StatusAccepted, http.Header{}
	if p.respond != nil {
		status, header = p.respond(rec, n)
	}
	rec.Status = status
	p.got = append(p.got, rec)
	p.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

// received returns what the peer got, optionally only of one activity type.
func (p *peer) received(types ...string) []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []received
	for _, r := range p.got {
		if len(types) == 0 || contains(types, r.Type) {
			out = append(out, r)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// verifyMastodonStyle checks a POST's HTTP signature the way Mastodon's SignatureVerification
// does, written here independently of package federation's Verifier: draft-cavage, rsa-sha256 (or
// hs2019), (request-target), host, date and digest signed, Date within 12 hours back and 1 hour
// ahead, Digest equal to the body's SHA-256.
func verifyMastodonStyle(r *http.Request, body []byte, lookup func(string) (*rsa.PublicKey, error)) (string, error) {
	params := map[string]string{}
	for _, part := range splitSignature(r.Header.Get("Signature")) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return "", fmt.Errorf("bad signature parameter %q", part)
		}
		params[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	keyID := params["keyId"]
	if keyID == "" || params["signature"] == "" {
		return keyID, errors.New("no keyId or signature")
	}
	if alg := params["algorithm"]; alg != "" && alg != "rsa-sha256" && alg != "hs2019" {
		return keyID, fmt.Errorf("algorithm %q", alg)
	}
	headers := strings.Fields(strings.ToLower(params["headers"]))
	for _, need := range []string{"(request-target)", "host", "date", "digest"} {
		if !contains(headers, need) {
			return keyID, fmt.Errorf("%s is not signed", need)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return keyID, fmt.Errorf("date: %v", err)
	}
	if age := time.Since(date); age > 12*time.Hour || age < -time.Hour {
		return keyID, fmt.Errorf("date %s is out of the window", date)
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return keyID, fmt.Errorf("digest %q does not match the body", r.Header.Get("Digest"))
	}
	var lines []string
	for _, hname := range headers {
		switch hname {
		case "(request-target)":
			lines = append(lines, "(request-target): "+strings.ToLower(r.Method)+" "+r.URL.RequestURI())
		case "host":
			lines = append(lines, "host: "+r.Host)
		default:
			lines = append(lines, hname+": "+r.Header.Get(hname))
		}
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return keyID, err
	}
	pub, err := lookup(keyID)
	if err != nil {
		return keyID, err
	}
	hashed := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return keyID, rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed[:], sig)
}

// splitSignature splits a Signature header on the commas between parameters (not inside quotes).
func splitSignature(h string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, c := range h {
		switch {
		case c == '"':
			quoted = !quoted
			cur.WriteRune(c)
		case c == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
