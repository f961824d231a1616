package federation

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// Freshness windows of the remote actor cache.
const (
	// DefaultActorFreshness is how long a fetched actor is used as is. After it, the actor is still
	// used, and a background job refetches it (at most once per DefaultRefreshInterval).
	DefaultActorFreshness  = 24 * time.Hour
	DefaultRefreshInterval = time.Hour
	// DefaultKeyRefetchInterval bounds refetches of a key after failed verifications (rule 11).
	DefaultKeyRefetchInterval = 5 * time.Minute
)

// ActorsOptions configure Actors. Forum, Fetcher and IRIs are required.
type ActorsOptions struct {
	Forum   *forum.Forum
	Fetcher *Fetcher
	IRIs    IRIs
	Policy  DomainPolicy
	Log     *slog.Logger
	Now     func() time.Time
	// Zero durations take the defaults above.
	Freshness, RefreshInterval, KeyRefetchInterval time.Duration
}

// Actors resolves actor and key ids to stored actors: local ids from the forum, remote ones from the
// cache in PostgreSQL, fetched from their origin when unknown and refreshed in the background when
// stale. It implements KeyResolver for the Verifier. Safe for concurrent use.
type Actors struct {
	forum   *forum.Forum
	fetcher *Fetcher
	iris    IRIs
	policy  DomainPolicy
	log     *slog.Logger
	now     func() time.Time

	freshness, refreshInterval, keyRefetchInterval time.Duration

	// parsed caches parsed public keys by PEM text: verification parses the same few keys over and
	// over, and a PEM never changes meaning.
	parsedMu sync.Mutex
	parsed   map[string]crypto.PublicKey

	// requested remembers when this process last asked for an actor's refresh, so a hot stale
	// actor costs one claim per refresh interval rather than a write transaction per request.
	requestedMu sync.Mutex
	requested   map[int64]time.Time
}

const maxParsedKeys = 4096

