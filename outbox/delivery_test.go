package outbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/fedtest"
)

// deliveryRow reads the bookkeeping of the deliveries to one inbox.
func (h *harness) deliveryRow(inbox string) (state string, attempts int, status *int, lastErr string) {
	h.t.Helper()
	if err := h.pool.QueryRow(h.ctx, `SELECT state, attempts, last_status, last_error FROM deliveries WHERE inbox = $1
		ORDER BY activity_id DESC LIMIT 1`, inbox).Scan(&state, &attempts, &status, &lastErr); err != nil {
		h.t.Fatalf("delivery to %s: %v", inbox, err)
	}
	return
}

// jobOf reads the delivery job to one inbox.
func (h *harness) jobOf(inbox string) (state string, attempt int, scheduledIn time.Duration) {
	h.t.Helper()
	var at time.Time
	if err := h.pool.QueryRow(h.ctx, `SELECT state::text, attempt, scheduled_at FROM river_job
		WHERE queue = $1 AND args->>'i' = $2 ORDER BY id DESC LIMIT 1`, QueueDelivery, inbox).Scan(&state, &attempt, &at); err != nil {
		h.t.Fatalf("job for %s: %v", inbox, err)
	}
	return state, attempt, time.Until(at)
}

func TestResponseClasses(t *testing.T) {
	t.Parallel()
	hosts := []string{"ok.example", "gone.example", "bad.example", "slow.example", "down.example", "flaky.example", "auth.example"}
	h := newHarness(t, hosts)
	h.ob.retryIn = func(int) time.Duration { return 1100 * time.Millisecond }
	for _, host := range hosts {
		h.follow(h.remote(forum.ActorPerson, host, "fan", true), h.alice.ID)
	}
	h.follow(h.remote(forum.ActorPerson, "gone.example", "other", true), h.cat.ActorID)
	respond := map[string]func(fedtest.Received, int) (int, http.Header){
		"gone.example": func(fedtest.Received, int) (int, http.Header) { return http.StatusGone, nil },
		"bad.example":  func(fedtest.Received, int) (int, http.Header) { return http.StatusBadRequest, nil },
		"slow.example": func(fedtest.Received, int) (int, http.Header) {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}
		},
		"down.example": func(fedtest.Received, int) (int, http.Header) { return http.StatusServiceUnavailable, nil },
		"flaky.example": func(_ fedtest.Received, n int) (int, http.Header) {
			if n == 0 {
				return http.StatusInternalServerError, nil
			}
			return http.StatusAccepted, nil
		},
		"auth.example": func(_ fedtest.Received, n int) (int, http.Header) {
			if n == 0 {
				return http.StatusUnauthorized, nil
			}
			return http.StatusAccepted, nil
		},
	}
	for host, f := range respond {
		h.peers[host].Respond = f
	}
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the flaky host's second attempt", func() bool { return len(h.peers["flaky.example"].Received()) == 2 })
	waitFor(t, "the unauthorized host's second attempt", func() bool { return len(h.peers["auth.example"].Received()) == 2 })
	h.idle()

	check := func(host, wantJob, wantRow string, wantAttempts int) {
		t.Helper()
		inbox := "http://" + host + "/inbox"
		job, _, _ := h.jobOf(inbox)
		row, attempts, _, _ := h.deliveryRow(inbox)
		if job != wantJob || row != wantRow || attempts != wantAttempts {
			t.Errorf("%s: job %s, delivery %s after %d attempts; want %s, %s, %d", host, job, row, attempts, wantJob, wantRow, wantAttempts)
		}
	}
	check("ok.example", "completed", "delivered", 1)
	check("gone.example", "cancelled", "failed", 1)
	check("bad.example", "cancelled", "failed", 1)
	check("slow.example", "scheduled", "pending", 1)
	check("down.example", "scheduled", "pending", 1)
	check("flaky.example", "completed", "delivered", 2)

	// 410: the recipient is gone, so is every follow its shared inbox served.
	if n, _ := h.f.CountFollowers(h.ctx, h.cat.ActorID); n != 0 {
		t.Errorf("%d follows left after the shared inbox answered 410", n)
	}
	if n, _ := h.f.CountFollowers(h.ctx, h.alice.ID); n != len(hosts)-1 {
		t.Errorf("alice has %d followers, want %d: a 400 drops nothing", n, len(hosts)-1)
	}
	// 429: snoozed until Retry-After (plus jitter), not counted as a failure of the domain.
	if _, _, in := h.jobOf("http://slow.example/inbox"); in < 100*time.Second || in > 150*time.Second {
		t.Errorf("429 with Retry-After 120 snoozed for %s", in)
	}
	if d, err := h.f.DomainByName(h.ctx, "slow.example"); err == nil && len(d.FailureDays) != 0 {
		t.Errorf("a 429 counted as a failure: %+v", d)
	}
	// 503 without Retry-After: a minute, and the domain's failure day is recorded.
	if _, _, in := h.jobOf("http://down.example/inbox"); in < 50*time.Second || in > 75*time.Second {
		t.Errorf("503 snoozed for %s", in)
	}
	if d, err := h.f.DomainByName(h.ctx, "down.example"); err != nil || len(d.FailureDays) != 1 || d.LastError == "" {
		t.Errorf("down.example: %+v, %v", d, err)
	}
	// 401 is retried (a stale key cache on their side may heal).
	check("auth.example", "completed", "delivered", 2)
	// The retry was signed afresh: another Date, the same document, and both signatures verify
	// with Mastodon's rules.
	tries := h.peers["flaky.example"].Received()
	if tries[0].Header.Get("Date") == tries[1].Header.Get("Date") || tries[0].Header.Get("Signature") == tries[1].Header.Get("Signature") {
		t.Errorf("the retry reused the signature: %q / %q", tries[0].Header.Get("Date"), tries[1].Header.Get("Date"))
	}
	if string(tries[0].Body) != string(tries[1].Body) || tries[0].BadSignature != nil || tries[1].BadSignature != nil {
		t.Errorf("retry: same body %v, signatures %v / %v", string(tries[0].Body) == string(tries[1].Body), tries[0].BadSignature, tries[1].BadSignature)
	}
	if d, err := h.f.DomainByName(h.ctx, "flaky.example"); err != nil || len(d.FailureDays) != 0 || d.LastSuccessAt == nil {
		t.Errorf("flaky.example after its success: %+v, %v", d, err)
	}
}

