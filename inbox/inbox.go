package inbox

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// Options configure the inbox. Forum and Federation are required.
type Options struct {
	Forum      *forum.Forum
	Federation *federation.Federation
	// Policy is asked about the signer's, the actor's and every object's host before any key is
	// fetched (SECURITY.md rule 9). Nil allows every domain. When it also has a
	// ReportsRejected(ctx, host) bool method, Flags from hosts it names are dropped.
	Policy federation.DomainPolicy
	Log    *slog.Logger
	// Registerer takes the inbox's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// ClientIP names a request's client (for the bucket that pays for failed signatures); nil uses
	// the peer address. cmd/stoa passes one that believes X-Forwarded-For from trusted proxies.
	ClientIP func(*http.Request) string

	// Rate and Burst bound what one remote domain may deliver: Rate activities a second on
	// average, Burst at once (defaults 100 and 400). PerHost bounds one domain's requests in
	// progress (default 16), so a peer whose key fetches hang cannot hold every slot.
	Rate    float64
	Burst   int
	PerHost int
	// FailureRate and FailureBurst bound the requests one client address may send that fail
	// verification (defaults 5 a second, 50 at once): forged key ids cost the forger, not the
	// domain they name.
	FailureRate  float64
	FailureBurst int
	// Concurrency bounds the requests verified at once in this process (default 4 x
	// GOMAXPROCS); more wait their turn for up to QueueWait (default 2 s), then get 503. Pages
	// and the inbox share the CPUs and the database pool, and this keeps the inbox's share bounded.
	// A request waiting for its group's commit holds no slot (the recorder bounds those).
	Concurrency int
	QueueWait   time.Duration
	// Workers is the apply queue's concurrency (default 8), FetchCooldown its poll spacing
	// (default 5 ms; River's 100 ms caps a queue near Workers/cooldown jobs a second).
	Workers       int
	FetchCooldown time.Duration
	// JobTimeout bounds one apply job, fetches included (default 75 s: a reply whose thread is
	// unknown may fetch its parents).
	JobTimeout time.Duration
	// ThreadSyncEvery is the least time between two syncs of one mirrored thread with its home
	// (sync_thread.go; default 10 min): reading a thread asks for one, at most this often.
	ThreadSyncEvery time.Duration
	// Recorder tunes the group commit of accepted activities (recorder.go).
	Recorder RecorderOptions
	// BatchParallel bounds the actors whose activities one batch apply job applies side by side
	// (default 2; batch.go): with Workers batch jobs that is at most 2 x Workers activities applied at
	// once, twice the single jobs' bound, on CPUs the pages share.
	BatchParallel int
	// ReplyGroup is how many remote replies a batch apply job stores in one transaction (default
	// 16; 1 stores each in its own): reply_group.go.
	ReplyGroup int
	// ReplyGroupLinger is how long a group waits for an applier busy elsewhere (default 5 ms).
	ReplyGroupLinger time.Duration
	// GiveWay, when set, is asked before each activity a batch job applies, and waits (a bounded
	// time) while the server answers requests: pages and peers wait for those, nobody for
	// applying. cmd passes internal/giveway's Gate over the HTTP server.
	GiveWay Yielder
	// Retention is how long applied activities are kept (default 14 days).
	Retention time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Yielder lets applying give way: Yield returns when it is applying's turn (at once, when nothing
// is waiting), and says whether it waited.
type Yielder interface {
	Yield(ctx context.Context) bool
}

// Inbox receives and applies other servers' activities. ServeHTTP is every inbox's handler; the
// workers (AddWorkers) apply what it recorded.
type Inbox struct {
	o       Options
	forum   *forum.Forum
	fed     *federation.Federation
	iris    federation.IRIs
	policy  federation.DomainPolicy
	log     *slog.Logger
	now     func() time.Time
	client  atomic.Pointer[river.Client[pgx.Tx]]
	limits  *limiter
	seen    *seenHosts
	slots   chan struct{}
	metrics *metrics
	// recorder records verified activities by group commit.
	recorder *Recorder
}

// New returns the inbox. Call AddWorkers before building the River client, then Use it, and Close
// the inbox when the HTTP server has drained.
func New(o Options) (*Inbox, error) {
	if o.Forum == nil || o.Federation == nil {
		return nil, errors.New("inbox: Forum and Federation are required")
	}
	if o.Policy == nil {
		o.Policy = federation.AllowAll{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientIP == nil {
		o.ClientIP = peerAddress
	}
	setDefault(&o.Rate, 100)
	setDefault(&o.Burst, 400)
	setDefault(&o.PerHost, 16)
	setDefault(&o.FailureRate, 5)
	setDefault(&o.FailureBurst, 50)
	setDefault(&o.Concurrency, 4*runtime.GOMAXPROCS(0))
	setDefault(&o.QueueWait, 2*time.Second)
	setDefault(&o.Workers, 8)
	setDefault(&o.FetchCooldown, 5*time.Millisecond)
	setDefault(&o.JobTimeout, 75*time.Second)
	setDefault(&o.BatchParallel, 2)
	setDefault(&o.ReplyGroup, 16)
	setDefault(&o.ReplyGroupLinger, defaultGroupLinger)
	setDefault(&o.ThreadSyncEvery, 10*time.Minute)
	setDefault(&o.Retention, 14*24*time.Hour)
	if o.Rate <= 0 || o.Burst < 1 || o.PerHost < 1 || o.Concurrency < 1 || o.Workers < 1 || o.BatchParallel < 1 || o.ReplyGroup < 1 {
		return nil, errors.New("inbox: rates, bursts and concurrencies must be positive")
	}
	ib := &Inbox{o: o, forum: o.Forum, fed: o.Federation, iris: o.Federation.IRIs, policy: o.Policy, log: o.Log, now: o.Now,
		limits: newLimiter(o.Rate, o.Burst, o.PerHost, o.FailureRate, o.FailureBurst, o.Now),
		seen:   newSeenHosts(time.Minute, o.Now), slots: make(chan struct{}, o.Concurrency)}
	ib.metrics = newMetrics(o.Registerer, o.Forum)
	ib.recorder = newRecorder(o.Forum, ib.client.Load, o.Recorder)
	return ib, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// peerAddress is the request's peer IP, without the port.
func peerAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// AddWorkers registers the apply and prune workers.
func (ib *Inbox) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &applyWorker{ib: ib})
	river.AddWorker(w, &applyBatchWorker{ib: ib})
	river.AddWorker(w, &pruneWorker{ib: ib})
	river.AddWorker(w, &syncThreadWorker{ib: ib})
	river.AddWorker(w, &syncGroupWorker{ib: ib})
}

// Queues is the inbox's River queue: its own, so applying a burst of remote activity never
// delays mail or deliveries, with bounded workers so it cannot take the CPUs from the pages.
func (ib *Inbox) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		QueueApply: {MaxWorkers: ib.o.Workers, FetchCooldown: ib.o.FetchCooldown, FetchPollInterval: 250 * time.Millisecond},
	}
}

// PeriodicJobs prunes old applied activities once a day.
func (ib *Inbox) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: false})}
}

// Use gives the inbox the River client its apply jobs are inserted with and run in.
func (ib *Inbox) Use(c *river.Client[pgx.Tx]) { ib.client.Store(c) }
