package inbox

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
)

// Peers retry deliveries they think failed, sometimes while the first attempt is still running,
// and several of their workers may hold the same activity. The same signed request POSTed by 8
// goroutines at once is accepted by each (a duplicate is not the sender's error) and recorded
// once: one row, one apply job, one post.
func TestConcurrentRedeliveriesRecordOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	body := h.reply(ada, 1, "said once, delivered eight times")
	signed, err := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", nil)
	if err != nil {
		t.Fatal(err)
	}
	signed.Host = "forum.test"
	ada.signature().sign(signed, body)
	// The actor's key is cached before the burst, as it is for a peer that talks to us at all:
	// the burst is about recording, not about 8 key fetches.
	h.deliver(ada, h.reply(ada, 2, "first contact"))
	h.settle()

	const senders = 8
	statuses := make([]int, senders)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Host = "forum.test"
			req.Header = signed.Header.Clone()
			req.Header.Set("Content-Type", "application/activity+json")
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusAccepted {
			t.Errorf("sender %d was answered %d, want 202", i, s)
		}
	}
	h.settle()
	id := ada.id + "/statuses/1"
	if n := h.count(`SELECT count(*) FROM inbound_activities WHERE ap_id = $1`, id+"/activity"); n != 1 {
		t.Fatalf("%d recorded activities, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM river_job WHERE kind = 'inbox_apply'
		AND (args->>'inbound_id')::bigint = (SELECT id FROM inbound_activities WHERE ap_id = $1)`, id+"/activity"); n != 1 {
		t.Fatalf("%d apply jobs, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id = $1`, id); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if p := h.postByAPID(id); p.ThreadID != h.thread.ID {
		t.Fatalf("the reply is in thread %d, want %d", p.ThreadID, h.thread.ID)
	}
}

// A post arriving twice under different activity ids (from its author, and relayed again later)
// is stored once; and once its author deleted it, a Create of the same object (a late retry, a
// relay that lagged) is ignored: the post does not come back.
func TestCreateAfterDeleteOfTheSameObjectIsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	id := ada.id + "/statuses/1"
	h.deliver(ada, h.reply(ada, 1, "first version"))
	h.settle()
	again := activity(map[string]any{"id": id + "/activity-retry", "type": "Create", "actor": ada.id, "to": []string{asPublic},
		"object": map[string]any{"id": id, "type": "Note", "attributedTo": ada.id, "inReplyTo": h.postIRI(h.opener.ID),
			"content": "<p>second copy</p>", "to": []string{asPublic}, "published": now()}})
	h.deliver(ada, again)
	h.settle()
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id = $1`, id); n != 1 {
		t.Fatalf("%d posts after a second Create, want 1", n)
	}
	h.deliver(ada, activity(map[string]any{"id": id + "#delete", "type": "Delete", "actor": ada.id,
		"object": map[string]any{"id": id, "type": "Tombstone"}, "to": []string{asPublic}}))
	h.settle()
	p := h.postByAPID(id)
	if !p.Deleted() {
		t.Fatal("the Delete did not delete the post")
	}
	late := bytes.ReplaceAll(again, []byte("/activity-retry"), []byte("/activity-late"))
	h.deliver(ada, late)
	h.settle()
	if out := h.outcome(id + "/activity-late"); out == "" {
		t.Fatal("the late Create was applied with no objection")
	}
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id = $1 AND deleted_at IS NULL`, id); n != 0 {
		t.Fatalf("%d live copies of the deleted post, want 0", n)
	}

	// The other order: the Delete of a post not seen yet comes first, its Create after.
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/statuses/9#delete", "type": "Delete", "actor": ada.id,
		"object": ada.id + "/statuses/9", "to": []string{asPublic}}))
	h.settle()
	h.deliver(ada, h.reply(ada, 9, "never shown"))
	h.settle()
	if out := h.outcome(ada.id + "/statuses/9/activity"); out == "" {
		t.Fatal("the Create after the Delete was applied with no objection")
	}
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id = $1`, ada.id+"/statuses/9"); n != 0 {
		t.Fatalf("%d posts of an object deleted before it arrived, want 0", n)
	}
}
