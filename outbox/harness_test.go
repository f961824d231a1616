package outbox

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/stoa-forum/stoa/internal/fedtest"
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
	peers  map[string]*fedtest.Sink
	cat    forum.Category
	alice  forum.Member
	bob    forum.Member
	mod    forum.Member
}

type harnessOption func(*Options)

func newHarness(t *testing.T, hosts []string, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), policy: &blockList{blocked: map[string]bool{}}, peers: map[string]*fedtest.Sink{}}
	hostMap := map[string]string{}
	for _, host := range hosts {
		p := fedtest.NewSink(host, h.publicKey)
		t.Cleanup(p.Close)
		h.peers[host] = p
		hostMap[host] = p.Addr()
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
	return fedtest.ParsePublicKeyPEM(pemText)
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
