package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 9: moderation across instances. A member of beta reports a post from alpha; beta's
// staff send the report on; the Flag reaches alpha's moderation queue; an alpha moderator locks
// the thread; beta shows it locked and refuses new replies to it.
func TestFederationModerationAcrossInstances(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil, stoaproc.Options{Host: "alpha.test"}, stoaproc.Options{Host: "beta.test"})
	alpha, beta := cluster.Instances["alpha.test"], cluster.Instances["beta.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	newMember(t, cluster, alpha, "mo", "moderator")
	bea := newMember(t, cluster, beta, "bea")
	newMember(t, cluster, beta, "bo", "admin")
	bea.followRemote("general@alpha.test")

	th := alice.startThread("general", "Buy cheap chisels", "Visit my shop for cheap chisels!!!")
	onBeta := bea.mirroredThread("general@alpha.test", "Buy cheap chisels")
	reported := onBeta.Posts[0]

	beaWeb := signIn(t, cluster, beta, "bea")
	if status, body := beaWeb.post(fmt.Sprintf("/p/%d/report", reported.ID), url.Values{"rule": {""}, "reason": {"Advertising, not a question."}}); status != http.StatusSeeOther {
		t.Fatalf("bea's report: %d %s", status, body)
	}
	boWeb := signIn(t, cluster, beta, "bo")
	_, queue := boWeb.get("/admin/reports")
	m := regexp.MustCompile(`data-report-id="(\d+)"`).FindStringSubmatch(queue)
	if m == nil || !strings.Contains(queue, `data-testid="report-forward"`) {
		t.Fatalf("beta's queue does not offer to send bea's report on:\n%s", queue)
	}
	if status, body := boWeb.post("/admin/reports/"+m[1]+"/forward", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("forward: %d %s", status, body)
	}

	moWeb := signIn(t, cluster, alpha, "mo")
	var alphaQueue string
	eventually(t, 30*time.Second, "beta's report reaches alpha's moderation queue", func() bool {
		_, alphaQueue = moWeb.get("/admin/reports")
		return strings.Contains(alphaQueue, `data-testid="report-remote"`) && strings.Contains(alphaQueue, "Advertising, not a question.") &&
			strings.Contains(alphaQueue, "Visit my shop for cheap chisels")
	}, func() string { return alphaQueue })
	if strings.Contains(alphaQueue, "bea") {
		t.Errorf("alpha's queue names the reporter; a forwarded report comes from beta's server only:\n%s", alphaQueue)
	}

	if status, body := moWeb.post(fmt.Sprintf("/t/%d/lock", th.ID), url.Values{"reason": {"advertising"}}); status != http.StatusSeeOther {
		t.Fatalf("lock on alpha: %d %s", status, body)
	}
	bea.waitThread(onBeta.ID, "beta shows the thread locked", func(th apiThreadDoc) bool { return th.Locked })
	status, body := bea.try("POST", fmt.Sprintf("/api/v1/threads/%d/posts", onBeta.ID), map[string]any{"body": "One more thing."})
	if status != http.StatusConflict || !strings.Contains(body, `"locked"`) {
		t.Fatalf("a reply to the locked thread on beta: %d %s", status, body)
	}
	if got, _ := alice.thread(th.ID); len(got.Posts) != 1 || !got.Locked {
		t.Fatalf("alpha's thread changed:\n%s", describeThread(got))
	}
}

