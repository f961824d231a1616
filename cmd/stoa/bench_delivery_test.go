//go:build deliverybench || inboxbench

package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/rsasign"
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
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// The ceiling is what RSA signing allows with the signer the server uses: the benchmark signs
	// with the same internal/rsasign mode (STOA_RSA_SIGNER reaches the server through the
	// environment) and verifies with crypto/rsa, as the sinks do. crypto/rsa's own ceiling is
	// measured too, the one the runs before OpenSSL signing were compared with.
	if err := rsasign.SetMode(rsasign.Mode(os.Getenv("STOA_RSA_SIGNER"))); err != nil {
		t.Fatal(err)
	}
	backend := rsasign.Backend()
	signCPU := signatureCPU(t, key, rsasign.SignSHA256)
	goSignCPU := signatureCPU(t, key, goSignSHA256)
	t.Logf("one RSA-2048 signature costs %.3f ms CPU by %s, %.3f ms by crypto/rsa", signCPU*1000, backend, goSignCPU*1000)
	// The ceilings are measured right before and right after each run and averaged: on a shared
	// machine the CPU left to us drifts, and a ceiling measured minutes earlier would flatter or
	// wrong the ratio.
	type ceilings struct{ server, goOnly float64 }
	measure := func(name string, holes int) (runResult, ceilings) {
		before := ceilings{signVerifyPairs(t, key, 2*time.Second, rsasign.SignSHA256), signVerifyPairs(t, key, 2*time.Second, goSignSHA256)}
		r := deliveryRun(t, n, holes)
		after := ceilings{signVerifyPairs(t, key, 2*time.Second, rsasign.SignSHA256), signVerifyPairs(t, key, 2*time.Second, goSignSHA256)}
		c := ceilings{(before.server + after.server) / 2, (before.goOnly + after.goOnly) / 2}
		t.Logf("%s: %d deliveries to %d inboxes in %.3f s = %.0f deliveries/s; ceiling (%s) %.0f sign+verify pairs/s (%.0f before, %.0f after) on %d CPUs; ratio %.2f; sender CPU %.3f ms per delivery = %.2f signatures",
			name, r.deliveries, r.inboxes, r.seconds, r.rate(), backend, c.server, before.server, after.server, runtime.NumCPU(), r.rate()/c.server,
			r.cpuPerDelivery()*1000, r.cpuPerDelivery()/signCPU)
		t.Logf("%s: against crypto/rsa: ceiling %.0f pairs/s, ratio %.2f, sender CPU %.2f crypto/rsa signatures per delivery",
			name, c.goOnly, r.rate()/c.goOnly, r.cpuPerDelivery()/goSignCPU)
		d := float64(r.deliveries)
		t.Logf("%s: CPU per delivery: sender %.3f ms, sinks %.3f ms, PostgreSQL %.3f ms; the three used %.2f of %d CPUs",
			name, r.cpu/d*1000, r.sinkCPU/d*1000, r.dbCPU/d*1000, (r.cpu+r.sinkCPU+r.dbCPU)/r.seconds, runtime.NumCPU())
		return r, c
	}
	all, allCeiling := measure("all healthy", 0)
	holed, holedCeiling := measure("10% black-holed", n/10)
	// Healthy rate with black holes against the all-healthy rate, each taken relative to its own ceiling.
	relative := (holed.rate() / holedCeiling.server) / (all.rate() / allCeiling.server)
	t.Logf("healthy rate with black holes / all healthy: %.2f (relative to each run's ceiling; %.2f raw)", relative, holed.rate()/all.rate())
	fmt.Printf("| %d | %s | %.0f | %.0f | %.2f | %.3f | %.2f | %.0f | %.2f | %.2f | %.0f | %.0f | %.2f |\n", n, backend, allCeiling.server, all.rate(),
		all.rate()/allCeiling.server, all.cpuPerDelivery()*1000, all.cpuPerDelivery()/signCPU,
		allCeiling.goOnly, all.rate()/allCeiling.goOnly, all.cpuPerDelivery()/goSignCPU,
		holedCeiling.server, holed.rate(), relative)
}

// goSignSHA256 is crypto/rsa's signature, rsasign.SignSHA256's fallback and reference.
func goSignSHA256(key *rsa.PrivateKey, msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
}

