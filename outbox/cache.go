package outbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// What every delivery needs and a fan-out shares between thousands of them is loaded once per
// process: the document's bytes and digest, and the signer's parsed key. Both never change once
// stored (documents are written once; keys are not rotated), so the caches need no invalidation,
// only a bound. Concurrent misses of one key wait for a single load.

// loadOnce is a bounded map whose values are loaded once per key, concurrent callers waiting.
type loadOnce[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]*onceEntry[V]
	max     int
}

type onceEntry[V any] struct {
	ready chan struct{}
	v     V
	err   error
}

func newLoadOnce[K comparable, V any](max int) *loadOnce[K, V] {
	return &loadOnce[K, V]{entries: map[K]*onceEntry[V]{}, max: max}
}

func (c *loadOnce[K, V]) get(ctx context.Context, k K, load func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[k]
	if !ok {
		if len(c.entries) >= c.max {
			// Old activities are rarely delivered again; starting over is cheaper than tracking use.
			clear(c.entries)
		}
		e = &onceEntry[V]{ready: make(chan struct{})}
		c.entries[k] = e
	}
	c.mu.Unlock()
	if !ok {
		e.v, e.err = load(context.WithoutCancel(ctx))
		if e.err != nil {
			c.mu.Lock()
			if c.entries[k] == e {
				delete(c.entries, k)
			}
			c.mu.Unlock()
		}
		close(e.ready)
	}
	select {
	case <-e.ready:
		return e.v, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// document is a stored document ready to send: its bytes, their digest (computed once, not per
// inbox), and what the worker checks before sending it.
type document struct {
	body   []byte
	digest federation.BodyDigest
	verb   forum.Verb
	postID *int64
}

type docKey struct {
	activity int64
	name     string
}

type documentCache struct{ c *loadOnce[docKey, *document] }

func newDocumentCache(max int) *documentCache {
	return &documentCache{c: newLoadOnce[docKey, *document](max)}
}

func (d *documentCache) get(ctx context.Context, f *forum.Forum, activityID int64, name string) (*document, error) {
	return d.c.get(ctx, docKey{activityID, name}, func(ctx context.Context) (*document, error) {
		a, err := f.ActivityByID(ctx, activityID)
		if err != nil {
			return nil, err
		}
		body := a.Payload
		if name != "" {
			ad, err := f.ActivityDocumentByName(ctx, activityID, name)
			if err != nil {
				return nil, err
			}
			body = ad.Payload
		}
		if len(body) == 0 {
			return nil, fmt.Errorf("activity %d has no stored document %q", activityID, name)
		}
		return &document{body: body, digest: federation.DigestBody(body), verb: a.Verb, postID: a.PostID}, nil
	})
}

// signer is a local actor with its signing key.
type signer struct {
	actor forum.Actor
	key   federation.SigningKey
}

// signerCache holds local actors' signing keys with their key ids.
type signerCache struct{ c *loadOnce[int64, signer] }

func newSignerCache() *signerCache {
	return &signerCache{c: newLoadOnce[int64, signer](10000)}
}

func (s *signerCache) get(ctx context.Context, f *forum.Forum, keys *federation.LocalKeys, actorID int64) (signer, error) {
	return s.c.get(ctx, actorID, func(ctx context.Context) (signer, error) {
		a, err := f.ActorByID(ctx, actorID)
		if err != nil {
			return signer{}, err
		}
		k, err := keys.ForActor(ctx, a)
		return signer{actor: a, key: k}, err
	})
}

// liveness answers "is this post still published?" (forum.PostIsPublished) for the delivery
// worker, which asks before sending a post's Create or Update: a deletion cancels the queued ones
// (fan-out of the Delete), and this check catches jobs already fetched, and those a post's leaving
// public view by other ways (hidden, its thread deleted or moved, its category made private)
// never cancels. Answers are reused for ttl, so a fan-out of a thousand deliveries costs one query
// a second, not a thousand.
type liveness struct {
	mu   sync.Mutex
	ttl  time.Duration
	now  func() time.Time
	seen map[int64]liveEntry
}

type liveEntry struct {
	gone bool
	at   time.Time
}

func newLiveness(ttl time.Duration, now func() time.Time) *liveness {
	return &liveness{ttl: ttl, now: now, seen: map[int64]liveEntry{}}
}

// gone reports whether a post is no longer published.
func (l *liveness) gone(ctx context.Context, f *forum.Forum, postID int64) (bool, error) {
	now := l.now()
	l.mu.Lock()
	e, ok := l.seen[postID]
	l.mu.Unlock()
	if ok && now.Sub(e.at) < l.ttl {
		return e.gone, nil
	}
	published, err := f.PostIsPublished(ctx, postID)
	if err != nil {
		return false, err
	}
	l.mu.Lock()
	if len(l.seen) > 10000 {
		clear(l.seen)
	}
	l.seen[postID] = liveEntry{gone: !published, at: now}
	l.mu.Unlock()
	return !published, nil
}

// forget drops what is known about a post (this process just deleted it).
func (l *liveness) forget(postID int64) {
	l.mu.Lock()
	delete(l.seen, postID)
	l.mu.Unlock()
}