// A moderator of alpha removes a reply written on beta in alpha's category: the removal reaches
// gamma, which follows the category (it shows the reply deleted), and beta, the reply's own server
// (it removes it there too).
func TestFederationAModeratorsRemovalOfARemoteReplyTravels(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil, stoaproc.Options{Host: "alpha.test"}, stoaproc.Options{Host: "beta.test"},
		stoaproc.Options{Host: "gamma.test"})
	alpha, beta, gamma := cluster.Instances["alpha.test"], cluster.Instances["beta.test"], cluster.Instances["gamma.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	mo := newMember(t, cluster, alpha, "mo", "admin")
	bea := newMember(t, cluster, beta, "bea")
	gil := newMember(t, cluster, gamma, "gil")
	bea.followRemote("general@alpha.test")
	gil.followRemote("general@alpha.test")
	th := alice.startThread("general", "Spam magnet", "Opening post.")
	onBeta := bea.mirroredThread("general@alpha.test", "Spam magnet")
	bea.reply(onBeta.ID, 0, "BUY CHEAP WATCHES")
	onGamma := gil.mirroredThread("general@alpha.test", "Spam magnet")
	gil.waitThread(onGamma.ID, "gamma has beta's reply", func(th apiThreadDoc) bool { _, ok := postIn(th, "WATCHES"); return ok })
	moderatorRemoves(t, alice, mo, th.ID, "WATCHES")
	removed := func(th apiThreadDoc) bool {
		p, ok := postIn(th, "WATCHES")
		return !ok || p.Deleted
	}
	gil.waitThread(onGamma.ID, "gamma shows the moderator's removal", removed)
	bea.waitThread(onBeta.ID, "beta, the reply's own server, removes it too", removed)
}

// A Mastodon user who follows a thread sees the replies the thread actor boosts, remote ones
// included. When a moderator removes a remote reply, Mastodon would ignore a Delete of another
// server's status: the thread actor takes its boost back with an Undo, and the boost leaves the
// timeline.
func TestFederationAMastodonFollowerLosesTheBoostOfARemovedReply(t *testing.T) {
	t.Parallel()
	peer := newMastoPeer(t)
	cluster := stoaproc.NewCluster(t, map[string]string{peer.host: peer.addr}, stoaproc.Options{Host: "alpha.test"},
		stoaproc.Options{Host: "beta.test"})
	peer.connect(cluster.Client())
	alpha, beta := cluster.Instances["alpha.test"], cluster.Instances["beta.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	mo := newMember(t, cluster, alpha, "mo", "moderator")
	bea := newMember(t, cluster, beta, "bea")
	bea.followRemote("general@alpha.test")
	th := alice.startThread("general", "Watch straps", "Leather or steel?")
	full, _ := alice.thread(th.ID)
	if full.Follow == nil {
		t.Fatalf("thread %d names no actor to follow", th.ID)
	}
	follow := peer.follow(full.Follow.APID)
	eventually(t, 30*time.Second, "the thread accepts carol's follow", func() bool { return peer.followAccepted(follow) }, peer.dump)

	onBeta := bea.mirroredThread("general@alpha.test", "Watch straps")
	reply := bea.reply(onBeta.ID, 0, "BUY CHEAP WATCHES")
	boosted := func() bool {
		_, timeline, _, _ := peer.snapshot()
		for _, it := range timeline {
			if it.Kind == "boost" && it.ObjectID == reply.APID && it.By == full.Follow.APID {
				return true
			}
		}
		return false
	}
	eventually(t, 30*time.Second, "beta's reply shows as the thread's boost in carol's timeline", boosted, peer.dump)

	moderatorRemoves(t, alice, mo, th.ID, "WATCHES")
	eventually(t, 30*time.Second, "the boost leaves carol's timeline", func() bool { return !boosted() }, peer.dump)
}

// moderatorRemoves waits until a remote post holding text arrives in a local thread, as reader
// sees it, and deletes it as the moderator mod.
func moderatorRemoves(t *testing.T, reader, mod apiClient, threadID int64, text string) {
	t.Helper()
	th := reader.waitThread(threadID, "the remote post arrives", func(th apiThreadDoc) bool { _, ok := postIn(th, text); return ok })
	spam, _ := postIn(th, text)
	if status, body := mod.try("DELETE", fmt.Sprintf("/api/v1/posts/%d", spam.ID), nil); status != http.StatusNoContent {
		t.Fatalf("moderator's delete: %d %s", status, body)
	}
}
