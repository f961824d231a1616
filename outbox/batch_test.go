package outbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/fedtest"
)

func batchEverything(o *Options) { o.BatchThreshold = 1 }

// The documents a new thread sends a category's followers: the category's Announce of the Create,
// and its Announce of the object (the boost Mastodon shows).
const (
	docAnnounceCreate = "announce"
	docAnnounceObject = "boost"
)

// batchRow reads one delivery's bookkeeping: its state, attempts, whether a batch still carries
// it, and the job that does.
func (h *harness) batchRow(inbox, document string) (state string, attempts int, batched bool, jobID int64) {
	h.t.Helper()
	if err := h.pool.QueryRow(h.ctx, `SELECT state, attempts, batched, job_id FROM deliveries
		WHERE inbox = $1 AND document = $2 ORDER BY activity_id DESC LIMIT 1`, inbox, document).Scan(&state, &attempts, &batched, &jobID); err != nil {
		h.t.Fatalf("delivery of %q to %s: %v", document, inbox, err)
	}
	return
}

// A new thread's two documents to each category follower travel in batch jobs; the response
// classes decide as for delivery jobs, and only what must be tried again becomes a job of its own,
// with the attempts the batch made counted.
func TestABatchHandsOnlyWhatMustBeTriedAgainToJobs(t *testing.T) {
	t.Parallel()
	hosts := []string{"ok1.example", "ok2.example", "flaky.example", "slow.example", "gone.example", "bad.example"}
	h := newHarness(t, hosts, batchEverything)
	h.ob.retryIn = func(int) time.Duration { return 1100 * time.Millisecond }
	for _, host := range hosts {
		h.follow(h.remote(forum.ActorPerson, host, "fan", true), h.cat.ActorID)
	}
	h.peers["flaky.example"].Respond = func(_ fedtest.Received, n int) (int, http.Header) {
		if n == 0 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusAccepted, nil
	}
	h.peers["slow.example"].Respond = func(fedtest.Received, int) (int, http.Header) {
		return http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}
	}
	h.peers["gone.example"].Respond = func(fedtest.Received, int) (int, http.Header) { return http.StatusGone, nil }
	h.peers["bad.example"].Respond = func(fedtest.Received, int) (int, http.Header) { return http.StatusBadRequest, nil }
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the flaky host's retries", func() bool { return len(h.peers["flaky.example"].Received()) == 3 })
	h.idle()

	var batches, batchItems int
	if err := h.pool.QueryRow(h.ctx, `SELECT count(DISTINCT j.id), count(dl.*) FROM river_job j
		JOIN deliveries dl ON dl.job_id = j.id OR dl.inbox IN ('http://flaky.example/inbox', 'http://slow.example/inbox')
		WHERE j.kind = 'federation_deliver_batch' AND j.state = 'completed'`).Scan(&batches, &batchItems); err != nil {
		t.Fatal(err)
	}
	if batches != 1 || batchItems != 2*len(hosts) {
		t.Fatalf("%d completed batches carrying %d deliveries, want 1 carrying %d", batches, batchItems, 2*len(hosts))
	}
	for _, host := range []string{"ok1.example", "ok2.example"} {
		if got := h.peers[host].Received(); len(got) != 2 || got[0].BadSignature != nil || got[1].BadSignature != nil {
			t.Fatalf("%s received %d documents (want both, once, verified)", host, len(got))
		}
		for _, doc := range []string{docAnnounceCreate, docAnnounceObject} {
			if state, attempts, batched, _ := h.batchRow("http://"+host+"/inbox", doc); state != "delivered" || attempts != 1 || !batched {
				t.Errorf("%s %q: %s after %d attempts, batched %v", host, doc, state, attempts, batched)
			}
		}
	}
	// The flaky host's first document failed: the batch did not go on to the second, and both went
	// to jobs of their own (which then run in either order).
	flaky := h.peers["flaky.example"].Received()
	first := 0
	for _, r := range flaky {
		if r.Object == flaky[0].Object {
			first++
		}
	}
	if first != 2 || flaky[0].Status != http.StatusInternalServerError {
		t.Errorf("flaky host received %q (%d), %q, %q: want the first document first (refused), then again and the second once",
			flaky[0].Object, flaky[0].Status, flaky[1].Object, flaky[2].Object)
	}
	if state, attempts, batched, _ := h.batchRow("http://flaky.example/inbox", docAnnounceObject); state != "delivered" || attempts != 1 || batched {
		t.Errorf("flaky's second document: %s after %d attempts, batched %v; want delivered by its own job at its first attempt", state, attempts, batched)
	}
	state, attempts, batched, jobID := h.batchRow("http://flaky.example/inbox", docAnnounceCreate)
	var tried, jobAttempt int
	if err := h.pool.QueryRow(h.ctx, `SELECT coalesce((args->>'t')::int, 0), attempt FROM river_job WHERE id = $1`, jobID).Scan(&tried, &jobAttempt); err != nil {
		t.Fatal(err)
	}
	if state != "delivered" || attempts != 2 || batched || tried != 1 || jobAttempt != 1 {
		t.Errorf("flaky's first document: %s after %d attempts, batched %v; its job counts %d tried + attempt %d", state, attempts, batched, tried, jobAttempt)
	}
	// 429: handed to a job snoozed until Retry-After, its second document behind it.
	for _, doc := range []string{docAnnounceCreate, docAnnounceObject} {
		state, _, batched, jobID := h.batchRow("http://slow.example/inbox", doc)
		var jobState string
		var in time.Duration
		var at time.Time
		if err := h.pool.QueryRow(h.ctx, `SELECT state::text, scheduled_at FROM river_job WHERE id = $1`, jobID).Scan(&jobState, &at); err != nil {
			t.Fatal(err)
		}
		in = time.Until(at)
		if state != "pending" || batched || jobState != "scheduled" || in < 100*time.Second || in > 150*time.Second {
			t.Errorf("slow %q: %s, batched %v, job %s in %s", doc, state, batched, jobState, in)
		}
	}
	if got := len(h.peers["slow.example"].Received()); got != 1 {
		t.Errorf("slow host received %d requests, want 1 (the second document waits behind the first)", got)
	}
	// 410 and 400: given up in the batch, no job.
	for _, host := range []string{"gone.example", "bad.example"} {
		if state, _, batched, _ := h.batchRow("http://"+host+"/inbox", docAnnounceCreate); state != "failed" || !batched {
			t.Errorf("%s: %s, batched %v", host, state, batched)
		}
	}
	if n, _ := h.f.CountFollowers(h.ctx, h.cat.ActorID); n != len(hosts)-1 {
		t.Errorf("%d category followers left, want %d (the 410's dropped)", n, len(hosts)-1)
	}
}

