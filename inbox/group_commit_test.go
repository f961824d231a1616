package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// withRecorder sets the group commit's options (a long Linger with a small MaxGroup makes a test's
// group exactly the activities it sends; one committer makes it a single group).
func withRecorder(ro RecorderOptions) harnessOption {
	return withInbox(func(o *Options) { o.Recorder = ro })
}

// firstContact delivers one reply from each actor, all at once (so that a recorder whose
// MaxGroup is their number closes their group without waiting out its Linger), and waits until
// they are applied: their keys and rows are stored, and a test's group is then about recording,
// not key fetches. It returns the actors' row ids.
func (h *harness) firstContact(actors ...*remoteActor) []int64 {
	h.t.Helper()
	var wg sync.WaitGroup
	for i, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sig := a.signature()
			if status, msg := h.send("/inbox", h.reply(a, 1000+i, "hello"), &sig); status != http.StatusAccepted {
				h.t.Errorf("first contact of %s answered %d: %s", a.id, status, msg)
			}
		}()
	}
	wg.Wait()
	h.settle()
	ids := make([]int64, len(actors))
	for i, a := range actors {
		ids[i] = mustActor(h.t, h, a.id).ID
	}
	return ids
}

// inbound is the record the handler makes of a verified activity from a stored actor.
func inbound(t *testing.T, a *remoteActor, actorID int64, body []byte) forum.InboundRecord {
	t.Helper()
	var doc struct{ ID, Type string }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return forum.InboundRecord{APID: doc.ID, Type: doc.Type, ActorAPID: a.id, ActorID: actorID, Inbox: "/inbox", Payload: body}
}

// recordAsync hands a record to the inbox's recorder, as the handler does, and delivers its answer.
func (h *harness) recordAsync(ctx context.Context, in forum.InboundRecord) <-chan recordResult {
	out := make(chan recordResult, 1)
	go func() {
		fresh, err := h.ib.recorder.Record(ctx, in)
		out <- recordResult{fresh: fresh, err: err}
	}()
	return out
}

// lastJob is the newest River job's id so far: jobsOf(kind, h.lastJob()) lists the jobs queued after.
func (h *harness) lastJob() int64 {
	h.t.Helper()
	return int64(h.count(`SELECT coalesce(max(id), 0) FROM river_job`))
}

