package e2e

import (
	"testing"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Two Stoa instances and the Mastodon-like peer find each other's actors by handle: WebFinger, then
// a signed fetch of the actor, across real processes that know each other only by host name.
func TestFederationDiscoveryByHandle(t *testing.T) {
	t.Parallel()
	peer := newMastoPeer(t)
	cluster := stoaproc.NewCluster(t, map[string]string{peer.host: peer.addr},
		stoaproc.Options{Host: "alpha.test", Env: map[string]string{"STOA_AUTHORIZED_FETCH": "1"}},
		stoaproc.Options{Host: "beta.test"})
	peer.connect(cluster.Client())
	alpha := cluster.Instances["alpha.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")

	group := peer.resolve("general@alpha.test")
	if group != "http://alpha.test/c/general" {
		t.Fatalf("general@alpha.test resolves to %q", group)
	}
	doc, err := peer.fetch(group)
	if err != nil {
		t.Fatal(err)
	}
	if str(doc["type"]) != "Group" || str(doc["preferredUsername"]) != "general" || peer.inboxOf(group) != "http://alpha.test/inbox" {
		t.Fatalf("unexpected Group document: %v", doc)
	}
}