// NewActors returns the actor resolver.
func NewActors(o ActorsOptions) (*Actors, error) {
	if o.Forum == nil || o.Fetcher == nil || o.IRIs.Base() == "" {
		return nil, errors.New("federation: Actors needs Forum, Fetcher and IRIs")
	}
	a := &Actors{forum: o.Forum, fetcher: o.Fetcher, iris: o.IRIs, policy: o.Policy, log: o.Log, now: o.Now,
		freshness: o.Freshness, refreshInterval: o.RefreshInterval, keyRefetchInterval: o.KeyRefetchInterval,
		parsed: map[string]crypto.PublicKey{}, requested: map[int64]time.Time{}}
	if a.policy == nil {
		a.policy = AllowAll{}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.freshness == 0 {
		a.freshness = DefaultActorFreshness
	}
	if a.refreshInterval == 0 {
		a.refreshInterval = DefaultRefreshInterval
	}
	if a.keyRefetchInterval == 0 {
		a.keyRefetchInterval = DefaultKeyRefetchInterval
	}
	return a, nil
}

// Resolve returns the actor with this id: local actors from the forum; remote ones from the cache
// (stale ones are used and queued for refresh) or fetched from their origin.
func (a *Actors) Resolve(ctx context.Context, iri string) (forum.Actor, error) {
	if a.iris.IsLocal(iri) {
		ref, ok := a.iris.Parse(iri)
		if !ok || ref.Collection != "" || ref.Key {
			return forum.Actor{}, fmt.Errorf("%s: %w", iri, forum.ErrNotFound)
		}
		return localActor(ctx, a.forum, ref, true)
	}
	o, err := OriginOf(iri)
	if err != nil {
		return forum.Actor{}, fmt.Errorf("%w: %w", ErrUnsafeURL, err)
	}
	if a.policy.Blocked(ctx, o.Hostname()) {
		return forum.Actor{}, fmt.Errorf("%w: %s: %w", ErrBlockedDomain, o.Hostname(), forum.ErrForbidden)
	}
	stored, err := a.forum.ActorByAPID(ctx, iri)
	switch {
	case errors.Is(err, forum.ErrNotFound):
		return a.Fetch(ctx, iri)
	case err != nil:
		return forum.Actor{}, err
	case stored.DeletedAt != nil:
		return forum.Actor{}, fmt.Errorf("actor %s: %w", iri, forum.ErrGone)
	}
	a.refreshIfStale(ctx, stored)
	return stored, nil
}

// Fetch fetches an actor from its origin and stores it, key included (only a fetch from the origin
// may change a key: SECURITY.md rule 5). A 410 marks the stored actor gone.
func (a *Actors) Fetch(ctx context.Context, iri string) (forum.Actor, error) {
	doc, err := a.fetcher.Get(ctx, iri)
	if err != nil {
		if errors.Is(err, forum.ErrGone) {
			if merr := a.forum.MarkRemoteActorGone(ctx, iri); merr != nil {
				return forum.Actor{}, errors.Join(err, merr)
			}
		}
		return forum.Actor{}, fmt.Errorf("fetch actor: %w", err)
	}
	in, err := DecodeActor(doc.Body)
	if err != nil {
		return forum.Actor{}, fmt.Errorf("actor %s: %w", doc.URL, err)
	}
	stored, err := a.forum.UpsertRemoteActor(ctx, in)
	if err != nil {
		return forum.Actor{}, err
	}
	return stored, nil
}

// Refresh refetches a stored remote actor: the work of the refresh job.
func (a *Actors) Refresh(ctx context.Context, actorID int64) error {
	stored, err := a.forum.ActorByID(ctx, actorID)
	if err != nil {
		return err
	}
	if stored.Local() || stored.DeletedAt != nil {
		return nil
	}
	_, err = a.Fetch(ctx, stored.APID)
	return err
}

func (a *Actors) refreshIfStale(ctx context.Context, stored forum.Actor) {
	now := a.now()
	if stored.FetchedAt != nil && now.Sub(*stored.FetchedAt) < a.freshness {
		return
	}
	a.requestedMu.Lock()
	last, asked := a.requested[stored.ID]
	recent := asked && now.Sub(last) < a.refreshInterval
	if !recent {
		if len(a.requested) >= maxParsedKeys {
			clear(a.requested)
		}
		a.requested[stored.ID] = now
	}
	a.requestedMu.Unlock()
	if recent {
		return
	}
	if err := a.forum.RequestActorRefresh(ctx, stored.ID, a.refreshInterval); err != nil {
		// The stale copy is still usable; the next use tries again.
		a.log.WarnContext(ctx, "could not queue actor refresh", "actor", stored.APID, "err", err)
	}
}

// ResolveKey implements KeyResolver.
func (a *Actors) ResolveKey(ctx context.Context, keyID string) (PublicKey, error) {
	if a.iris.IsLocal(keyID) {
		return a.localKey(ctx, keyID)
	}
	stored, err := a.forum.ActorByKeyID(ctx, keyID)
	switch {
	case errors.Is(err, forum.ErrNotFound):
		return a.fetchKey(ctx, keyID)
	case err != nil:
		return PublicKey{}, err
	case stored.DeletedAt != nil:
		return PublicKey{}, fmt.Errorf("owner of key %s: %w", keyID, forum.ErrGone)
	}
	a.refreshIfStale(ctx, stored)
	return a.storedKey(stored, false)
}

// RefreshKey implements KeyResolver: refetch the key's owner from its origin, unless that was
// done (by any process) within the key refetch interval.
func (a *Actors) RefreshKey(ctx context.Context, keyID string) (PublicKey, bool, error) {
	if a.iris.IsLocal(keyID) {
		return PublicKey{}, false, nil
	}
	stored, err := a.forum.ActorByKeyID(ctx, keyID)
	if err != nil {
		return PublicKey{}, false, err
	}
	claimed, err := a.forum.ClaimActorFetch(ctx, stored.APID, a.keyRefetchInterval)
	if err != nil || !claimed {
		return PublicKey{}, false, err
	}
	fresh, err := a.Fetch(ctx, stored.APID)
	if err != nil {
		return PublicKey{}, false, err
	}
	if fresh.PublicKeyID != keyID {
		return PublicKey{}, false, fmt.Errorf("%s no longer publishes key %s", stored.APID, keyID)
	}
	k, err := a.storedKey(fresh, true)
	return k, err == nil, err
}

func (a *Actors) storedKey(owner forum.Actor, fresh bool) (PublicKey, error) {
	if owner.PublicKeyPEM == "" {
		return PublicKey{}, fmt.Errorf("%s has no public key", owner.APID)
	}
	key, err := a.parseCached(owner.PublicKeyPEM)
	if err != nil {
		return PublicKey{}, fmt.Errorf("key of %s: %w", owner.APID, err)
	}
	return PublicKey{ID: owner.PublicKeyID, Owner: owner.APID, Key: key, Actor: owner, Fresh: fresh}, nil
}

func (a *Actors) parseCached(pemText string) (crypto.PublicKey, error) {
	a.parsedMu.Lock()
	k, ok := a.parsed[pemText]
	a.parsedMu.Unlock()
	if ok {
		return k, nil
	}
	k, err := ParsePublicKeyPEM(pemText)
	if err != nil {
		return nil, err
	}
	a.parsedMu.Lock()
	if len(a.parsed) >= maxParsedKeys {
		clear(a.parsed)
	}
	a.parsed[pemText] = k
	a.parsedMu.Unlock()
	return k, nil
}

// fetchKey dereferences an unknown key id. Most key ids are "<actor>#main-key", whose document is
// the actor; GoToSocial's "<actor>/main-key" answers with a stub naming the owner, and some servers
// serve a bare Key object with an owner. Either way the owner is then fetched from its own origin,
// and must itself publish this key id.
func (a *Actors) fetchKey(ctx context.Context, keyID string) (PublicKey, error) {
	doc, err := a.fetcher.getUnchecked(ctx, keyID)
	if err != nil {
		return PublicKey{}, fmt.Errorf("fetch key %s: %w", keyID, err)
	}
	if sameIRI(doc.ID, doc.URL) && actorTypes[doc.Type] {
		in, err := DecodeActor(doc.Body)
		if err != nil {
			return PublicKey{}, fmt.Errorf("key %s: %w", keyID, err)
		}
		if in.PublicKeyID == keyID {
			return a.storeKeyOwner(ctx, in, keyID)
		}
	}
	owner, err := keyOwner(doc, keyID)
	if err != nil {
		return PublicKey{}, err
	}
	ownerDoc, err := a.fetcher.Get(ctx, owner)
	if err != nil {
		return PublicKey{}, fmt.Errorf("fetch owner of key %s: %w", keyID, err)
	}
	in, err := DecodeActor(ownerDoc.Body)
	if err != nil {
		return PublicKey{}, fmt.Errorf("owner of key %s: %w", keyID, err)
	}
	if in.PublicKeyID != keyID {
		return PublicKey{}, fmt.Errorf("owner %s does not publish key %s", owner, keyID)
	}
	return a.storeKeyOwner(ctx, in, keyID)
}

func (a *Actors) storeKeyOwner(ctx context.Context, in forum.RemoteActor, keyID string) (PublicKey, error) {
	stored, err := a.forum.UpsertRemoteActor(ctx, in)
	if err != nil {
		return PublicKey{}, fmt.Errorf("store owner of key %s: %w", keyID, err)
	}
	return a.storedKey(stored, true)
}

// keyOwner reads the owner named by a key document or an owner stub, on the key's own origin.
func keyOwner(doc Document, keyID string) (string, error) {
	var k struct {
		ID        string        `json:"id"`
		Owner     string        `json:"owner"`
		PublicKey publicKeyJSON `json:"publicKey"`
	}
	if err := json.Unmarshal(doc.Body, &k); err != nil {
		return "", fmt.Errorf("key %s: %w", keyID, malformed("%v", err))
	}
	owner := k.Owner
	if owner == "" && k.PublicKey.ID == keyID {
		owner = k.PublicKey.Owner
		if owner == "" {
			owner = k.ID
		}
	}
	if owner == "" {
		return "", fmt.Errorf("key %s: the document at %s names no owner", keyID, doc.URL)
	}
	if !SameOrigin(owner, keyID) {
		return "", fmt.Errorf("key %s: owner %s is on another origin", keyID, clip(owner))
	}
	return owner, nil
}

// localKey resolves one of this instance's key ids.
func (a *Actors) localKey(ctx context.Context, keyID string) (PublicKey, error) {
	ref, ok := a.iris.Parse(keyID)
	if !ok || !ref.Key {
		return PublicKey{}, fmt.Errorf("local key %s: %w", keyID, forum.ErrNotFound)
	}
	owner, err := localActor(ctx, a.forum, ref, false)
	if err != nil {
		return PublicKey{}, err
	}
	pemText, err := a.forum.PublicKeyPEM(ctx, owner.ID)
	if err != nil {
		return PublicKey{}, err
	}
	key, err := a.parseCached(pemText)
	if err != nil {
		return PublicKey{}, err
	}
	u, _ := url.Parse(keyID)
	u.Fragment = ""
	return PublicKey{ID: keyID, Owner: u.String(), Key: key, Actor: owner}, nil
}

// localActor finds the local actor a parsed IRI names. With ensureThread a thread's actor is made
// on first need (someone is about to follow it); without, only an existing one is found (a key id
// in a signature names an actor that signed something, so it exists already).
func localActor(ctx context.Context, f *forum.Forum, ref Ref, ensureThread bool) (forum.Actor, error) {
	var want forum.ActorKind
	switch ref.Kind {
	case RefInstance:
		return f.InstanceActor(ctx)
	case RefThreadActor:
		if !ensureThread {
			ref.Name, want = forum.ThreadActorUsername(ref.ID), forum.ActorThread
			break
		}
		ta, err := f.EnsureThreadActor(ctx, ref.ID)
		return ta.Actor, err
	case RefMember:
		want = forum.ActorPerson
	case RefCategory:
		want = forum.ActorGroup
	default:
		return forum.Actor{}, fmt.Errorf("%s is not an actor: %w", ref.Kind, forum.ErrNotFound)
	}
	a, err := f.LocalActorByUsername(ctx, ref.Name)
	if err != nil {
		return forum.Actor{}, err
	}
	if a.Kind != want {
		return forum.Actor{}, fmt.Errorf("%s %q: %w", ref.Kind, ref.Name, forum.ErrNotFound)
	}
	return a, nil
}
