//go:build inboxbench

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/inbox"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// TestInboxBenchmark is `make bench-inbox` (BENCHMARKS.md, "Inbox"): a load generator signs
// distinct Create(Note) replies from 100 remote actors, each on its own host served on loopback,
// and POSTs them to the shared inbox of a real `stoa serve` (keys are fetched once, in a warm-up,
// and cached by Stoa as with any peer). It measures the activities accepted (202) per second and
// the time until all are applied, next to a raw harness run in the same process and the same run
// (verify the signature with the same Verifier, record the row and queue its job through the
// inbox's own group commit, inbox.Recorder; no HTTP); the CPU per activity of Stoa against that of verification alone; and the
// p50/p99 of the category and thread pages while idle and while the load runs.
func TestInboxBenchmark(t *testing.T) {
	n := 3000
	if v := os.Getenv("STOA_BENCH_ACTIVITIES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	const actors, threads, conns = 100, 10, 16
	bp := newBenchPeers(t, actors)
	// The pool is sized for the apply workers, the inbox's verifying requests and the pages
	// (a deployment sets it in STOA_DATABASE_URL the same way).
	sc := newFedScene(t, testdb.NewURL(t)+"&pool_max_conns="+envOr("STOA_BENCH_POOL", "40"))
	// Test databases commit without waiting for the WAL flush; a production server waits, so the
	// benchmark does too (PERFORMANCE.md: synchronous commit dominates the inbox).
	var db string
	if err := sc.pool.QueryRow(sc.ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.pool.Exec(sc.ctx, fmt.Sprintf(`ALTER DATABASE %q SET synchronous_commit = on`, db)); err != nil {
		t.Fatal(err)
	}
	// The replies spread over the category's ten newest threads, as replies do; the thread page
	// measured is one of them, and grows while it is measured.
	var threadIDs []int64
	var openers []int64
	for i := 0; i < threads; i++ {
		th, op, err := sc.setup.CreateThread(sc.ctx, sc.author.Viewer(), forum.NewThread{CategoryID: sc.cat.ID,
			Title: fmt.Sprintf("Hand tools, part %d", i+1), Body: "Which plane should I buy first?"})
		if err != nil {
			t.Fatal(err)
		}
		threadIDs, openers = append(threadIDs, th.ID), append(openers, op.ID)
	}
	sc.hostMap = append(sc.hostMap, bp.hostMap()...)
	metricsAddr := freePort(t)
	cmd, logs := sc.serve("STOA_METRICS_LISTEN="+metricsAddr, "STOA_PPROF=1")
	var parents []string
	for _, id := range openers {
		parents = append(parents, fmt.Sprintf("%s/p/%d", sc.base, id))
	}
	pages := []string{sc.base + "/c/general", fmt.Sprintf("%s/t/%d", sc.base, threadIDs[0])}
	// The probe reads as a signed-in member and asks for fresh pages (Cache-Control: no-cache):
	// pages come from a cache while nothing changes (web/page_cache.go), so the idle phase would
	// time the cache and the busy phase, with replies landing every few milliseconds, the pages
	// themselves. What the comparison is about is what the load does to making a page.
	signedIn, err := sc.setup.Login(sc.ctx, forum.LoginInput{Login: sc.author.Username, Password: forumtest.Password})
	if err != nil {
		t.Fatal(err)
	}
	cookie := "stoa_session=" + signedIn.Token

	// Warm-up: one activity per actor, so that Stoa fetches and caches each key once.
	warm := bp.signReplies(t, sc.base, "warm", actors, parents)
	if ok, others, _ := sendAll(t, sc.base, warm, conns); ok != actors {
		t.Fatalf("warm-up: %d of %d accepted, others %v\n%s", ok, actors, others, logs.String())
	}
	waitApplied(t, sc, logs)

	raw := bp.signReplies(t, sc.base, "raw", n, parents)
	verifyCPU, rawRate := rawHarness(t, sc, raw)
	load := bp.signReplies(t, sc.base, "load", n, parents)

	idleCPU0, idleTx0 := pidCPU(t, cmd.Process.Pid), commits(t, sc)
	idle := startProbe(t, cookie, pages...)
	time.Sleep(4 * time.Second)
	idleLat := idle.finish()
	// What one page costs stoa, so that the probe's pages can be taken out of the CPU per activity.
	pageCPU := (pidCPU(t, cmd.Process.Pid) - idleCPU0) / (idleLat[pages[0]][2] + idleLat[pages[1]][2])
	// And the transactions one page commits (its reads, each its own transaction), likewise.
	pageTx := float64(commits(t, sc)-idleTx0) / (idleLat[pages[0]][2] + idleLat[pages[1]][2])

	// PostgreSQL's CPU is that of this database's backends, which live as long as their pools:
	// stoa serve keeps its pool open (keepPoolOpen), so none comes or goes during the run.
	cpu0, tx0, pg0 := pidCPU(t, cmd.Process.Pid), commits(t, sc), postgresCPUByRole(db)["ours"]
	busy := startProbe(t, cookie, pages...)
	// The profile starts with the load: apply jobs run from the first accepted activity on.
	profile := startCPUProfile(metricsAddr, filepath.Join(benchOutDir(t, "bench-inbox"), "serve-cpu.pprof"), profileSeconds(t))
	start := time.Now()
	accepted, others, last := sendAll(t, sc.base, load, conns)
	acceptSecs := last.Sub(start).Seconds()
	cpuAtAccept := pidCPU(t, cmd.Process.Pid) - cpu0
	backlogAtAccept := backlog(t, sc)
	waitApplied(t, sc, logs)
	appliedSecs := time.Since(start).Seconds()
	busyLat := busy.finish()
	cpu, txs, pg := pidCPU(t, cmd.Process.Pid)-cpu0, commits(t, sc)-tx0, postgresCPUByRole(db)["ours"]-pg0

	if accepted != n {
		t.Errorf("%d of %d accepted; other answers %v", accepted, n, others)
	}
	if len(others) > 0 {
		t.Logf("answers other than 202 (each retried): %v", others)
	}
	var stored int
	if err := sc.pool.QueryRow(sc.ctx, `SELECT count(*) FROM posts WHERE ap_id LIKE '%/statuses/load-%'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Errorf("%d of %d replies stored", stored, n)
	}
	acceptRate, appliedRate := float64(accepted)/acceptSecs, float64(stored)/appliedSecs
	probeCPU := pageCPU * (busyLat[pages[0]][2] + busyLat[pages[1]][2])
	cpuPer := (cpu - probeCPU) / float64(n)
	t.Logf("raw harness (verify + record + enqueue, no HTTP, %d goroutines): %.0f activities/s", 4*runtime.GOMAXPROCS(0), rawRate)
	t.Logf("stoa serve: %d accepted in %.3f s = %.0f/s (%.2f x raw); %d left to apply then; all %d applied after %.3f s = %.0f/s",
		accepted, acceptSecs, acceptRate, acceptRate/rawRate, backlogAtAccept, stored, appliedSecs, appliedRate)
	t.Logf("CPU per activity: stoa %.3f ms accepting and applying (%.3f ms by the end of accepting; the probe's %.0f pages, %.3f ms each, taken out); verification %.3f ms = %.1f%% of stoa's",
		cpuPer*1000, cpuAtAccept/float64(n)*1000, busyLat[pages[0]][2]+busyLat[pages[1]][2], pageCPU*1000,
		verifyCPU*1000, 100*verifyCPU/cpuPer)
	probePages := busyLat[pages[0]][2] + busyLat[pages[1]][2]
	t.Logf("PostgreSQL CPU per activity: %.3f ms (this database's backends over the load, the probe's pages and waitApplied's polls included)",
		pg/float64(n)*1000)
	t.Logf("transactions committed in the test database: %.1f per activity (accepting, applying, notifying, relaying; the probe's pages, %.1f each, taken out; %.1f with them)",
		(float64(txs)-pageTx*probePages)/float64(n), pageTx, float64(txs)/float64(n))
	for _, u := range pages {
		i, b := idleLat[u], busyLat[u]
		t.Logf("%s: idle p50 %.2f ms p99 %.2f ms (%d samples); under load p50 %.2f ms p99 %.2f ms (%d samples); p99 ratio %.2f",
			strings.TrimPrefix(u, sc.base), i[0], i[1], int(i[2]), b[0], b[1], int(b[2]), b[1]/i[1])
	}
	// Where the tail comes from: the burst being accepted, or the applying after it.
	during, after := busy.between(start, last), busy.between(last, time.Now())
	for _, u := range pages {
		d, a := during[u], after[u]
		t.Logf("%s under load: while accepting p50 %.2f ms p99 %.2f ms (%d samples); while applying after it p50 %.2f ms p99 %.2f ms (%d samples)",
			strings.TrimPrefix(u, sc.base), d[0], d[1], int(d[2]), a[0], a[1], int(a[2]))
	}
	if groups, grouped := scrapeCounter(t, metricsAddr, "stoa_inbox_reply_groups_total"),
		scrapeCounter(t, metricsAddr, "stoa_inbox_grouped_replies_total"); groups > 0 {
		t.Logf("replies answered by groups (STOA_INBOX_REPLY_GROUP; the setup's replies and copies found stored included): %.0f, in %.0f transactions of %.1f on average", grouped, groups, grouped/groups)
	} else {
		t.Logf("replies stored in groups (STOA_INBOX_REPLY_GROUP): none")
	}
	profile.wait(t)
	fmt.Printf("| %d | %.0f | %.0f | %.2f | %.0f | %.3f | %.3f | %.1f%% | %.2f / %.2f | %.2f / %.2f |\n", n, rawRate, acceptRate,
		acceptRate/rawRate, appliedRate, cpuPer*1000, verifyCPU*1000, 100*verifyCPU/cpuPer,
		idleLat[pages[0]][1], busyLat[pages[0]][1], idleLat[pages[1]][1], busyLat[pages[1]][1])
}

// rawHarness measures, in this process, what the inbox's accepting costs without HTTP: the CPU of
// one verification (the same Verifier, the key cached in the database, one goroutine), and the
// rate of verify + record + enqueue through the inbox's group commit (inbox.Recorder) with as
// many goroutines as the inbox verifies at once. Its jobs go to a queue nobody works, and its rows are deleted afterwards.
func rawHarness(t *testing.T, sc *fedScene, posts []signedPost) (verifyCPU, rate float64) {
	ctx := context.Background()
	public, _ := url.Parse(sc.base)
	hostMap := map[string]string{}
	for _, kv := range sc.hostMap {
		k, v, _ := strings.Cut(kv, "=")
		hostMap[k] = v
	}
	fed, err := federation.New(federation.Config{Forum: sc.setup, PublicURL: public, UnsafeLocal: true, HostMap: hostMap,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	requests := make([]*http.Request, len(posts))
	for i, p := range posts {
		r, err := http.NewRequest(http.MethodPost, sc.base+"/inbox", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header = p.header.Clone()
		requests[i] = r
	}
	verify := func(i int) federation.Verified {
		v, err := fed.Verifier.Verify(ctx, requests[i], posts[i].body)
		if err != nil {
			t.Fatalf("raw verify %d: %v", i, err)
		}
		return v
	}
	before := processCPU()
	for i := range posts {
		verify(i)
	}
	verifyCPU = (processCPU() - before) / float64(len(posts))

	client, err := river.NewClient(riverpgxv5.New(sc.pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The same group commit as the inbox's handler (inbox.Recorder, default options), so that the
	// ratio of accepted to raw compares like with like; its jobs go to a queue nobody works.
	const rawQueue = "inbox_bench_raw"
	recorder := inbox.NewRecorder(sc.setup, client, inbox.RecorderOptions{Queue: rawQueue})
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < 4*runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(posts) {
					return
				}
				v := verify(i)
				_, err := recorder.Record(ctx, forum.InboundRecord{APID: fmt.Sprintf("raw-%d", i),
					Type: "Create", ActorAPID: v.Owner, ActorID: v.Actor.ID, Inbox: "/inbox", Payload: posts[i].body})
				if err != nil {
					t.Errorf("raw record %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rate = float64(len(posts)) / time.Since(start).Seconds()
	recorder.Close()
	if _, err := sc.pool.Exec(ctx, `DELETE FROM river_job WHERE queue = $1`, rawQueue); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.pool.Exec(ctx, `DELETE FROM inbound_activities WHERE ap_id LIKE 'raw-%'`); err != nil {
		t.Fatal(err)
	}
	return verifyCPU, rate
}

// commits counts the transactions committed in the benchmark's database so far.
func commits(t *testing.T, sc *fedScene) int64 {
	var n int64
	if err := sc.pool.QueryRow(sc.ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// backlog counts the recorded activities not applied yet.
func backlog(t *testing.T, sc *fedScene) int {
	var n int
	if err := sc.pool.QueryRow(sc.ctx, `SELECT count(*) FROM inbound_activities WHERE applied_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitApplied waits until every recorded activity is applied, and fails on any that did not do
// what it said. It asks every 50 ms whether any is left (EXISTS stops at the first, where the
// count every 10 ms it replaced took 1.45 ms each, on the cores Stoa and PostgreSQL share), and
// logs what its polls cost: at most 50 ms late on runs of 10-30 s.
func waitApplied(t *testing.T, sc *fedScene, logs *lockedBuffer) {
	deadline := time.Now().Add(10 * time.Minute)
	var polls int
	var polling time.Duration
	for {
		t0 := time.Now()
		var left bool
		if err := sc.pool.QueryRow(sc.ctx, `SELECT EXISTS (SELECT 1 FROM inbound_activities WHERE applied_at IS NULL)`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		polls, polling = polls+1, polling+time.Since(t0)
		if !left {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d activities still unapplied after 10 minutes\n%s", backlog(t, sc), logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("waitApplied: %d polls, %.3f ms each (round trip included)", polls, float64(polling.Microseconds())/1000/float64(polls))
	var failed int
	var example string
	err := sc.pool.QueryRow(sc.ctx, `SELECT count(*), coalesce(max(outcome), '') FROM inbound_activities WHERE outcome <> ''`).
		Scan(&failed, &example)
	if err != nil {
		t.Fatal(err)
	}
	if failed > 0 {
		t.Fatalf("%d activities not applied as sent, e.g. %q", failed, example)
	}
}
