package federation

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// The in-process cache of remote keys (Actors.keys). The row is changed behind the cache's back
// with SQL, as another process would change it: what ResolveKey returns then shows whether it read
// the row.

// rotatingPeer serves an actor on the loopback peer whose key the test changes.
type rotatingPeer struct {
	mu  sync.Mutex
	pem string
}

func (p *rotatingPeer) set(pemText string) { p.mu.Lock(); p.pem = pemText; p.mu.Unlock() }

func (p *rotatingPeer) serve(fx *actorsFixture, name, keyID string) {
	fx.remote.mux.HandleFunc("/users/"+name, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("Content-Type", ActivityJSON)
		w.Write([]byte(remotePerson(name, keyID, p.pem)))
	})
}

// warmKey resolves a key twice: the first call fetches it (not cached), the second reads the row
// (and caches it).
func warmKey(t *testing.T, fx *actorsFixture, keyID string) PublicKey {
	t.Helper()
	for i := range 2 {
		k, err := fx.actors.ResolveKey(context.Background(), keyID)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			return k
		}
	}
	panic("unreachable")
}

func setStoredPEM(t *testing.T, fx *actorsFixture, keyID, pemText string) {
	t.Helper()
	if _, err := fx.pool.Exec(context.Background(), `UPDATE actors SET public_key_pem = $2 WHERE public_key_id = $1`,
		keyID, pemText); err != nil {
		t.Fatal(err)
	}
}

func TestResolveKeyServesRemoteKeysFromMemoryForTheTTL(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyID := "http://remote.example/users/ada#main-key"
	fx.remote.doc("/users/ada", ActivityJSON, remotePerson("ada", keyID, publicPEM(t, "remote-a")))
	warm := warmKey(t, fx, keyID)
	if warm.Fresh {
		t.Fatal("a key read from the row is not fresh")
	}
	// The row now holds another key: within the TTL the key is served without reading it.
	setStoredPEM(t, fx, keyID, publicPEM(t, "remote-b"))
	fx.clock.t = fx.clock.t.Add(DefaultKeyCacheTTL - time.Second)
	k, err := fx.actors.ResolveKey(ctx, keyID)
	if err != nil || k.Fresh || k.Actor.ID != warm.Actor.ID || k.Owner != warm.Owner {
		t.Fatalf("cached resolve: %+v, %v", k, err)
	}
	if !samePublicKey(k.Key, loadRSAKey(t, "remote-a").Public()) {
		t.Fatal("the row was read within the TTL: the key stored since was returned")
	}
	// Once the entry is TTL old, the row is read again.
	fx.clock.t = fx.clock.t.Add(time.Second)
	if k, err = fx.actors.ResolveKey(ctx, keyID); err != nil || !samePublicKey(k.Key, loadRSAKey(t, "remote-b").Public()) {
		t.Fatalf("after the TTL: %v, or the cached key was returned", err)
	}
	if fx.remote.hits.Load() != 1 {
		t.Fatalf("%d fetches, want 1", fx.remote.hits.Load())
	}

	// A negative TTL turns the cache off: every resolve reads the row.
	off := newActorsFixture(t, func(o *ActorsOptions) { o.KeyCacheTTL = -1 })
	off.remote.doc("/users/ada", ActivityJSON, remotePerson("ada", keyID, publicPEM(t, "remote-a")))
	warmKey(t, off, keyID)
	setStoredPEM(t, off, keyID, publicPEM(t, "remote-b"))
	if k, err = off.actors.ResolveKey(ctx, keyID); err != nil || !samePublicKey(k.Key, loadRSAKey(t, "remote-b").Public()) {
		t.Fatalf("cache off: %v, or a cached key was returned", err)
	}
}

