package forum

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A reloadingCache serves a fresh value without loading, a stale one at once while it reloads in
// the background, and loads in the request when it has nothing to serve: at first, past maxAge,
// and after invalidate. A load that began before an invalidation is not installed after it.
func TestReloadingCacheServesStaleValuesWhileItReloads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &reloadingCache[int]{ttl: time.Minute, maxAge: time.Hour}
	var loads atomic.Int32
	gate := make(chan struct{}, 1)
	gate <- struct{}{}
	entered := make(chan struct{}, 8)
	load := func(context.Context) (int, error) {
		entered <- struct{}{}
		<-gate // a load waits for its turn: the test decides when it finishes
		return int(loads.Add(1)), nil
	}
	get := func() int {
		t.Helper()
		v, err := c.get(ctx, load)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(); v != 1 {
		t.Fatalf("first get %d, want the first load", v)
	}
	if v := get(); v != 1 || loads.Load() != 1 {
		t.Fatalf("a fresh value: %d after %d loads", v, loads.Load())
	}
	c.age(time.Minute + time.Second)
	if v := get(); v != 1 { // its background reload waits at the gate
		t.Fatalf("a stale value was not served at once: %d", v)
	}
	if v := get(); v != 1 || loads.Load() != 1 {
		t.Fatalf("while reloading: %d after %d loads", v, loads.Load())
	}
	gate <- struct{}{}
	deadline := time.Now().Add(10 * time.Second)
	for get() != 2 || c.reloading.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the background reload was not installed")
		}
		time.Sleep(time.Millisecond)
	}
	c.age(time.Hour + time.Second)
	gate <- struct{}{}
	if v := get(); v != 3 {
		t.Fatalf("past maxAge: %d, want a load in the request", v)
	}
	c.invalidate()
	gate <- struct{}{}
	if v := get(); v != 4 {
		t.Fatalf("after invalidate: %d, want a load in the request", v)
	}

	// A load in flight when the value is invalidated is returned to its caller, not installed.
	c.age(time.Minute + time.Second)
	for len(entered) > 0 {
		<-entered
	}
	get() // starts a background reload, held at the gate
	<-entered
	c.invalidate()
	gate <- struct{}{} // the background reload (5) finishes, after the invalidation
	for c.reloading.Load() {
		time.Sleep(time.Millisecond)
	}
	gate <- struct{}{}
	if v := get(); v != 6 {
		t.Fatalf("after an invalidation during a reload: %d, want a new load (6)", v)
	}
}

// A failed load is the caller's error and leaves nothing cached.
func TestReloadingCacheDoesNotCacheErrors(t *testing.T) {
	t.Parallel()
	c := &reloadingCache[string]{ttl: time.Minute, maxAge: time.Hour}
	down := errors.New("database down")
	if _, err := c.get(context.Background(), func(context.Context) (string, error) { return "", down }); !errors.Is(err, down) {
		t.Fatalf("error %v, want the load's", err)
	}
	if _, ok, _, _ := c.current(); ok {
		t.Fatal("a failed load left a value")
	}
}
