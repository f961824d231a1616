//go:build deliverybench

package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// TestDeliveryBenchmark is `make bench-delivery` (BENCHMARKS.md): a real `stoa serve` delivers a
// new thread to N loopback inboxes, each its own host, each verifying the signature of what it
// gets; the rate is compared with the RSA sign+verify ceiling measured on the same cores in the
// same run, and the sender's CPU per delivery with one RSA signature. Then again with a tenth of
// the hosts black-holed (they accept connections and never answer).
func TestDeliveryBenchmark(t *testing.T) {
	n := 1000
	if v := os.Getenv("STOA_BENCH_SINKS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	pairs, signCPU := rsaCeiling(t)
	t.Logf("ceiling: %.0f RSA-2048 sign+verify pairs/s on %d CPUs; one signature costs %.3f ms CPU", pairs, runtime.NumCPU(), signCPU*1000)

	all := deliveryRun(t, n, 0)
	holed := deliveryRun(t, n, n/10)
	report := func(name string, r runResult) {
		t.Logf("%s: %d deliveries to %d inboxes in %.3f s = %.0f deliveries/s; ratio to the ceiling %.2f; sender CPU %.3f ms per delivery = %.2f signatures",
			name, r.deliveries, r.inboxes, r.seconds, r.rate(), r.rate()/pairs, r.cpuPerDelivery()*1000, r.cpuPerDelivery()/signCPU)
	}
	report("all healthy", all)
	report("10% black-holed", holed)
	t.Logf("healthy rate with black holes / all healthy: %.2f", holed.rate()/all.rate())
	fmt.Printf("| %d | %.0f | %.0f | %.2f | %.3f | %.2f | %.0f | %.2f |\n", n, pairs, all.rate(), all.rate()/pairs,
		all.cpuPerDelivery()*1000, all.cpuPerDelivery()/signCPU, holed.rate(), holed.rate()/all.rate())
}

// rsaCeiling measures RSA-2048 sign+verify pairs per second with one goroutine per CPU, and the
// CPU time of one signature (process CPU over a single-goroutine loop).
func rsaCeiling(t *testing.T) (pairsPerSecond, signCPUSeconds float64) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("(request-target): post /inbox\nhost: example.org\ndate: now\ndigest: SHA-256=x"))
	sign := func() []byte {
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		if err != nil {
			t.Error(err)
		}
		return sig
	}
	const signs = 1000
	before := processCPU()
	for i := 0; i < signs; i++ {
		sign()
	}
	signCPUSeconds = (processCPU() - before) / signs

	var count atomic.Int64
	stop := time.Now().Add(4 * time.Second)
	var wg sync.WaitGroup
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sign()); err != nil {
					t.Error(err)
					return
				}
				count.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds(), signCPUSeconds
}

// processCPU is this process's user+system CPU time in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// pidCPU is another process's user+system CPU time in seconds, from /proc/<pid>/stat.
func pidCPU(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

type runResult struct {
	inboxes, deliveries int
	seconds, cpu        float64
}

func (r runResult) rate() float64           { return float64(r.deliveries) / r.seconds }
func (r runResult) cpuPerDelivery() float64 { return r.cpu / float64(r.deliveries) }

// deliveryRun gives a category n followers on n hosts (holes of them black-holed), posts a thread
// through the API of a fresh `stoa serve`, and measures until every healthy inbox has verified
// both documents the category sends for a new thread (its Announce of the Create and the boost).
func deliveryRun(t *testing.T, n, holes int) runResult {
	sc := newFedScene(t, testdb.NewURL(t))
	// Test databases commit without waiting for the WAL flush; a production server waits, so the
	// benchmark does too.
	var db string
	if err := sc.pool.QueryRow(sc.ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.pool.Exec(sc.ctx, fmt.Sprintf(`ALTER DATABASE %q SET synchronous_commit = on`, db)); err != nil {
		t.Fatal(err)
	}
	var verified, bad atomic.Int64
	count := func(r fedtest.Received) {
		if r.BadSignature != nil {
			bad.Add(1)
			return
		}
		verified.Add(1)
	}
	for i := 0; i < n; i++ {
		host := fmt.Sprintf("h%04d.test", i)
		if i < holes {
			sc.hostMap = append(sc.hostMap, host+"="+blackHole(t))
		} else {
			sc.sink(host).OnReceive = count
		}
		sc.follower(host, "fan", true)
	}
	cmd, logs := sc.serve()
	// The one key every sink needs is fetched once before the clock starts, as peers cache keys.
	if _, err := sc.keys(sc.base + "/c/general#main-key"); err != nil {
		t.Fatal(err)
	}
	want := int64(2 * (n - holes))
	cpu0 := pidCPU(t, cmd.Process.Pid)
	start := time.Now()
	sc.postThread("Benchmark", "Delivered to every follower.")
	deadline := start.Add(5 * time.Minute)
	for verified.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	cpu := pidCPU(t, cmd.Process.Pid) - cpu0
	if verified.Load() < want || bad.Load() > 0 {
		t.Fatalf("%d of %d deliveries verified, %d bad signatures\n%s", verified.Load(), want, bad.Load(), logs.String())
	}
	return runResult{inboxes: n - holes, deliveries: int(want), seconds: elapsed, cpu: cpu}
}

// blackHole listens, accepts connections and never answers, and returns its address.
func blackHole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}
