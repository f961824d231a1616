package forum

import (
	"github.com/stoa-forum/stoa/internal/gencache"
)

// Shared reads: what every viewer of a page reads alike, kept in memory between requests.
//
// A member's thread page and a member's thread list differ from a guest's only in a few
// things: what the member liked, what they have read, their watch levels, and what their
// permissions withhold. The rest (a thread's row and a page of its posts, their HTML already
// checked against its MAC; a list's rows) is the same for everyone, and reading it is most of a
// page's database work and much of its CPU: fifty posts scanned, their MACs computed. So that
// part is read once and kept, and each request adds only its viewer's part (one small statement)
// and applies its viewer's permissions to the shared copy in memory.
//
// The copies are exact in the way the page caches are (page_changes.go): kept only while the
// listener is subscribed, made and served at one generation of what pages show and one count of
// changes to their thread or category, dropped when either moves. Options.SharedCacheBytes bounds them; 0 keeps nothing,
// and the forum then reads everything afresh, as it does while the listener is away.

// sharedKey names a shared read: its kind, and up to four numbers that say which.
type sharedKey struct {
	kind       sharedKind
	a, b, c, d int64
}

type sharedKind uint8

const (
	// sharedPostRange is a thread and its posts at positions b to c (a is the thread).
	sharedPostRange sharedKind = iota + 1
	// sharedThreadList is a category's list as a guest sees it: the category (a), the cursor's
	// last_post_at in microseconds and id (b, c; zero for the first page), the page's length (d).
	sharedThreadList
	// sharedLatestList is the latest list for a set of visible categories (a, their hash), after
	// a cursor (b, c) and of a length (d), as a guest sees it.
	sharedLatestList
)

// sharedMaxEntries bounds the number of shared reads whatever their size.
const sharedMaxEntries = 1 << 16

func newSharedReads(maxBytes int) *gencache.Cache[sharedKey, keptShared] {
	return gencache.New[sharedKey, keptShared](maxBytes, sharedMaxEntries)
}

// sharedGeneration is the generation a shared read starts at, and whether one may be kept or
// served at all.
func (f *Forum) sharedGeneration() (uint64, bool) {
	if !f.shared.Enabled() {
		return 0, false
	}
	return f.PageGeneration()
}

// scope is what a shared read shows (page_changes.go): a thread's page, a category's list, or
// (the latest list) any of them.
func (k sharedKey) scope() PageScope {
	switch k.kind {
	case sharedPostRange:
		return ThreadScope(k.a)
	case sharedThreadList:
		return CategoryScope(k.a)
	}
	return AnyScope
}

// keptShared is a shared read with the count of changes to its scope it was made at.
type keptShared struct {
	v   any
	seq uint64
}

// readShared returns the value kept for key, or loads it and keeps it if neither the generation
// nor the key's scope moved while it was loaded. load returns the value and its size in bytes.
// When nothing may be kept, load runs every time.
func readShared[V any](f *Forum, key sharedKey, load func() (V, int, error)) (V, error) {
	gen, ok := f.sharedGeneration()
	scope := key.scope()
	seq := f.ScopeSeq(scope)
	if ok {
		if kept, found := f.shared.Get(key, gen); found && kept.seq == seq {
			return kept.v.(V), nil
		}
	}
	v, size, err := load()
	if err != nil || !ok {
		return v, err
	}
	if now, live := f.PageGeneration(); live && now == gen && f.ScopeSeq(scope) == seq {
		f.shared.Put(key, gen, keptShared{v: v, seq: seq}, size)
	}
	return v, nil
}
