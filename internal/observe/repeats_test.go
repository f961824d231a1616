package observe

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The same error again within the window is dropped, and the next one logged says how many were;
// other messages, other levels and info records are not held back.
func TestRepeatedErrorsAreLoggedOncePerWindow(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	log := slog.New(LimitRepeats(slog.NewTextHandler(&out, nil), 30*time.Second, func() time.Time { return clock }))
	producer := log.With("queue", "default")
	for range 10 {
		producer.Error("producer: Error fetching jobs", "err", "connection refused")
		log.Info("request", "path", "/")
		clock = clock.Add(time.Second)
	}
	log.Error("notifier: Error connecting listener")
	log.Warn("producer: Error fetching jobs")
	clock = clock.Add(30 * time.Second)
	producer.Error("producer: Error fetching jobs", "err", "connection refused")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	count := func(substr string) int {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, substr) {
				n++
			}
		}
		return n
	}
	if n := count(`level=ERROR msg="producer: Error fetching jobs"`); n != 2 {
		t.Errorf("the repeated error was logged %d times, want 2 (the first, and one after the window):\n%s", n, out.String())
	}
	if n := count("repeated=9"); n != 1 {
		t.Errorf("the error after the window does not say 9 were dropped:\n%s", out.String())
	}
	if n := count("level=INFO"); n != 10 {
		t.Errorf("%d info records of 10 passed", n)
	}
	if count("notifier: Error connecting listener") != 1 || count(`level=WARN msg="producer: Error fetching jobs"`) != 1 {
		t.Errorf("another message, or the same at another level, was held back:\n%s", out.String())
	}
}
