package main

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// kill -9 in the middle of delivering a new thread loses nothing: after a restart every inbox
// gets every document, and what receivers see (ids and bytes) is what the first process sent.
// The deliveries the killed process was making run again once its presence lock is seen gone
// (forum/orphaned_jobs.go), well within the deadline, where River's rescuer would wait the default
// STOA_JOB_RESCUE_AFTER, five minutes.
func TestOutboxSurvivesKill9MidDelivery(t *testing.T) {
	t.Parallel()
	sc := newFedScene(t, testdb.NewURL(t))
	expected := map[string]bool{} // "host path"
	slow := func(fedtest.Received, int) (int, http.Header) {
		time.Sleep(150 * time.Millisecond)
		return http.StatusAccepted, nil
	}
	for i := 0; i < 30; i++ {
		host := fmt.Sprintf("s%02d.test", i)
		sc.sink(host).Respond = slow
		for u := 0; u < 4; u++ {
			expected[host+" "+strings.TrimPrefix(sc.follower(host, fmt.Sprintf("u%d", u), true), "http://"+host)] = true
		}
	}
	// Servers without a shared inbox get one delivery per follower, one at a time: they keep the
	// process busy long enough to be killed in the middle.
	for i := 0; i < 6; i++ {
		host := fmt.Sprintf("g%02d.test", i)
		sc.sink(host).Respond = slow
		for u := 0; u < 10; u++ {
			expected[host+" "+strings.TrimPrefix(sc.follower(host, fmt.Sprintf("u%d", u), false), "http://"+host)] = true
		}
	}
	settings := []string{"STOA_DELIVERY_PER_HOST=1", "STOA_DELIVERY_TIMEOUT=5s"}
	cmd, logs := sc.serve(settings...)
	sc.postThread("Crash", "Still here after a crash.")

	received := func() int {
		n := 0
		for _, s := range sc.sinks {
			n += len(s.Received())
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for received() < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
	atKill := received()
	want := 2 * len(expected) // the category's Announce of the Create and its boost, per inbox
	if atKill == 0 || atKill >= want {
		t.Fatalf("killed after %d of %d deliveries: the test needs the kill in the middle\n%s", atKill, want, logs.String())
	}

	_, logs = sc.serve(settings...)
	got := func() map[string]map[string][]fedtest.Received {
		out := map[string]map[string][]fedtest.Received{}
		for host, s := range sc.sinks {
			for _, r := range s.Received() {
				k := host + " " + r.Path
				if out[k] == nil {
					out[k] = map[string][]fedtest.Received{}
				}
				out[k][r.ID] = append(out[k][r.ID], r)
			}
		}
		return out
	}
	complete := func() bool {
		g := got()
		for k := range expected {
			if len(g[k]) != 2 {
				return false
			}
		}
		return true
	}
	restarted := time.Now()
	deadline = restarted.Add(90 * time.Second)
	for !complete() && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	g := got()
	ids := map[string]string{} // id -> body
	for k := range expected {
		if len(g[k]) != 2 {
			t.Fatalf("%s received %d distinct activities after the restart, want 2 (%d of %d at the kill)\n%s",
				k, len(g[k]), atKill, want, logs.String())
		}
		for id, rs := range g[k] {
			for _, r := range rs {
				if r.BadSignature != nil {
					t.Fatalf("%s: %s does not verify: %v", k, id, r.BadSignature)
				}
				if prev, ok := ids[id]; ok && prev != string(r.Body) {
					t.Fatalf("%s got %s with other bytes than another inbox", k, id)
				}
				ids[id] = string(r.Body)
			}
		}
	}
	if len(ids) != 2 {
		t.Fatalf("receivers saw %d activity ids, want the same 2 everywhere: %v", len(ids), keys(ids))
	}
	for id := range ids {
		if !strings.HasSuffix(id, "/announce") && !strings.HasSuffix(id, "/boost") {
			t.Fatalf("unexpected activity %s", id)
		}
	}
	t.Logf("%d deliveries before the kill, %d received in all (at least once each of %d), complete %.1f s after the restart",
		atKill, received(), want, time.Since(restarted).Seconds())
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