// signatureCPU is the CPU time of one signature by sign: process CPU over a single-goroutine loop.
func signatureCPU(t *testing.T, key *rsa.PrivateKey, sign func(*rsa.PrivateKey, []byte) ([]byte, error)) float64 {
	msg := []byte("(request-target): post /inbox")
	const signs = 1000
	before := processCPU()
	for i := 0; i < signs; i++ {
		if _, err := sign(key, msg); err != nil {
			t.Fatal(err)
		}
	}
	return (processCPU() - before) / signs
}

// signVerifyPairs measures RSA-2048 sign (by sign) + verify (by crypto/rsa, as the sinks verify)
// pairs per second with one goroutine per CPU.
func signVerifyPairs(t *testing.T, key *rsa.PrivateKey, d time.Duration, sign func(*rsa.PrivateKey, []byte) ([]byte, error)) float64 {
	msg := []byte("(request-target): post /inbox\nhost: example.org\ndate: now\ndigest: SHA-256=x")
	digest := sha256.Sum256(msg)
	var count atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				sig, err := sign(key, msg)
				if err == nil {
					err = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig)
				}
				if err != nil {
					t.Error(err)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds()
}

// waitForStartUpJobs waits until the server has run what it runs once at start (the account prune,
// the blocklist refresh: periodic jobs that also run when a leader is elected) and has no job due:
// the benchmark measures a server delivering, not one starting up. Without the wait these jobs ran
// inside some runs' first second, and only in those.
func waitForStartUpJobs(t *testing.T, sc *fedScene) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var started bool
		var due int
		if err := sc.pool.QueryRow(sc.ctx, `SELECT
				EXISTS (SELECT FROM river_job WHERE kind = 'prune_accounts' AND state = 'completed'),
				(SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable') AND scheduled_at <= now())`).
			Scan(&started, &due); err != nil {
			t.Fatal(err)
		}
		if started && due == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's start-up jobs not done within 30 s (prune done: %v, jobs due: %d)", started, due)
		}
	}
}

// postgresCPUByRole is postgresCPU by what each process does: "ours" (backends of database db),
// "other databases" (backends of the shared cluster's other databases) or the background
// process's title (walwriter, autovacuum worker, ...). Processes that exit are not counted.
func postgresCPUByRole(db string) map[string]float64 {
	out := map[string]float64{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "postgres") {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		title := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		role := strings.TrimPrefix(title, "postgres: ")
		if !strings.HasPrefix(title, "postgres: ") {
			role = "postmaster"
		}
		if f := strings.Fields(role); len(f) >= 3 && strings.Contains(f[2], "(") { // user database host(port) state
			if f[1] == db {
				role = "ours"
			} else {
				role = "other databases"
			}
		}
		out[role] += pidCPUOrZero(pid)
	}
	return out
}

// postgresCPU is the CPU time of every process named postgres on this machine, in seconds.
func postgresCPU(t *testing.T) float64 {
	total := 0.0
	for _, c := range postgresCPUByRole("") {
		total += c
	}
	return total
}

