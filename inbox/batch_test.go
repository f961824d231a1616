package inbox

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// recordGroup records activities as one group (the harness's recorder closes a group at
// MaxGroup), handing them over in the order given, and fails unless each is fresh.
func (h *harness) recordGroup(ins ...forum.InboundRecord) {
	h.t.Helper()
	var answers []<-chan recordResult
	for _, in := range ins {
		answers = append(answers, h.recordAsync(h.ctx, in))
		// Handed over before the next one: the group's order is the order given.
		time.Sleep(100 * time.Millisecond)
	}
	for i, c := range answers {
		if res := <-c; res.err != nil || !res.fresh {
			h.t.Fatalf("record %d (%s): %+v", i, ins[i].APID, res)
		}
	}
}

// appliedAt is when a recorded activity was marked applied (nil: not yet).
func (h *harness) appliedAt(apID string) *time.Time {
	h.t.Helper()
	var at *time.Time
	if err := h.pool.QueryRow(h.ctx, `SELECT applied_at FROM inbound_activities WHERE ap_id = $1`, apID).Scan(&at); err != nil {
		h.t.Fatal(err)
	}
	return at
}

// A batch job run again (River is at least once: a crash after the activities were applied and
// before the job was completed) skips what was applied: nothing is applied twice, and no outcome
// or applied time changes.
func TestBatchRerunSkipsAppliedActivities(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 3, Linger: 10 * time.Second, Committers: 1}))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	cal := h.peers.host("other.test").actor("Person", "cal", testKey(2))
	ids := h.firstContact(ada, bea, cal)
	sinceJob := h.lastJob()
	group := []forum.InboundRecord{inbound(t, ada, ids[0], h.reply(ada, 1, "one")),
		inbound(t, bea, ids[1], h.reply(bea, 1, "two")), inbound(t, cal, ids[2], h.reply(cal, 1, "three"))}
	h.recordGroup(group...)
	h.settle()
	batches := h.jobsOf("inbox_apply_batch", sinceJob)
	if len(batches) != 1 || len(batches[0]) != 3 {
		t.Fatalf("batch jobs %v, want one of 3", batches)
	}
	applied := map[string]time.Time{}
	for _, in := range group {
		at := h.appliedAt(in.APID)
		if at == nil || h.outcome(in.APID) != "" {
			t.Fatalf("%s not applied as sent", in.APID)
		}
		applied[in.APID] = *at
	}
	posts := h.count(`SELECT count(*) FROM posts`)

	if _, err := h.queue.Client.Insert(h.ctx, ApplyBatchArgs{InboundIDs: batches[0]}, nil); err != nil {
		t.Fatal(err)
	}
	h.settle()
	for _, in := range group {
		if at := h.appliedAt(in.APID); at == nil || !at.Equal(applied[in.APID]) {
			t.Errorf("%s: applied at %v, then %v: applied again", in.APID, applied[in.APID], at)
		}
		if out := h.outcome(in.APID); out != "" {
			t.Errorf("%s: outcome %q after the re-run", in.APID, out)
		}
	}
	if n := h.count(`SELECT count(*) FROM posts`); n != posts {
		t.Fatalf("%d posts after the re-run, %d before", n, posts)
	}
}

