package forum

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// Two Forums on one database stand for two processes: a change made through one reaches the other
// through NOTIFY, long before the snapshot's TTL.
func TestPermissionChangesReachOtherProcesses(t *testing.T) {
	t.Parallel()
	writer, reader, admin := twoProcesses(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := writer.CreateCategory(ctx, admin, NewCategory{Slug: "secret", Title: "Secret"})
	if err != nil {
		t.Fatal(err)
	}

	done := listen(t, ctx, reader)
	// Warm the reader's cache after it subscribed: only a notification can refresh it now.
	if p, err := reader.Permissions(ctx, Guest, c); err != nil || !p.See {
		t.Fatalf("guest cannot see a new category: %+v %v", p, err)
	}
	if err := writer.SetPermissionGrid(ctx, admin, c.ID, []RolePermission{{Role: RoleGuest}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := reader.Permissions(ctx, Guest, c)
		if err != nil {
			t.Fatal(err)
		}
		if !p.See {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process still lets guests see the category")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestPermissionCacheLoadsOncePerSnapshot(t *testing.T) {
	t.Parallel()
	f := newCacheTestForum(t)
	ctx := context.Background()
	admin := Viewer{ActorID: -1, Username: "root", Role: RoleAdmin}
	c, err := f.CreateCategory(ctx, admin, NewCategory{Slug: "one", Title: "One"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Permissions(ctx, Guest, c); err != nil {
		t.Fatal(err)
	}
	first, _, _, _ := f.perms.snaps.current()
	for _, v := range []Viewer{Guest, {ActorID: 5, Role: RoleMember}, admin} {
		if _, err := f.Permissions(ctx, v, c); err != nil {
			t.Fatal(err)
		}
	}
	if second, _, _, _ := f.perms.snaps.current(); second != first || len(second.compiled) != 3 {
		t.Fatalf("snapshot reloaded or role sets not compiled once each (%d)", len(second.compiled))
	}
	if err := f.SetPermissionGrid(ctx, admin, c.ID, []RolePermission{{Role: RoleGuest}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _, _ := f.perms.snaps.current(); ok {
		t.Fatal("a change in this process did not drop its own cache")
	}
	if p, err := f.Permissions(ctx, Guest, c); err != nil || p.See {
		t.Fatalf("after the change guest sees %+v (%v)", p, err)
	}
}

// A snapshot past its TTL is served as it is, and reloaded in the background: the request that
// finds it stale does not wait for the reload's queries. One older than permSnapshotMaxAge (its
// background reloads failing) is loaded in the request.
func TestAStalePermissionSnapshotIsReloadedInTheBackground(t *testing.T) {
	t.Parallel()
	f := newCacheTestForum(t)
	ctx := context.Background()
	first, err := f.perms.snapshot(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	f.perms.snaps.age(permSnapshotTTL + time.Second)
	if served, err := f.perms.snapshot(ctx, f); err != nil || served != first {
		t.Fatalf("a stale snapshot was not served as it is (%v)", err)
	}
	var fresh *permSnapshot
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s, ok, stale, _ := f.perms.snaps.current(); ok && s != first && !stale && !f.perms.snaps.reloading.Load() {
			fresh = s
			break
		}
	}
	if fresh == nil {
		t.Fatal("the stale snapshot was not reloaded in the background")
	}
	f.perms.snaps.age(f.perms.snaps.maxAge + time.Second)
	if loaded, err := f.perms.snapshot(ctx, f); err != nil || loaded == fresh {
		t.Fatalf("a snapshot older than its max age was served (%v)", err)
	}
}

func newCacheTestForum(t *testing.T) *Forum {
	t.Helper()
	f, err := New(testdb.New(t), Options{Secret: []byte("cache-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