// jobsOf lists the inbound ids of the apply jobs of a kind queued after job after, per job.
func (h *harness) jobsOf(kind string, after int64) [][]int64 {
	h.t.Helper()
	rows, err := h.pool.Query(h.ctx, `SELECT CASE WHEN kind = 'inbox_apply' THEN jsonb_build_array(args->'inbound_id')
			ELSE args->'inbound_ids' END FROM river_job WHERE kind = $1 AND id > $2 ORDER BY id`, kind, after)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out [][]int64
	for rows.Next() {
		var ids []int64
		if err := rows.Scan(&ids); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, ids)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// Many activities POSTed at once by many senders are recorded in groups: each exactly once, each
// in exactly one apply job (batch jobs for the groups, single jobs for groups of one), every
// sender answered 202 after its group's commit, and all of them applied.
func TestGroupCommitRecordsConcurrentPOSTsOnceEach(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{Linger: 20 * time.Millisecond}))
	masto := h.peers.host("masto.test")
	var actors []*remoteActor
	for i := range 5 {
		actors = append(actors, masto.actor("Person", fmt.Sprintf("p%d", i), testKey(i)))
	}
	h.firstContact(actors...)
	before, sinceJob := h.count(`SELECT count(*) FROM inbound_activities`), h.lastJob()

	const perActor = 8
	type send struct {
		from *remoteActor
		body []byte
	}
	var sends []send
	for i := range perActor {
		for _, a := range actors {
			sends = append(sends, send{a, h.reply(a, i, fmt.Sprintf("reply %d of %s", i, a.id))})
		}
	}
	statuses := make([]int, len(sends))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/inbox", bytes.NewReader(sends[i].body))
				if err != nil {
					t.Error(err)
					continue
				}
				req.Host = "forum.test"
				req.Header.Set("Content-Type", "application/activity+json")
				sig := sends[i].from.signature()
				sig.sign(req, sends[i].body)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}
		}()
	}
	for i := range sends {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusAccepted {
			t.Errorf("send %d answered %d, want 202", i, s)
		}
	}
	h.settle()
	if n := h.count(`SELECT count(*) FROM inbound_activities`) - before; n != len(sends) {
		t.Fatalf("%d activities recorded, want %d", n, len(sends))
	}
	// Every recorded activity (the first contacts' too) is in exactly one apply job.
	inJobs := map[int64]int{}
	batches := h.jobsOf("inbox_apply_batch", 0)
	for _, job := range append(batches, h.jobsOf("inbox_apply", 0)...) {
		for _, id := range job {
			inJobs[id]++
		}
	}
	if n := h.count(`SELECT count(*) FROM inbound_activities`); len(inJobs) != n {
		t.Fatalf("%d activities in apply jobs, %d recorded", len(inJobs), n)
	}
	for id, n := range inJobs {
		if n != 1 {
			t.Errorf("activity %d is in %d apply jobs, want 1", id, n)
		}
	}
	if len(h.jobsOf("inbox_apply_batch", sinceJob)) == 0 {
		t.Fatal("no group of more than one activity: nothing was committed together")
	}
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id LIKE 'http://masto.test/users/p%/statuses/_'`); n != len(sends) {
		t.Fatalf("%d replies stored, want %d", n, len(sends))
	}
	if n := h.count(`SELECT count(*) FROM inbound_activities WHERE applied_at IS NULL OR outcome <> ''`); n != 0 {
		t.Fatalf("%d activities not applied as sent", n)
	}
	t.Logf("%d activities in %d batch jobs and %d single ones", len(sends), len(h.jobsOf("inbox_apply_batch", sinceJob)), len(h.jobsOf("inbox_apply", sinceJob)))
}

// Two copies of one activity in the same group are recorded once: one sender gets the fresh
// answer, the other the replay's, both 202, and the group's one job applies it once.
func TestGroupCommitDuplicateInOneGroupIsRecordedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 3, Linger: 10 * time.Second, Committers: 1}))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	ids := h.firstContact(ada, bea, ada) // three, to fill a group
	sinceJob := h.lastJob()
	twice := inbound(t, ada, ids[0], h.reply(ada, 1, "sent twice"))
	once := inbound(t, bea, ids[1], h.reply(bea, 1, "sent once"))
	// The group closes when its third activity arrives (MaxGroup), not after the Linger.
	start := time.Now()
	answers := []<-chan recordResult{h.recordAsync(h.ctx, twice), h.recordAsync(h.ctx, once), h.recordAsync(h.ctx, twice)}
	fresh := 0
	for i, c := range answers {
		res := <-c
		if res.err != nil {
			t.Fatalf("record %d: %v", i, res.err)
		}
		if i != 1 && res.fresh {
			fresh++
		}
		if i == 1 && !res.fresh {
			t.Fatal("the other activity of the group was answered as a replay")
		}
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the group waited %v: it did not close at MaxGroup", time.Since(start))
	}
	if fresh != 1 {
		t.Fatalf("%d of the two copies answered fresh, want 1", fresh)
	}
	batches := h.jobsOf("inbox_apply_batch", sinceJob)
	if len(batches) != 1 || len(batches[0]) != 2 {
		t.Fatalf("batch jobs %v, want one of the two new activities", batches)
	}
	h.settle()
	if n := h.count(`SELECT count(*) FROM inbound_activities WHERE ap_id = $1`, twice.APID); n != 1 {
		t.Fatalf("%d rows for the activity sent twice, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id IN ($1, $2)`, ada.id+"/statuses/1", bea.id+"/statuses/1"); n != 2 {
		t.Fatalf("%d posts, want 2", n)
	}
	if out := h.outcome(twice.APID); out != "" {
		t.Fatalf("the activity sent twice: outcome %q", out)
	}
}

// When the group's transaction fails, every sender in it is answered 503 with Retry-After (over
// HTTP) or the error (the recorder's caller), and nothing of the group is kept: no row, no job.
// Here the failure is a record whose signer row does not exist (a foreign key the insert checks),
// grouped with a valid activity POSTed over HTTP; the valid one's retry is then recorded and applied.
func TestGroupCommitFailureFailsTheWholeGroup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 2, Linger: 10 * time.Second, Committers: 1}))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	ids := h.firstContact(ada, bea)
	before := h.snapshot()
	jobs := h.count(`SELECT count(*) FROM river_job`)

	broken := inbound(t, bea, ids[1]+1_000_000, h.reply(bea, 1, "signed by nobody stored"))
	failed := h.recordAsync(h.ctx, broken)
	body := h.reply(ada, 1, "caught in a failed group")
	sig := ada.signature()
	status, msg, header := h.sendFull("/inbox", body, &sig)
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Fatalf("answered %d (%s), Retry-After %q; want 503 with Retry-After", status, msg, header.Get("Retry-After"))
	}
	if res := <-failed; res.err == nil || !errors.Is(res.err, errNotRecorded) {
		t.Fatalf("the broken record's caller got %+v, want errNotRecorded", res)
	}
	h.unchanged(before)
	if n := h.count(`SELECT count(*) FROM river_job`); n != jobs {
		t.Fatalf("%d jobs after the failed group, %d before", n, jobs)
	}

	// The sender retries; alone in its group now (with a record of its own to close it).
	good := inbound(t, bea, ids[1], h.reply(bea, 2, "fine"))
	ok := h.recordAsync(h.ctx, good)
	h.deliver(ada, body)
	if res := <-ok; res.err != nil || !res.fresh {
		t.Fatalf("the second group's other record: %+v", res)
	}
	h.settle()
	if out := h.outcome(ada.id + "/statuses/1/activity"); out != "" {
		t.Fatalf("the retried activity: outcome %q", out)
	}
}

