package outbox

import (
	"context"
	"sync"
	"time"
)

// hostGate keeps one host from holding up the others (PERFORMANCE.md: one delivery at a time per
// destination caps a peer at 1/RTT, and a black-holed host must not take every worker):
//
//   - at most perHost requests to a host at once; a delivery that finds its host busy waits up to
//     slotWait, then is snoozed and its worker goes on to another host's delivery;
//   - a circuit breaker, as Mastodon's delivery worker has: after breakerThreshold consecutive
//     failures (network errors, timeouts, 5xx) the host is left alone for a while (30 s, doubling
//     to 10 min, in units of Options.BackoffUnit) and its deliveries are snoozed until then without a request, instead of each
//     costing a worker a timeout; a success closes it;
//   - a Retry-After from the host holds its deliveries until then.
//
// This is memory of the process's own recent requests, not work: losing it on restart only means
// the first requests find out again.
type hostGate struct {
	mu      sync.Mutex
	perHost int
	unit    time.Duration // scales breakerMin and breakerMax (Options.BackoffUnit)
	now     func() time.Time
	hosts   map[string]*hostState
}

type hostState struct {
	sem       chan struct{}
	refs      int // holders and waiters
	failures  int // consecutive
	openUntil time.Time
}

const (
	slotWait         = time.Second
	breakerThreshold = 3
	breakerMin       = 30 // units of hostGate.unit (a second in production)
	breakerMax       = 600
)

func newHostGate(perHost int, unit time.Duration, now func() time.Time) *hostGate {
	return &hostGate{perHost: perHost, unit: unit, now: now, hosts: map[string]*hostState{}}
}

// hostResult is how a request to a host went, for the breaker.
type hostResult int

const (
	hostOK        hostResult = iota // any answer that proves the host is up
	hostFailed                      // network error, timeout, 5xx
	hostSlowDown                    // 429 or 503 with Retry-After: held until then
	hostCancelled                   // no request was made or it was abandoned: no verdict
)

// acquire takes a request slot for host. It returns the release function, or how long to wait
// before trying again (the circuit is open, or the host stayed busy for slotWait).
func (g *hostGate) acquire(ctx context.Context, host string) (release func(hostResult, time.Duration), wait time.Duration) {
	g.mu.Lock()
	s := g.hosts[host]
	if s == nil {
		s = &hostState{sem: make(chan struct{}, g.perHost)}
		g.hosts[host] = s
	}
	if now := g.now(); now.Before(s.openUntil) {
		wait := s.openUntil.Sub(now)
		g.mu.Unlock()
		return nil, wait
	}
	s.refs++
	g.mu.Unlock()

	timer := time.NewTimer(slotWait)
	defer timer.Stop()
	select {
	case s.sem <- struct{}{}:
	case <-timer.C:
		g.unref(host, s)
		return nil, slotWait
	case <-ctx.Done():
		g.unref(host, s)
		return nil, 0
	}
	var once sync.Once
	return func(r hostResult, retryAfter time.Duration) {
		once.Do(func() {
			<-s.sem
			g.mu.Lock()
			now := g.now()
			switch r {
			case hostOK:
				s.failures, s.openUntil = 0, time.Time{}
			case hostFailed:
				s.failures++
				if s.failures >= breakerThreshold {
					backoff := breakerMin * g.unit << min(s.failures-breakerThreshold, 5)
					s.openUntil = now.Add(min(backoff, breakerMax*g.unit))
				}
			case hostSlowDown:
				if until := now.Add(retryAfter); until.After(s.openUntil) {
					s.openUntil = until
				}
			}
			g.mu.Unlock()
			g.unref(host, s)
		})
	}, 0
}

// unref drops a holder or waiter and forgets a host with nothing left to remember.
func (g *hostGate) unref(host string, s *hostState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s.refs--
	if s.refs == 0 && s.failures == 0 && !g.now().Before(s.openUntil) && g.hosts[host] == s {
		delete(g.hosts, host)
	}
}

// forget drops what is known about a host's failures (an admin asked to retry it now).
func (g *hostGate) forget(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.hosts[host]; s != nil {
		s.failures, s.openUntil = 0, time.Time{}
		if s.refs == 0 {
			delete(g.hosts, host)
		}
	}
}
