package main

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/querytrace"
	"github.com/stoa-forum/stoa/internal/testdb"
	"github.com/stoa-forum/stoa/web"
)

// BenchmarkPages serves the pages of make bench-read in process, through the same web handlers
// and the same endpoint list, on a small seed (4,000 threads), so a change to the read path can be
// measured in seconds rather than in a 16 GB seed and a server under load:
//
//	STOA_DATABASE_URL=... go test ./cmd/stoa-bench/ -run '^$' -bench Pages -benchmem -cpuprofile /tmp/cpu.out
//
// ns/op is the wall time of one request, the database's work included (on a 2-core machine
// mostly CPU: loopback round trips, PostgreSQL and the handler); go-cpu-ns/op is this process's
// CPU time per request (the server's share: handler, pgx, rendering, GC), allocs/op and
// queries/op are the server's. The pages' costs relative to each other, and before and after a
// change, are what it tells; make bench-read stays the measure of throughput against /livez.
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(b))
	if err != nil {
		b.Fatal(err)
	}
	counter := &querytrace.Counter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	base, _ := url.Parse("http://stoa.bench")
	f, err := forum.New(pool, forum.Options{Secret: []byte("bench-pages-secret-0123456789abcdef0123"),
		Markup: markup.New(markup.Options{BaseURL: base}), SharedCacheBytes: 128 << 20, PostsPerPage: benchPostsPerPage})
	if err != nil {
		b.Fatal(err)
	}
	// As in stoa serve, the change listener keeps the shared reads exact (forum/shared_reads.go).
	listenCtx, stopListening := context.WithCancel(ctx)
	b.Cleanup(stopListening)
	go f.ListenForChanges(listenCtx, func(err error) { b.Log(err) })
	for _, live := f.PageGeneration(); !live; _, live = f.PageGeneration() {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := f.Seed(ctx, forum.SeedOptions{Threads: 4000, PostsPerThread: 10, Members: 200,
		Password: forum.SeedDefaultPassword}, nil); err != nil {
		b.Fatal(err)
	}
	targets, err := f.SeedBenchTargets(ctx, 4, 50)
	if err != nil {
		b.Fatal(err)
	}
	cookies, _, err := signIn(ctx, f, targets.Members, forum.SeedDefaultPassword)
	if err != nil {
		b.Fatal(err)
	}
	handler := web.New(web.Options{Forum: f, PublicURL: base, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for i, e := range endpoints(base.String(), targets, benchPostsPerPage, cookies) {
		if e.kind == "baseline" {
			continue // /livez is cmd/stoa's, not the web package's
		}
		b.Run(e.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(11, uint64(i)))
			serve := func() {
				rec := httptest.NewRecorder()
				req := e.request(r, 0)
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s answered %d", req.URL.RequestURI(), rec.Code)
				}
			}
			serve() // warm the caches, as every request but the first finds them
			start, cpu := counter.Queries(), selfCPU(b)
			for b.Loop() {
				serve()
			}
			b.ReportMetric(float64(counter.Queries()-start)/float64(b.N), "queries/op")
			b.ReportMetric(float64(selfCPU(b)-cpu)/float64(b.N), "go-cpu-ns/op")
		})
	}
}

// selfCPU is this process's user and system CPU time so far, in nanoseconds.
func selfCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
