package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 5: backfill. Beta joins a category on alpha after a thread there has 30 replies; opening
// the thread on beta shows all of them in alpha's order, read from the thread's context
// collection. An edit made on alpha while beta was down reaches beta through the thread's
// contextHistory when the thread is read again (alpha's own redelivery is minutes away: its
// retry unit is a minute here).
func TestFederationBackfill(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil,
		stoaproc.Options{Host: "alpha.test", Env: map[string]string{"STOA_DELIVERY_BACKOFF_UNIT": "1m"}},
		stoaproc.Options{Host: "beta.test", Env: map[string]string{"STOA_THREAD_SYNC_INTERVAL": "1s"}})
	alpha, beta := cluster.Instances["alpha.test"], cluster.Instances["beta.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bob := newMember(t, cluster, alpha, "bob")
	bea := newMember(t, cluster, beta, "bea")

	th := alice.startThread("general", "Thirty replies and counting", "Post your favourite joint.")
	for i := 1; i <= 30; i++ {
		who := alice
		if i%2 == 1 {
			who = bob
		}
		who.reply(th.ID, 0, fmt.Sprintf("Joint number %d.", i))
	}
	onAlpha, _ := alice.thread(th.ID)
	if len(onAlpha.Posts) != 31 {
		t.Fatalf("alpha's thread has %d posts", len(onAlpha.Posts))
	}
	sameOrder := func(th apiThreadDoc) bool {
		if len(th.Posts) != len(onAlpha.Posts) {
			return false
		}
		for i, p := range onAlpha.Posts {
			if th.Posts[i].APID != p.APID || th.Posts[i].Position != i+1 {
				return false
			}
		}
		return true
	}

	bea.followRemote("general@alpha.test")
	onBeta := bea.mirroredThread("general@alpha.test", "Thirty replies and counting")
	onBeta = bea.waitThread(onBeta.ID, "beta shows all 31 posts in alpha's order", sameOrder)
	if !strings.Contains(onBeta.Posts[30].BodyHTML, "Joint number 30.") {
		t.Fatalf("the last post on beta:\n%s", describeThread(onBeta))
	}

	beta.Stop()
	seventh := onAlpha.Posts[7]
	bob.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", seventh.ID), map[string]any{"body": "Joint number 7, a bridle joint, edited."}, nil)
	beta.Restart()
	bea.waitThread(onBeta.ID, "the edit made while beta was down arrives through contextHistory", func(th apiThreadDoc) bool {
		p, ok := postIn(th, "a bridle joint, edited")
		return ok && p.APID == seventh.APID && p.UpdatedAt != nil && sameOrder(th)
	})
}
