package federation

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// lazyPolicy lets a test build the handler first and the ForumPolicy over its database after.
type lazyPolicy struct {
	mu sync.Mutex
	p  *ForumPolicy
}

func (l *lazyPolicy) set(p *ForumPolicy) { l.mu.Lock(); l.p = p; l.mu.Unlock() }

func (l *lazyPolicy) Blocked(ctx context.Context, host string) bool {
	l.mu.Lock()
	p := l.p
	l.mu.Unlock()
	return p == nil || p.Blocked(ctx, host)
}

// rulesForum is a Forum over pool with hosts canonicalised as cmd/stoa wires it (what domain rules
// need), standing for another process on the same database.
func rulesForum(t *testing.T, s *site) *forum.Forum {
	t.Helper()
	f, err := forum.New(s.pool, forum.Options{Secret: forumtest.Secret, CanonicalHost: CanonicalHost})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A block made by one process bites in another at once: that process's cached rules are dropped
// on the NOTIFY, and every spelling of the domain and its subdomains is refused; the flags are
// answered for the inbox (ReportsRejected) and media.
func TestForumPolicyBitesInEveryProcess(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, AllowAll{})
	admin, other := rulesForum(t, s), rulesForum(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		other.ListenForChanges(ctx, func(err error) { t.Logf("listener: %v", err) })
	}()
	t.Cleanup(func() { cancel(); <-listening })
	policy := NewForumPolicy(other, nil)
	if policy.Blocked(ctx, "bad.example") {
		t.Fatal("blocked before any rule")
	}
	// Give the listener its LISTEN before the change.
	time.Sleep(200 * time.Millisecond)
	if _, err := admin.BlockDomain(ctx, forumtest.Admin, forum.DomainBlockInput{Domain: "Bad.Example", Severity: forum.SeveritySuspend}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.BlockDomain(ctx, forumtest.Admin, forum.DomainBlockInput{Domain: "grumpy.example", Severity: forum.SeverityNoop,
		RejectReports: true, RejectMedia: true}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !policy.Blocked(ctx, "bad.example") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for host, want := range map[string]bool{
		"bad.example": true, "BAD.example.": true, "deep.sub.bad.example": true, "bad.example:8443": true,
		"notbad.example": false, "example": false, "grumpy.example": false, "not a host": true,
	} {
		if got := policy.Blocked(ctx, host); got != want {
			t.Errorf("Blocked(%q) = %v, want %v", host, got, want)
		}
	}
	if !policy.ReportsRejected(ctx, "grumpy.example") || !policy.MediaRejected(ctx, "sub.grumpy.example") ||
		policy.ReportsRejected(ctx, "fine.example") || !policy.ReportsRejected(ctx, "bad.example") {
		t.Error("flags answered wrongly")
	}
	if _, err := admin.UnblockDomain(ctx, forumtest.Admin, "bad.example", ""); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for policy.Blocked(ctx, "bad.example") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if policy.Blocked(ctx, "bad.example") {
		t.Fatal("the lift did not reach the other process")
	}
}

// With authorized fetch, the GETs of a blocked domain and its subdomains are refused before their
// keys are fetched; an object of a blocked domain (as a boost or quote from an allowed peer names
// it) is never fetched; NodeInfo publishes the moderated servers, obfuscated where asked.
func TestForumPolicyInTheHandlerAndFetcher(t *testing.T) {
	t.Parallel()
	lazy := &lazyPolicy{}
	s := newSite(t, true, lazy)
	rules := rulesForum(t, s)
	lazy.set(NewForumPolicy(rules, nil))
	ctx := context.Background()
	if _, err := rules.BlockDomain(ctx, forumtest.Admin, forum.DomainBlockInput{Domain: "blocked.example", Obfuscate: true,
		PublicComment: "spam"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.BlockDomain(ctx, forumtest.Admin, forum.DomainBlockInput{Domain: "quiet.example", Severity: forum.SeveritySilence}); err != nil {
		t.Fatal(err)
	}
	sign := func(keyID string) func(r *http.Request) {
		return func(r *http.Request) {
			if err := (SigningKey{KeyID: keyID, Private: loadRSAKey(t, "remote-a")}).SignGet(r, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	hits := s.remote.hits.Load()
	for _, keyID := range []string{"http://blocked.example/users/x#main-key", "http://a.b.BLOCKED.example./users/x#main-key"} {
		if resp, _ := s.get(t, "/u/alice", ActivityJSON, sign(keyID)); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET signed by %s: %d", keyID, resp.StatusCode)
		}
	}
	if s.remote.hits.Load() != hits {
		t.Error("a blocked domain's key was fetched")
	}

	rs := newRemoteServer(t)
	rs.doc("/notes/1", ActivityJSON, `{"id":"http://remote.example/notes/1","type":"Note"}`)
	fetcher := newTestFetcher(t, rs, func(o *FetcherOptions) {
		o.Policy = lazy
		o.Transport.HostMap["blocked.example"] = rs.addr()
		o.Transport.HostMap["cdn.blocked.example"] = rs.addr()
	})
	for _, iri := range []string{"http://blocked.example/notes/1", "http://cdn.blocked.example/notes/1"} {
		if _, err := fetcher.Get(ctx, iri); !errors.Is(err, ErrBlockedDomain) {
			t.Errorf("fetch %s: %v", iri, err)
		}
	}
	if _, err := fetcher.Get(ctx, "http://remote.example/notes/1"); err != nil {
		t.Errorf("an allowed peer's object: %v", err)
	}
	if rs.hits.Load() != 1 {
		t.Errorf("%d requests reached the network, want the allowed one only", rs.hits.Load())
	}

	info := s.getDoc(t, "/nodeinfo/2.1", 200)
	meta, _ := info["metadata"].(map[string]any)
	fed, _ := meta["federation"].(map[string]any)
	simple, _ := fed["mrf_simple"].(map[string]any)
	reject, _ := simple["reject"].([]any)
	removal, _ := simple["federated_timeline_removal"].([]any)
	if len(reject) != 1 || reject[0] != forum.ObfuscateDomain("blocked.example") || len(removal) != 1 || removal[0] != "quiet.example" {
		t.Fatalf("nodeinfo federation metadata: %v", fed)
	}
}
