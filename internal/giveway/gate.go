package giveway

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Gate counts requests in flight and lets background work wait for a moment without any. The
// zero Gate is not usable; make one with New. It is safe for concurrent use.
type Gate struct {
	maxWait time.Duration

	mu       sync.Mutex
	inFlight int
	// idle is closed when inFlight falls to zero, and replaced when it rises from zero.
	idle chan struct{}
}

// New returns a Gate whose Yield waits at most maxWait.
func New(maxWait time.Duration) *Gate {
	idle := make(chan struct{})
	close(idle)
	return &Gate{maxWait: maxWait, idle: idle}
}

// Track counts the requests next serves as in flight while they are served.
func (g *Gate) Track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.enter()
		defer g.leave()
		next.ServeHTTP(w, r)
	})
}

func (g *Gate) enter() {
	g.mu.Lock()
	if g.inFlight == 0 {
		g.idle = make(chan struct{})
	}
	g.inFlight++
	g.mu.Unlock()
}

func (g *Gate) leave() {
	g.mu.Lock()
	g.inFlight--
	if g.inFlight == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
}

// Yield returns when no request is in flight, after maxWait, or when ctx ends, whichever comes
// first. It says whether it waited at all.
func (g *Gate) Yield(ctx context.Context) bool {
	g.mu.Lock()
	idle, busy := g.idle, g.inFlight > 0
	g.mu.Unlock()
	if !busy || g.maxWait <= 0 {
		return false
	}
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-ctx.Done():
	}
	return true
}
