package gencache

import "testing"

func TestValuesAreServedOnlyAtTheirGeneration(t *testing.T) {
	c := New[string, int](100, 10)
	c.Put("a", 1, 10, 1)
	if v, ok := c.Get("a", 1); !ok || v != 10 {
		t.Fatalf("Get at the value's generation = %d, %v; want 10, true", v, ok)
	}
	if _, ok := c.Get("a", 2); ok {
		t.Fatal("a value was served at a later generation")
	}
	c.Put("b", 2, 20, 1) // a newer generation drops the older values
	if _, ok := c.Get("a", 1); ok {
		t.Fatal("a value of an older generation survived a newer one's Put")
	}
	c.Put("a", 1, 11, 1) // made before the change: refused
	if _, ok := c.Get("a", 1); ok {
		t.Fatal("a value older than the cache's generation was kept")
	}
	if v, ok := c.Get("b", 2); !ok || v != 20 {
		t.Fatalf("Get(b) = %d, %v; want 20, true", v, ok)
	}
}

func TestTheCacheStaysWithinItsBounds(t *testing.T) {
	c := New[int, string](10, 3)
	for i := range 20 {
		c.Put(i, 1, "x", 4)
		if n := c.Len(); n > 2 { // 3 values of 4 bytes do not fit in 10
			t.Fatalf("after %d puts the cache holds %d values of 4 bytes in 10", i+1, n)
		}
	}
	c.Put(100, 1, "too large", 11)
	if _, ok := c.Get(100, 1); ok {
		t.Fatal("a value larger than the cache was kept")
	}
	c.Put(7, 1, "replaced", 4)
	c.Put(7, 1, "again", 4)
	if v, _ := c.Get(7, 1); v != "again" {
		t.Fatalf("Get after a second Put = %q", v)
	}
	small := New[int, int](1000, 3)
	for i := range 10 {
		small.Put(i, 1, i, 1)
	}
	if n := small.Len(); n != 3 {
		t.Fatalf("a cache of 3 entries holds %d", n)
	}
}

func TestADisabledCacheKeepsNothing(t *testing.T) {
	var nilCache *Cache[int, int]
	nilCache.Put(1, 1, 1, 1)
	if _, ok := nilCache.Get(1, 1); ok || nilCache.Enabled() {
		t.Fatal("a nil cache kept a value")
	}
	off := New[int, int](0, 10)
	off.Put(1, 1, 1, 1)
	if _, ok := off.Get(1, 1); ok || off.Len() != 0 {
		t.Fatal("a cache of 0 bytes kept a value")
	}
}

// Last finds what was kept at an older generation, until a value of a newer one drops it.
func TestLastFindsAnOldGenerationsValueUntilANewerOneIsKept(t *testing.T) {
	c := New[string, string](1000, 10)
	c.Put("page", 1, "old", 3)
	if _, ok := c.Get("page", 2); ok {
		t.Fatal("Get served a value of generation 1 at generation 2")
	}
	if v, gen, ok := c.Last("page"); !ok || v != "old" || gen != 1 {
		t.Fatalf("Last = %q, %d, %v; want the value of generation 1", v, gen, ok)
	}
	c.Put("other", 2, "new", 3)
	if _, _, ok := c.Last("page"); ok {
		t.Fatal("Last still found generation 1's value after generation 2's was kept")
	}
	var nilCache *Cache[string, string]
	if _, _, ok := nilCache.Last("page"); ok {
		t.Fatal("a nil cache found a value")
	}
}
