package inbox

import (
	"strings"
	"testing"
	"time"
)

func now() string { return time.Now().UTC().Format(time.RFC3339) }

// A Mastodon reply to a thread's opening post, addressed only to the person it answers and sent to
// the shared inbox, lands in that thread after the opener, by its remote author, sanitised, with
// its image attachment; the member it mentions is notified; the category relays the Create.
func TestMastodonReplyLandsInItsThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	body := fixture(t, "mastodon-create-reply.json", map[string]string{"NOW": now(), "ALICE": h.iri("/u/alice"),
		"OPENER": h.postIRI(h.opener.ID)})
	h.deliver(ada, body)
	h.settle()
	if out := h.outcome("http://masto.test/users/ada/statuses/113500000000000001/activity"); out != "" {
		t.Fatalf("outcome %q", out)
	}
	p := h.postByAPID("http://masto.test/users/ada/statuses/113500000000000001")
	if p.ThreadID != h.thread.ID || p.Position != 2 || p.InReplyToID == nil || *p.InReplyToID != h.opener.ID {
		t.Fatalf("reply at thread %d position %d in reply to %v", p.ThreadID, p.Position, p.InReplyToID)
	}
	if p.AuthorHandle() != "ada@masto.test" || p.AuthorName() != "Ada" || p.URL != "http://masto.test/@ada/113500000000000001" {
		t.Fatalf("author %q (%q), url %q", p.AuthorHandle(), p.AuthorName(), p.URL)
	}
	if !strings.Contains(p.HTML, "A low-angle block plane first.") || strings.Contains(p.HTML, "<script") ||
		strings.Contains(p.HTML, "javascript:") {
		t.Fatalf("stored HTML %q", p.HTML)
	}
	if !strings.Contains(p.HTML, `src="https://files.masto.test/media/block-plane.jpg"`) ||
		!strings.Contains(p.HTML, `alt="A block plane on a bench"`) {
		t.Fatalf("the attachment is missing from %q", p.HTML)
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE member_id = $1 AND post_id = $2`, h.alice.ID, p.ID); n != 1 {
		t.Fatalf("alice has %d notifications of the reply, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM activities WHERE verb = 'announce' AND actor_id = $1 AND post_id = $2
		AND (details->>'inbound')::bigint = (SELECT id FROM inbound_activities WHERE ap_id = $3)`,
		h.cat.ActorID, p.ID, "http://masto.test/users/ada/statuses/113500000000000001/activity"); n != 1 {
		t.Fatalf("%d relays of the reply by the category, want 1", n)
	}
}

// A reply to a local post that does not exist (a stale or forged IRI) stores nothing, and its
// outcome says the post was not found; the activity is not retried. (Only its sender is stored.)
func TestReplyToAMissingLocalPostIsRecordedAsNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	body := fixture(t, "mastodon-create-reply.json", map[string]string{"NOW": now(), "ALICE": h.iri("/u/alice"),
		"OPENER": h.postIRI(h.opener.ID + 1000)})
	before := h.snapshot()
	h.deliver(ada, body)
	h.settle()
	out := h.outcome("http://masto.test/users/ada/statuses/113500000000000001/activity")
	if !strings.Contains(out, "not found") || strings.HasPrefix(out, "failed") {
		t.Fatalf("outcome %q, want a final not found", out)
	}
	h.unchangedExcept(before, "inbound_activities", "actors")
}
