package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/stoa-forum/stoa/internal/querytrace"
)

// result is what one phase of load measured.
type result struct {
	requests  int
	errors    int
	firstErr  string
	elapsed   time.Duration
	latencies []time.Duration
	// lags (open loop only): how late the load generator itself sent each request, from when it
	// was due to when its goroutine began it. A latency includes its lag (it is timed from the due
	// time); a large lag is the generator's machine, not the server.
	lags     []time.Duration
	queries  []int     // per response, from Server-Timing
	dbMillis []float64 // per response, from Server-Timing
	// cached counts the responses served from a page cache (X-Stoa-Cache: hit).
	cached  int
	cpu     cpuUse
	offered float64 // open loop: requests per second asked for
}

func (r *result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

type collector struct {
	mu sync.Mutex
	r  result
}

func (c *collector) add(lat time.Duration, resp *http.Response, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	if err != nil {
		c.r.errors++
		if c.r.firstErr == "" {
			c.r.firstErr = err.Error()
		}
		return
	}
	c.r.requests++
	c.r.latencies = append(c.r.latencies, lat)
	if resp.Header.Get("X-Stoa-Cache") == "hit" {
		c.r.cached++
	}
	if n, ms, ok := querytrace.ParseServerTiming(resp.Header.Get("Server-Timing")); ok {
		c.r.queries = append(c.r.queries, n)
		c.r.dbMillis = append(c.r.dbMillis, ms)
	}
}

// do sends one request and reads the whole body (a page is not served until it has been read).
func do(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// closedLoop keeps `workers` requests in flight for d: the server's throughput at that
// concurrency, and latencies that include queueing at saturation.
func closedLoop(ctx context.Context, client *http.Client, e endpoint, workers int, d time.Duration, seed uint64) result {
	var c collector
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for ctx.Err() == nil && time.Now().Before(deadline) {
				req := e.request(r, w).WithContext(ctx)
				t0 := time.Now()
				resp, err := do(client, req)
				c.add(time.Since(t0), resp, err)
			}
		})
	}
	wg.Wait()
	c.r.elapsed = time.Since(start)
	return c.r
}

// openLoop sends requests at a fixed mean rate (Poisson arrivals) for d, whatever the server's
// pace, and times each from when it was due, not from when it was sent: a server that falls behind
// shows it in its latencies instead of silently slowing the load (coordinated omission).
func openLoop(ctx context.Context, client *http.Client, e endpoint, perSecond float64, d time.Duration, seed uint64) result {
	var c collector
	r := rand.New(rand.NewPCG(seed, 0x09e7))
	start := time.Now()
	due := start
	inflight := make(chan struct{}, 1024)
	var wg sync.WaitGroup
	for ctx.Err() == nil {
		due = due.Add(time.Duration(r.ExpFloat64() / perSecond * float64(time.Second)))
		if due.Sub(start) >= d {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		req, at := e.request(r, -1).WithContext(ctx), due
		inflight <- struct{}{}
		wg.Go(func() {
			defer func() { <-inflight }()
			lag := time.Since(at)
			resp, err := do(client, req)
			c.add(time.Since(at), resp, err)
			c.mu.Lock()
			c.r.lags = append(c.r.lags, lag)
			c.mu.Unlock()
		})
	}
	wg.Wait()
	c.r.elapsed = time.Since(start)
	c.r.offered = perSecond
	return c.r
}

// percentile of sorted-in-place samples.
func percentile(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	i := int(p*float64(len(xs))+0.5) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

func percentileF(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	i := int(p*float64(len(xs))+0.5) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}
