package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 3: a Mastodon user follows one thread's actor and receives every new reply in it, and
// nothing else: not the category's other threads, not replies elsewhere.
func TestFederationFollowOneThread(t *testing.T) {
	t.Parallel()
	peer := newMastoPeer(t)
	cluster := stoaproc.NewCluster(t, map[string]string{peer.host: peer.addr}, stoaproc.Options{Host: "alpha.test"})
	peer.connect(cluster.Client())
	alpha := cluster.Instances["alpha.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bob := newMember(t, cluster, alpha, "bob")

	th := alice.startThread("general", "Sharpening stones", "Water stones or oil stones?")
	elsewhere := alice.startThread("general", "Workbench height", "How high is yours?")
	if th.Follow == nil || th.Follow.Handle != fmt.Sprintf("thread-%d@alpha.test", th.ID) {
		t.Fatalf("the thread names no followable actor: %+v", th.Follow)
	}
	actor := peer.resolve(th.Follow.Handle)
	if actor != th.Follow.APID {
		t.Fatalf("%s resolves to %s, the API says %s", th.Follow.Handle, actor, th.Follow.APID)
	}
	follow := peer.follow(actor)
	eventually(t, 30*time.Second, "the thread accepts carol's follow", func() bool { return peer.followAccepted(follow) }, peer.dump)

	// What carol must not get: a reply in another thread, a new thread in the same category.
	bob.reply(elsewhere.ID, 0, "Hip height, for planing.")
	alice.startThread("general", "Glue ups", "Clamps: how many is enough?")

	want := map[string]bool{}
	for i, who := range []apiClient{bob, alice, bob} {
		p := who.reply(th.ID, 0, fmt.Sprintf("Reply %d about stones.", i+1))
		want[p.APID] = true
	}
	got := func() []string {
		_, timeline, _, _ := peer.snapshot()
		var ids []string
		for _, it := range timeline {
			ids = append(ids, it.ObjectID)
		}
		sort.Strings(ids)
		return ids
	}
	eventually(t, 30*time.Second, "carol receives every reply of the thread", func() bool {
		n := 0
		for _, id := range got() {
			if want[id] {
				n++
			}
		}
		return n == len(want)
	}, peer.dump)

	received, timeline, _, refused := peer.snapshot()
	if len(timeline) != len(want) {
		t.Errorf("carol's timeline has %d entries, want the %d replies of the thread: %v\n%s", len(timeline), len(want), got(), peer.dump())
	}
	for _, it := range timeline {
		if it.By != actor || it.Kind != "boost" || !strings.Contains(it.Content, "about stones") {
			t.Errorf("unexpected timeline entry: %+v", it)
		}
	}
	for _, a := range received {
		if a.Actor != actor {
			t.Errorf("carol received %s %s from %s, not from the thread she follows", a.Type, a.ID, a.Actor)
		}
	}
	if len(refused) > 0 {
		t.Errorf("carol's server refused deliveries: %v", refused)
	}
}

// A member of another Stoa follows one thread of this one (its thread actor, by the handle the
// API gives): each new reply reaches them, stored in the mirror of the thread's category with the
// post it answers, and a thread they do not follow does not.
func TestFederationAnotherForumFollowsOneThread(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil, stoaproc.Options{Host: "alpha.test"}, stoaproc.Options{Host: "beta.test"})
	alpha, beta := cluster.Instances["alpha.test"], cluster.Instances["beta.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bea := newMember(t, cluster, beta, "bea")

	th := alice.startThread("general", "Sharpening stones", "Water stones or oil stones?")
	bea.followRemote(th.Follow.Handle)
	alice.startThread("general", "Workbench height", "How high is yours?")
	alice.reply(th.ID, 0, "Oil stones, for me.")

	onBeta := bea.mirroredThread("general@alpha.test", "Sharpening stones")
	onBeta = bea.waitThread(onBeta.ID, "beta shows the reply in the thread bea follows", func(th apiThreadDoc) bool {
		_, ok := postIn(th, "Oil stones")
		return ok
	})
	if _, ok := postIn(onBeta, "Water stones"); !ok {
		t.Fatalf("the reply came without the post it answers: %s", describeThread(onBeta))
	}
	for _, other := range bea.categoryThreads("general@alpha.test") {
		if other.Title == "Workbench height" {
			t.Fatal("a thread bea does not follow reached beta")
		}
	}
}
