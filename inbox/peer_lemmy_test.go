package inbox

import (
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// lemmyCommunity is a Lemmy instance with a community alice follows, its people and its
// moderators collection (a moderator on another instance, as Lemmy allows).
type lemmyCommunity struct {
	group, lena, lars, mod, moira *remoteActor
	mirror                        forum.Category
}

func newLemmyCommunity(h *harness) *lemmyCommunity {
	h.t.Helper()
	lemmy := h.peers.host("lemmy.test")
	l := &lemmyCommunity{
		group: lemmy.actor("Group", "woodwork", testKey(2)),
		lena:  lemmy.actorAt("Person", "/u/lena", "lena", testKey(0)),
		lars:  lemmy.actorAt("Person", "/u/lars", "lars", testKey(1)),
		mod:   lemmy.actorAt("Person", "/u/mod", "mod", testKey(3)),
		moira: h.peers.host("mod.test").actorAt("Person", "/u/moira", "moira", testKey(3)),
	}
	lemmy.put("/c/woodwork/moderators", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": l.group.id + "/moderators", "type": "OrderedCollection", "totalItems": 2,
		"orderedItems": []string{l.mod.id, l.moira.id}})
	h.memberFollows(h.alice, l.group)
	g := mustActor(h.t, h, l.group.id)
	var err error
	if l.mirror, err = h.f.EnsureRemoteCategory(h.ctx, g.ID); err != nil {
		h.t.Fatal(err)
	}
	return l
}

// postAndComment has the community relay a new post and a comment on it, which its instance also
// serves at their ids (the comment may be applied first, and then fetches the post it answers).
func (l *lemmyCommunity) postAndComment(h *harness) {
	h.t.Helper()
	vars := map[string]string{"NOW": now()}
	page := fixture(h.t, "lemmy-announce-create-page.json", vars)
	comment := fixture(h.t, "lemmy-announce-create-comment.json", vars)
	lemmy := h.peers.host("lemmy.test")
	lemmy.put("/post/7", extractObject(h.t, extractObject(h.t, page)))
	lemmy.put("/comment/12", extractObject(h.t, extractObject(h.t, comment)))
	h.deliver(l.group, page)
	h.deliver(l.group, comment)
	h.settle()
}

