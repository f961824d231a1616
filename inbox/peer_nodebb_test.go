package inbox

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// nodebbForum is a NodeBB instance with two categories alice follows and its people; actors live
// at NodeBB's own paths (/category/7, /uid/2).
type nodebbForum struct {
	design, workshop   *remoteActor
	author, liker, mod *remoteActor
	designMirror       forum.Category
	workshopMirror     forum.Category
}

func newNodeBBForum(h *harness) *nodebbForum {
	h.t.Helper()
	bb := h.peers.host("nodebb.test")
	n := &nodebbForum{
		design:   bb.actorAt("Group", "/category/7", "design", testKey(2)),
		workshop: bb.actorAt("Group", "/category/12", "workshop", testKey(3)),
		author:   bb.actorAt("Person", "/uid/2", "julian", testKey(0)),
		liker:    bb.actorAt("Person", "/uid/3", "pat", testKey(1)),
		mod:      bb.actorAt("Person", "/uid/1", "admin", testKey(1)),
	}
	for _, g := range []*remoteActor{n.design, n.workshop} {
		h.memberFollows(h.alice, g)
	}
	var err error
	if n.designMirror, err = h.f.EnsureRemoteCategory(h.ctx, mustActor(h.t, h, n.design.id).ID); err != nil {
		h.t.Fatal(err)
	}
	if n.workshopMirror, err = h.f.EnsureRemoteCategory(h.ctx, mustActor(h.t, h, n.workshop.id).ID); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// topic has the design category relay a new topic (Announce of a Create of its first post) and
// returns the mirrored thread.
func (n *nodebbForum) topic(h *harness) forum.ThreadView {
	h.t.Helper()
	h.deliver(n.design, fixture(h.t, "nodebb-announce-create.json", map[string]string{"NOW": now()}))
	h.settle()
	p := h.postByAPID("http://nodebb.test/post/501")
	th, err := h.f.ThreadByID(h.ctx, forum.Guest, p.ThreadID)
	if err != nil {
		h.t.Fatal(err)
	}
	return th
}

// NodeBB's category relays a new topic as an Announce of the Create: it becomes a thread of the
// category's mirror, named by the post's name, identified by its context; a Like relayed the
// same way counts on the post.
func TestNodeBBAnnouncedTopicAndLike(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	n := newNodeBBForum(h)
	th := n.topic(h)
	if th.CategoryID != n.designMirror.ID || th.Title != "Long-form forums, together" || th.APID != "http://nodebb.test/topic/88" ||
		th.PostCount != 1 {
		t.Fatalf("mirrored thread %+v", th.Thread)
	}
	p := h.postByAPID("http://nodebb.test/post/501")
	if p.AuthorHandle() != "julian@nodebb.test" || !strings.Contains(p.HTML, "keep long-form text moving") {
		t.Fatalf("post by %s: %q", p.AuthorHandle(), p.HTML)
	}
	list, err := h.f.CategoryThreads(h.ctx, forum.Guest, n.designMirror, "", 20)
	if err != nil || len(list.Threads) != 1 || list.Threads[0].ID != th.ID {
		t.Fatalf("the mirror lists %+v (%v), want the topic", list.Threads, err)
	}

	h.deliver(n.design, fixture(t, "nodebb-announce-like.json", nil))
	h.settle()
	if out := h.outcome("http://nodebb.test/post/501#activity/announce/like/1738535700000"); out != "" {
		t.Fatalf("the relayed Like's outcome %q", out)
	}
	if p, err = h.f.PostByID(h.ctx, forum.Guest, p.ID); err != nil || p.LikeCount != 1 {
		t.Fatalf("the post has %d likes (%v), want 1", p.LikeCount, err)
	}
}

// NodeBB's Move of a context by its administrator moves the mirrored thread to the mirror of the
// category it went to, with the counts of both categories following.
func TestNodeBBMoveOfAContextMovesTheThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	n := newNodeBBForum(h)
	th := n.topic(h)
	h.deliver(n.mod, fixture(t, "nodebb-move-context.json", nil))
	h.settle()
	if out := h.outcome("http://nodebb.test/topic/88#activity/move/1738536000000"); out != "" {
		t.Fatalf("the Move's outcome %q", out)
	}
	moved, err := h.f.ThreadByID(h.ctx, forum.Guest, th.ID)
	if err != nil || moved.CategoryID != n.workshopMirror.ID {
		t.Fatalf("the thread is in category %d (%v), want the workshop mirror %d", moved.CategoryID, err, n.workshopMirror.ID)
	}
	for _, c := range []struct {
		cat  forum.Category
		want int
	}{{n.designMirror, 0}, {n.workshopMirror, 1}} {
		got, err := h.f.CategoryByID(h.ctx, c.cat.ID)
		if err != nil || got.ThreadCount != c.want {
			t.Fatalf("%s counts %d threads (%v), want %d", got.Slug, got.ThreadCount, err, c.want)
		}
	}
}

