package outbox

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// types lists the activity types of what a peer received, with their actors, in a stable form.
func types(rs []fedtest.Received) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Type+" by "+strings.TrimPrefix(r.Actor, "http://forum.test"))
	}
	return out
}

func wantTypes(t *testing.T, who string, rs []fedtest.Received, want ...string) {
	t.Helper()
	got := types(rs)
	if len(got) != len(want) {
		t.Fatalf("%s received %v, want %v", who, got, want)
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Fatalf("%s received %v, want %v", who, got, want)
		}
	}
	for _, r := range rs {
		if r.BadSignature != nil {
			t.Fatalf("%s got a %s whose signature does not verify: %v", who, r.Type, r.BadSignature)
		}
	}
}

func TestFiveHundredFollowersOnThreeHostsAreThreeDeliveries(t *testing.T) {
	t.Parallel()
	hosts := []string{"a.example", "b.example", "c.example"}
	h := newHarness(t, hosts)
	for i := 0; i < 500; i++ {
		h.follow(h.remote(forum.ActorPerson, hosts[i%3], fmt.Sprintf("u%d", i), true), h.cat.ActorID)
	}
	th, opener, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hello", Body: "World"})
	if err != nil {
		t.Fatal(err)
	}
	h.idle()
	// The category announces the new thread twice (its Announce of the Create, which forum
	// software reads, and a plain Announce of the Article, which Mastodon shows as a boost): each
	// once per server, at its shared inbox.
	for _, host := range hosts {
		got := h.peers[host].Received()
		wantTypes(t, host, got, "Announce by /c/general", "Announce by /c/general")
		for _, r := range got {
			if r.Path != "/inbox" {
				t.Fatalf("%s: delivered to %s, not the shared inbox", host, r.Path)
			}
		}
	}
	if n := h.jobStates()["completed"]; n != 6 {
		t.Fatalf("%d delivery jobs completed, want 6 (%v)", n, h.jobStates())
	}
	// The boost names the Article, the other Announce embeds the Create; both under the Create's id.
	got := h.peers["a.example"].Received()
	objects := []string{got[0].Object, got[1].Object}
	if !contains(objects, fmt.Sprintf("http://forum.test/p/%d", opener.ID)) {
		t.Fatalf("announced objects %v", objects)
	}
	_ = th
}

func TestNewThreadRecipients(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"masto.example", "lemmy.example", "gts.example"})
	h.software("lemmy.example", "lemmy")
	micro := h.remote(forum.ActorPerson, "masto.example", "ann", true)
	peer := h.remote(forum.ActorPerson, "lemmy.example", "lou", true)
	fan := h.remote(forum.ActorPerson, "gts.example", "gus", false) // follows alice herself; no shared inbox
	h.follow(micro, h.cat.ActorID)
	h.follow(peer, h.cat.ActorID)
	h.follow(fan, h.alice.ID)
	h.remote(forum.ActorPerson, "gts.example", "zed", false)
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi",
		Body: "Hello @zed@gts.example"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	wantTypes(t, "a microblog following the category", h.peers["masto.example"].Received(), "Announce by /c/general", "Announce by /c/general")
	wantTypes(t, "a forum following the category", h.peers["lemmy.example"].Received(), "Announce by /c/general", "Announce by /c/general")
	// The author's follower and the mentioned zed (same server, no shared inbox) get her Create,
	// each at their own inbox.
	got := h.peers["gts.example"].Received()
	wantTypes(t, "the author's follower and the mentioned", got, "Create by /u/alice", "Create by /u/alice")
	inboxes := []string{got[0].Path, got[1].Path}
	if !contains(inboxes, "/users/gus/inbox") || !contains(inboxes, "/users/zed/inbox") {
		t.Fatalf("inboxes %v", inboxes)
	}
	// FEP-8fcf: the Create to gts.example carries the digest of alice's followers there.
	for _, r := range got {
		if r.Path == "/users/gus/inbox" && !strings.Contains(r.Header.Get("Collection-Synchronization"), `collectionId="http://forum.test/u/alice/followers"`) {
			t.Fatalf("no Collection-Synchronization header: %q", r.Header.Get("Collection-Synchronization"))
		}
	}
}