// A cache hit still asks for the refresh of a stale actor (once per refresh interval), so the
// cached copy does not hide the actor's staleness.
func TestCachedKeyOfAStaleActorStillQueuesItsRefresh(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t, func(o *ActorsOptions) { o.KeyCacheTTL = 3 * time.Hour })
	ctx := context.Background()
	keyID := "http://remote.example/users/old#main-key"
	fx.remote.doc("/users/old", ActivityJSON, remotePerson("old", keyID, publicPEM(t, "remote-a")))
	if _, err := fx.actors.ResolveKey(ctx, keyID); err != nil {
		t.Fatal(err)
	}
	backdate := func() {
		t.Helper()
		if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetched_at = now() - interval '25 hours',
			fetch_attempted_at = now() - interval '2 hours'`); err != nil {
			t.Fatal(err)
		}
	}
	backdate()
	warmKey(t, fx, keyID) // reads the stale row (one refresh job) and caches it
	if fx.jobs.n.Load() != 1 {
		t.Fatalf("%d refresh jobs after reading the stale row, want 1", fx.jobs.n.Load())
	}
	// An hour later (the refresh interval) the entry is still served, and asks again.
	fx.clock.t = fx.clock.t.Add(DefaultRefreshInterval + time.Minute)
	backdate()
	for range 3 {
		if _, err := fx.actors.ResolveKey(ctx, keyID); err != nil {
			t.Fatal(err)
		}
	}
	if fx.jobs.n.Load() != 2 || fx.remote.hits.Load() != 1 {
		t.Fatalf("%d refresh jobs, %d fetches; want 2 jobs and no fetch", fx.jobs.n.Load(), fx.remote.hits.Load())
	}
}

// SECURITY.md rule 11 with a cached key: a request signed with a rotated key fails with the cached
// one, RefreshKey refetches it, and from then on ResolveKey returns the new key.
func TestRefreshKeyReplacesTheCachedKey(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyID, peer := cacheThenRotate(t, fx)
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now() - interval '6 minutes'`); err != nil {
		t.Fatal(err)
	}
	srv := newVerifyServer(t, fx.actors, VerifierOptions{Now: time.Now})
	r, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := (SigningKey{KeyID: keyID, Private: loadRSAKey(t, "remote-b")}).SignGet(r, time.Now()); err != nil {
		t.Fatal(err)
	}
	if v, err := srv.send(t, r); err != nil || v.Owner != "http://remote.example/users/rot" {
		t.Fatalf("verify with a rotated key over a cached one: %+v, %v", v, err)
	}
	if fx.remote.hits.Load() != 2 {
		t.Fatalf("%d fetches, want 2 (the first resolve, the refresh)", fx.remote.hits.Load())
	}
	k, err := fx.actors.ResolveKey(ctx, keyID)
	if err != nil || !samePublicKey(k.Key, loadRSAKey(t, "remote-b").Public()) {
		t.Fatalf("resolve right after the refresh: %v, or the old key", err)
	}
	// And RefreshKey alone, as the Verifier calls it: the entry cached since is replaced at once.
	warmKey(t, fx, keyID)
	peer.set(publicPEM(t, "remote-a"))
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now() - interval '6 minutes'`); err != nil {
		t.Fatal(err)
	}
	if _, refreshed, err := fx.actors.RefreshKey(ctx, keyID); err != nil || !refreshed {
		t.Fatalf("refresh: %v, %v", refreshed, err)
	}
	if k, err = fx.actors.ResolveKey(ctx, keyID); err != nil || !samePublicKey(k.Key, loadRSAKey(t, "remote-a").Public()) {
		t.Fatalf("resolve after RefreshKey: %v, or the key cached before it", err)
	}
}

// Another process refetched a rotated key (the row has it, and the refetch interval holds): a
// request signed with it verifies here at once, as it did before keys were cached in memory.
func TestKeyRotatedByAnotherProcessVerifiesDespiteTheCache(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyID, _ := cacheThenRotate(t, fx)
	setStoredPEM(t, fx, keyID, publicPEM(t, "remote-b"))
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now()`); err != nil {
		t.Fatal(err)
	}
	hits := fx.remote.hits.Load()
	srv := newVerifyServer(t, fx.actors, VerifierOptions{Now: time.Now})
	r, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := (SigningKey{KeyID: keyID, Private: loadRSAKey(t, "remote-b")}).SignGet(r, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.send(t, r); err != nil {
		t.Fatalf("verify with the key another process stored: %v", err)
	}
	if fx.remote.hits.Load() != hits {
		t.Fatal("the key was fetched although the row had it, within the refetch interval")
	}
	// A signature neither key verifies still costs no fetch within the interval, and fails.
	bad, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := (SigningKey{KeyID: keyID, Private: loadRSAKey(t, "weak-1024")}).SignGet(bad, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.send(t, bad); !errors.Is(err, ErrBadSignature) || fx.remote.hits.Load() != hits {
		t.Fatalf("bad signature: %v, %d fetches", err, fx.remote.hits.Load()-hits)
	}
}

// A deleted actor's key is served from memory for at most the TTL, and not at all once this
// process forgets it.
func TestDeletedActorsKeyIsNotServedPastTheTTLOrOnceForgotten(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	adaKey, bobKey := "http://remote.example/users/ada#main-key", "http://remote.example/users/bob#main-key"
	fx.remote.doc("/users/ada", ActivityJSON, remotePerson("ada", adaKey, publicPEM(t, "remote-a")))
	fx.remote.doc("/users/bob", ActivityJSON, remotePerson("bob", bobKey, publicPEM(t, "remote-b")))
	warmKey(t, fx, adaKey)
	warmKey(t, fx, bobKey)
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET deleted_at = now() WHERE domain IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	// Deleted by another process: the entry is served until it is TTL old (the documented bound).
	fx.clock.t = fx.clock.t.Add(DefaultKeyCacheTTL / 2)
	if _, err := fx.actors.ResolveKey(ctx, adaKey); err != nil {
		t.Fatalf("within the TTL: %v", err)
	}
	// ForgetKeysOf (what the inbox calls once it applied a Delete) drops bob's entry at once,
	// and only his.
	fx.actors.ForgetKeysOf("http://remote.example/users/bob")
	if _, err := fx.actors.ResolveKey(ctx, bobKey); !errors.Is(err, forum.ErrGone) {
		t.Fatalf("forgotten key of a deleted actor: %v", err)
	}
	if _, err := fx.actors.ResolveKey(ctx, adaKey); err != nil {
		t.Fatalf("ada's entry went with bob's: %v", err)
	}
	fx.clock.t = fx.clock.t.Add(DefaultKeyCacheTTL / 2)
	if _, err := fx.actors.ResolveKey(ctx, adaKey); !errors.Is(err, forum.ErrGone) {
		t.Fatalf("a TTL after caching, the key of a deleted actor: %v", err)
	}
	// A failed verification with the cached key of an actor deleted since refetches nothing (a
	// refetch would store the actor again), though the refetch interval has passed.
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now() - interval '6 minutes'`); err != nil {
		t.Fatal(err)
	}
	hits := fx.remote.hits.Load()
	if _, _, err := fx.actors.RefreshKey(ctx, adaKey); !errors.Is(err, forum.ErrGone) || fx.remote.hits.Load() != hits {
		t.Fatalf("refresh of a deleted actor's key: %v, %d fetches", err, fx.remote.hits.Load()-hits)
	}
}

// The cache is safe for concurrent use (run with -race): resolves, refreshes and forgets at once.
func TestKeyCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyID := "http://remote.example/users/ada#main-key"
	fx.remote.doc("/users/ada", ActivityJSON, remotePerson("ada", keyID, publicPEM(t, "remote-a")))
	warmKey(t, fx, keyID)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := fx.actors.ResolveKey(ctx, keyID); err != nil {
					t.Error(err)
					return
				}
				switch i {
				case 0:
					fx.actors.ForgetKeysOf("http://remote.example/users/ada")
				case 1:
					fx.actors.RefreshKey(ctx, keyID)
				}
			}
		}()
	}
	wg.Wait()
}

// cacheThenRotate serves an actor whose key is "remote-a", has Actors cache it, then has the peer
// publish "remote-b" instead (the row still holds "remote-a").
func cacheThenRotate(t *testing.T, fx *actorsFixture) (string, *rotatingPeer) {
	t.Helper()
	keyID := "http://remote.example/users/rot#main-key"
	peer := &rotatingPeer{pem: publicPEM(t, "remote-a")}
	peer.serve(fx, "rot", keyID)
	warmKey(t, fx, keyID)
	peer.set(publicPEM(t, "remote-b"))
	return keyID, peer
}
