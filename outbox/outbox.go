package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// Options configure the outbox. Forum and Federation are required.
type Options struct {
	Forum      *forum.Forum
	Federation *federation.Federation
	// Policy is asked at fan-out and again right before each request: a domain blocked after its
	// deliveries were queued gets nothing. Nil allows every domain.
	Policy federation.DomainPolicy
	// Transport configures the HTTP transport (unsafe local mode, host map), as for fetches.
	Transport federation.TransportOptions
	Log       *slog.Logger
	// Registerer takes the outbox's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	UserAgent  string

	// DeliveryWorkers is the delivery queue's concurrency in this process (default 400): enough
	// that hosts that never answer (each holds a worker until its timeout) leave plenty for the
	// rest; a waiting worker is a parked goroutine, and signing, the real work, is bounded by the
	// CPUs anyway. PerHost bounds concurrent requests to one host (default 8).
	DeliveryWorkers int
	PerHost         int
	// BatchThreshold is the size from which a fan-out sends its first attempts in batch jobs
	// (DeliverBatchArgs) instead of one job per delivery (default 64; negative: never). The
	// requests are the same; what changes is River's work per delivery: a batch of 32 is one job
	// row inserted, fetched and completed instead of 32.
	BatchThreshold int
	// FetchCooldown and FetchPollInterval tune how often the outbox's queues ask for jobs (River's
	// defaults, 100 ms and 1 s, cap a queue near MaxWorkers/cooldown jobs a second and can leave a
	// new fan-out waiting a second; see PERFORMANCE.md). Zero: 5 ms and 250 ms.
	FetchCooldown, FetchPollInterval time.Duration
	// ConnectTimeout, HeaderTimeout and RequestTimeout bound one delivery (defaults 5 s, 10 s and
	// 30 s, Mastodon's connect and read timeouts), so a black-holed host costs a worker that long
	// and no more.
	ConnectTimeout, HeaderTimeout, RequestTimeout time.Duration
	// FanOutTimeout bounds a fan-out job (default 2 min): mention lookups through WebFinger and a
	// bulk insert. River's RescueStuckJobsAfter must exceed it and the delivery timeout.
	FanOutTimeout time.Duration
	// Retention is how long delivery bookkeeping is kept (default 30 days).
	Retention time.Duration
	// BackoffUnit is the unit of the retry schedule and of the circuit breaker (default 1 s: the
	// first retry within seconds, the breaker open 30 s to 10 min). End-to-end tests shorten it so
	// an outage of a few seconds is retried through in seconds rather than minutes.
	BackoffUnit time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Outbox publishes recorded activities: it is the forum.Federator (its fan-out job is inserted in
// the transaction that records an activity) and owns the fan-out and delivery workers.
type Outbox struct {
	o       Options
	forum   *forum.Forum
	fed     *federation.Federation
	policy  federation.DomainPolicy
	log     *slog.Logger
	now     func() time.Time
	client  atomic.Pointer[river.Client[pgx.Tx]]
	http    *http.Client
	hosts   *hostGate
	docs    *documentCache
	signers *signerCache
	live    *liveness
	rec     *recorder
	metrics *metrics
	// sending bounds the requests of batches in flight in this process, as the delivery queue's
	// MaxWorkers bounds those of delivery jobs.
	sending chan struct{}
	// signing bounds the signatures made at once to the CPUs.
	signing chan struct{}
	rand    func(n int64) int64
	// retryIn is the delay before a failed delivery's next attempt (retryDelay; tests shorten it).
	retryIn func(attempt int) time.Duration
}

// New returns the outbox. Call AddWorkers before building the River client, then Use it.
func New(o Options) (*Outbox, error) {
	if o.Forum == nil || o.Federation == nil {
		return nil, errors.New("outbox: Forum and Federation are required")
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
	if o.UserAgent == "" {
		o.UserAgent = "stoa (+" + o.Federation.IRIs.Base() + "/)"
	}
	setDefault(&o.DeliveryWorkers, 400)
	setDefault(&o.PerHost, 8)
	setDefault(&o.BatchThreshold, 64)
	setDefault(&o.FetchCooldown, 5*time.Millisecond)
	setDefault(&o.FetchPollInterval, 250*time.Millisecond)
	setDefault(&o.ConnectTimeout, 5*time.Second)
	setDefault(&o.HeaderTimeout, 10*time.Second)
	setDefault(&o.RequestTimeout, 30*time.Second)
	setDefault(&o.FanOutTimeout, 2*time.Minute)
	o.ConnectTimeout = min(o.ConnectTimeout, o.RequestTimeout)
	o.HeaderTimeout = min(o.HeaderTimeout, o.RequestTimeout)
	setDefault(&o.Retention, 30*24*time.Hour)
	setDefault(&o.BackoffUnit, time.Second)
	if o.DeliveryWorkers < 1 || o.DeliveryWorkers > 10000 || o.PerHost < 1 {
		return nil, fmt.Errorf("outbox: %d delivery workers and %d per host are out of range", o.DeliveryWorkers, o.PerHost)
	}
	ob := &Outbox{o: o, forum: o.Forum, fed: o.Federation, policy: o.Policy, log: o.Log, now: o.Now,
		hosts: newHostGate(o.PerHost, o.BackoffUnit, o.Now), docs: newDocumentCache(4096), signers: newSignerCache(),
		live: newLiveness(time.Second, o.Now), rand: rand.Int64N}
	ob.retryIn = func(attempt int) time.Duration { return retryDelay(attempt, o.BackoffUnit, ob.rand) }
	ob.http = &http.Client{Transport: deliveryTransport(o), Timeout: o.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ob.rec = newRecorder(o.Forum, o.Now, 256, 5*time.Millisecond)
	ob.sending = make(chan struct{}, o.DeliveryWorkers)
	ob.signing = make(chan struct{}, runtime.GOMAXPROCS(0))
	ob.metrics = newMetrics(o.Registerer, o.Forum)
	return ob, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// deliveryTransport is federation's address-checking transport with the outbox's timeouts and a
// cap on connections per host that matches the cap on requests.
func deliveryTransport(o Options) *http.Transport {
	t := federation.NewTransport(o.Transport)
	t.ResponseHeaderTimeout = o.HeaderTimeout
	t.MaxConnsPerHost = o.PerHost
	t.MaxIdleConnsPerHost = o.PerHost
	t.MaxIdleConns = 4 * o.DeliveryWorkers
	dial := t.DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
		defer cancel()
		return dial(ctx, network, addr)
	}
	return t
}

// AddWorkers registers the outbox's workers.
func (ob *Outbox) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &fanOutWorker{ob: ob})
	river.AddWorker(w, &deliverWorker{ob: ob})
	river.AddWorker(w, &batchWorker{ob: ob})
	river.AddWorker(w, &pruneWorker{ob: ob})
	river.AddWorker(w, &federation.ProbeDomainWorker{Fetcher: ob.fed.Fetcher, Forum: ob.forum, Log: ob.log})
}

// Queues are the outbox's River queues, tuned for throughput (PERFORMANCE.md).
func (ob *Outbox) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		QueueFanOut: {MaxWorkers: 8, FetchCooldown: ob.o.FetchCooldown, FetchPollInterval: ob.o.FetchPollInterval},
		QueueDelivery: {MaxWorkers: ob.o.DeliveryWorkers, FetchCooldown: ob.o.FetchCooldown,
			FetchPollInterval: ob.o.FetchPollInterval},
	}
}

// PeriodicJobs are the outbox's periodic jobs (pruning delivery bookkeeping, daily).
func (ob *Outbox) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PruneDeliveriesArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: false})}
}

// Use gives the outbox the River client its workers run in; CancelDomain and RetryDomain need it.
func (ob *Outbox) Use(c *river.Client[pgx.Tx]) { ob.client.Store(c) }

// ActivityRecorded implements forum.Federator: the fan-out job is inserted in the transaction that
// recorded the activity, so the activity is published if and only if the change commits.
func (ob *Outbox) ActivityRecorded(ctx context.Context, tx pgx.Tx, activityID int64) error {
	return insertFanOut(ctx, ob.client.Load(), tx, activityID)
}

// jitter spreads retries and snoozes over up to a fifth of d, so jobs that failed together do not
// come back together.
func (ob *Outbox) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration(ob.rand(int64(d)/5+1))
}