func TestReplyRecipients(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"masto.example", "bb.example", "thread.example", "author.example"})
	micro := h.remote(forum.ActorPerson, "masto.example", "ann", true)
	nodebb := h.remote(forum.ActorGroup, "bb.example", "cat", true) // a Group follower is a forum peer
	threadFan := h.remote(forum.ActorPerson, "thread.example", "tia", true)
	remoteAuthor := h.remote(forum.ActorPerson, "author.example", "rex", true)
	h.follow(micro, h.cat.ActorID)
	h.follow(nodebb, h.cat.ActorID)
	th, opener, err := h.setup.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Q", Body: "?"})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := h.f.EnsureThreadActor(h.ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.follow(threadFan, ta.ID)
	// A remote reply in the thread, answered by bob: its author is mentioned and delivered to.
	var remotePost int64
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO posts (thread_id, author_id, position, ap_id, source, source_kind, html)
		VALUES ($1, $2, 2, 'http://author.example/notes/1', '<p>hi</p>', 'html', '<p>hi</p>') RETURNING id`, th.ID, remoteAuthor.ID).Scan(&remotePost); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pool.Exec(h.ctx, `UPDATE threads SET post_count = 2 WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	reply, err := h.f.CreatePost(h.ctx, h.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "Answer", InReplyToID: &remotePost})
	if err != nil {
		t.Fatal(err)
	}
	h.idle()
	// No boosts of replies into microblog timelines.
	wantTypes(t, "a microblog following the category", h.peers["masto.example"].Received())
	wantTypes(t, "a forum peer", h.peers["bb.example"].Received(), "Announce by /c/general")
	got := h.peers["thread.example"].Received()
	wantTypes(t, "the thread's follower", got, fmt.Sprintf("Announce by /t/%d/actor", th.ID))
	if got[0].Object != fmt.Sprintf("http://forum.test/p/%d", reply.ID) {
		t.Fatalf("the thread announces %q", got[0].Object)
	}
	got = h.peers["author.example"].Received()
	wantTypes(t, "the parent's remote author", got, "Create by /u/bob")
	if !strings.Contains(string(got[0].Body), `"inReplyTo":"http://author.example/notes/1"`) ||
		!strings.Contains(string(got[0].Body), `"href":"http://author.example/users/rex"`) {
		t.Fatalf("reply: %s", got[0].Body)
	}
	_ = opener
}

