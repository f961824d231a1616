package inbox

import (
	"testing"
	"time"
)

// A member who follows a single thread of another forum (its thread's actor, a Service, as a Stoa
// thread's is) watches its mirror once the thread relays a post: following a thread is asking to
// hear of its replies, and the next one is a notification.
func TestFollowingARemoteThreadWatchesItsMirror(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	peer := h.peers.host("other.test")
	group := peer.actorAt("Group", "/c/general", "general", testKey(1))
	thread := peer.actorAt("Service", "/t/1/actor", "thread-1", testKey(2))
	bea := peer.actor("Person", "bea", testKey(3))
	h.memberFollows(h.alice, thread)
	relay := func(n int, note map[string]any) {
		t.Helper()
		note["attributedTo"], note["audience"], note["context"] = bea.id, group.id, "http://other.test/t/1"
		note["to"], note["cc"], note["published"] = []string{asPublic}, []string{group.id}, time.Now().UTC().Format(time.RFC3339)
		h.deliver(thread, activity(map[string]any{"id": thread.id + "/announce/" + string(rune('0'+n)), "type": "Announce",
			"actor": thread.id, "object": note, "to": []string{asPublic}}))
		h.settle()
	}
	relay(1, map[string]any{"id": "http://other.test/p/1", "type": "Article", "name": "Which glue?", "content": "<p>Hide or PVA?</p>"})
	opener := h.postByAPID("http://other.test/p/1")
	if n := h.count(`SELECT count(*) FROM member_threads WHERE member_id = $1 AND thread_id = $2 AND level = 'watching'`,
		h.alice.ID, opener.ThreadID); n != 1 {
		t.Fatalf("alice follows the thread but does not watch its mirror (%d rows)", n)
	}
	relay(2, map[string]any{"id": "http://other.test/p/2", "type": "Note", "content": "<p>Hide glue, for reversibility.</p>",
		"inReplyTo": "http://other.test/p/1"})
	reply := h.postByAPID("http://other.test/p/2")
	if n := h.count(`SELECT count(*) FROM notifications WHERE member_id = $1 AND post_id = $2 AND kind = 'watching'`,
		h.alice.ID, reply.ID); n != 1 {
		t.Fatalf("alice watches the thread but was not told of its reply (%d notifications)", n)
	}
}
