package e2e

import (
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 1: a member of beta finds @general@alpha.test and follows it; a thread started on alpha
// appears on beta; beta's reply lands in alpha's thread and alpha announces it to its other
// followers, so gamma shows it too.
func TestFederationForumsFollowAndReply(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil,
		stoaproc.Options{Host: "alpha.test"}, stoaproc.Options{Host: "beta.test"}, stoaproc.Options{Host: "gamma.test"})
	alpha, beta, gamma := cluster.Instances["alpha.test"], cluster.Instances["beta.test"], cluster.Instances["gamma.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bea := newMember(t, cluster, beta, "bea")
	gus := newMember(t, cluster, gamma, "gus")

	var found apiActorDoc
	bea.do("GET", "/api/v1/lookup?q=%40general%40alpha.test", nil, &found)
	if found.Kind != "group" || found.APID != "http://alpha.test/c/general" {
		t.Fatalf("beta finds @general@alpha.test as %+v", found)
	}
	group := bea.followRemote("@general@alpha.test")
	if group.Category == nil || *group.Category != "general@alpha.test" {
		t.Fatalf("following the group made no mirror category: %+v", group)
	}
	gus.followRemote("general@alpha.test")

	th := alice.startThread("general", "Dovetails by hand", "Pins first or tails first?")
	onBeta := bea.mirroredThread("general@alpha.test", "Dovetails by hand")
	if len(onBeta.Posts) != 1 || !strings.Contains(onBeta.Posts[0].BodyHTML, "Pins first or tails first?") || onBeta.Posts[0].Author.Handle != "alice@alpha.test" {
		t.Fatalf("the thread on beta is not alpha's:\n%s", describeThread(onBeta))
	}
	onGamma := gus.mirroredThread("general@alpha.test", "Dovetails by hand")

	reply := bea.reply(onBeta.ID, 0, "Tails first: the pins are easier to mark from them.")
	onAlpha := alice.waitThread(th.ID, "beta's reply lands in alpha's thread", func(th apiThreadDoc) bool {
		_, ok := postIn(th, "Tails first")
		return ok
	})
	got, _ := postIn(onAlpha, "Tails first")
	if got.APID != reply.APID || got.Author.Handle != "bea@beta.test" || got.Local() || got.Position != 2 {
		t.Fatalf("beta's reply on alpha: %+v (beta sent %s)", got, reply.APID)
	}
	gus.waitThread(onGamma.ID, "alpha announces beta's reply to gamma", func(th apiThreadDoc) bool {
		p, ok := postIn(th, "Tails first")
		return ok && p.APID == reply.APID && p.Author.Handle == "bea@beta.test" && len(th.Posts) == 2
	})
	// And beta, whose own reply it is, has it once, in place.
	bea.waitThread(onBeta.ID, "beta shows its reply once", func(th apiThreadDoc) bool {
		return len(th.Posts) == 2 && th.Posts[1].APID == reply.APID
	})
}
