package inbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// Group commit of accepted activities. Each accepted activity used to be its own transaction, and
// a synchronous commit (one WAL flush) was most of what accepting cost (PERFORMANCE.md, "Inbox").
// The Recorder gathers the activities verified at about the same time into one transaction: one
// multi-row insert (forum.RecordInboundGroupTx), one apply job for the group's fresh activities,
// one commit. Each waiting handler then gets its own answer, and only after the commit: a 202
// still means the activity is durably recorded and its job queued (at least once). A failed
// commit fails every waiter, whose senders retry (503).

// RecorderOptions tune the group commit; zero values take the defaults.
type RecorderOptions struct {
	// MaxGroup bounds the activities of one transaction (default 64): the multi-row insert and
	// the batch job's args stay small, and one group's failure touches few senders.
	MaxGroup int
	// Linger is how long a group waits for company after its first activity (default 1 ms). A
	// synchronous commit takes a WAL flush of one to several milliseconds on the machines
	// measured, so waiting a millisecond more adds little to a 202's latency and lets the
	// requests verified meanwhile share the flush; under load the committers are busy anyway and
	// the next group forms while the previous one commits.
	Linger time.Duration
	// Committers is how many groups may commit at once (default 2): one gathers while another
	// waits for its flush.
	Committers int
	// CommitTimeout bounds one group's transaction (default 15 s), whatever its senders do.
	CommitTimeout time.Duration
	// Queue is where the groups' apply jobs go (default QueueApply). The benchmark's raw harness
	// records through the same path into a queue nobody works.
	Queue string
}

// Recorder records verified activities by group commit (see above). Record may be called from
// many goroutines; Close stops it.
type Recorder struct {
	o      RecorderOptions
	forum  *forum.Forum
	client func() *river.Client[pgx.Tx]
	// in holds up to MaxGroup activities waiting for a committer; a sender finding it full waits
	// in submit, still holding its handler's concurrency slot, so the waiters stay bounded.
	in chan *pendingRecord

	mu     sync.RWMutex // guards closed, and in against sends after Close
	closed bool
	wg     sync.WaitGroup
}

// pendingRecord is one activity waiting for its group's commit.
type pendingRecord struct {
	rec forum.InboundRecord
	// done takes the answer; buffered, so a committer never waits for a sender that gave up.
	done chan recordResult
}

type recordResult struct {
	fresh bool
	err   error
}

// errRecorderClosed answers the activities that arrive after Close (a 503: the sender retries,
// and the next process records them).
var errRecorderClosed = fmt.Errorf("the inbox is shutting down: %w", errBusy)

// NewRecorder starts a recorder whose groups queue their apply jobs with client.
func NewRecorder(f *forum.Forum, client *river.Client[pgx.Tx], o RecorderOptions) *Recorder {
	return newRecorder(f, func() *river.Client[pgx.Tx] { return client }, o)
}

func newRecorder(f *forum.Forum, client func() *river.Client[pgx.Tx], o RecorderOptions) *Recorder {
	setDefault(&o.MaxGroup, 64)
	setDefault(&o.Linger, time.Millisecond)
	setDefault(&o.Committers, 2)
	setDefault(&o.CommitTimeout, 15*time.Second)
	setDefault(&o.Queue, QueueApply)
	r := &Recorder{o: o, forum: f, client: client, in: make(chan *pendingRecord, o.MaxGroup)}
	for range o.Committers {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

// Record records a verified activity and queues its application, with the activities that arrive
// with it, and returns once their transaction committed. fresh is false for an activity recorded
// before (or by an earlier copy in the same group). When ctx ends first Record returns its error,
// and the group goes on without this caller: the activity may be recorded all the same, and the
// sender's retry is then a replay.
func (r *Recorder) Record(ctx context.Context, in forum.InboundRecord) (fresh bool, err error) {
	wait, err := r.handOver(ctx, in)
	if err != nil {
		return false, err
	}
	return wait(ctx)
}

// handOver is Record's first half: it gives the activity to the committers and returns the
// second, which waits for the answer. The handler frees its concurrency slot in between: waiting
// for a commit takes no CPU and no connection, and the recorder's queue bounds the waiters.
func (r *Recorder) handOver(ctx context.Context, in forum.InboundRecord) (wait func(context.Context) (bool, error), err error) {
	// An invalid record fails alone, before it can fail a group of other senders' activities.
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("record inbound activity: %w", err)
	}
	p := &pendingRecord{rec: in, done: make(chan recordResult, 1)}
	if err := r.submit(ctx, p); err != nil {
		return nil, err
	}
	return func(ctx context.Context) (bool, error) {
		select {
		case res := <-p.done:
			return res.fresh, res.err
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}, nil
}

// submit hands p to the committers, unless the recorder is closed or ctx ends first.
func (r *Recorder) submit(ctx context.Context, p *pendingRecord) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return errRecorderClosed
	}
	select {
	case r.in <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking activities, commits those already handed over, and returns when the last
// group is answered. Call it after the HTTP server has drained.
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.in)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// run is one committer: it takes the first waiting activity, gathers more for up to Linger (or
// MaxGroup of them), commits them, answers them, and starts again.
func (r *Recorder) run() {
	defer r.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		first, ok := <-r.in
		if !ok {
			return
		}
		group := []*pendingRecord{first}
		timer.Reset(r.o.Linger)
	gather:
		for len(group) < r.o.MaxGroup {
			select {
			case p, ok := <-r.in:
				if !ok {
					break gather
				}
				group = append(group, p)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		r.commit(group)
	}
}

// commit records a group in one transaction and answers each of its activities. The transaction's
// context is the recorder's own: a sender that gives up does not roll back the others.
func (r *Recorder) commit(group []*pendingRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), r.o.CommitTimeout)
	defer cancel()
	ids, err := r.recordGroup(ctx, group)
	for i, p := range group {
		if err != nil {
			p.done <- recordResult{err: err}
			continue
		}
		p.done <- recordResult{fresh: ids[i] != 0}
	}
}

// recordGroup is the group's transaction: the rows, then one apply job for the fresh ones (an
// ApplyArgs job when there is one, an ApplyBatchArgs job for several, in arrival order).
func (r *Recorder) recordGroup(ctx context.Context, group []*pendingRecord) ([]int64, error) {
	client := r.client()
	if client == nil {
		return nil, errNoQueue
	}
	recs := make([]forum.InboundRecord, len(group))
	for i, p := range group {
		recs[i] = p.rec
	}
	var ids []int64
	err := pgx.BeginFunc(ctx, r.forum.DB(), func(tx pgx.Tx) error {
		var err error
		if ids, err = r.forum.RecordInboundGroupTx(ctx, tx, recs); err != nil {
			return err
		}
		var fresh []int64
		for _, id := range ids {
			if id != 0 {
				fresh = append(fresh, id)
			}
		}
		var args river.JobArgs
		switch len(fresh) {
		case 0:
			return nil // replays only: nothing to apply
		case 1:
			args = ApplyArgs{InboundID: fresh[0]}
		default:
			args = ApplyBatchArgs{InboundIDs: fresh}
		}
		if _, err := client.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: r.o.Queue}); err != nil {
			return fmt.Errorf("queue apply of inbound activities %v: %w", fresh, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: a group of %d inbound activities: %w", errNotRecorded, len(group), err)
	}
	return ids, nil
}