func TestEditAndDeleteReachEveryoneWhoGotThePost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"masto.example", "lemmy.example", "thread.example"})
	h.software("lemmy.example", "lemmy")
	h.follow(h.remote(forum.ActorPerson, "masto.example", "ann", true), h.cat.ActorID)
	h.follow(h.remote(forum.ActorPerson, "lemmy.example", "lou", true), h.cat.ActorID)
	th, opener, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := h.f.EnsureThreadActor(h.ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.follow(h.remote(forum.ActorPerson, "thread.example", "tia", true), ta.ID)
	h.idle()
	if _, err := h.f.EditPost(h.ctx, h.alice.Viewer(), opener.ID, forum.PostEdit{Body: "v2"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	// The microblog that was sent the boost gets alice's own Update, which Mastodon applies.
	wantTypes(t, "microblog", h.peers["masto.example"].Received(), "Announce by /c/general", "Announce by /c/general", "Update by /u/alice")
	wantTypes(t, "forum", h.peers["lemmy.example"].Received(), "Announce by /c/general", "Announce by /c/general",
		"Update by /u/alice", "Announce by /c/general")
	wantTypes(t, "thread follower", h.peers["thread.example"].Received(), "Update by /u/alice")
	if err := h.f.DeletePost(h.ctx, h.mod.Viewer(), opener.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	h.idle()
	del := h.peers["masto.example"].Received("Delete")
	if len(del) != 1 || del[0].Actor != "http://forum.test/u/alice" || !strings.Contains(string(del[0].Body), `"Tombstone"`) {
		t.Fatalf("delete to the microblog: %v", types(del))
	}
	if n := len(h.peers["lemmy.example"].Received("Delete")) + len(h.peers["thread.example"].Received("Delete")); n != 2 {
		t.Fatalf("%d direct Deletes to the forum peer and thread follower, want 2", n)
	}
}

func TestLikesAndModerationGoToForumPeersOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"masto.example", "lemmy.example", "author.example", "nodebb.example"})
	h.software("lemmy.example", "lemmy")
	h.follow(h.remote(forum.ActorPerson, "masto.example", "ann", true), h.cat.ActorID)
	h.follow(h.remote(forum.ActorPerson, "lemmy.example", "lou", true), h.cat.ActorID)
	rex := h.remote(forum.ActorPerson, "author.example", "rex", true)
	th, opener, err := h.setup.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var remotePost int64
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO posts (thread_id, author_id, position, ap_id, source, source_kind, html)
		VALUES ($1, $2, 2, 'http://author.example/notes/1', '<p>hi</p>', 'html', '<p>hi</p>') RETURNING id`, th.ID, rex.ID).Scan(&remotePost); err != nil {
		t.Fatal(err)
	}
	if _, err := h.f.LikePost(h.ctx, h.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.f.LikePost(h.ctx, h.bob.Viewer(), remotePost); err != nil {
		t.Fatal(err)
	}
	if err := h.f.LockThread(h.ctx, h.mod.Viewer(), th.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := h.f.PinThread(h.ctx, h.mod.Viewer(), th.ID, true); err != nil {
		t.Fatal(err)
	}
	h.idle()
	wantTypes(t, "microblog", h.peers["masto.example"].Received())
	got := h.peers["lemmy.example"].Received()
	wantTypes(t, "forum", got, "Announce by /c/general", "Announce by /c/general", "Announce by /c/general", "Announce by /c/general")
	var inner []string
	for _, r := range got {
		var env struct {
			Object struct{ Type string } `json:"object"`
		}
		_ = jsonUnmarshal(r.Body, &env)
		inner = append(inner, env.Object.Type)
	}
	for _, w := range []string{"Like", "Lock", "Add"} {
		if !contains(inner, w) {
			t.Fatalf("the forum peer got Announces of %v, want Like, Like, Lock, Add", inner)
		}
	}
	// A move is announced by both categories, each to its own forum peers.
	workshop, err := h.f.CreateCategory(h.ctx, forumtest.Admin, forum.NewCategory{Slug: "workshop", Title: "Workshop"})
	if err != nil {
		t.Fatal(err)
	}
	h.follow(h.remote(forum.ActorPerson, "nodebb.example", "nia", true), workshop.ActorID)
	h.software("nodebb.example", "nodebb")
	if err := h.f.MoveThread(h.ctx, h.mod.Viewer(), th.ID, workshop.ID); err != nil {
		t.Fatal(err)
	}
	h.idle()
	wantTypes(t, "the new category's forum peer", h.peers["nodebb.example"].Received(), "Announce by /c/workshop")
	if moved := h.peers["lemmy.example"].Received(); len(moved) != 5 || moved[4].Actor != "http://forum.test/c/general" ||
		!strings.Contains(string(moved[4].Body), `"type":"Move"`) {
		t.Fatalf("the old category's forum peer got %v", types(moved))
	}
	wantTypes(t, "microblog after the move", h.peers["masto.example"].Received())
	// The remote author hears of the like of their post (Mastodon counts likes of its own statuses).
	likes := h.peers["author.example"].Received()
	wantTypes(t, "remote author", likes, "Like by /u/bob")
	if likes[0].Object != "http://author.example/notes/1" {
		t.Fatalf("like of %q", likes[0].Object)
	}
}

func TestAddressedActivities(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"gts.example", "bad.example"})
	carol := h.remote(forum.ActorPerson, "gts.example", "carol", true)
	mallory := h.remote(forum.ActorPerson, "bad.example", "mallory", true)
	if _, err := h.f.AddRemoteFollower(h.ctx, forum.RemoteFollow{FollowerID: carol.ID, TargetID: h.cat.ActorID, APID: "http://gts.example/f/1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.f.FollowRemote(h.ctx, h.alice.Viewer(), carol.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.f.Unfollow(h.ctx, h.alice.Viewer(), carol.ID); err != nil {
		t.Fatal(err)
	}
	// Blocks and reports are recorded by other parts of the forum; their rows look like this.
	inst, _ := h.f.InstanceActor(h.ctx)
	tx, err := h.pool.Begin(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO activities (verb, actor_id, target_actor_id) VALUES ('block', %d, %d) RETURNING id`, h.alice.ID, mallory.ID),
		fmt.Sprintf(`INSERT INTO activities (verb, actor_id, target_actor_id, details) VALUES ('flag', %d, %d, '{"comment":"spam"}') RETURNING id`, inst.ID, mallory.ID),
	} {
		var id int64
		if err := tx.QueryRow(h.ctx, q).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if err := h.ob.ActivityRecorded(h.ctx, tx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.idle()
	wantTypes(t, "carol's server", h.peers["gts.example"].Received(), "Accept by /c/general", "Follow by /u/alice", "Undo by /u/alice")
	got := h.peers["bad.example"].Received()
	wantTypes(t, "mallory's server", got, "Block by /u/alice", "Flag by /actor")
	for _, r := range got {
		if r.Path != "/inbox" {
			t.Fatalf("%s went to %s, want the shared inbox", r.Type, r.Path)
		}
	}
}

func TestRelayedInboundThreadAndActorUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"masto.example", "origin.example", "fans.example"})
	h.follow(h.remote(forum.ActorPerson, "masto.example", "ann", true), h.cat.ActorID)
	// A follower on the origin server gets nothing back: it has the activity already.
	h.follow(h.remote(forum.ActorPerson, "origin.example", "oli", true), h.cat.ActorID)
	h.follow(h.remote(forum.ActorPerson, "fans.example", "fay", true), h.alice.ID)
	author := h.remote(forum.ActorPerson, "origin.example", "ori", true)
	raw := `{"@context":"https://www.w3.org/ns/activitystreams","id":"http://origin.example/a/1","type":"Create","actor":"http://origin.example/users/ori","object":{"id":"http://origin.example/n/1","type":"Note","content":"new thread"}}`
	var threadID, postID, inboundID int64
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO threads (category_id, author_id, title, post_count) VALUES ($1, $2, 'From afar', 1) RETURNING id`,
		h.cat.ID, author.ID).Scan(&threadID); err != nil {
		t.Fatal(err)
	}
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO posts (thread_id, author_id, position, ap_id, source, source_kind, html)
		VALUES ($1, $2, 1, 'http://origin.example/n/1', 'new thread', 'html', 'new thread') RETURNING id`, threadID, author.ID).Scan(&postID); err != nil {
		t.Fatal(err)
	}
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO inbound_activities (ap_id, type, actor_ap_id, payload) VALUES ('http://origin.example/a/1', 'Create', $1, $2) RETURNING id`,
		author.APID, []byte(raw)).Scan(&inboundID); err != nil {
		t.Fatal(err)
	}
	tx, err := h.pool.Begin(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var relayID int64
	if err := tx.QueryRow(h.ctx, `INSERT INTO activities (verb, actor_id, thread_id, post_id, category_id, details)
		VALUES ('announce', $1, $2, $3, $4, jsonb_build_object('inbound', $5::bigint)) RETURNING id`,
		h.cat.ActorID, threadID, postID, h.cat.ID, inboundID).Scan(&relayID); err != nil {
		t.Fatal(err)
	}
	if err := h.ob.ActivityRecorded(h.ctx, tx, relayID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(h.ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.f.UpdateProfile(h.ctx, h.alice.Viewer(), h.alice.ID, forum.ProfileInput{DisplayName: "Alice"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	got := h.peers["masto.example"].Received()
	wantTypes(t, "microblog", got, "Announce by /c/general", "Announce by /c/general")
	for _, r := range got {
		if r.Object != "http://origin.example/n/1" && !strings.Contains(string(r.Body), raw) {
			t.Fatalf("relay does not carry the received bytes: %s", r.Body)
		}
	}
	wantTypes(t, "origin", h.peers["origin.example"].Received())
	upd := h.peers["fans.example"].Received()
	wantTypes(t, "alice's follower", upd, "Update by /u/alice")
	if !strings.Contains(string(upd[0].Body), `"type":"Person"`) {
		t.Fatalf("update: %s", upd[0].Body)
	}
}

// A fan-out run again (a crash between its chunks, or after its last commit) queues nothing twice:
// deliveries are unique per (activity, document, inbox).
func TestAFanOutRunTwiceQueuesNothingTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"gts.example"})
	for i := 0; i < 2*fanOutDeliveries+10; i++ {
		h.follow(h.remote(forum.ActorPerson, "gts.example", fmt.Sprintf("u%d", i), false), h.alice.ID)
	}
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	want := 2*fanOutDeliveries + 10
	if got := len(h.peers["gts.example"].Received()); got != want {
		t.Fatalf("%d deliveries, want %d", got, want)
	}
	// The same fan-out again, past the uniqueness of the fan-out job itself.
	if _, err := h.client.Insert(h.ctx, FanOutArgs{ActivityID: h.lastActivity()}, &river.InsertOpts{Queue: QueueFanOut}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if got := len(h.peers["gts.example"].Received()); got != want {
		t.Fatalf("%d deliveries after the fan-out ran again, want %d", got, want)
	}
	var rows int
	if err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM deliveries`).Scan(&rows); err != nil || rows != want {
		t.Fatalf("%d delivery rows (%v), want %d", rows, err, want)
	}
}

