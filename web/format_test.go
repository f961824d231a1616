package web

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDateTimeMatchesTheLayout holds the hand-written date to the layout it replaces, over random
// instants from year 1 to 9999 in several zones, and the edges of days, months and years.
func TestDateTimeMatchesTheLayout(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("east", 13*3600+45*60), time.FixedZone("west", -11*3600)}
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 3, 1, 8, 5, 0, 0, time.UTC),
	}
	for range 20000 {
		times = append(times, time.Unix(r.Int64N(253402300799+62135596800)-62135596800, 0).In(zones[r.IntN(len(zones))]))
	}
	for _, tm := range times {
		want := tm.UTC().Format("2 Jan 2006, 15:04 UTC")
		if got := formatDateTime(tm); got != want {
			t.Fatalf("formatDateTime(%v) = %q, want %q", tm, got, want)
		}
		if got := string(appendDateTime([]byte("x"), tm)); got != "x"+want {
			t.Fatalf("appendDateTime(%v) = %q, want %q", tm, got, "x"+want)
		}
	}
}

func BenchmarkDateTime(b *testing.B) {
	tm := time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)
	buf := make([]byte, 0, 64)
	b.Run("layout", func(b *testing.B) {
		for b.Loop() {
			buf = tm.AppendFormat(buf[:0], "2 Jan 2006, 15:04 UTC")
		}
	})
	b.Run("by hand", func(b *testing.B) {
		for b.Loop() {
			buf = appendDateTime(buf[:0], tm)
		}
	})
}
