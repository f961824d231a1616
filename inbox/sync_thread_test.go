package inbox

import (
	"strings"
	"testing"
)

// A Group's recent threads are backfilled when it accepts a follow, whole and in order, from the
// thread's context collection; a later sync applies what its contextHistory lists since the last
// one (an edit made while this server was away), and reads nothing it read before.
func TestSyncBackfillsThreadsAndCatchesUpHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lemmy := h.peers.host("lemmy.test")
	group := lemmy.actor("Group", "woodwork", testKey(1))
	al := lemmy.actor("Person", "al", testKey(2))
	const ctxIRI = "http://lemmy.test/c/woodwork/t/1"
	note := func(n, text, inReplyTo string) map[string]any {
		doc := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": "http://lemmy.test/notes/" + n,
			"type": "Note", "attributedTo": al.id, "content": "<p>" + text + "</p>", "to": []string{asPublic},
			"audience": group.id, "context": ctxIRI, "published": now()}
		if inReplyTo != "" {
			doc["inReplyTo"] = "http://lemmy.test/notes/" + inReplyTo
		} else {
			doc["type"], doc["name"] = "Page", "Hand planes"
		}
		return doc
	}
	collection := func(path string, extra map[string]any) {
		doc := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": "http://lemmy.test" + path,
			"type": "OrderedCollection", "first": "http://lemmy.test" + path + "/page1"}
		for k, v := range extra {
			doc[k] = v
		}
		lemmy.put(path, doc)
	}
	page := func(path string, items ...string) {
		lemmy.put(path+"/page1", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": "http://lemmy.test" + path + "/page1", "type": "OrderedCollectionPage", "orderedItems": items})
	}
	lemmy.put("/notes/1", note("1", "Which plane first?", ""))
	lemmy.put("/notes/2", note("2", "A jack plane.", "1"))
	lemmy.put("/notes/3", note("3", "A block plane.", "2"))
	lemmy.put("/c/woodwork/announce/1", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": group.id + "/announce/1", "type": "Announce", "actor": group.id, "object": "http://lemmy.test/notes/1", "to": []string{asPublic}})
	collection("/c/woodwork/outbox", nil)
	page("/c/woodwork/outbox", group.id+"/announce/1")
	collection("/c/woodwork/t/1", map[string]any{"contextHistory": ctxIRI + "/history"})
	page("/c/woodwork/t/1", "http://lemmy.test/notes/1", "http://lemmy.test/notes/2", "http://lemmy.test/notes/3")
	collection("/c/woodwork/t/1/history", nil)
	page("/c/woodwork/t/1/history")

	h.memberFollows(h.alice, group)
	h.settle()
	opener := h.postByAPID("http://lemmy.test/notes/1")
	tv, posts, _, err := h.f.ThreadPostsAfter(h.ctx, h.alice.Viewer(), opener.ThreadID, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range posts {
		got = append(got, p.APID)
	}
	if tv.Thread.Title != "Hand planes" || strings.Join(got, " ") != "http://lemmy.test/notes/1 http://lemmy.test/notes/2 http://lemmy.test/notes/3" {
		t.Fatalf("backfilled thread %q: %v", tv.Thread.Title, got)
	}

	// While this server was away, al edited note 2: its home serves the new text and lists the
	// Update in the thread's history.
	edited := note("2", "A jack plane, then a block plane.", "1")
	edited["updated"] = now()
	lemmy.put("/notes/2", edited)
	lemmy.put("/users/al/update/2", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": al.id + "/update/2", "type": "Update", "actor": al.id, "object": edited, "to": []string{asPublic}})
	page("/c/woodwork/t/1/history", al.id+"/update/2")
	sync := func() {
		t.Helper()
		if _, err := h.ib.client.Load().Insert(h.ctx, SyncThreadArgs{ThreadID: opener.ThreadID}, nil); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	sync()
	if p := h.postByAPID("http://lemmy.test/notes/2"); !strings.Contains(p.HTML, "then a block plane") {
		t.Fatalf("the edit listed in the history was not applied: %q", p.HTML)
	}
	m, err := h.f.ThreadMirror(h.ctx, opener.ThreadID)
	if err != nil || m.HistorySeen != 1 || m.HistoryPage != ctxIRI+"/history/page1" {
		t.Fatalf("sync state: %+v, %v", m, err)
	}
	sync()
	updates := 0
	for _, r := range lemmy.requests() {
		if r == "GET /users/al/update/2" {
			updates++
		}
	}
	if updates != 1 {
		t.Fatalf("the Update was fetched %d times: a sync reads again what it read before", updates)
	}

	// Followed on its own, through its thread's actor (a Service), with nobody here following the
	// Group any more, the thread is still kept in step: al's next edit arrives with a sync.
	thread := lemmy.actor("Service", "thread-1", testKey(3))
	if err := h.f.Unfollow(h.ctx, h.alice.Viewer(), mustActor(t, h, group.id).ID); err != nil {
		t.Fatal(err)
	}
	h.memberFollows(h.alice, thread)
	again := note("3", "A block plane, and a shoulder plane.", "2")
	again["updated"] = now()
	lemmy.put("/notes/3", again)
	lemmy.put("/users/al/update/3", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": al.id + "/update/3", "type": "Update", "actor": al.id, "object": again, "to": []string{asPublic}})
	page("/c/woodwork/t/1/history", al.id+"/update/2", al.id+"/update/3")
	sync()
	if p := h.postByAPID("http://lemmy.test/notes/3"); !strings.Contains(p.HTML, "shoulder plane") {
		t.Fatalf("a thread followed through its actor was not synced: %q", p.HTML)
	}
}
