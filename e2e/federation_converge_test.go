package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// Scenario 4: likes, edits and deletes travel both ways and every copy converges: alpha (the
// thread's home), beta (a follower that takes part) and gamma (a follower that only reads).
func TestFederationLikesEditsDeletesConverge(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil,
		stoaproc.Options{Host: "alpha.test"}, stoaproc.Options{Host: "beta.test"}, stoaproc.Options{Host: "gamma.test"})
	alpha, beta, gamma := cluster.Instances["alpha.test"], cluster.Instances["beta.test"], cluster.Instances["gamma.test"]
	alpha.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, alpha, "alice")
	bea := newMember(t, cluster, beta, "bea")
	gus := newMember(t, cluster, gamma, "gus")
	bea.followRemote("general@alpha.test")
	gus.followRemote("general@alpha.test")

	th := alice.startThread("general", "Finishing oils", "Linseed or tung?")
	aside := alice.reply(th.ID, 0, "An aside I will take back.")
	onBeta := bea.mirroredThread("general@alpha.test", "Finishing oils")
	onGamma := gus.mirroredThread("general@alpha.test", "Finishing oils")
	beas := bea.reply(onBeta.ID, 0, "Tung, thinned, in many coats.")
	onAlpha := alice.waitThread(th.ID, "bea's reply reaches alpha", func(th apiThreadDoc) bool { return len(th.Posts) == 3 })
	gus.waitThread(onGamma.ID, "bea's reply reaches gamma", func(th apiThreadDoc) bool { return len(th.Posts) == 3 })

	// posts finds the post with ap_id in a thread.
	byAPID := func(th apiThreadDoc, apID string) apiPostDoc {
		for _, p := range th.Posts {
			if p.APID == apID {
				return p
			}
		}
		return apiPostDoc{}
	}
	opener := onAlpha.Posts[0]
	beaOnAlpha := byAPID(onAlpha, beas.APID)
	// everywhere waits until every instance's copy of the post with apID satisfies cond.
	everywhere := func(what, apID string, cond func(apiPostDoc) bool) {
		t.Helper()
		for _, v := range []struct {
			c  apiClient
			id int64
		}{{alice, th.ID}, {bea, onBeta.ID}, {gus, onGamma.ID}} {
			v.c.waitThread(v.id, fmt.Sprintf("%s, on %s", what, v.c.base), func(th apiThreadDoc) bool { return cond(byAPID(th, apID)) })
		}
	}

	// Likes, both ways: bea likes alice's opener from beta, alice likes bea's reply on alpha.
	bea.do("POST", fmt.Sprintf("/api/v1/posts/%d/like", onBeta.Posts[0].ID), nil, nil)
	alice.do("POST", fmt.Sprintf("/api/v1/posts/%d/like", beaOnAlpha.ID), nil, nil)
	everywhere("bea's like of the opener counts", opener.APID, func(p apiPostDoc) bool { return p.LikeCount == 1 })
	everywhere("alice's like of bea's reply counts", beas.APID, func(p apiPostDoc) bool { return p.LikeCount == 1 })
	bea.do("DELETE", fmt.Sprintf("/api/v1/posts/%d/like", onBeta.Posts[0].ID), nil, nil)
	everywhere("bea's unlike of the opener counts", opener.APID, func(p apiPostDoc) bool { return p.LikeCount == 0 })

	// Edits, both ways.
	alice.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", opener.ID), map[string]any{"body": "Linseed or tung? (Boiled linseed, I mean.)"}, nil)
	bea.do("PATCH", fmt.Sprintf("/api/v1/posts/%d", beas.ID), map[string]any{"body": "Tung, thinned with citrus solvent, in many coats."}, nil)
	everywhere("alice's edit shows", opener.APID, func(p apiPostDoc) bool {
		return strings.Contains(p.BodyHTML, "Boiled linseed, I mean.") && p.UpdatedAt != nil
	})
	everywhere("bea's edit shows", beas.APID, func(p apiPostDoc) bool {
		return strings.Contains(p.BodyHTML, "citrus solvent") && p.UpdatedAt != nil
	})

	// Deletes, both ways: each post deleted on its home server disappears everywhere.
	alice.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", aside.ID), nil, nil)
	bea.do("DELETE", fmt.Sprintf("/api/v1/posts/%d", beas.ID), nil, nil)
	gone := func(p apiPostDoc) bool { return p.APID == "" || p.Deleted && p.BodyHTML == "" }
	everywhere("alice's deleted aside disappears", aside.APID, gone)
	everywhere("bea's deleted reply disappears", beas.APID, gone)
	everywhere("the opener is untouched", opener.APID, func(p apiPostDoc) bool {
		return !p.Deleted && strings.Contains(p.BodyHTML, "Boiled linseed") && p.LikeCount == 0
	})
}
