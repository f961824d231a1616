package outbox

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A moderator's removal of a remote post takes back the boosts this forum sent of it: Mastodon
// ignores a Delete of another server's status, so without the Undo the boost stays in the
// timelines of the thread's (or category's) followers there.
func TestARemovedRemotePostsBoostsAreTakenBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"masto.example", "origin.example"})
	fan := h.remote(forum.ActorPerson, "masto.example", "ann", true)
	author := h.remote(forum.ActorPerson, "origin.example", "ori", true)
	h.follow(fan, h.cat.ActorID)
	th, _, err := h.setup.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Q", Body: "?"})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := h.f.EnsureThreadActor(h.ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.follow(fan, ta.ID)
	reply := h.relayedRemotePost(author, th.ID, 2, "http://origin.example/n/reply")

	// A thread started on the origin server in this category: the category boosts its opener.
	var remoteThread int64
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO threads (category_id, author_id, title, post_count) VALUES ($1, $2, 'From afar', 1) RETURNING id`,
		h.cat.ID, author.ID).Scan(&remoteThread); err != nil {
		t.Fatal(err)
	}
	opener := h.relayedRemotePost(author, remoteThread, 1, "http://origin.example/n/opener")
	h.idle()

	boosts := map[string]string{} // Announce id -> its object, as the microblog received them
	for _, r := range h.peers["masto.example"].Received("Announce") {
		if r.Object == "http://origin.example/n/reply" || r.Object == "http://origin.example/n/opener" {
			boosts[r.ID] = r.Object
		}
	}
	if len(boosts) != 2 {
		t.Fatalf("the microblog got %d boosts of the remote posts, want 2 (the thread's of the reply, the category's of the opener): %v",
			len(boosts), types(h.peers["masto.example"].Received()))
	}

	for _, postID := range []int64{reply, opener} {
		if err := h.f.DeletePost(h.ctx, h.mod.Viewer(), postID, "spam"); err != nil {
			t.Fatal(err)
		}
	}
	h.idle()
	undos := h.peers["masto.example"].Received("Undo")
	wantTypes(t, "the microblog", undos, fmt.Sprintf("Undo by /t/%d/actor", th.ID), "Undo by /c/general")
	for _, u := range undos {
		var doc struct {
			Object struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				Actor  string `json:"actor"`
				Object string `json:"object"`
			} `json:"object"`
		}
		if err := json.Unmarshal(u.Body, &doc); err != nil {
			t.Fatal(err)
		}
		was, ok := boosts[doc.Object.ID]
		if !ok || doc.Object.Type != "Announce" || doc.Object.Actor != u.Actor || doc.Object.Object != was {
			t.Fatalf("%s takes back %+v, which is not a boost it sent (%v)", u.Type, doc.Object, boosts)
		}
		delete(boosts, doc.Object.ID)
	}
	// The author's server hears of both removals from the moderator, and is sent no Undo: it got
	// no boost.
	wantTypes(t, "the author's server", h.peers["origin.example"].Received("Delete", "Undo"), "Delete by /u/molly", "Delete by /u/molly")
}

// relayedRemotePost stores a remote post at a position of a thread, as the inbox would, and
// records the category's relay of its Create: the fan-out sends the boosts of it.
func (h *harness) relayedRemotePost(author forum.Actor, threadID int64, position int, apID string) int64 {
	h.t.Helper()
	var postID, inboundID, relayID int64
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO posts (thread_id, author_id, position, ap_id, source, source_kind, html)
		VALUES ($1, $2, $3, $4, 'hi', 'html', 'hi') RETURNING id`, threadID, author.ID, position, apID).Scan(&postID); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.pool.Exec(h.ctx, `UPDATE threads SET post_count = $2 WHERE id = $1`, threadID, position); err != nil {
		h.t.Fatal(err)
	}
	raw := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Create","actor":%q,"object":{"id":%q,"type":"Note","content":"hi"}}`,
		apID+"/activity", author.APID, apID)
	if err := h.pool.QueryRow(h.ctx, `INSERT INTO inbound_activities (ap_id, type, actor_ap_id, payload) VALUES ($1, 'Create', $2, $3) RETURNING id`,
		apID+"/activity", author.APID, []byte(raw)).Scan(&inboundID); err != nil {
		h.t.Fatal(err)
	}
	tx, err := h.pool.Begin(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	defer tx.Rollback(h.ctx)
	if err := tx.QueryRow(h.ctx, `INSERT INTO activities (verb, actor_id, thread_id, post_id, category_id, details)
		VALUES ('announce', $1, $2, $3, $4, jsonb_build_object('inbound', $5::bigint)) RETURNING id`,
		h.cat.ActorID, threadID, postID, h.cat.ID, inboundID).Scan(&relayID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.ob.ActivityRecorded(h.ctx, tx, relayID); err != nil {
		h.t.Fatal(err)
	}
	if err := tx.Commit(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return postID
}
