package forum_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// inParallel runs n calls of fn at once and counts their answers by kind.
func inParallel(n int, fn func(i int) error) map[string]int {
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			kind := "ok"
			switch {
			case errors.Is(err, forum.ErrRateLimited):
				kind = "limited"
			case errors.Is(err, forum.ErrBadCredentials):
				kind = "checked"
			case err != nil:
				kind = err.Error()
			}
			mu.Lock()
			got[kind]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// Guesses sent at once are counted before any is checked: no more passwords are tried than the
// budget, where a check followed by a count let every one of them through.
func TestParallelSignInsSpendTheBudgetOnce(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "dana", forum.RoleMember)
	got := inParallel(40, func(i int) error {
		_, err := f.Login(ctx, forum.LoginInput{Login: "dana", Password: fmt.Sprintf("guess %d", i),
			Client: forum.ClientInfo{IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})}})
		return err
	})
	if got["checked"] != 10 || got["limited"] != 30 || len(got) != 2 {
		t.Fatalf("40 guesses at once: %v; want 10 checked and 30 refused", got)
	}
	// From one address: the address's budget of 30 holds the same way.
	ip := netip.MustParseAddr("192.0.2.7")
	got = inParallel(45, func(i int) error {
		_, err := f.Login(ctx, forum.LoginInput{Login: fmt.Sprintf("user%d", i), Password: "Summer2024!!", Client: forum.ClientInfo{IP: ip}})
		return err
	})
	if got["checked"] != 30 || got["limited"] != 15 || len(got) != 2 {
		t.Fatalf("45 guesses at once from one address: %v; want 30 checked and 15 refused", got)
	}
}

// Posts sent at once by one member are stored up to the bound and no further, and wait for each
// other without a deadlock on the pool.
func TestParallelPostsSpendTheBudgetOnce(t *testing.T) {
	t.Parallel()
	fx := newContentFixtureWith(t, forum.Options{PostsPerMinute: 5})
	th, _ := fx.thread(t, fx.admin, fx.cat, "Flood", "opener")
	got := inParallel(20, func(i int) error {
		_, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: fmt.Sprintf("post %d", i)})
		return err
	})
	if got["ok"] != 5 || got["limited"] != 15 || len(got) != 2 {
		t.Fatalf("20 posts at once: %v; want 5 stored and 15 refused", got)
	}
	// Threads count too. Each waits for the bucket's row with its connection held, so what the
	// holder does next must not need a second connection from the pool (it did: the category).
	got = inParallel(20, func(i int) error {
		_, _, err := fx.f.CreateThread(fx.ctx, fx.alice.Viewer(), forum.NewThread{CategoryID: fx.cat.ID,
			Title: fmt.Sprintf("Thread %d", i), Body: "body"})
		return err
	})
	if got["ok"] != 5 || got["limited"] != 15 || len(got) != 2 {
		t.Fatalf("20 threads at once: %v; want 5 stored and 15 refused", got)
	}
}
