package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 6: alpha suspends beta. Beta's follows of alpha's categories are cut, beta's posts no
// longer show on alpha, beta's inbox POSTs are refused and the deliveries queued for beta stop;
// gamma, not blocked, notices nothing. Lifting the block restores federation for new activity.
func TestFederationDefederation(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil,
		// Retries come within a second, so a delivery still queued for beta would reach it soon.
		stoaproc.Options{Host: "alpha.test", Env: map[string]string{"STOA_DELIVERY_BACKOFF_UNIT": "50ms"}},
		stoaproc.Options{Host: "beta.test"}, stoaproc.Options{Host: "gamma.test"})
	alpha, beta, gamma := cluster.Instances["alpha.test"], cluster.Instances["beta.test"], cluster.Instances["gamma.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bea := newMember(t, cluster, beta, "bea")
	gus := newMember(t, cluster, gamma, "gus")
	bea.followRemote("general@alpha.test")
	gus.followRemote("general@alpha.test")

	followers := func() int {
		req, _ := http.NewRequest(http.MethodGet, "http://alpha.test/c/general/followers", nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := cluster.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc struct {
			TotalItems int `json:"totalItems"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		return doc.TotalItems
	}
	if n := followers(); n != 2 {
		t.Fatalf("general has %d followers, want beta's and gamma's", n)
	}

	t1 := alice.startThread("general", "Saw sharpening", "Files or send them out?")
	onBeta := bea.mirroredThread("general@alpha.test", "Saw sharpening")
	bea.reply(onBeta.ID, 0, "Files, and a saw set.")
	alice.waitThread(t1.ID, "bea's reply reaches alpha", func(th apiThreadDoc) bool { _, ok := postIn(th, "a saw set"); return ok })

	// Beta is down while alpha starts a thread: its deliveries wait in alpha's queue.
	beta.Stop()
	alice.startThread("general", "Queued while beta was down", "Beta must never get this once blocked.")
	gus.mirroredThread("general@alpha.test", "Queued while beta was down")

	out := alpha.Admin("domain", "block", "beta.test", "--severity", "suspend", "--private-comment", "e2e")
	t.Logf("block: %s", out)
	eventually(t, 30*time.Second, "beta's follow of general is cut", func() bool { return followers() == 1 }, nil)
	alice.waitThread(t1.ID, "bea's reply no longer shows on alpha", func(th apiThreadDoc) bool {
		_, ok := postIn(th, "a saw set")
		return !ok
	})

	beta.Restart()
	bea.reply(onBeta.ID, 0, "Sent while blocked.")
	refused := regexp.MustCompile(`method=POST path=/inbox route=/inbox status=4\d\d`)
	eventually(t, 30*time.Second, "alpha refuses beta's inbox POST", func() bool { return refused.MatchString(alpha.Logs()) }, nil)

	alpha.Admin("domain", "unblock", "beta.test", "--reason", "e2e")
	eventually(t, 30*time.Second, "beta's follow comes back", func() bool { return followers() == 2 }, nil)
	alice.waitThread(t1.ID, "bea's reply shows again on alpha", func(th apiThreadDoc) bool {
		_, seen := postIn(th, "a saw set")
		_, blocked := postIn(th, "Sent while blocked.")
		return seen && !blocked
	})
	alice.startThread("general", "After the block", "New activity flows again.")
	bea.mirroredThread("general@alpha.test", "After the block")
	for _, th := range bea.categoryThreads("general@alpha.test") {
		if th.Title == "Queued while beta was down" {
			t.Fatalf("a delivery queued for beta before the block reached it: thread %d", th.ID)
		}
	}
}
