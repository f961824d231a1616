package gencache

import "sync"

// Cache is a bounded map of values of one generation. It is safe for concurrent use. The zero
// value and a nil *Cache keep nothing.
type Cache[K comparable, V any] struct {
	maxBytes   int
	maxEntries int

	mu      sync.Mutex
	gen     uint64
	entries map[K]entry[V]
	bytes   int
}

type entry[V any] struct {
	value V
	size  int
}

// New returns a cache of at most maxBytes (as the sizes given to Put count them) and maxEntries
// values. maxBytes 0 keeps nothing.
func New[K comparable, V any](maxBytes, maxEntries int) *Cache[K, V] {
	return &Cache[K, V]{maxBytes: maxBytes, maxEntries: maxEntries, entries: map[K]entry[V]{}}
}

// Enabled reports whether the cache keeps anything at all.
func (c *Cache[K, V]) Enabled() bool { return c != nil && c.maxBytes > 0 && c.maxEntries > 0 }

// Get returns the value kept for k if it was made at generation gen.
func (c *Cache[K, V]) Get(k K, gen uint64) (V, bool) {
	var zero V
	if !c.Enabled() {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return zero, false
	}
	e, ok := c.entries[k]
	return e.value, ok
}

// Last returns the value kept for k whatever its generation, and that generation: what was
// current when it was kept, and may not be now. For a caller that can make nothing current (its
// source is unreachable) and can tell from the generation whether the value is one it may still
// show. Values of older generations are dropped at the first Put of a newer one.
func (c *Cache[K, V]) Last(k K) (v V, gen uint64, ok bool) {
	if !c.Enabled() {
		return v, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e.value, c.gen, ok
}

// Put keeps v, made at generation gen, for k. A value of a newer generation than the cache's
// drops every older one; a value older than the cache's is refused, as is one larger than the
// whole cache. When full, values are dropped at random (map order) until v fits.
func (c *Cache[K, V]) Put(k K, gen uint64, v V, size int) {
	if !c.Enabled() || size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		if gen < c.gen {
			return
		}
		clear(c.entries)
		c.gen, c.bytes = gen, 0
	}
	if old, ok := c.entries[k]; ok {
		c.bytes -= old.size
		delete(c.entries, k)
	}
	for key, old := range c.entries {
		if c.bytes+size <= c.maxBytes && len(c.entries) < c.maxEntries {
			break
		}
		c.bytes -= old.size
		delete(c.entries, key)
	}
	c.entries[k] = entry[V]{value: v, size: size}
	c.bytes += size
}

// Len is the number of values kept (for tests and metrics).
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
