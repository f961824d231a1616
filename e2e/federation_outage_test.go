package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 7: gamma is down for a while. What alpha sends it meanwhile (replies, an edit, a
// delete) waits in alpha's queue, retried on a schedule the test shortens through configuration,
// and is delivered when gamma returns: nothing lost, and gamma's thread ends in alpha's order and
// state.
func TestFederationOutage(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil,
		stoaproc.Options{Host: "alpha.test", Env: map[string]string{"STOA_DELIVERY_BACKOFF_UNIT": "50ms"}},
		stoaproc.Options{Host: "gamma.test"})
	alpha, gamma := cluster.Instances["alpha.test"], cluster.Instances["gamma.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bob := newMember(t, cluster, alpha, "bob")
	gus := newMember(t, cluster, gamma, "gus")
	gus.followRemote("general@alpha.test")
	th := alice.startThread("general", "Through the outage", "Replies follow while gamma is down.")
	onGamma := gus.mirroredThread("general@alpha.test", "Through the outage")

	gamma.Stop()
	var replies []apiPostDoc
	for i := 1; i <= 6; i++ {
		who := alice
		if i%2 == 0 {
			who = bob
		}
		replies = append(replies, who.reply(th.ID, 0, fmt.Sprintf("Reply %d, sent while gamma was down.", i)))
	}
	bob.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", replies[1].ID), map[string]any{"body": "Reply 2, edited while gamma was down."}, nil)
	alice.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", replies[4].ID), nil, nil)
	onAlpha, _ := alice.thread(th.ID)
	gamma.Restart()

	// Gamma's copy must come to match alpha's: the same posts in the same order, the edit applied;
	// the reply deleted before gamma ever had it is not there at all (alpha sends no Create of a
	// deleted post), or shows deleted.
	visible := func(th apiThreadDoc) (out []apiPostDoc, deleted map[string]bool) {
		deleted = map[string]bool{}
		for _, p := range th.Posts {
			if p.Deleted {
				deleted[p.APID] = true
			} else {
				out = append(out, p)
			}
		}
		return out, deleted
	}
	want, _ := visible(onAlpha)
	same := func(th apiThreadDoc) bool {
		got, deleted := visible(th)
		if len(got) != len(want) {
			return false
		}
		for i, p := range want {
			if got[i].APID != p.APID || !strings.Contains(got[i].BodyHTML, stripTags(p.BodyHTML)) || deleted[p.APID] {
				return false
			}
		}
		for _, p := range th.Posts {
			if p.APID == replies[4].APID && !p.Deleted {
				return false
			}
		}
		return true
	}
	var final apiThreadDoc
	eventually(t, 90*time.Second, "gamma catches up with everything alpha sent while it was down", func() bool {
		got, ok := gus.thread(onGamma.ID)
		final = got
		return ok && same(got)
	}, func() string { return "alpha:\n" + describeThread(onAlpha) + "gamma:\n" + describeThread(final) })
	if !strings.Contains(final.Posts[2].BodyHTML, "edited while gamma was down") {
		t.Fatalf("the edit is missing on gamma:\n%s", describeThread(final))
	}
}

// stripTags is a post's HTML without its outer paragraph, to compare texts across instances.
func stripTags(html string) string {
	s := strings.TrimSpace(html)
	s = strings.TrimPrefix(s, "<p>")
	s = strings.TrimSuffix(s, "</p>")
	return s
}
