package forum

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
)

// Page changes: when may a copy of a page made earlier still be shown?
//
// A cache of pages (web's page caches) or of what pages read (shared_reads.go) keeps a copy only
// while nothing it could show has changed, anywhere. This is its signal: a generation that moves on
// every change to everything, a count of changes per thread and per category, and whether the
// signal can be trusted at all.
//
//   - Every committed write to what pages show notifies pagesChannel. Posts, threads and category
//     counters (migration 0110) name what they changed: "t<id>" for a thread, "c<id>" for a
//     category (a post names its thread and its thread's category; a thread moved names both
//     categories); past 16 names in one transaction, or for a TRUNCATE, one empty notification
//     stands for everything. Actors and categories (0106) notify with an empty payload, and the
//     permissions', domain rules' and site settings' channels count as changes to everything.
//     ListenForChanges hears them from every process, this one included, a moment after the
//     commit.
//   - A copy says what it shows (PageScope): one thread's pages, one category's lists, or anything
//     (AnyScope: the latest list, and whatever does not say). It is stale when the generation
//     moved, or when its scope changed; a change to any thread or category is a change to
//     AnyScope.
//   - A transaction made here for a request (inTx) returns only once the listener has heard its
//     notifications (catch_up.go), so that a page asked for right after a change made here is
//     never an older copy, and what it did not change stays kept; a job's transaction does not
//     wait (background work, commit_mode.go: no request waits for it).
//   - The signal is live only while the listener is subscribed. A lost connection could have
//     missed notifications, so losing it and subscribing again both move the generation.
//
// A copy may be kept if neither the generation nor its scope's count moved between the moment its
// making started (before its first query) and the moment it is stored; it may be shown while both
// are still the ones it was made at. A write that commits after the copy's queries took their
// snapshot notifies after it commits, so either the copy is refused or it is dropped when the
// notification arrives: at worst a page is shown for the moment it takes a notification to arrive
// after another process's commit.

// pagesChannel is the channel migration 0106's triggers notify.
const pagesChannel = "stoa_pages_changed"

// PageScope is what a kept copy shows, beyond what every page shows (actors, categories,
// permissions, settings: changes to everything).
type PageScope struct{ key int64 }

// ThreadScope is one thread's pages: its posts, its row.
func ThreadScope(id int64) PageScope { return PageScope{key: 2 * id} }

// CategoryScope is one category's lists: its threads' rows, its counters.
func CategoryScope(id int64) PageScope { return PageScope{key: 2*id + 1} }

// AnyScope is a copy that may show any thread or category.
var AnyScope = PageScope{key: -1}

// ScopeSeq is the count of changes to a scope since the generation last moved: a copy records it
// with the generation, before it is made.
func (f *Forum) ScopeSeq(s PageScope) uint64 { return f.pages.keySeq(s.key) }

// heardScopes applies a notification of pagesChannel: "t<id>", "c<id>", or empty (or anything
// else) for everything.
func (c *keyedChanges) heardScopes(payload string) {
	var scope PageScope
	id, err := strconv.ParseInt(payload[min(1, len(payload)):], 10, 64)
	switch {
	case err != nil || id <= 0:
		c.changed()
		return
	case payload[0] == 't':
		scope = ThreadScope(id)
	case payload[0] == 'c':
		scope = CategoryScope(id)
	default:
		c.changed()
		return
	}
	c.keyChanged(scope.key)
	c.keyChanged(AnyScope.key)
}

// PageCurrentWhenListenerLost reports, while the change listener is lost, whether a copy made at
// generation gen showing scope, with scopeSeq its count then, was still current when the listener
// was lost: no change to it had been heard. Such a copy may be what a page shows while no current
// one can be made (the database is away: web's stale pages); a copy a change had made stale before
// (a post hidden by a moderator, say) never is.
func (f *Forum) PageCurrentWhenListenerLost(gen uint64, s PageScope, scopeSeq uint64) bool {
	return f.pages.currentWhenLost(gen, s.key, scopeSeq)
}

// PageGeneration is the generation of what pages show, and whether it can be trusted: false
// while no listener is subscribed (ListenForChanges not running, or reconnecting), when nothing
// may be cached.
func (f *Forum) PageGeneration() (gen uint64, live bool) {
	live = f.pages.live.Load()
	return f.pages.gen.Load(), live
}

// keyedChanges is a generation that moves on changes about everything, and a count of changes
// about single keys (a member for viewers and readers, a thread or a category for pages), each
// remembered in changedAt as the seq it took. Something kept about one key records the generation
// and keySeq(key) before it was read, and may be served while both are unchanged. live says
// whether the listener is subscribed: without it nothing may be kept.
type keyedChanges struct {
	gen       atomic.Uint64
	live      atomic.Bool
	seq       atomic.Uint64
	mu        sync.Mutex
	changedAt map[int64]uint64
	// lostGen and lostAt are the generation and the keys' counts as they stood when the listener
	// was last lost (wasLost): what was current then (currentWhenLost).
	wasLost bool
	lostGen uint64
	lostAt  map[int64]uint64
}

// subscribed and lost are the listener's: both move the generation (see above). lost is called
// after every failed attempt to (re)connect too; the first call after the listener was live
// remembers what was current then, in the same critical section as it forgets the keys' counts,
// so that no change heard before it is missing from what it remembers, and the calls after it
// (the listener still away) keep that.
func (c *keyedChanges) subscribed() { c.changed(); c.live.Store(true) }
func (c *keyedChanges) lost() {
	wasLive := c.live.Swap(false)
	c.mu.Lock()
	defer c.mu.Unlock()
	if wasLive {
		c.wasLost, c.lostGen, c.lostAt = true, c.gen.Load(), maps.Clone(c.changedAt)
	}
	c.gen.Add(1)
	clear(c.changedAt)
}

// currentWhenLost reports, while the listener is lost, whether something kept at generation gen
// about key, with key's count seq, was still current when the listener was lost.
func (c *keyedChanges) currentWhenLost(gen uint64, key int64, seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.live.Load() && c.wasLost && gen == c.lostGen && c.lostAt[key] == seq
}

// maxRememberedKeys bounds changedAt; past it, a change about one key is taken as a change about
// everything, which starts the memory afresh.
const maxRememberedKeys = 1 << 16

// changed is a change about everything: all that was kept is dropped, and what was remembered
// about single keys with it.
func (c *keyedChanges) changed() {
	c.gen.Add(1)
	c.mu.Lock()
	clear(c.changedAt)
	c.mu.Unlock()
}

// keyChanged is a change about one key.
func (c *keyedChanges) keyChanged(key int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.changedAt) >= maxRememberedKeys {
		c.gen.Add(1)
		clear(c.changedAt)
	}
	if c.changedAt == nil {
		c.changedAt = map[int64]uint64{}
	}
	c.changedAt[key] = c.seq.Add(1)
}

// changedSince reports whether the key changed after seq was read.
func (c *keyedChanges) changedSince(key int64, seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changedAt[key] > seq
}

// keySeq is the seq of the key's last change since the generation moved, 0 if none.
func (c *keyedChanges) keySeq(key int64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changedAt[key]
}

// heard applies a notification whose payload is a key (a member's id), or empty for everything.
func (c *keyedChanges) heard(payload string) {
	key, err := strconv.ParseInt(payload, 10, 64)
	if payload == "" || err != nil {
		c.changed()
		return
	}
	c.keyChanged(key)
}