// A Lemmy community alice follows relays a new post (Announce of a Create of a Page) and a
// comment on it (Announce of a Create of a Note): the post opens a thread in the community's
// mirror, titled by the Page's name, with its image link; the comment lands under it.
func TestLemmyAnnouncedPostAndCommentLandInTheMirror(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := newLemmyCommunity(h)
	l.postAndComment(h)

	opener := h.postByAPID("http://lemmy.test/post/7")
	th, err := h.f.ThreadByID(h.ctx, forum.Guest, opener.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if th.CategoryID != l.mirror.ID || th.Title != "Sharpening jigs: worth it?" || th.APID != "http://lemmy.test/post/7" ||
		opener.Position != 1 || opener.AuthorHandle() != "lena@lemmy.test" {
		t.Fatalf("thread %+v opened by %s at %d", th.Thread, opener.AuthorHandle(), opener.Position)
	}
	if !strings.Contains(opener.HTML, "Do honing guides help?") || !strings.Contains(opener.HTML, "https://lemmy.test/pictrs/image/jig.png") {
		t.Fatalf("opener HTML %q", opener.HTML)
	}
	if out := h.outcome("http://lemmy.test/activities/announce/create/1b7c2f3a-93d8-4a1a-8e2e-6b1f2c3d4e55"); out != "" {
		t.Fatalf("the comment's outcome %q", out)
	}
	comment := h.postByAPID("http://lemmy.test/comment/12")
	if comment.ThreadID != th.ID || comment.Position != 2 || comment.InReplyToID == nil || *comment.InReplyToID != opener.ID ||
		comment.AuthorHandle() != "lars@lemmy.test" || !strings.Contains(comment.HTML, "until your hands learn the angle") {
		t.Fatalf("comment in thread %d at %d answering %v by %s: %q", comment.ThreadID, comment.Position, comment.InReplyToID,
			comment.AuthorHandle(), comment.HTML)
	}
	page, err := h.f.ThreadPageOf(h.ctx, forum.Guest, th.ID, 1)
	if err != nil || len(page.Posts) != 2 {
		t.Fatalf("the mirrored thread's page has %d posts (%v), want 2", len(page.Posts), err)
	}
}

// A Lemmy user answers a thread here directly (Create of a Note addressed to the category and
// to the person answered): the comment lands after the opener, its Markdown-rendered HTML kept,
// and alice, mentioned, is notified.
func TestLemmyDirectCommentLandsInTheLocalThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lena := h.peers.host("lemmy.test").actorAt("Person", "/u/lena", "lena", testKey(0))
	h.deliver(lena, fixture(t, "lemmy-create-comment.json", map[string]string{"NOW": now(), "CATEGORY": h.iri("/c/general"),
		"ALICE": h.iri("/u/alice"), "OPENER": h.postIRI(h.opener.ID)}))
	h.settle()
	if out := h.outcome("http://lemmy.test/activities/create/5f0b6a52-21d3-4a7b-9c2e-1f1a35d0c001"); out != "" {
		t.Fatalf("outcome %q", out)
	}
	p := h.postByAPID("http://lemmy.test/comment/4411")
	if p.ThreadID != h.thread.ID || p.Position != 2 || p.InReplyToID == nil || *p.InReplyToID != h.opener.ID {
		t.Fatalf("comment at thread %d position %d answering %v", p.ThreadID, p.Position, p.InReplyToID)
	}
	if !strings.Contains(p.HTML, "<strong>Stanley No. 4</strong>") {
		t.Fatalf("stored HTML %q", p.HTML)
	}
	th, err := h.f.ThreadByID(h.ctx, forum.Guest, h.thread.ID)
	if err != nil || th.PostCount != 2 {
		t.Fatalf("the thread counts %d posts (%v), want 2", th.PostCount, err)
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE member_id = $1 AND post_id = $2`, h.alice.ID, p.ID); n != 1 {
		t.Fatalf("alice has %d notifications of the comment, want 1", n)
	}
}

// Lemmy's moderation, relayed by the community: a Lock of the post (by a moderator on the
// community's instance) locks the mirrored thread with its reason; a Delete with a summary by a
// moderator from another instance, named in the moderators collection, removes the comment.
func TestLemmyLockAndModeratorRemoval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := newLemmyCommunity(h)
	l.postAndComment(h)

	vars := map[string]string{"NOW": now()}
	h.deliver(l.group, fixture(t, "lemmy-announce-lock.json", vars))
	h.settle()
	opener := h.postByAPID("http://lemmy.test/post/7")
	th, err := h.f.ThreadByID(h.ctx, forum.Guest, opener.ThreadID)
	if err != nil || !th.Locked() {
		t.Fatalf("thread locked=%v (%v), want locked", th.Locked(), err)
	}
	if n := h.count(`SELECT count(*) FROM moderation_log WHERE thread_id = $1 AND reason = $2`, th.ID,
		"Answered; please search before posting"); n != 1 {
		t.Fatalf("%d moderation log entries of the lock with its reason, want 1", n)
	}

	// The relayed Delete is not on the community's origin: Stoa fetches it from the moderator's.
	removal := fixture(t, "lemmy-announce-remove-comment.json", vars)
	inner := extractObject(t, removal)
	h.peers.host("mod.test").put("/activities/delete/4a4b6c6d-1e1f-4a2b-8c3d-9e0f1a2b3c44", inner)
	h.deliver(l.group, removal)
	h.settle()
	if out := h.outcome("http://lemmy.test/activities/announce/delete/7e6d5c4b-3a29-4817-b6a5-c4d3e2f1a099"); out != "" {
		t.Fatalf("outcome %q", out)
	}
	comment, err := h.f.PostByID(h.ctx, forumtest.Admin, h.postByAPID("http://lemmy.test/comment/12").ID)
	if err != nil || !comment.Deleted() {
		t.Fatalf("comment deleted=%v (%v), want removed", comment.Deleted(), err)
	}
	guest, err := h.f.PostByID(h.ctx, forum.Guest, comment.ID)
	if err == nil && !guest.Redacted {
		t.Fatalf("a guest still reads the removed comment: %q", guest.HTML)
	}
}

// A thread's id is named by its own origins only: a server that posts into a community's mirror
// with a context on the community's server (a thread that community has, or will have: Lemmy's ids
// are sequential) opens a thread under its post's own id, so when the community relays the real
// thread it lands as it should, with its comments (SECURITY.md rule 3).
func TestAContextOfAnotherOriginDoesNotClaimItsThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := newLemmyCommunity(h)
	evil := h.peers.host("evil.test").actor("Person", "x", testKey(0))
	note := map[string]any{"id": "http://evil.test/notes/1", "type": "Note", "attributedTo": evil.id, "name": "Squatted",
		"content": "<p>first!</p>", "to": []string{asPublic}, "audience": l.group.id, "context": "http://lemmy.test/post/7",
		"published": now()}
	h.deliver(evil, activity(map[string]any{"id": evil.id + "/create/1", "type": "Create", "actor": evil.id, "object": note,
		"to": []string{asPublic}}))
	h.settle()
	squat := h.postByAPID("http://evil.test/notes/1")
	th, err := h.f.ThreadByID(h.ctx, forum.Guest, squat.ThreadID)
	if err != nil || th.APID != "http://evil.test/notes/1" {
		t.Fatalf("the squatter's thread is known as %q (%v), want its post's own id", th.APID, err)
	}

	l.postAndComment(h)
	opener := h.postByAPID("http://lemmy.test/post/7")
	real, err := h.f.ThreadByID(h.ctx, forum.Guest, opener.ThreadID)
	if err != nil || real.APID != "http://lemmy.test/post/7" || real.ID == th.ID {
		t.Fatalf("the community's thread: %+v, %v", real.Thread, err)
	}
	if comment := h.postByAPID("http://lemmy.test/comment/12"); comment.ThreadID != real.ID {
		t.Fatalf("the comment is in thread %d, want %d", comment.ThreadID, real.ID)
	}
}