// queueBatch inserts a batch job carrying deliveries of the newest activity to the given hosts'
// shared inboxes, with their rows, as a fan-out would; prepare runs in the same transaction.
func (h *harness) queueBatch(hosts []string, at time.Time, prepare func(tx pgx.Tx, jobID int64)) int64 {
	h.t.Helper()
	act := h.lastActivity()
	var items []DeliverArgs
	for _, host := range hosts {
		items = append(items, DeliverArgs{ActivityID: act, Inbox: "http://" + host + "/inbox", Domain: host, Signer: h.alice.ID})
	}
	tx, err := h.pool.Begin(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	defer tx.Rollback(h.ctx)
	res, err := h.client.InsertTx(h.ctx, tx, DeliverBatchArgs{ActivityID: act, Run: 99}, &river.InsertOpts{ScheduledAt: at})
	if err != nil {
		h.t.Fatal(err)
	}
	var rows []forum.DeliveryRow
	for i, d := range items {
		rows = append(rows, forum.DeliveryRow{ActivityID: act, Inbox: d.Inbox, Domain: d.Domain, JobID: res.Job.ID, Batched: true,
			SignerID: d.Signer, Position: i})
	}
	if err := h.f.InsertDeliveriesTx(h.ctx, tx, rows); err != nil {
		h.t.Fatal(err)
	}
	if prepare != nil {
		prepare(tx, res.Job.ID)
	}
	if err := tx.Commit(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return res.Job.ID
}

// A batch run again (its process died mid-batch and River rescued it) sends only what its rows say
// is still pending; a domain blocked while it waited gets nothing, and nothing else is cancelled.
func TestABatchRunAgainSendsOnlyWhatIsPendingAndSkipsBlockedDomains(t *testing.T) {
	t.Parallel()
	var hosts []string
	for i := 0; i < 6; i++ {
		hosts = append(hosts, fmt.Sprintf("p%d.example", i))
	}
	hosts = append(hosts, "sub.blocked.example")
	h := newHarness(t, hosts)
	// Published to nobody yet: the fan-out stores the documents.
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	// p0 and p1 were delivered by the run that died; the rest are pending.
	jobID := h.queueBatch(hosts, time.Now().Add(time.Hour), func(tx pgx.Tx, jobID int64) {
		if _, err := tx.Exec(h.ctx, `UPDATE deliveries SET state = 'delivered', attempts = 1
			WHERE job_id = $1 AND domain IN ('p0.example', 'p1.example')`, jobID); err != nil {
			t.Fatal(err)
		}
	})
	h.policy.block("blocked.example")
	n, err := h.ob.CancelDomain(h.ctx, "blocked.example")
	if err != nil || n != 1 {
		t.Fatalf("cancelled %d deliveries (%v), want the one batched to sub.blocked.example", n, err)
	}
	var state string
	if err := h.pool.QueryRow(h.ctx, `SELECT state::text FROM river_job WHERE id = $1`, jobID).Scan(&state); err != nil || state != "scheduled" {
		t.Fatalf("the batch is %s (%v): a block must not cancel the other domains' deliveries", state, err)
	}
	if _, err := h.client.JobRetry(h.ctx, jobID); err != nil {
		t.Fatal(err)
	}
	h.idle()
	for i, host := range hosts {
		want := 1
		if i < 2 || host == "sub.blocked.example" {
			want = 0
		}
		if got := len(h.peers[host].Received()); got != want {
			t.Errorf("%s received %d, want %d", host, got, want)
		}
	}
	if state, _, _, _ := h.batchRow("http://sub.blocked.example/inbox", ""); state != "cancelled" {
		t.Errorf("the blocked domain's delivery is %s", state)
	}
	if state, attempts, _, _ := h.batchRow("http://p5.example/inbox", ""); state != "delivered" || attempts != 1 {
		t.Errorf("p5: %s after %d attempts", state, attempts)
	}
}

// Deleting a post cancels its batched Create: the batch sends nothing of it.
func TestDeletingAPostCancelsItsBatchedCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"a.example", "b.example"})
	_, post, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"})
	if err != nil {
		t.Fatal(err)
	}
	h.idle()
	jobID := h.queueBatch([]string{"a.example", "b.example"}, time.Now().Add(time.Hour), nil)
	if err := h.f.DeletePost(h.ctx, h.alice.Viewer(), post.ID, ""); err != nil {
		t.Fatal(err)
	}
	h.idle()
	// The Delete's fan-out marked the batched Create's rows before the batch ever ran.
	for _, host := range []string{"a.example", "b.example"} {
		if state, _, batched, _ := h.batchRow("http://"+host+"/inbox", ""); state != "cancelled" || !batched {
			t.Errorf("%s: the deleted post's batched Create is %s (batched %v) before its batch ran", host, state, batched)
		}
	}
	if _, err := h.client.JobRetry(h.ctx, jobID); err != nil {
		t.Fatal(err)
	}
	h.idle()
	for _, host := range []string{"a.example", "b.example"} {
		for _, r := range h.peers[host].Received() {
			if r.Type == "Create" {
				t.Errorf("%s received the deleted post's Create", host)
			}
		}
		if state, _, _, _ := h.batchRow("http://"+host+"/inbox", ""); state != "cancelled" {
			t.Errorf("%s: the deleted post's Create is %s", host, state)
		}
	}
}
