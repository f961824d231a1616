package federation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// instance is one Stoa (its own database, keys and host name) served on loopback.
type instance struct {
	forum *forum.Forum
	fed   *Federation
	srv   *httptest.Server
	mu    sync.Mutex
	hits  map[string]int
}

func (in *instance) served(path string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.hits[path]
}

// Two instances, alpha.test and beta.test, find each other through the host map, as the
// multi-process federation tests will: nothing here is faked but the DNS.
func newInstances(t *testing.T, authorizedFetch bool) (alpha, beta *instance) {
	t.Helper()
	alpha, beta = &instance{hits: map[string]int{}}, &instance{hits: map[string]int{}}
	var handlers [2]http.Handler
	for i, in := range []*instance{alpha, beta} {
		in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			in.mu.Lock()
			in.hits[r.URL.Path]++
			in.mu.Unlock()
			handlers[i].ServeHTTP(w, r)
		}))
		t.Cleanup(in.srv.Close)
	}
	hostMap := map[string]string{
		"alpha.test": strings.TrimPrefix(alpha.srv.URL, "http://"),
		"beta.test":  strings.TrimPrefix(beta.srv.URL, "http://"),
	}
	for i, name := range []string{"alpha.test", "beta.test"} {
		in := []*instance{alpha, beta}[i]
		in.forum, _ = forumtest.New(t, forum.Options{})
		fed, err := New(Config{Forum: in.forum, PublicURL: &url.URL{Scheme: "http", Host: name}, AuthorizedFetch: authorizedFetch,
			UnsafeLocal: true, HostMap: hostMap, Software: Software{Version: "test"}})
		if err != nil {
			t.Fatal(err)
		}
		in.fed = fed
		h, err := fed.Handler(nil)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /.well-known/webfinger", h.WebFinger)
		mux.HandleFunc("GET /.well-known/nodeinfo", h.NodeInfoIndex)
		mux.HandleFunc("GET /nodeinfo/2.1", h.NodeInfo21)
		mux.Handle("/", h)
		handlers[i] = mux
	}
	return alpha, beta
}

func TestTwoInstancesFetchEachOtherWithSignedGETs(t *testing.T) {
	t.Parallel()
	alpha, beta := newInstances(t, true)
	ctx := context.Background()
	bob := forumtest.Member(t, beta.forum, "bob", forum.RoleMember)
	if _, err := beta.forum.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "woodwork", Title: "Woodwork"}); err != nil {
		t.Fatal(err)
	}

	// alpha resolves bob: its fetch is signed by alpha's instance actor; beta (authorized fetch on)
	// fetches alpha's instance actor to verify it, then serves bob in full.
	got, err := alpha.fed.Actors.Resolve(ctx, "http://beta.test/u/bob")
	if err != nil {
		t.Fatal(err)
	}
	if got.Local() || got.Domain != "beta.test" || got.Username != "bob" || got.InboxURL != "http://beta.test/u/bob/inbox" ||
		got.SharedInboxURL != "http://beta.test/inbox" || got.PublicKeyID != "http://beta.test/u/bob#main-key" {
		t.Fatalf("alpha stored bob as %+v", got)
	}
	bobPEM, err := beta.forum.PublicKeyPEM(ctx, bob.ID)
	if err != nil || got.PublicKeyPEM != bobPEM {
		t.Fatalf("bob's key differs from beta's (%v)", err)
	}
	if beta.served("/u/bob") != 1 || alpha.served("/actor") != 1 {
		t.Fatalf("beta served /u/bob %d times, alpha served /actor %d times", beta.served("/u/bob"), alpha.served("/actor"))
	}
	alphaActor, err := beta.forum.ActorByAPID(ctx, "http://alpha.test/actor")
	if err != nil || alphaActor.Kind != forum.ActorInstance || alphaActor.Domain != "alpha.test" {
		t.Fatalf("beta stored alpha's instance actor as %+v, %v", alphaActor, err)
	}
	// A full document, not the reduced one an unsigned fetch gets.
	if got.DisplayName != "bob" {
		t.Errorf("display name %q", got.DisplayName)
	}

	// The category and a thread actor resolve the same way; the second fetch reuses beta's cached key.
	group, err := alpha.fed.Actors.Resolve(ctx, "http://beta.test/c/woodwork")
	if err != nil || group.Kind != forum.ActorGroup || group.FeaturedURL != "http://beta.test/c/woodwork/featured" {
		t.Fatalf("group: %+v, %v", group, err)
	}
	if alpha.served("/actor") != 1 {
		t.Errorf("beta refetched alpha's key (%d fetches of /actor)", alpha.served("/actor"))
	}

	// And beta verifies a signed POST from alpha's member with the key it fetches for it.
	alice := forumtest.Member(t, alpha.forum, "alice", forum.RoleMember)
	key, err := alpha.fed.Keys.ForActor(ctx, alice.Actor)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"Follow"}`)
	r := httptest.NewRequest(http.MethodPost, "http://beta.test/inbox", strings.NewReader(string(body)))
	r.RequestURI = "/inbox"
	if err := key.SignPost(r, DigestBody(body), time.Now()); err != nil {
		t.Fatal(err)
	}
	v, err := beta.fed.Verifier.Verify(ctx, r, body)
	if err != nil || v.Owner != "http://alpha.test/u/alice" || v.Actor.Domain != "alpha.test" {
		t.Fatalf("beta verifying alice's POST: %+v, %v", v, err)
	}
}