// An activity of a batch whose failure may pass (its object's origin answers 503) is handed on to
// an ApplyArgs job of its own, while the others of the batch are applied; River runs that job
// after a backoff, and once the origin answers, the activity is applied. The batch job itself
// completes.
func TestBatchHandsOnARetryableFailureToItsOwnJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 3, Linger: 10 * time.Second, Committers: 1}))
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	cal := h.peers.host("other.test").actor("Person", "cal", testKey(2))
	ids := h.firstContact(ada, bea, cal)
	events, stop := h.queue.Client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()

	// ada's Create names its Note by id only, so it is fetched from ada's server, which is
	// restarting.
	note := ada.id + "/statuses/1"
	masto.unavailable("/users/ada/statuses/1")
	byRef := activity(map[string]any{"id": note + "/activity", "type": "Create", "actor": ada.id, "to": []string{asPublic},
		"object": note})
	group := []forum.InboundRecord{inbound(t, bea, ids[1], h.reply(bea, 1, "before")), inbound(t, ada, ids[0], byRef),
		inbound(t, cal, ids[2], h.reply(cal, 1, "after"))}
	h.recordGroup(group...)

	// Wait for the batch job to complete (not fail), then look before the hand-on runs (1 s).
	deadline := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case ev := <-events:
			if ev.Job.Kind != "inbox_apply_batch" {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("the batch job ended %s: %v", ev.Kind, ev.Job.Errors)
			}
			done = true
		case <-deadline:
			t.Fatal("the batch job did not complete")
		}
	}
	for _, in := range []forum.InboundRecord{group[0], group[2]} {
		if at := h.appliedAt(in.APID); at == nil || h.outcome(in.APID) != "" {
			t.Fatalf("%s was not applied with its batch", in.APID)
		}
	}
	if at := h.appliedAt(group[1].APID); at != nil {
		t.Fatalf("the failed activity was marked applied (outcome %q)", h.outcome(group[1].APID))
	}
	var own int
	if err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM river_job WHERE kind = 'inbox_apply' AND state = 'scheduled'
		AND (args->>'inbound_id')::bigint = (SELECT id FROM inbound_activities WHERE ap_id = $1)`, group[1].APID).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if own != 1 {
		t.Fatalf("%d jobs of its own for the failed activity, want 1 scheduled", own)
	}

	// ada's server is back: the job of its own applies it.
	masto.put("/users/ada/statuses/1", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": note,
		"type": "Note", "attributedTo": ada.id, "inReplyTo": h.postIRI(h.opener.ID), "content": "<p>fetched on retry</p>",
		"to": []string{asPublic}, "published": now()})
	h.settle()
	if out := h.outcome(group[1].APID); out != "" {
		t.Fatalf("the retried activity: outcome %q", out)
	}
	if p := h.postByAPID(note); p.ThreadID != h.thread.ID {
		t.Fatalf("the retried reply is in thread %d, want %d", p.ThreadID, h.thread.ID)
	}
}

// One actor's Create, Update and a second Update of one post in one batch apply in arrival order:
// the post ends with the last edit (an Update applied before its Create is ignored as about an
// unknown post). Another actor's activity in the batch runs beside them.
func TestBatchAppliesOneActorsActivitiesInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 4, Linger: 10 * time.Second, Committers: 1}))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	ids := h.firstContact(ada, bea, ada, bea) // four, to fill a group
	sinceJob := h.lastJob()
	note := ada.id + "/statuses/1"
	// An edit older than the stored post's last edit (stamped when applied) is ignored: the
	// Updates are dated after now, a minute apart.
	published, edited := time.Now().UTC().Add(-time.Hour), time.Now().UTC()
	update := func(n int, content string) []byte {
		return activity(map[string]any{"id": note + "/update/" + string(rune('0'+n)), "type": "Update", "actor": ada.id,
			"to": []string{asPublic}, "object": map[string]any{"id": note, "type": "Note", "attributedTo": ada.id,
				"inReplyTo": h.postIRI(h.opener.ID), "content": "<p>" + content + "</p>", "to": []string{asPublic},
				"published": published.Format(time.RFC3339), "updated": edited.Add(time.Duration(n) * time.Minute).Format(time.RFC3339)}})
	}
	h.recordGroup(inbound(t, ada, ids[0], h.reply(ada, 1, "first draft")), inbound(t, bea, ids[1], h.reply(bea, 1, "meanwhile")),
		inbound(t, ada, ids[0], update(1, "second draft")), inbound(t, ada, ids[0], update(2, "final text")))
	h.settle()
	if batches := h.jobsOf("inbox_apply_batch", sinceJob); len(batches) != 1 || len(batches[0]) != 4 {
		t.Fatalf("batch jobs %v, want one of 4", batches)
	}
	var html string
	if err := h.pool.QueryRow(context.Background(), `SELECT source FROM posts WHERE ap_id = $1`, note).Scan(&html); err != nil {
		t.Fatal(err)
	}
	if html != "<p>final text</p>" {
		t.Fatalf("the post reads %q, want the last edit (outcomes %q, %q)", html, h.outcome(note+"/update/1"), h.outcome(note+"/update/2"))
	}
	for _, apID := range []string{note + "/activity", note + "/update/1", note + "/update/2", bea.id + "/statuses/1/activity"} {
		if out := h.outcome(apID); out != "" {
			t.Errorf("%s: outcome %q", apID, out)
		}
	}
}
