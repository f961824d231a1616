package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 8: alpha is killed (SIGKILL) in the middle of a fan-out to 200 followers, each on its
// own server, each having followed with a real signed Follow. After the restart every follower has
// received the new thread exactly once as its dedup sees it: both documents (the Group's
// Announce of the Create, and its boost), nothing missing, nothing else.
func TestFederationCrashMidFanOut(t *testing.T) {
	t.Parallel()
	const followers = 200
	farm := newSinkFarm(t, followers)
	cluster := stoaproc.NewCluster(t, farm.hostMap(), stoaproc.Options{Host: "alpha.test", Env: map[string]string{
		// A delivery in flight when the process dies is run again once River presumes it lost.
		"STOA_JOB_RESCUE_AFTER": "20s", "STOA_DELIVERY_TIMEOUT": "5s",
	}})
	farm.connect(cluster.Client())
	alpha := cluster.Instances["alpha.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")

	farm.followAll("http://alpha.test/inbox", "http://alpha.test/c/general")
	eventually(t, time.Minute, "alpha accepts all 200 follows", func() bool {
		hosts, _ := farm.count("Accept")
		return hosts == followers
	}, farm.dump)

	// After 30 Announces the receivers stop answering: the fan-out is caught in the middle.
	var held atomic.Int64
	farm.mu.Lock()
	farm.hold = func(string) bool {
		if _, n := farm.count("Announce"); n < 30 {
			return false
		}
		held.Add(1)
		return true
	}
	farm.mu.Unlock()
	alice.startThread("general", "Still here after a crash", "Every follower gets this once.")
	eventually(t, 30*time.Second, "the fan-out is under way with deliveries in flight", func() bool { return held.Load() > 0 }, farm.dump)
	alpha.Kill()
	hosts, atKill := farm.count("Announce")
	if hosts >= followers {
		t.Fatalf("every follower had the thread before the kill (%d deliveries): the test needs the kill in the middle", atKill)
	}
	farm.mu.Lock()
	farm.hold = nil
	farm.mu.Unlock()
	farm.releaseHeld()

	alpha.Restart()
	ids := []string{}
	eventually(t, 2*time.Minute, "every follower has the thread's two documents after the restart", func() bool {
		ids = farm.ids("Announce")
		return len(ids) == 2 && len(farm.missing(ids)) == 0
	}, func() string { return fmt.Sprintf("ids %v, missing at %v\n", ids, farm.missing(ids)) + farm.dump() })

	farm.mu.Lock()
	defer farm.mu.Unlock()
	redelivered := 0
	for _, h := range farm.hosts {
		if len(farm.seen[h]) != 3 { // the Accept of its follow and the two Announces
			t.Errorf("%s received %d distinct activities, want 3: %v", h, len(farm.seen[h]), farm.seen[h])
		}
		for _, id := range ids {
			redelivered += farm.seen[h][id] - 1
		}
	}
	if len(farm.refused) > 0 {
		t.Errorf("receivers refused %d deliveries: %v", len(farm.refused), farm.refused)
	}
	t.Logf("killed after %d of %d deliveries (%d in flight); %d redelivered after the restart and absorbed by the receivers' dedup", atKill, 2*followers, held.Load(), redelivered)
}
