package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 2: a Mastodon user follows a category. New threads reach them as boosts made of a title,
// a summary and a link; their reply, addressed only to the thread's author as Mastodon addresses
// it, lands in the right thread; the author's answer reaches them as a notification.
func TestFederationMastodonFollowsCategory(t *testing.T) {
	t.Parallel()
	peer := newMastoPeer(t)
	cluster := stoaproc.NewCluster(t, map[string]string{peer.host: peer.addr}, stoaproc.Options{Host: "alpha.test"})
	peer.connect(cluster.Client())
	alpha := cluster.Instances["alpha.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alpha.Admin("category", "create", "--slug", "meta", "--title", "Meta")
	alice := newMember(t, cluster, alpha, "alice")

	follow := peer.follow(peer.resolve("general@alpha.test"))
	eventually(t, 30*time.Second, "the category accepts carol's follow", func() bool { return peer.followAccepted(follow) }, peer.dump)

	other := alice.startThread("meta", "Not followed", "carol does not follow meta.")
	body := "I am setting up a **small** workshop and wonder which plane to buy first. " + strings.Repeat("Words to summarise. ", 60)
	th := alice.startThread("general", "Which hand plane first?", body)
	full, _ := alice.thread(th.ID)
	opener := full.Posts[0]

	var boost timelineItem
	eventually(t, 30*time.Second, "the new thread shows as a boost in carol's timeline", func() bool {
		_, timeline, _, _ := peer.snapshot()
		for _, it := range timeline {
			if it.Kind == "boost" && it.ObjectID == opener.APID {
				boost = it
				return true
			}
		}
		return false
	}, peer.dump)
	if boost.By != "http://alpha.test/c/general" || boost.Title != "Which hand plane first?" ||
		!strings.HasPrefix(boost.Summary, "I am setting up a small workshop") || len([]rune(boost.Summary)) > 520 ||
		boost.URL != fmt.Sprintf("http://alpha.test/t/%d", th.ID) && !strings.HasPrefix(boost.URL, fmt.Sprintf("http://alpha.test/t/%d", th.ID)) {
		t.Fatalf("the boost is not title + summary + link of the thread: %+v", boost)
	}

	noteID := peer.reply(opener.APID, opener.Author.APID, "alice@alpha.test", "A jack plane, without a doubt.")
	var carols apiPostDoc
	eventually(t, 30*time.Second, "carol's reply lands in the thread", func() bool {
		got, _ := alice.thread(th.ID)
		full = got
		p, ok := postIn(got, "A jack plane, without a doubt.")
		carols = p
		return ok
	}, func() string { return describeThread(full) + peer.dump() })
	if carols.Author.APID != peer.actorID() || carols.APID != noteID || carols.Local() {
		t.Fatalf("carol's reply is not hers: %+v", carols)
	}

	answer := alice.reply(th.ID, carols.ID, "Thank you, carol: a jack plane it is.")
	eventually(t, 30*time.Second, "alice's answer reaches carol as a notification", func() bool {
		_, _, notes, _ := peer.snapshot()
		for _, n := range notes {
			if n.ObjectID == answer.APID && n.InReplyTo == noteID && strings.Contains(n.Content, "a jack plane it is") {
				return true
			}
		}
		return false
	}, peer.dump)

	received, timeline, _, refused := peer.snapshot()
	for _, it := range timeline {
		if strings.Contains(it.ObjectID, fmt.Sprintf("/t/%d", other.ID)) || it.Title == "Not followed" {
			t.Errorf("carol sees a thread of a category she does not follow: %+v", it)
		}
	}
	if len(refused) > 0 {
		t.Errorf("carol's server refused deliveries: %v", refused)
	}
	creates := 0
	for _, a := range received {
		if a.Type == "Create" {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("carol received %d Creates, want only alice's answer to her\n%s", creates, peer.dump())
	}
}