// NodeBB relays replies from other servers as an Announce of the Note itself. A copy whose id is
// on another origin is not NodeBB's to vouch for: Stoa fetches the reply from its own server and
// stores what that says.
func TestNodeBBRelayedForeignReplyIsFetchedFromItsOrigin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	n := newNodeBBForum(h)
	th := n.topic(h)
	masto := h.peers.host("masto.test")
	masto.actor("Person", "ada", testKey(0))
	masto.put("/users/ada/statuses/77", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": "http://masto.test/users/ada/statuses/77", "type": "Note", "attributedTo": "http://masto.test/users/ada",
		"inReplyTo": "http://nodebb.test/post/501", "to": []string{asPublic}, "published": now(),
		"content": "<p>What ada really wrote.</p>"})
	h.deliver(n.design, fixture(t, "nodebb-announce-reply-note.json", map[string]string{"NOW": now()}))
	h.settle()
	p := h.postByAPID("http://masto.test/users/ada/statuses/77")
	if p.ThreadID != th.ID || p.Position != 2 || p.AuthorHandle() != "ada@masto.test" {
		t.Fatalf("reply in thread %d at %d by %s", p.ThreadID, p.Position, p.AuthorHandle())
	}
	if !strings.Contains(p.HTML, "What ada really wrote.") || strings.Contains(p.HTML, "NodeBB says") {
		t.Fatalf("stored the relay's copy, not the origin's: %q", p.HTML)
	}
}

// A NodeBB user answers a thread here naming it only by its context (inReplyTo null, as NodeBB and
// other FEP-7888 peers may send): the note is a reply in that thread, under its opener, not a new
// thread; a context naming no thread here opens nothing.
func TestANoteWhoseContextIsAThreadHereIsAReplyInIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	julian := h.peers.host("nodebb.test").actorAt("Person", "/uid/2", "julian", testKey(0))
	note := func(n int, context string) []byte {
		return activity(map[string]any{"id": julian.id + "/create/" + strconv.Itoa(n), "type": "Create", "actor": julian.id,
			"to": []string{asPublic}, "cc": []string{h.iri("/c/general")},
			"object": map[string]any{"id": "http://nodebb.test/post/" + strconv.Itoa(n), "type": "Note", "attributedTo": julian.id,
				"inReplyTo": nil, "name": nil, "summary": nil, "context": context, "audience": h.iri("/c/general"),
				"content": "<p>answering by context</p>", "to": []string{asPublic}, "cc": []string{h.iri("/c/general")},
				"published": now()}})
	}
	threads := h.count(`SELECT count(*) FROM threads`)
	h.deliver(julian, note(1, h.iri("/t/"+strconv.FormatInt(h.thread.ID, 10))))
	h.deliver(julian, note(2, h.iri("/t/999999")))
	h.settle()
	p := h.postByAPID("http://nodebb.test/post/1")
	if p.ThreadID != h.thread.ID || p.Position != 2 || p.InReplyToID == nil || *p.InReplyToID != h.opener.ID {
		t.Fatalf("the note is in thread %d at %d answering %v, want thread %d at 2 under the opener", p.ThreadID, p.Position,
			p.InReplyToID, h.thread.ID)
	}
	if n := h.count(`SELECT count(*) FROM threads`); n != threads {
		t.Fatalf("%d threads after, %d before: a note opened one", n, threads)
	}
	if out := h.outcome(julian.id + "/create/2"); out == "" {
		t.Fatal("a note whose context is no thread here was applied without a word")
	}
}
