package e2e

import (
	"testing"
	"time"
)

// eventually waits for cond with a deadline: federation is asynchronous, and tests wait on what
// they expect to see instead of sleeping. On timeout it fails with what describe reports.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			state := ""
			if describe != nil {
				state = "\n" + describe()
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