func pidCPUOrZero(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100
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
	// sinkCPU is this process's CPU over the run (the sinks receiving and verifying); dbCPU that
	// of every PostgreSQL process (the shared cluster serves others too, so it is an upper bound).
	sinkCPU, dbCPU float64
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
	var verified, bad, conns atomic.Int64
	want := int64(2 * (n - holes))
	// at[k] is when the k+1-th delivery was verified: the run's shape (how long before the first,
	// how long the tail) says where time went that the CPU figures do not.
	at := make([]atomic.Int64, want)
	// all is closed by the last verified delivery: waiting on it costs nothing, where polling
	// would wake this process (which shares the CPUs) a thousand times a second.
	all := make(chan struct{})
	count := func(ok bool) {
		if !ok {
			bad.Add(1)
			return
		}
		v := verified.Add(1)
		if v <= want {
			at[v-1].Store(time.Now().UnixNano())
		}
		if v == want {
			close(all)
		}
	}
	for i := 0; i < n; i++ {
		host := fmt.Sprintf("h%04d.test", i)
		if i < holes {
			sc.hostMap = append(sc.hostMap, host+"="+blackHole(t))
		} else {
			sc.hostMap = append(sc.hostMap, host+"="+leanSink(t, sc.keys, count, &conns))
		}
		sc.follower(host, "fan", true)
	}
	// STOA_BENCH_PROFILE=1 profiles the sender during the all-healthy run (pprof on its metrics
	// listener), for STOA_BENCH_PROFILE_SECONDS from the POST: set it to about the run's length.
	profiling := os.Getenv("STOA_BENCH_PROFILE") == "1" && holes == 0
	var extra []string
	metricsAddr := ""
	if profiling {
		metricsAddr = freePort(t)
		extra = []string{"STOA_METRICS_LISTEN=" + metricsAddr, "STOA_PPROF=1"}
	}
	cmd, logs := sc.serve(extra...)
	// The one key every sink needs is fetched once before the clock starts, as peers cache keys.
	if _, err := sc.keys(sc.base + "/c/general#main-key"); err != nil {
		t.Fatal(err)
	}
	waitForStartUpJobs(t, sc)
	writes0 := tableWrites(t, sc)
	cpu0, sink0, db0 := pidCPU(t, cmd.Process.Pid), processCPU(), postgresCPU(t)
	roles0 := postgresCPUByRole(db)
	var profile *cpuProfile
	if profiling {
		profile = startCPUProfile(metricsAddr, filepath.Join(benchOutDir(t, "bench-delivery"), "serve-cpu.pprof"), profileSeconds(t))
		defer profile.wait(t)
		// The sinks' side too: what the receivers spend is on the same two CPUs.
		f, err := os.Create(filepath.Join(benchOutDir(t, "bench-delivery"), "sinks-cpu.pprof"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	stopBusy := sampleBusy()
	start := time.Now()
	sc.postThread("Benchmark", "Delivered to every follower.")
	t.Logf("POST answered %.3f s after it was sent", time.Since(start).Seconds())
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
	}
	elapsed := time.Since(start).Seconds()
	t.Logf("machine busy per 250 ms from the POST: %s", stopBusy())
	cpu, sinkCPU, dbCPU := pidCPU(t, cmd.Process.Pid)-cpu0, processCPU()-sink0, postgresCPU(t)-db0
	var byRole []string
	for role, c := range postgresCPUByRole(db) {
		if d := c - roles0[role]; d > 0.0005 {
			byRole = append(byRole, fmt.Sprintf("%s %.3f ms", role, 1000*d/float64(want)))
		}
	}
	slices.Sort(byRole)
	t.Logf("PostgreSQL CPU per delivery by process: %s", strings.Join(byRole, "; "))
	if verified.Load() < want || bad.Load() > 0 {
		t.Fatalf("%d of %d deliveries verified, %d bad signatures\n%s", verified.Load(), want, bad.Load(), logs.String())
	}
	since := func(k int64) float64 { return time.Unix(0, at[k].Load()).Sub(start).Seconds() }
	t.Logf("deliveries verified after the POST: first %.3f s, 10%% %.3f s, 50%% %.3f s, 90%% %.3f s, 99%% %.3f s, last %.3f s",
		since(0), since(want/10), since(want/2), since(want*9/10), since(want*99/100), since(want-1))
	t.Logf("deliveries verified per 250 ms from the POST: %s", perQuarterSecond(at, start))
	t.Logf("connections the healthy sinks accepted: %d, %.2f per delivery", conns.Load(), float64(conns.Load())/float64(want))
	logTableWrites(t, writes0, tableWrites(t, sc), int(want))
	logJobTimes(t, sc, start)
	return runResult{inboxes: n - holes, deliveries: int(want), seconds: elapsed, cpu: cpu, sinkCPU: sinkCPU, dbCPU: dbCPU}
}

// tableWrites reads PostgreSQL's counters of the rows written per table and of the transactions
// committed in the test database (its backends flush them within a second or so of the writes,
// hence the pause): taken before and after a run, where PostgreSQL's share of the CPU goes.
func tableWrites(t *testing.T, sc *fedScene) map[string][3]int64 {
	time.Sleep(1500 * time.Millisecond)
	out := map[string][3]int64{}
	rows, err := sc.pool.Query(sc.ctx, `SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables
		UNION ALL SELECT 'transactions', xact_commit, 0, 0 FROM pg_stat_database WHERE datname = current_database()
		UNION ALL SELECT 'sessions', sessions, 0, 0 FROM pg_stat_database WHERE datname = current_database()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v [3]int64
		if err := rows.Scan(&name, &v[0], &v[1], &v[2]); err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	return out
}

// logTableWrites logs the writes between two tableWrites, per delivery.
func logTableWrites(t *testing.T, before, after map[string][3]int64, deliveries int) {
	var lines []string
	d := float64(deliveries)
	for name, a := range after {
		b := before[name]
		ins, upd, del := float64(a[0]-b[0])/d, float64(a[1]-b[1])/d, float64(a[2]-b[2])/d
		switch {
		case name == "transactions":
			lines = append(lines, fmt.Sprintf("%.3f transactions", ins))
		case name == "sessions":
			// A new session costs both sides a SCRAM exchange and PostgreSQL a backend to warm.
			lines = append(lines, fmt.Sprintf("%d new sessions in all", a[0]-b[0]))
		case ins+upd+del >= 0.005:
			lines = append(lines, fmt.Sprintf("%s %.3f inserted %.3f updated %.3f deleted", name, ins, upd, del))
		}
	}
	slices.Sort(lines)
	t.Logf("rows written per delivery during the run: %s", strings.Join(lines, "; "))
}

// leanSink is a remote inbox for the benchmark: it verifies every POST by Mastodon's rules
// (fedtest.VerifyMastodonStyle: the signed headers, the Date window, the Digest of the body, the
// RSA signature with the key fetched once) and counts it, and unlike fedtest.Sink keeps nothing
// and decodes no JSON: the receivers share the sender's two cores, and what they spend beyond the
// verification is the test's cost, not the sender's. It returns its address.
func leanSink(t *testing.T, keys fedtest.KeyFunc, verified func(ok bool), conns *atomic.Int64) string {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_, err := fedtest.VerifyMastodonStyle(r, body, keys)
		verified(err == nil)
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
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

// logJobTimes logs when the run's River jobs were inserted, first worked and finished, by kind,
// in seconds after the POST: where the time before the first delivery goes.
func logJobTimes(t *testing.T, sc *fedScene, start time.Time) {
	rows, err := sc.pool.Query(sc.ctx, `SELECT kind, count(*), min(created_at), min(attempted_at), max(finalized_at)
		FROM river_job WHERE created_at >= $1 GROUP BY kind ORDER BY min(created_at)`, start)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	at := func(ts *time.Time) float64 {
		if ts == nil {
			return -1
		}
		return ts.Sub(start).Seconds()
	}
	for rows.Next() {
		var kind string
		var n int
		var created, attempted, finalized *time.Time
		if err := rows.Scan(&kind, &n, &created, &attempted, &finalized); err != nil {
			t.Fatal(err)
		}
		t.Logf("jobs %s: %d, first inserted %.3f s, first started %.3f s, last finished %.3f s after the POST",
			kind, n, at(created), at(attempted), at(finalized))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// sampleBusy samples the machine's busy share (/proc/stat) every 250 ms until stopped, and
// returns them as text: where a run leaves the CPUs idle.
func sampleBusy() func() string {
	read := func() (busy, total float64) {
		b, _ := os.ReadFile("/proc/stat")
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		for i, v := range f[1:] {
			x, _ := strconv.ParseFloat(v, 64)
			total += x
			if i != 3 && i != 4 { // idle, iowait
				busy += x
			}
		}
		return
	}
	done := make(chan struct{})
	var out []string
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		b0, t0 := read()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				b1, t1 := read()
				out = append(out, fmt.Sprintf("%.0f%%", 100*(b1-b0)/max(t1-t0, 1)))
				return
			case <-tick.C:
				b1, t1 := read()
				out = append(out, fmt.Sprintf("%.0f%%", 100*(b1-b0)/max(t1-t0, 1)))
				b0, t0 = b1, t1
			}
		}
	}()
	return func() string { close(done); <-finished; return strings.Join(out, " ") }
}

// perQuarterSecond counts the deliveries verified in each 250 ms from start: beside the machine's
// busy share, it shows whether a slow start, a steady rate or a long tail made a run's time.
func perQuarterSecond(at []atomic.Int64, start time.Time) string {
	var counts []int
	for i := range at {
		k := int(time.Unix(0, at[i].Load()).Sub(start) / (250 * time.Millisecond))
		for len(counts) <= k {
			counts = append(counts, 0)
		}
		counts[k]++
	}
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, " ")
}
