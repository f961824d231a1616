package inbox

import (
	"math"
	"sync"
	"time"
)

// Rate limits per remote domain (SECURITY.md rule 17), so one noisy peer cannot slow the forum for
// everyone else: a token bucket per canonical host of the signer, a bound on that host's requests
// in progress, and a bucket per client address for requests whose signature fails.
//
// Why in memory, per process: the limits are about fairness between peers and about this
// process's CPUs, not exact global quotas. A counter in PostgreSQL would add a write per request
// to the very path being protected; with several processes behind a load balancer a peer gets
// each process's allowance, which is the capacity those processes add. Peers that are refused get
// 429 with Retry-After and redeliver later (Mastodon, Lemmy and GoToSocial all retry), so nothing
// is lost.
//
// Whose bucket pays: a request is charged to the host its keyId names before the signature is
// checked (the cheap check protects the expensive one), but only a request that verifies keeps
// that charge; one that fails is charged to its client address instead, so forging a victim
// domain's keyId drains the forger's allowance, not the victim's.

// bucket is a token bucket.
type bucket struct {
	tokens   float64
	last     time.Time
	inflight int
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if b.last.IsZero() {
		b.tokens, b.last = burst, now
		return
	}
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = math.Min(burst, b.tokens+d*rate)
		b.last = now
	}
}

// wait is how long until the bucket holds one token.
func (b *bucket) wait(rate float64) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

type limiter struct {
	mu                  sync.Mutex
	now                 func() time.Time
	rate, burst         float64
	perHost             int
	failRate, failBurst float64
	hosts, failures     map[string]*bucket
	lastSweep           time.Time
	maxEntries          int
	sweepEvery          time.Duration
	idleFor             time.Duration
}

func newLimiter(rate float64, burst, perHost int, failRate float64, failBurst int, now func() time.Time) *limiter {
	return &limiter{now: now, rate: rate, burst: float64(burst), perHost: perHost, failRate: failRate,
		failBurst: float64(failBurst), hosts: map[string]*bucket{}, failures: map[string]*bucket{},
		maxEntries: 100000, sweepEvery: time.Minute, idleFor: 10 * time.Minute}
}

// admit is asked before a request's signature is checked. It takes a token from host's bucket and
// a slot among its requests in progress, after checking that the client still has failure
// allowance. A refusal says how long to wait; an admitted request must be released with done.
func (l *limiter) admit(host, client string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	if f, exists := l.failures[client]; exists {
		f.refill(now, l.failRate, l.failBurst)
		if w := f.wait(l.failRate); w > 0 {
			return false, w
		}
	}
	b := l.hosts[host]
	if b == nil {
		b = &bucket{}
		l.hosts[host] = b
	}
	b.refill(now, l.rate, l.burst)
	if w := b.wait(l.rate); w > 0 {
		return false, w
	}
	if b.inflight >= l.perHost {
		return false, time.Second
	}
	b.tokens--
	b.inflight++
	return true, 0
}

// done ends an admitted request. A request whose signature did not verify gets its host's token
// back and costs its client one failure token instead.
func (l *limiter) done(host, client string, verified bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if b := l.hosts[host]; b != nil {
		b.inflight--
		if !verified {
			b.tokens = math.Min(l.burst, b.tokens+1)
		}
	}
	if !verified {
		f := l.failures[client]
		if f == nil {
			f = &bucket{}
			l.failures[client] = f
		}
		f.refill(now, l.failRate, l.failBurst)
		f.tokens--
	}
}

// sweep forgets buckets that have been full and idle for a while, so the maps stay the size of the
// set of active peers (and a flood of made-up host names cannot grow them without bound).
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.sweepEvery && len(l.hosts)+len(l.failures) < l.maxEntries {
		return
	}
	l.lastSweep = now
	for _, m := range []map[string]*bucket{l.hosts, l.failures} {
		for k, b := range m {
			if b.inflight == 0 && now.Sub(b.last) > l.idleFor {
				delete(m, k)
			}
		}
	}
	if len(l.hosts)+len(l.failures) >= l.maxEntries {
		// Still full of recent entries: start over rather than grow. Limits reset, which
		// favours peers for a moment; memory stays bounded.
		for _, m := range []map[string]*bucket{l.hosts, l.failures} {
			for k, b := range m {
				if b.inflight == 0 {
					delete(m, k)
				}
			}
		}
	}
}

// seenHosts remembers when each domain's valid request last cleared its unavailable mark, so the
// inbox tells forum.DomainSeen once a minute per domain rather than on every request.
type seenHosts struct {
	mu    sync.Mutex
	now   func() time.Time
	every time.Duration
	last  map[string]time.Time
}

func newSeenHosts(every time.Duration, now func() time.Time) *seenHosts {
	return &seenHosts{now: now, every: every, last: map[string]time.Time{}}
}

// due reports whether host should be reported seen now, and notes that it is.
func (s *seenHosts) due(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if t, ok := s.last[host]; ok && now.Sub(t) < s.every {
		return false
	}
	if len(s.last) > 50000 {
		clear(s.last)
	}
	s.last[host] = now
	return true
}
