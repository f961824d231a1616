package main

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/querytrace"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// stoa seed migrates and fills an empty database, does nothing the second time, refuses other
// options; a server with STOA_QUERY_TIMING=1 then reports each page's queries.
func TestSeedCommandAndQueryTiming(t *testing.T) {
	t.Parallel()
	dbURL := testdb.NewEmptyURL(t)
	env := map[string]string{"STOA_DATABASE_URL": dbURL, "STOA_SECRET_KEY": testSecret}
	args := []string{"seed", "--threads", "120", "--posts-per-thread", "4", "--members", "20", "--batch", "50"}
	code, out, stderr := run(t, env, args...)
	if code != 0 || !strings.Contains(out, "seed: loaded 120/120 threads") || !strings.Contains(out, "seed: done") ||
		!strings.Contains(out, "seed: 120 threads and ") {
		t.Fatalf("seed: %d\n%s\n%s", code, out, stderr)
	}
	if code, out, _ := run(t, env, args...); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("seed again: %d %q", code, out)
	}
	if code, _, stderr := run(t, env, "seed", "--threads", "121", "--posts-per-thread", "4", "--members", "20", "--batch", "50"); code != 1 ||
		!strings.Contains(stderr, "holds a seed of 120 threads") {
		t.Fatalf("seed with other options: %d %q", code, stderr)
	}

	addr := freePort(t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "STOA_DATABASE_URL="+dbURL, "STOA_SECRET_KEY="+testSecret, "STOA_LISTEN="+addr,
		"STOA_METRICS_LISTEN=off", "STOA_PUBLIC_URL=http://"+addr, "STOA_QUERY_TIMING=1")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitReady(t, "http://"+addr, logs)
	resp, err := http.Get("http://" + addr + "/c/general")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	n, ms, ok := querytrace.ParseServerTiming(resp.Header.Get("Server-Timing"))
	if resp.StatusCode != http.StatusOK || !ok || n < 2 || ms <= 0 {
		t.Errorf("/c/general: %d, Server-Timing %q", resp.StatusCode, resp.Header.Get("Server-Timing"))
	}
}
