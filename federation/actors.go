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
	// DefaultKeyCacheTTL is how long ResolveKey serves a remote key from memory without reading
	// its owner's row again (see Actors.keys).
	DefaultKeyCacheTTL = 30 * time.Second
)

// ActorsOptions configure Actors. Forum, Fetcher and IRIs are required.
type ActorsOptions struct {
	Forum   *forum.Forum
	Fetcher *Fetcher
	IRIs    IRIs
	Policy  DomainPolicy
	Log     *slog.Logger
	Now     func() time.Time
	// Zero durations take the defaults above. A negative KeyCacheTTL turns the in-process key
	// cache off (every ResolveKey reads the database, as benchmarks compare).
	Freshness, RefreshInterval, KeyRefetchInterval, KeyCacheTTL time.Duration
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

	freshness, refreshInterval, keyRefetchInterval, keyCacheTTL time.Duration

	// keys caches remote keys as ResolveKey read them from their owners' rows, by key id. A CPU
	// profile of the inbox benchmark put that row lookup (forum.ActorByKeyID, a round trip to
	// PostgreSQL) at about 35% of signature verification's CPU, the RSA verification being most of
	// the rest; a peer delivering a burst signs every request with the same few keys.
	//
	// The trade-off is staleness, bounded by keyCacheTTL (30 seconds by default): what this process
	// learns itself drops the entries at once (a fetch of the owner, RefreshKey after a failed
	// verification, ForgetKeysOf when the inbox applies a Delete or Update of the actor), but a
	// change made by another process (its fetch of a rotated key, its Delete of the actor) is seen
	// here only once the entry expires. Until then a deleted actor's signature still verifies here,
	// which is as far as it goes: the inbox records the activity, and the apply job reads the
	// signer's row again (forum.InboundToApply), and posts, likes and follows check the author's
	// state in their own transaction (remoteAuthorMayPost, AddRemoteFollower). A rotated key is not
	// delayed at all: verification with the cached old key fails, and RefreshKey, which reads the
	// row, finds the new one (see RefreshKey).
	//
	// Only keys read from a row that resolved (not deleted, key parsed) are cached. Local keys are
	// not (they are this instance's own, looked up by name, and rarely sign inbound requests), nor
	// errors (an unknown key is fetched, and a failure must not stick), nor keys fetched during the
	// call (a first contact or a refresh: the next request reads the row just written, once, so
	// every entry is exactly what ActorByKeyID returned). Entries carry the owner's row, so the size
	// is bounded more tightly than parsed keys, and cleared when full like them. Callers share an
	// entry's Actor (its slices too) and must not modify it. keysGen counts drops: a row read
	// before one is not cached after it.
	keysMu  sync.RWMutex
	keys    map[string]cachedKey
	keysGen uint64

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

// maxCachedKeys bounds Actors.keys: more distinct signers than this within the TTL is not a burst
// the cache helps with, and each entry holds an actor row (a summary of up to 64 KiB).
const maxCachedKeys = 1024

// cachedKey is an entry of Actors.keys.
type cachedKey struct {
	key PublicKey
	at  time.Time
}

// NewActors returns the actor resolver.
func NewActors(o ActorsOptions) (*Actors, error) {
	if o.Forum == nil || o.Fetcher == nil || o.IRIs.Base() == "" {
		return nil, errors.New("federation: Actors needs Forum, Fetcher and IRIs")
	}
	a := &Actors{forum: o.Forum, fetcher: o.Fetcher, iris: o.IRIs, policy: o.Policy, log: o.Log, now: o.Now,
		freshness: o.Freshness, refreshInterval: o.RefreshInterval, keyRefetchInterval: o.KeyRefetchInterval,
		keyCacheTTL: o.KeyCacheTTL, keys: map[string]cachedKey{}, parsed: map[string]crypto.PublicKey{},
		requested: map[int64]time.Time{}}
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
	if a.keyCacheTTL == 0 {
		a.keyCacheTTL = DefaultKeyCacheTTL
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
			a.ForgetKeysOf(iri)
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
	// The actor's key may have changed, and its key id may have been taken from another actor
	// (forum's takeKeyID): neither may be served from memory any longer.
	a.forgetKeys(func(keyID string, k PublicKey) bool { return k.Owner == stored.APID || keyID == in.PublicKeyID })
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

// ResolveKey implements KeyResolver. A remote key is served from memory when this process read
// its owner's row less than the key cache TTL ago (see Actors.keys), from the row otherwise, and
// fetched from its origin when unknown. Either way a stale owner is queued for refresh.
func (a *Actors) ResolveKey(ctx context.Context, keyID string) (PublicKey, error) {
	if a.iris.IsLocal(keyID) {
		return a.localKey(ctx, keyID)
	}
	if k, ok := a.cachedKey(keyID); ok {
		// The copy's fetched_at is as old as the row it was read from, so a stale actor is
		// still found stale here; refreshIfStale asks at most once per refresh interval.
		a.refreshIfStale(ctx, k.Actor)
		return k, nil
	}
	gen := a.keysGeneration()
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
	k, err := a.storedKey(stored, false)
	if err == nil {
		a.cacheKey(keyID, k, gen)
	}
	return k, err
}

// RefreshKey implements KeyResolver: refetch the key's owner from its origin, unless that was
// done (by any process) within the key refetch interval. It drops the key from memory first, and
// reads the owner's row, as ResolveKey did before the key cache: if another process refetched the
// key since this one cached it, the row's key is returned (refreshed, not fresh) without a fetch,
// and a deleted owner's key is refused.
func (a *Actors) RefreshKey(ctx context.Context, keyID string) (PublicKey, bool, error) {
	if a.iris.IsLocal(keyID) {
		return PublicKey{}, false, nil
	}
	served, wasServed := a.dropKey(keyID)
	stored, err := a.forum.ActorByKeyID(ctx, keyID)
	if err != nil {
		return PublicKey{}, false, err
	}
	if stored.DeletedAt != nil {
		return PublicKey{}, false, fmt.Errorf("owner of key %s: %w", keyID, forum.ErrGone)
	}
	if wasServed && stored.PublicKeyPEM != served.Actor.PublicKeyPEM {
		// Without the cache the caller would have verified with this key in the first place.
		k, err := a.storedKey(stored, false)
		return k, err == nil, err
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

// ForgetKeysOf drops the keys of the actor apID from this process's key cache, so the next
// ResolveKey reads the actor's row: the inbox calls it once it has applied a Delete or an Update
// of the actor. Other processes see the change within the key cache TTL (see Actors.keys).
func (a *Actors) ForgetKeysOf(apID string) {
	a.forgetKeys(func(_ string, k PublicKey) bool { return k.Owner == apID })
}

// cachedKey returns the key cached for keyID, if it was cached less than the TTL ago.
func (a *Actors) cachedKey(keyID string) (PublicKey, bool) {
	if a.keyCacheTTL < 0 {
		return PublicKey{}, false
	}
	a.keysMu.RLock()
	e, ok := a.keys[keyID]
	a.keysMu.RUnlock()
	if !ok || a.now().Sub(e.at) >= a.keyCacheTTL {
		return PublicKey{}, false
	}
	return e.key, true
}

// keysGeneration is read before a row is: cacheKey stores what was read only if nothing was
// forgotten meanwhile.
func (a *Actors) keysGeneration() uint64 {
	a.keysMu.RLock()
	defer a.keysMu.RUnlock()
	return a.keysGen
}

func (a *Actors) cacheKey(keyID string, k PublicKey, gen uint64) {
	if a.keyCacheTTL < 0 {
		return
	}
	a.keysMu.Lock()
	defer a.keysMu.Unlock()
	if gen != a.keysGen {
		return
	}
	if _, ok := a.keys[keyID]; !ok && len(a.keys) >= maxCachedKeys {
		clear(a.keys)
	}
	a.keys[keyID] = cachedKey{key: k, at: a.now()}
}

// dropKey removes keyID's entry, returning it if it had not expired (ResolveKey served it).
func (a *Actors) dropKey(keyID string) (PublicKey, bool) {
	a.keysMu.Lock()
	defer a.keysMu.Unlock()
	a.keysGen++
	e, ok := a.keys[keyID]
	delete(a.keys, keyID)
	if !ok || a.now().Sub(e.at) >= a.keyCacheTTL {
		return PublicKey{}, false
	}
	return e.key, true
}

// forgetKeys drops the entries drop selects. It scans the cache (at most maxCachedKeys entries):
// it runs when an actor is fetched, deleted or updated, not per request.
func (a *Actors) forgetKeys(drop func(keyID string, k PublicKey) bool) {
	a.keysMu.Lock()
	defer a.keysMu.Unlock()
	a.keysGen++
	for id, e := range a.keys {
		if drop(id, e.key) {
			delete(a.keys, id)
		}
	}
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
// on first need (someone is about to follow it), only for a thread guests may see: a lookup or a
// Follow of a private thread's URL makes nothing. Without, only an existing one is found (a key id
// in a signature names an actor that signed something, so it exists already).
func localActor(ctx context.Context, f *forum.Forum, ref Ref, ensureThread bool) (forum.Actor, error) {
	var want forum.ActorKind
	switch ref.Kind {
	case RefInstance:
		return f.InstanceActor(ctx)
	case RefThreadActor:
		ref.Name, want = forum.ThreadActorUsername(ref.ID), forum.ActorThread
		if !ensureThread {
			break
		}
		ensure := f.EnsureThreadActor
		if _, err := f.LocalActorByUsername(ctx, ref.Name); errors.Is(err, forum.ErrNotFound) {
			ensure = f.PublishedThreadActor
		}
		ta, err := ensure(ctx, ref.ID)
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
