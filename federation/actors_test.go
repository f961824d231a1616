package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// remotePerson is a Mastodon-shaped actor on the loopback peer.
func remotePerson(name, keyID, pemText string) string {
	id := "http://remote.example/users/" + name
	b, _ := json.Marshal(map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       id, "type": "Person", "preferredUsername": name, "name": name,
		"inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers",
		"endpoints": map[string]string{"sharedInbox": "http://remote.example/inbox"},
		"publicKey": map[string]string{"id": keyID, "owner": id, "publicKeyPem": pemText},
	})
	return string(b)
}

type countingJobs struct{ n atomic.Int64 }

func (c *countingJobs) InsertTx(context.Context, pgx.Tx, forum.JobArgs) error { c.n.Add(1); return nil }

type actorsFixture struct {
	forum  *forum.Forum
	pool   *pgxpool.Pool
	actors *Actors
	remote *remoteServer
	jobs   *countingJobs
	clock  *fixedClock
}

func newActorsFixture(t *testing.T, edits ...func(*ActorsOptions)) *actorsFixture {
	t.Helper()
	jobs := &countingJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	rs := newRemoteServer(t)
	clock := &fixedClock{t: time.Now()}
	o := ActorsOptions{Forum: f, Fetcher: newTestFetcher(t, rs, nil), IRIs: MustIRIs("https://forum.example"), Now: clock.Now}
	for _, edit := range edits {
		edit(&o)
	}
	a, err := NewActors(o)
	if err != nil {
		t.Fatal(err)
	}
	return &actorsFixture{forum: f, pool: pool, actors: a, remote: rs, jobs: jobs, clock: clock}
}

func TestResolveKeyFetchesOnceThenUsesTheCache(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyID := "http://remote.example/users/ada#main-key"
	fx.remote.doc("/users/ada", ActivityJSON, remotePerson("ada", keyID, publicPEM(t, "remote-a")))
	k, err := fx.actors.ResolveKey(ctx, keyID)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Fresh || k.Owner != "http://remote.example/users/ada" || k.Actor.Domain != "remote.example" || k.Actor.Username != "ada" {
		t.Fatalf("first resolve: %+v", k)
	}
	again, err := fx.actors.ResolveKey(ctx, keyID)
	if err != nil || again.Fresh || again.Actor.ID != k.Actor.ID {
		t.Fatalf("second resolve: %+v, %v", again, err)
	}
	if fx.remote.hits.Load() != 1 {
		t.Fatalf("%d fetches, want 1 (the second resolve is served from PostgreSQL)", fx.remote.hits.Load())
	}
	if !samePublicKey(k.Key, loadRSAKey(t, "remote-a").Public()) {
		t.Fatal("resolved another key")
	}
	// After the freshness window the cached key is still used, and a refresh job is queued once.
	fx.clock.t = fx.clock.t.Add(25 * time.Hour)
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetched_at = now() - interval '25 hours', fetch_attempted_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := fx.actors.ResolveKey(ctx, keyID); err != nil {
			t.Fatal(err)
		}
	}
	if fx.jobs.n.Load() != 1 || fx.remote.hits.Load() != 1 {
		t.Fatalf("stale actor: %d refresh jobs, %d fetches; want 1 job, no fetch in the request path", fx.jobs.n.Load(), fx.remote.hits.Load())
	}
}

