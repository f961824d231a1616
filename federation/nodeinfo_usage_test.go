package federation

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// NodeInfo's counts take seconds on a big forum, so once a process has counts no request waits
// for new ones: past usageTTL the old counts are answered while one refresh runs in the
// background, and the next requests get its result.
func TestNodeInfoCountsAreRefreshedWithoutMakingARequestWait(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h, err := NewHandler(HandlerOptions{Forum: f, IRIs: MustIRIs("https://forum.example"), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users := func() int {
		t.Helper()
		u, err := h.nodeUsage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return u.Users
	}
	if n := users(); n != 0 {
		t.Fatalf("%d users on an empty forum", n)
	}
	forumtest.Member(t, f, "alice", forum.RoleMember)
	if n := users(); n != 0 {
		t.Fatalf("%d users within usageTTL, want the counts kept (0)", n)
	}
	mu.Lock()
	now = now.Add(usageTTL + time.Second)
	mu.Unlock()
	if n := users(); n != 0 {
		t.Fatalf("%d users from the request that found the counts stale, want the old ones at once (0)", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for users() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the background refresh never brought the new count")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
