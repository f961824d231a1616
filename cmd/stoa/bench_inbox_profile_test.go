//go:build inboxbench || deliverybench

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchOutDir is where a benchmark leaves what it measured beyond its log (profiles):
// test-artifacts/ at the repository's root (ignored by git), or STOA_BENCH_OUT.
func benchOutDir(t *testing.T, name string) string {
	dir := envOr("STOA_BENCH_OUT", filepath.Join("..", "..", "test-artifacts", name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// cpuProfile asks `stoa serve`'s pprof endpoint (on its metrics listener) for a CPU profile of the
// next seconds, in the background; wait returns the file it was saved to.
type cpuProfile struct {
	done chan error
	path string
}

func startCPUProfile(metricsAddr, path string, seconds int) *cpuProfile {
	p := &cpuProfile{done: make(chan error, 1), path: path}
	go func() {
		client := &http.Client{Timeout: time.Duration(seconds+30) * time.Second}
		resp, err := client.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", metricsAddr, seconds))
		if err != nil {
			p.done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			p.done <- fmt.Errorf("profile: %s %s", resp.Status, body)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			p.done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		p.done <- err
	}()
	return p
}

// wait waits for the profile and logs its top entries (flat and cumulative) by `go tool pprof`.
func (p *cpuProfile) wait(t *testing.T) {
	if err := <-p.done; err != nil {
		t.Errorf("CPU profile of stoa serve: %v", err)
		return
	}
	for _, sort := range []string{"-flat", "-cum"} {
		out, err := exec.Command("go", "tool", "pprof", "-top", sort, "-nodecount="+envOr("STOA_BENCH_PROFILE_TOP", "30"),
			binary, p.path).CombinedOutput()
		if err != nil {
			t.Errorf("go tool pprof: %v\n%s", err, out)
			return
		}
		t.Logf("stoa serve's CPU profile (%s, %s):\n%s", p.path, sort, out)
	}
}

// profileSeconds is how long the profile runs from the start of the load: the whole apply phase
// at the rates measured so far, or STOA_BENCH_PROFILE_SECONDS.
func profileSeconds(t *testing.T) int {
	s, err := strconv.Atoi(envOr("STOA_BENCH_PROFILE_SECONDS", "30"))
	if err != nil || s < 1 {
		t.Fatalf("STOA_BENCH_PROFILE_SECONDS: %q", os.Getenv("STOA_BENCH_PROFILE_SECONDS"))
	}
	return s
}

// envOr is the environment variable's value, or fallback when it is unset or empty.
func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// scrapeCounter reads one counter without labels from `stoa serve`'s metrics listener.
func scrapeCounter(t *testing.T, metricsAddr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the metrics", name)
	return 0
}