// An edit reaches an inbox whose copy of the post is still to be sent: a server that was down
// when the post was made (its Create held back behind an earlier delivery still retrying) gets
// the Create as first built, then the Update, not the first text for good.
func TestAnEditFollowsACreateStillToBeSent(t *testing.T) {
	t.Parallel()
	// A short breaker: the down server fails several times before it comes back, and the circuit
	// it opens must not outlast the test's wait.
	h := newHarness(t, []string{"down.example"}, func(o *Options) { o.BackoffUnit = 20 * time.Millisecond })
	h.ob.retryIn = func(int) time.Duration { return 1100 * time.Millisecond }
	h.follow(h.remote(forum.ActorPerson, "down.example", "dee", true), h.cat.ActorID)
	var down atomic.Bool
	down.Store(true)
	h.peers["down.example"].Respond = func(fedtest.Received, int) (int, http.Header) {
		if down.Load() {
			return http.StatusInternalServerError, nil
		}
		return http.StatusAccepted, nil
	}
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "First", Body: "first"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first thread's failed attempt", func() bool { return len(h.peers["down.example"].Received()) > 0 })
	_, opener, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Second", Body: "ORIGINAL v1"})
	if err != nil {
		t.Fatal(err)
	}
	// planned counts the deliveries of the post's activities of verb to the down server.
	planned := func(verb string) func() bool {
		return func() bool {
			var n int
			if err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM deliveries dl JOIN activities ac ON ac.id = dl.activity_id
				WHERE ac.verb = $1 AND ac.post_id = $2 AND dl.inbox = 'http://down.example/inbox'`, verb, opener.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
	}
	// The edit comes once the Create is fanned out (a Create fanned out after an edit is built
	// with the new text), and the server comes back only once the edit is fanned out too, the
	// Create still unsent: what this test is about.
	waitFor(t, "the Create planned for the down server", planned("create"))
	if _, err := h.f.EditPost(h.ctx, h.alice.Viewer(), opener.ID, forum.PostEdit{Body: "EDITED v2"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Update planned for the down server", planned("update"))
	down.Store(false)
	waitFor(t, "the Update of the edited post", func() bool {
		for _, r := range h.peers["down.example"].Received("Update") {
			if r.Status == http.StatusAccepted && strings.Contains(string(r.Body), "EDITED v2") {
				return true
			}
		}
		return false
	})
	// The Create went first: the last copy of the post the server has is the edit.
	var createdAt, updatedAt time.Time
	for _, r := range h.peers["down.example"].Received() {
		switch {
		case r.Status != http.StatusAccepted:
		case r.Type == "Announce" && strings.Contains(string(r.Body), "ORIGINAL v1"):
			createdAt = r.At
		case r.Type == "Update" && strings.Contains(string(r.Body), "EDITED v2"):
			updatedAt = r.At
		}
	}
	if createdAt.IsZero() || !createdAt.Before(updatedAt) {
		t.Fatalf("the Create was accepted at %v, the Update at %v: want the Create first", createdAt, updatedAt)
	}
}