func TestDomainBlockMidBacklog(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"busy.example", "fine.example"}, func(o *Options) { o.PerHost = 2 })
	var arrived atomic.Int32
	h.peers["busy.example"].Respond = func(fedtest.Received, int) (int, http.Header) {
		arrived.Add(1)
		time.Sleep(100 * time.Millisecond)
		return http.StatusAccepted, nil
	}
	for i := 0; i < 40; i++ {
		// No shared inbox: forty deliveries to one server.
		h.follow(h.remote(forum.ActorPerson, "busy.example", fmt.Sprintf("u%d", i), false), h.alice.ID)
	}
	h.follow(h.remote(forum.ActorPerson, "fine.example", "f", true), h.alice.ID)
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first deliveries", func() bool { return arrived.Load() >= 4 })
	h.policy.block("busy.example")
	atBlock := arrived.Load()
	n, err := h.ob.CancelDomain(h.ctx, "BUSY.example")
	if err != nil {
		t.Fatal(err)
	}
	h.idle()
	time.Sleep(300 * time.Millisecond) // requests already on the wire when their job was cancelled
	got := arrived.Load()
	// At most the requests already on the wire (PerHost) arrive after the block.
	if got > atBlock+2 || got >= 40 {
		t.Fatalf("%d deliveries reached the blocked domain, %d of them after the block", got, got-atBlock)
	}
	if n < 40-int(got)-2 {
		t.Fatalf("cancelled %d jobs, %d were delivered", n, got)
	}
	states := h.jobStates()
	// Requests on the wire when the block came are cancelled too (River cancels running jobs), so
	// some that arrived show as cancelled.
	if states["cancelled"]+states["completed"] != 41 || states["cancelled"] < 40-int(got) {
		t.Fatalf("job states %v after the block (%d delivered)", states, got)
	}
	if len(h.peers["fine.example"].Received()) != 1 {
		t.Fatal("the other domain's delivery was held up")
	}
	var pending int
	if err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM deliveries WHERE domain = 'busy.example' AND state = 'pending'`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("%d deliveries to the blocked domain still pending (%v)", pending, err)
	}
	// A delivery already queued for a blocked domain is cancelled by the worker itself.
	h.insertDelivery(t, DeliverArgs{ActivityID: h.lastActivity(), Inbox: "http://busy.example/inbox", Domain: "busy.example", Signer: h.alice.ID})
	h.idle()
	if arrived.Load() != got {
		t.Fatal("a job queued after the block reached the blocked domain")
	}
}

func TestUnavailableDomainIsSkippedUntilItIsSeen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"dead.example", "live.example"})
	h.follow(h.remote(forum.ActorPerson, "dead.example", "d", true), h.alice.ID)
	h.follow(h.remote(forum.ActorPerson, "live.example", "l", true), h.alice.ID)
	var fails []forum.DeliveryFailure
	for day := 1; day <= forum.UnavailableAfterDays; day++ {
		fails = append(fails, forum.DeliveryFailure{Domain: "dead.example", At: time.Now().AddDate(0, 0, -day), Error: "timeout"})
	}
	if err := h.f.RecordDeliveryResults(h.ctx, nil, fails); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "One", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if len(h.peers["dead.example"].Received()) != 0 || len(h.peers["live.example"].Received()) != 1 {
		t.Fatalf("dead got %d, live got %d", len(h.peers["dead.example"].Received()), len(h.peers["live.example"].Received()))
	}
	var queued int
	if err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM deliveries WHERE domain = 'dead.example'`).Scan(&queued); err != nil || queued != 0 {
		t.Fatalf("%d deliveries queued for an unavailable domain", queued)
	}
	// The inbox saw a signed request from it: it is alive again.
	if err := h.f.DomainSeen(h.ctx, "dead.example"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Two", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if len(h.peers["dead.example"].Received()) != 1 {
		t.Fatal("the domain was not delivered to after it was seen")
	}
}

func TestDeletingAPostCancelsItsQueuedCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"flaky.example"})
	h.ob.retryIn = func(int) time.Duration { return time.Hour }
	h.follow(h.remote(forum.ActorPerson, "flaky.example", "f", true), h.alice.ID)
	h.peers["flaky.example"].Respond = func(r fedtest.Received, _ int) (int, http.Header) {
		if r.Type == "Create" {
			return http.StatusInternalServerError, nil
		}
		return http.StatusAccepted, nil
	}
	_, opener, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Oops", Body: "text"})
	if err != nil {
		t.Fatal(err)
	}
	h.idle()
	if state, _, _ := h.jobOf("http://flaky.example/inbox"); state != "retryable" {
		t.Fatalf("the Create's job is %s, want retryable", state)
	}
	createID := h.lastActivity()
	if err := h.f.DeletePost(h.ctx, h.alice.Viewer(), opener.ID, ""); err != nil {
		t.Fatal(err)
	}
	h.idle()
	var createState string
	if err := h.pool.QueryRow(h.ctx, `SELECT state::text FROM river_job WHERE queue = $1 AND (args->>'a')::bigint = $2`,
		QueueDelivery, createID).Scan(&createState); err != nil || createState != "cancelled" {
		t.Fatalf("the queued Create is %q (%v), want cancelled", createState, err)
	}
	// The server tried once, so it may hold a copy: it gets the Delete.
	got := h.peers["flaky.example"].Received()
	if len(got) != 2 || got[1].Type != "Delete" {
		t.Fatalf("received %v", types(got))
	}
	// A Create job that a worker picks up after the deletion checks and sends nothing.
	h.insertDelivery(t, DeliverArgs{ActivityID: createID, Inbox: "http://flaky.example/users/f/inbox", Domain: "flaky.example", Signer: h.alice.ID})
	h.idle()
	if len(h.peers["flaky.example"].Received()) != 2 {
		t.Fatal("a Create of a deleted post was sent")
	}
}

