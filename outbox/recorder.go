package outbox

import (
	"context"
	"sync"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// recorder writes delivery outcomes (deliveries rows, domain health) in batches: a group commit.
// Each delivery worker hands in its outcome and waits until it is stored, so nothing a job reports
// is lost when the job then completes; the first worker of a batch waits up to window (or until the
// batch is full) and writes the whole batch in two statements. With hundreds of deliveries a
// second this turns two writes per delivery into two per batch. No goroutine of its own: the
// workers flush, so there is nothing to start or stop.
type recorder struct {
	forum  *forum.Forum
	now    func() time.Time
	max    int
	window time.Duration

	mu  sync.Mutex
	cur *batch
	// healthy remembers when this process last recorded a success per domain: a domain that just
	// succeeded needs no write per delivery (its failure days are already clear) for a minute.
	healthy map[string]time.Time
}

type batch struct {
	outcomes  []forum.DeliveryOutcome
	successes []string
	failures  []forum.DeliveryFailure
	full      chan struct{} // closed when the batch reaches max
	done      chan struct{} // closed when the batch is stored
	err       error
}

// healthyFor is how long a recorded success stands for a domain in this process.
const healthyFor = time.Minute

func newRecorder(f *forum.Forum, now func() time.Time, max int, window time.Duration) *recorder {
	return &recorder{forum: f, now: now, max: max, window: window, healthy: map[string]time.Time{}}
}

// record stores one outcome and the domain's health (success, or a failure; neither when the
// delivery was not attempted) and returns once both are written.
func (r *recorder) record(ctx context.Context, o forum.DeliveryOutcome, domain string, success bool, failure *forum.DeliveryFailure) error {
	r.mu.Lock()
	b := r.cur
	leader := b == nil
	if leader {
		b = &batch{full: make(chan struct{}), done: make(chan struct{})}
		r.cur = b
	}
	b.outcomes = append(b.outcomes, o)
	now := r.now()
	switch {
	case success:
		if last, ok := r.healthy[domain]; !ok || now.Sub(last) > healthyFor {
			b.successes = append(b.successes, domain)
			r.healthy[domain] = now
		}
	case failure != nil:
		b.failures = append(b.failures, *failure)
		delete(r.healthy, domain)
	}
	if len(b.outcomes) == r.max {
		r.cur = nil
		close(b.full)
	}
	r.mu.Unlock()

	if leader {
		timer := time.NewTimer(r.window)
		select {
		case <-b.full:
		case <-timer.C:
		}
		timer.Stop()
		r.mu.Lock()
		if r.cur == b {
			r.cur = nil
		}
		if len(r.healthy) > 100000 {
			clear(r.healthy)
		}
		r.mu.Unlock()
		// The batch is written whatever happens to the leader's own job: others wait on it.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		b.err = r.forum.RecordDeliveryOutcomes(wctx, b.outcomes)
		if b.err == nil {
			b.err = r.forum.RecordDeliveryResults(wctx, b.successes, b.failures)
		}
		cancel()
		if b.err != nil {
			r.mu.Lock()
			for _, d := range b.successes {
				delete(r.healthy, d)
			}
			r.mu.Unlock()
		}
		close(b.done)
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