// GoToSocial's key ids have no fragment: the key URL answers with a stub naming the owner, which is
// then fetched from its own origin and must publish the same key.
func TestResolveKeyFollowsGoToSocialKeyStubs(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	keyID := "http://remote.example/users/carol/main-key"
	stub := `{"@context":["https://w3id.org/security/v1","https://www.w3.org/ns/activitystreams"],"id":"http://remote.example/users/carol",` +
		`"preferredUsername":"carol","type":"Person","publicKey":{"id":"` + keyID + `","owner":"http://remote.example/users/carol","publicKeyPem":` +
		mustJSON(publicPEM(t, "remote-a")) + `}}`
	fx.remote.doc("/users/carol/main-key", ActivityJSON, stub)
	fx.remote.doc("/users/carol", ActivityJSON, remotePerson("carol", keyID, publicPEM(t, "remote-a")))
	k, err := fx.actors.ResolveKey(context.Background(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	if k.Owner != "http://remote.example/users/carol" || k.ID != keyID || k.Actor.InboxURL != "http://remote.example/users/carol/inbox" {
		t.Fatalf("key %+v", k)
	}
}

// SECURITY.md rule 1: a key resolves to its own actor; an actor cannot claim another's key, and a
// stub cannot point at an owner that does not publish the key.
func TestRule01KeyBelongsToItsOwnActorOnly(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyA := "http://remote.example/users/a#main-key"
	fx.remote.doc("/users/a", ActivityJSON, remotePerson("a", keyA, publicPEM(t, "remote-a")))
	// b's document claims a's key id: the key owner check in the decoder refuses it.
	bDoc := remotePerson("b", keyA, publicPEM(t, "remote-b"))
	fx.remote.doc("/users/b", ActivityJSON, bDoc)
	k, err := fx.actors.ResolveKey(ctx, keyA)
	if err != nil || k.Owner != "http://remote.example/users/a" {
		t.Fatalf("key of a: %+v, %v", k, err)
	}
	if _, err := fx.actors.Resolve(ctx, "http://remote.example/users/b"); err == nil {
		t.Fatal("an actor publishing another actor's key id (owned by a) was stored")
	}
	// A stub that names an owner who does not publish this key.
	fx.remote.doc("/keys/orphan", ActivityJSON, `{"id":"http://remote.example/keys/orphan","type":"Key","owner":"http://remote.example/users/a",`+
		`"publicKeyPem":`+mustJSON(publicPEM(t, "remote-b"))+`}`)
	if _, err := fx.actors.ResolveKey(ctx, "http://remote.example/keys/orphan"); err == nil {
		t.Fatal("a key whose owner does not publish it resolved")
	}
	// A stub naming an owner on another origin.
	fx.remote.doc("/keys/foreign", ActivityJSON, `{"id":"http://remote.example/keys/foreign","type":"Key","owner":"http://other.example/users/a"}`)
	if _, err := fx.actors.ResolveKey(ctx, "http://remote.example/keys/foreign"); err == nil {
		t.Fatal("a key owned on another origin resolved")
	}
	got, err := fx.forum.ActorByKeyID(ctx, keyA)
	if err != nil || got.APID != "http://remote.example/users/a" {
		t.Fatalf("stored owner of key a: %s, %v", got.APID, err)
	}
}

// SECURITY.md rule 11 over the real cache: after a failed verification the key is refetched, and
// not again for five minutes, whatever the number of failures (in every process).
func TestRule11KeyRefetchIsRateLimitedAcrossCalls(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	keyID := "http://remote.example/users/rot#main-key"
	current := publicPEM(t, "remote-a")
	fx.remote.mux.HandleFunc("/users/rot", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ActivityJSON)
		w.Write([]byte(remotePerson("rot", keyID, current)))
	})
	if _, err := fx.actors.ResolveKey(ctx, keyID); err != nil {
		t.Fatal(err)
	}
	// Fetched just now: no refetch allowed yet.
	if _, refreshed, err := fx.actors.RefreshKey(ctx, keyID); err != nil || refreshed {
		t.Fatalf("refetch right after a fetch: %v, %v", refreshed, err)
	}
	// The peer rotates its key; five minutes later a failed verification refetches it once.
	current = publicPEM(t, "remote-b")
	if _, err := fx.pool.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now() - interval '6 minutes'`); err != nil {
		t.Fatal(err)
	}
	hits := fx.remote.hits.Load()
	k, refreshed, err := fx.actors.RefreshKey(ctx, keyID)
	if err != nil || !refreshed || !samePublicKey(k.Key, loadRSAKey(t, "remote-b").Public()) {
		t.Fatalf("refetch after the interval: %v, %v", refreshed, err)
	}
	for range 5 {
		if _, refreshed, _ := fx.actors.RefreshKey(ctx, keyID); refreshed {
			t.Fatal("refetched again within the interval")
		}
	}
	if fx.remote.hits.Load()-hits != 1 {
		t.Fatalf("%d fetches, want 1", fx.remote.hits.Load()-hits)
	}
	// The Verifier over Actors: a request signed with the rotated key verifies from the cache now.
	srv := newVerifyServer(t, fx.actors, VerifierOptions{Now: time.Now})
	r, _ := http.NewRequest(http.MethodGet, srv.URL+"/u/alice", nil)
	if err := (SigningKey{KeyID: keyID, Private: loadRSAKey(t, "remote-b")}).SignGet(r, time.Now()); err != nil {
		t.Fatal(err)
	}
	if v, err := srv.send(t, r); err != nil || v.Owner != "http://remote.example/users/rot" || v.Actor.Username != "rot" {
		t.Fatalf("verify with the stored rotated key: %+v, %v", v, err)
	}
}

// SECURITY.md rule 6: ids on Stoa's own origin are looked up locally, never fetched or stored.
func TestRule06OwnIDsResolveLocally(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	alice := forumtest.Member(t, fx.forum, "alice", forum.RoleMember)
	a, err := fx.actors.Resolve(ctx, "https://forum.example/u/alice")
	if err != nil || a.ID != alice.ID {
		t.Fatalf("own member: %+v, %v", a, err)
	}
	k, err := fx.actors.ResolveKey(ctx, "https://forum.example/u/alice#main-key")
	if err != nil || k.Owner != "https://forum.example/u/alice" {
		t.Fatalf("own key: %+v, %v", k, err)
	}
	// A signature naming a thread actor that was never made does not make one (nor a key).
	cat, err := fx.forum.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	var threadID int64
	if err := fx.pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title) VALUES ($1, $2, 't') RETURNING id`,
		cat.ID, alice.ID).Scan(&threadID); err != nil {
		t.Fatal(err)
	}
	threadKey := KeyID("https://forum.example/t/" + strconv.FormatInt(threadID, 10) + "/actor")
	if _, err := fx.actors.ResolveKey(ctx, threadKey); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("key of a thread actor never made: %v", err)
	}
	var threadActors int
	if err := fx.pool.QueryRow(ctx, `SELECT count(*) FROM actors WHERE kind = 'thread'`).Scan(&threadActors); err != nil || threadActors != 0 {
		t.Fatalf("%d thread actors made by a key lookup", threadActors)
	}
	if _, err := fx.actors.Resolve(ctx, "https://forum.example/u/nobody"); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("unknown local: %v", err)
	}
	if _, err := fx.actors.Resolve(ctx, "https://forum.example/p/1"); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("a post is not an actor: %v", err)
	}
	if fx.remote.hits.Load() != 0 {
		t.Fatal("a local id was fetched")
	}
	var n int
	if err := fx.pool.QueryRow(ctx, `SELECT count(*) FROM actors WHERE domain IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d remote actors stored", n)
	}
}

func TestFetchMarksGoneActorsAndRefreshJob(t *testing.T) {
	t.Parallel()
	fx := newActorsFixture(t)
	ctx := context.Background()
	gone := false
	fx.remote.mux.HandleFunc("/users/leaving", func(w http.ResponseWriter, r *http.Request) {
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", ActivityJSON)
		w.Write([]byte(remotePerson("leaving", "http://remote.example/users/leaving#main-key", publicPEM(t, "remote-a"))))
	})
	a, err := fx.actors.Resolve(ctx, "http://remote.example/users/leaving")
	if err != nil {
		t.Fatal(err)
	}
	gone = true
	w := &RefreshActorWorker{Actors: fx.actors}
	if err := w.Actors.Refresh(ctx, a.ID); !errors.Is(err, forum.ErrGone) {
		t.Fatalf("refresh of a gone actor: %v", err)
	}
	if _, err := fx.actors.Resolve(ctx, "http://remote.example/users/leaving"); !errors.Is(err, forum.ErrGone) {
		t.Fatalf("resolve after 410: %v", err)
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestKeyOwnerReadsStubsAndKeyDocuments(t *testing.T) {
	t.Parallel()
	keyID := "https://gts.example/users/carol/main-key"
	stub := readFixture(t, "peers/gotosocial-main-key-stub.json")
	if _, err := DecodeActor(stub); err == nil {
		t.Fatal("a key stub (no inbox) is not an actor to store")
	}
	owner, err := keyOwner(Document{URL: keyID, ID: "https://gts.example/users/carol", Body: stub}, keyID)
	if err != nil || owner != "https://gts.example/users/carol" {
		t.Fatalf("owner of the GoToSocial stub: %q, %v", owner, err)
	}
	key := []byte(`{"id":"https://gts.example/keys/1","type":"CryptographicKey","owner":"https://gts.example/users/carol"}`)
	if owner, err := keyOwner(Document{URL: "https://gts.example/keys/1", Body: key}, "https://gts.example/keys/1"); err != nil || owner != "https://gts.example/users/carol" {
		t.Fatalf("owner of a key document: %q, %v", owner, err)
	}
	other := []byte(`{"id":"https://gts.example/users/carol","publicKey":{"id":"https://gts.example/users/carol/other-key"}}`)
	if _, err := keyOwner(Document{URL: keyID, Body: other}, keyID); err == nil {
		t.Fatal("a stub publishing another key named an owner")
	}
}
