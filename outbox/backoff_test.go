package outbox

import (
	"context"
	"testing"
	"time"
)

// The backoff unit scales the retry schedule and the circuit breaker together: end-to-end tests
// set it to milliseconds so an outage of seconds is retried through in seconds.
func TestBackoffUnitScalesRetriesAndBreaker(t *testing.T) {
	t.Parallel()
	noJitter := func(int64) int64 { return 0 }
	for attempt, want := range map[int]time.Duration{1: 6 * time.Second, 2: 21 * time.Second, 4: 261 * time.Second} {
		if got := retryDelay(attempt, time.Second, noJitter); got != want {
			t.Errorf("attempt %d, unit 1s: %s, want %s", attempt, got, want)
		}
		if got := retryDelay(attempt, 10*time.Millisecond, noJitter); got != want/100 {
			t.Errorf("attempt %d, unit 10ms: %s, want %s", attempt, got, want/100)
		}
	}

	now := time.Unix(1_800_000_000, 0)
	for unit, open := range map[time.Duration]time.Duration{time.Second: 30 * time.Second, 20 * time.Millisecond: 600 * time.Millisecond} {
		g := newHostGate(1, unit, func() time.Time { return now })
		for i := 0; i < breakerThreshold; i++ {
			release, wait := g.acquire(context.Background(), "down.example")
			if release == nil {
				t.Fatalf("unit %s: failure %d found the circuit open (wait %s)", unit, i+1, wait)
			}
			release(hostFailed, 0)
		}
		if release, wait := g.acquire(context.Background(), "down.example"); release != nil || wait != open {
			t.Errorf("unit %s: after %d failures the circuit holds the host %s, want %s", unit, breakerThreshold, wait, open)
		}
	}
}
