package inbox

import (
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// GoToSocial's Like of a thread's opener (addressed only to its author) counts and notifies the
// author; its Undo, carrying the Like embedded, takes the like back.
func TestGoToSocialLikeAndUndoChangeTheLikeCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	gus := h.peers.host("gts.test").actor("Person", "gus", testKey(1))
	vars := map[string]string{"OPENER": h.postIRI(h.opener.ID), "ALICE": h.iri("/u/alice")}
	h.deliver(gus, fixture(t, "gotosocial-like.json", vars))
	h.settle()
	if p, err := h.f.PostByID(h.ctx, forum.Guest, h.opener.ID); err != nil || p.LikeCount != 1 {
		t.Fatalf("the opener has %d likes (%v) after the Like, want 1", p.LikeCount, err)
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE member_id = $1 AND post_id = $2`, h.alice.ID, h.opener.ID); n != 1 {
		t.Fatalf("alice has %d notifications of the like, want 1", n)
	}
	h.deliver(gus, fixture(t, "gotosocial-undo-like.json", vars))
	h.settle()
	if out := h.outcome("http://gts.test/01JDBQ3M4N5P6Q7R8S9T0V1W2X"); out != "" {
		t.Fatalf("the Undo's outcome %q", out)
	}
	if p, err := h.f.PostByID(h.ctx, forum.Guest, h.opener.ID); err != nil || p.LikeCount != 0 {
		t.Fatalf("the opener has %d likes (%v) after the Undo, want 0", p.LikeCount, err)
	}
}

// Mastodon's Flag comes from its instance actor (reporters stay anonymous) with an array object:
// the reported member, their post, and a post of Mastodon's own that is not ours to judge. The
// report reaches the moderation queue against bob, with his post attached and the comment kept.
func TestMastodonFlagReachesTheModerationQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	masto := h.peers.host("masto.test").actorAt("Application", "/actor", "masto.test", testKey(2))
	_, bobPost, err := h.f.CreateThread(h.ctx, h.bob.Viewer(), forum.NewThread{CategoryID: h.cat.ID,
		Title: "Cheap chisels", Body: "Buy them at example.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	h.deliver(masto, fixture(t, "mastodon-flag.json", map[string]string{"BOB": h.iri("/u/bob"), "BOB_POST": h.postIRI(bobPost.ID)}))
	h.settle()
	reports, _, err := h.f.OpenReports(h.ctx, forumtest.Admin, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 {
		t.Fatalf("%d open reports, want 1", len(reports))
	}
	r := reports[0]
	if r.TargetName != "bob" || r.TargetHost != "" || r.ReporterHost != "masto.test" || r.ReporterKind != forum.ActorInstance ||
		r.Reason != "Spam links in every post" || r.APID != "http://masto.test/0c5d5a6e-8f4e-4a3a-9d19-51b8e5e2c7aa" {
		t.Fatalf("report %+v", r)
	}
	if len(r.Posts) != 1 || r.Posts[0].PostID != bobPost.ID {
		t.Fatalf("reported posts %+v, want bob's post %d only", r.Posts, bobPost.ID)
	}
}

// A Misskey note that mentions a category starts a thread there: the title is its first line
// without the mention, the HTML is sanitised (Misskey's quote-inline class goes, its quote stays a
// plain link marked as user content), and its _misskey_content and quoteUrl extras do not duplicate the text.
func TestMisskeyNoteStartsASanitisedThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	neko := h.peers.host("misskey.test").actor("Person", "9wqz01ab", testKey(3))
	h.deliver(neko, fixture(t, "misskey-create-note.json", map[string]string{"NOW": now(), "GENERAL": h.iri("/c/general")}))
	h.settle()
	if out := h.outcome("http://misskey.test/notes/9xk2p4q7ab/activity"); out != "" {
		t.Fatalf("outcome %q", out)
	}
	p := h.postByAPID("http://misskey.test/notes/9xk2p4q7ab")
	th, err := h.f.ThreadByID(h.ctx, forum.Guest, p.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if th.CategoryID != h.cat.ID || p.Position != 1 || th.Title != "Which glue for outdoor furniture? Titebond III or epoxy?" {
		t.Fatalf("thread %q in category %d, post at %d", th.Title, th.CategoryID, p.Position)
	}
	if strings.Contains(p.HTML, "quote-inline") {
		t.Fatalf("Misskey's quote class survived sanitising: %q", p.HTML)
	}
	if !strings.Contains(p.HTML, "My bench keeps failing at the joints.") ||
		!strings.Contains(p.HTML, `href="http://misskey.test/notes/9xk1z0aaaa" rel="nofollow noopener noreferrer ugc"`) {
		t.Fatalf("stored HTML %q lost the text or the quote link", p.HTML)
	}
	if n := strings.Count(p.HTML, "Which glue"); n != 1 {
		t.Fatalf("the text appears %d times in %q", n, p.HTML)
	}
	if n := h.count(`SELECT count(*) FROM threads WHERE category_id = $1`, h.cat.ID); n != 2 {
		t.Fatalf("general has %d threads, want 2", n)
	}
}
