package outbox

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoa-forum/stoa/forum"
)

// Delivery result classes, the label of stoa_federation_deliveries_total.
const (
	resultDelivered = "delivered" // 2xx
	resultRetry     = "retry"     // 5xx, 401, 408, network error: retried with backoff
	resultSnoozed   = "snoozed"   // 429/503 with Retry-After, a busy host or an open circuit
	resultGone      = "gone"      // 410: the recipient's follows are dropped
	resultRejected  = "rejected"  // another 4xx: given up at once
	resultFailed    = "failed"    // retried until the last attempt, then given up
	resultCancelled = "cancelled" // blocked domain, deleted post: never sent
)

type metrics struct {
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
	skipped    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, f *forum.Forum) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoa_federation_deliveries_total",
			Help: "Delivery attempts and decisions by result class."}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stoa_federation_delivery_duration_seconds",
			Help:    "Time from sending a delivery to its response (or error), signing included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoa_federation_fanout_skipped_total",
			Help: "Recipients a fan-out left out, by reason."}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.latency, m.skipped, &queueCollector{forum: f})
	}
	return m
}

// queueCollector reports River's unfinished jobs by queue and state, counted at most every few
// seconds however often the metrics are scraped.
type queueCollector struct {
	forum *forum.Forum
	mu    sync.Mutex
	at    time.Time
	last  []forum.QueueDepth
}

var queueDesc = prometheus.NewDesc("stoa_jobs", "Unfinished background jobs by queue and state.", []string{"queue", "state"}, nil)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 5*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		depths, err := c.forum.QueueDepths(ctx)
		cancel()
		if err == nil {
			c.last, c.at = depths, time.Now()
		}
	}
	// The outbox's queues always report every state, zero included, so dashboards have a series
	// before anything happens.
	type key struct{ queue, state string }
	counts := map[key]int64{}
	for _, q := range []string{QueueFanOut, QueueDelivery} {
		for _, st := range []string{"available", "running", "retryable", "scheduled"} {
			counts[key{q, st}] = 0
		}
	}
	for _, d := range c.last {
		counts[key{d.Queue, d.State}] = d.Count
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), k.queue, k.state)
	}
}