func TestRetryScheduleIsMastodons(t *testing.T) {
	t.Parallel()
	var total time.Duration
	for attempt := 1; attempt < DeliveryMaxAttempts; attempt++ {
		d := retryDelay(attempt, time.Second, rand.Int64N)
		if attempt == 1 && d > 15*time.Second {
			t.Fatalf("first retry after %s: should be within seconds", d)
		}
		total += d
	}
	if total < 2*24*time.Hour || total > 3*24*time.Hour {
		t.Fatalf("16 retries span %s, want 2 to 3 days", total)
	}
	if DeliveryMaxAttempts != 17 {
		t.Fatalf("%d attempts", DeliveryMaxAttempts)
	}
	// Retry-After in seconds or as a date, capped.
	now := time.Now()
	for v, want := range map[string]time.Duration{"120": 2 * time.Minute, "": 0, "soon": 0, "999999": maxSlowDown,
		now.Add(time.Hour).UTC().Format(http.TimeFormat): time.Hour} {
		if got := retryAfter(v, now); got < want-time.Second || got > want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

func TestAJobOlderThanTheScheduleIsGivenUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"x.example"})
	w := &deliverWorker{ob: h.ob}
	job := &river.Job[DeliverArgs]{JobRow: &rivertype.JobRow{CreatedAt: time.Now().Add(-MaxDeliveryAge - time.Hour), Attempt: 3,
		MaxAttempts: DeliveryMaxAttempts}, Args: DeliverArgs{ActivityID: 1, Inbox: "http://x.example/inbox", Domain: "x.example"}}
	err := w.Work(context.Background(), job)
	var cancel *rivertype.JobCancelError
	if !errors.As(err, &cancel) || len(h.peers["x.example"].Received()) != 0 {
		t.Fatalf("an expired delivery: %v", err)
	}
}

// insertDelivery queues one delivery job directly.
func (h *harness) insertDelivery(t *testing.T, args DeliverArgs) {
	t.Helper()
	opts := args.insertOpts()
	opts.UniqueOpts = river.UniqueOpts{}
	if _, err := h.client.Insert(h.ctx, args, opts); err != nil {
		t.Fatal(err)
	}
}

// lastActivity is the newest recorded activity's id.
func (h *harness) lastActivity() int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(h.ctx, `SELECT max(id) FROM activities WHERE verb = 'create'`).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func TestNetworkErrorsCountAgainstTheDomain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"gone-away.example"})
	h.ob.retryIn = func(int) time.Duration { return time.Hour }
	h.follow(h.remote(forum.ActorPerson, "gone-away.example", "g", true), h.alice.ID)
	h.peers["gone-away.example"].Close() // nothing listens there any more: connection refused
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	state, attempts, status, lastErr := h.deliveryRow("http://gone-away.example/inbox")
	if job, _, in := h.jobOf("http://gone-away.example/inbox"); job != "retryable" || in < 50*time.Minute {
		t.Fatalf("job %s, next attempt in %s", job, in)
	}
	if state != "pending" || attempts != 1 || status == nil || *status != 0 || !strings.Contains(lastErr, "refused") {
		t.Fatalf("delivery %s after %d attempts, status %v, error %q", state, attempts, status, lastErr)
	}
	if d, err := h.f.DomainByName(h.ctx, "gone-away.example"); err != nil || len(d.FailureDays) != 1 {
		t.Fatalf("the domain's failure was not recorded: %+v, %v", d, err)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := newHarness(t, []string{"ok.example", "bad.example"}, func(o *Options) { o.Registerer = reg })
	h.follow(h.remote(forum.ActorPerson, "ok.example", "a", true), h.alice.ID)
	h.follow(h.remote(forum.ActorPerson, "bad.example", "b", true), h.alice.ID)
	h.peers["bad.example"].Respond = func(fedtest.Received, int) (int, http.Header) { return http.StatusForbidden, nil }
	if _, _, err := h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID, Title: "Hi", Body: "text"}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	byResult := map[string]float64{}
	var observed uint64
	for _, f := range families {
		names[f.GetName()] = true
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case "stoa_federation_deliveries_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "result" {
						byResult[l.GetValue()] = m.GetCounter().GetValue()
					}
				}
			case "stoa_federation_delivery_duration_seconds":
				observed += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if byResult[resultDelivered] != 1 || byResult[resultRejected] != 1 || observed != 2 {
		t.Errorf("deliveries by result %v, %d latencies observed", byResult, observed)
	}
	for _, want := range []string{"stoa_federation_deliveries_total", "stoa_federation_delivery_duration_seconds", "stoa_jobs"} {
		if !names[want] {
			t.Errorf("%s is not registered (have %v)", want, names)
		}
	}
}