// A sender that gives up while its group is gathering gets its context's error, and the group
// commits without it being spoiled: the other activity is recorded and applied, and so is the one
// given up on (its sender's retry is then a replay). After Close, nothing more is taken (503).
func TestGroupCommitSurvivesACancelledSender(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 2, Linger: 10 * time.Second, Committers: 1}))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	ids := h.firstContact(ada, bea)
	first := inbound(t, ada, ids[0], h.reply(ada, 1, "given up on"))
	second := inbound(t, bea, ids[1], h.reply(bea, 1, "waited for"))

	ctx, cancel := context.WithCancel(h.ctx)
	gaveUp := h.recordAsync(ctx, first)
	time.Sleep(100 * time.Millisecond) // handed over: the group is gathering
	cancel()
	if res := <-gaveUp; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("the cancelled sender got %+v, want context.Canceled", res)
	}
	if res := <-h.recordAsync(h.ctx, second); res.err != nil || !res.fresh {
		t.Fatalf("the other sender got %+v, want fresh", res)
	}
	h.settle()
	for _, in := range []forum.InboundRecord{first, second} {
		if out := h.outcome(in.APID); out != "" {
			t.Fatalf("%s: outcome %q", in.APID, out)
		}
	}
	// The retry of the one given up on: a replay.
	retried := h.recordAsync(h.ctx, first)
	closer := h.recordAsync(h.ctx, inbound(t, bea, ids[1], h.reply(bea, 2, "closes the group")))
	if res := <-retried; res.err != nil || res.fresh {
		t.Fatalf("the retry got %+v, want a replay", res)
	}
	<-closer

	// Close commits what was handed over (the Linger is not waited out) and refuses the rest.
	pending := h.recordAsync(h.ctx, inbound(t, bea, ids[1], h.reply(bea, 3, "handed over before Close")))
	time.Sleep(100 * time.Millisecond)
	closed := make(chan struct{})
	go func() { h.ib.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the Linger")
	}
	if res := <-pending; res.err != nil || !res.fresh {
		t.Fatalf("the activity handed over before Close got %+v, want recorded", res)
	}
	if _, err := h.ib.recorder.Record(h.ctx, inbound(t, bea, ids[1], h.reply(bea, 4, "too late"))); !errors.Is(err, errBusy) {
		t.Fatalf("a record after Close: %v, want errBusy (503)", err)
	}
}

// A request waiting for its group's commit holds no concurrency slot: with one slot, a second
// request is verified while the first waits, joins its group, and both are answered 202 (were
// the slot held, the second would wait for it, the group for the second, and the second would be
// answered 503 after QueueWait).
func TestGroupCommitWaitHoldsNoConcurrencySlot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 2, Linger: 10 * time.Second, Committers: 1}),
		withInbox(func(o *Options) { o.Concurrency, o.QueueWait = 1, time.Second }))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	h.firstContact(ada, bea) // already two requests through the one slot into one group
	start := time.Now()
	statuses := make(chan int, 2)
	for _, a := range []*remoteActor{ada, bea} {
		go func() {
			sig := a.signature()
			status, _ := h.send("/inbox", h.reply(a, 1, "one of two in a group"), &sig)
			statuses <- status
		}()
	}
	for range 2 {
		if status := <-statuses; status != http.StatusAccepted {
			t.Fatalf("answered %d, want 202", status)
		}
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the two requests took %v: the group waited out its Linger", waited)
	}
	h.settle()
	for _, a := range []*remoteActor{ada, bea} {
		if out := h.outcome(a.id + "/statuses/1/activity"); out != "" {
			t.Fatalf("%s: outcome %q", a.id, out)
		}
	}
}
