package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// report turns the measurements into BENCHMARKS.md's tables.
type report struct {
	cfg           config
	status        forum.SeedStatus
	targets       forum.SeedTargets
	eps           []endpoint
	runs          [][]phase
	pages         []capturedPage
	before, after cpuSample
	postgres      string
	started       time.Time
}

// summary is one endpoint over all rounds.
type summary struct {
	rate, ratio, ratioMin, ratioMax float64
	pacedRate                       float64
	p50, p99, satP50, satP99        time.Duration
	lag99                           time.Duration // the load generator's own lateness, paced phase
	minQueries, maxQueries          int
	timed                           bool // some response reported its queries
	cachedShare                     float64
	db50, db99                      float64
	serverCPU, restCPU              time.Duration // per request, at saturation
	errors                          int
}

func (r *report) summarize(i int) summary {
	var s summary
	var rates, ratios, paced []float64
	var lat, satLat, lags []time.Duration
	var queries []int
	var db []float64
	var serverCPU, restCPU float64
	var satRequests, cached, requests int
	for _, round := range r.runs {
		p := round[i]
		rates = append(rates, p.saturated.rate())
		ratios = append(ratios, p.saturated.rate()/round[0].saturated.rate())
		paced = append(paced, p.paced.rate())
		lat = append(lat, p.paced.latencies...)
		lags = append(lags, p.paced.lags...)
		satLat = append(satLat, p.saturated.latencies...)
		queries = append(queries, p.saturated.queries...)
		queries = append(queries, p.paced.queries...)
		cached += p.saturated.cached + p.paced.cached
		requests += p.saturated.requests + p.paced.requests
		db = append(db, p.paced.dbMillis...)
		serverCPU += p.saturated.cpu.server
		restCPU += p.saturated.cpu.rest
		satRequests += p.saturated.requests
		s.errors += p.saturated.errors + p.paced.errors
	}
	s.rate, s.ratio, s.pacedRate = median(rates), median(ratios), median(paced)
	s.ratioMin, s.ratioMax = slices.Min(ratios), slices.Max(ratios)
	s.p50, s.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	s.satP50, s.satP99 = percentile(satLat, 0.50), percentile(satLat, 0.99)
	s.lag99 = percentile(lags, 0.99)
	if len(queries) > 0 {
		s.timed = true
		s.minQueries, s.maxQueries = slices.Min(queries), slices.Max(queries)
	}
	if requests > 0 {
		s.cachedShare = float64(cached) / float64(requests)
	}
	s.db50, s.db99 = percentileF(db, 0.50), percentileF(db, 0.99)
	if satRequests > 0 {
		s.serverCPU = time.Duration(serverCPU / float64(satRequests) * float64(time.Second))
		s.restCPU = time.Duration(restCPU / float64(satRequests) * float64(time.Second))
	}
	return s
}

func median(xs []float64) float64 {
	ys := append([]float64(nil), xs...)
	slices.Sort(ys)
	return ys[len(ys)/2]
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	c := r.cfg
	w("### Run of %s\n\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	w("- Data: %s threads and %s posts (`stoa seed`: %d members, seed %d, %d years); the list is category `%s`, %s threads.\n",
		thousands(int64(r.status.Threads)), thousands(r.status.Posts), r.status.Options.Members, r.status.Options.RandSeed,
		r.status.Options.Years, r.targets.Category.Slug, thousands(int64(r.targets.Category.ThreadCount)))
	w("- Machine: %d CPUs (%s), shared; load average %.2f / %.2f (1 / 5 min) before the run, %.2f / %.2f after; %s, PostgreSQL %s.\n",
		runtime.NumCPU(), cpuModel(), r.before.load1, r.before.load5, r.after.load1, r.after.load5, runtime.Version(), r.postgres)
	w("- Server settings: %s.\n", strings.Join(c.serverSettings(), ", "))
	busy := cpuBetween(r.before, r.after)
	w("- The machine's CPUs were %.0f%% busy over the run; the server, PostgreSQL and this load generator share them.\n", 100*busy.busyShare)
	w("- Method: %s of warm-up per page (and as much again for member pages at %d req/s as any member), then %d rounds; in each, every page for %s with %d concurrent clients (saturation: "+
		"throughput), then %s of Poisson arrivals at %.0f%% of that round's saturation rate (latency, timed from when each "+
		"request was due). Throughput is the median of the rounds; ratios are taken within each round; percentiles are over "+
		"every request of the rounds. Member pages rotate over %d signed-in members (session cookies); thread pages and JSON "+
		"answers are full pages of %d posts (STOA_POSTS_PER_PAGE), over %d threads of at least a page; deep pages over %d cursors "+
		"from 10%% to 99%% down the list.\n\n",
		c.warmup, warmUpMembersRate, c.rounds, c.duration, c.concurrency, c.duration, 100*c.pacedShare, len(r.targets.Members),
		c.postsPerPage, len(r.targets.Threads), r.deepCursors())
	w("| page | req/s (saturated) | ÷ livez (min–max) | p50 / p99 at %.0f%% load | generator lag p99 | p50 / p99 saturated | queries | DB time p50 / p99 | from a page cache | server CPU / req | other CPU / req |\n", 100*c.pacedShare)
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	sums := make([]summary, len(r.eps))
	for i, e := range r.eps {
		s := r.summarize(i)
		sums[i] = s
		q, db := "–", "–"
		if s.timed {
			q = fmt.Sprint(s.maxQueries)
			if s.minQueries != s.maxQueries {
				q = fmt.Sprintf("%d–%d", s.minQueries, s.maxQueries)
			}
			db = fmt.Sprintf("%.2f / %.2f ms", s.db50, s.db99)
		}
		w("| %s | %.0f | %.2f (%.2f–%.2f) | %.2f / %.2f ms | %.2f ms | %.2f / %.2f ms | %s | %s | %.0f%% | %d µs | %d µs |\n", e.name, s.rate, s.ratio,
			s.ratioMin, s.ratioMax, ms(s.p50), ms(s.p99), ms(s.lag99), ms(s.satP50), ms(s.satP99), q, db,
			100*s.cachedShare, s.serverCPU.Microseconds(), s.restCPU.Microseconds())
		if s.errors > 0 {
			w("\n**%s: %d failed requests.**\n\n", e.name, s.errors)
		}
	}
	w("\n\"Other CPU\" is the machine's busy time not spent in the server or the load generator, per request: PostgreSQL, plus whatever else ran on the shared machine.\n\n")
	r.targetsTable(&b, sums)
	r.explainTable(&b)
	return b.String()
}

func (r *report) deepCursors() int {
	n := 0
	for _, c := range r.targets.DeepCursors {
		if c.Share >= 0.1 {
			n++
		}
	}
	return n
}

func (r *report) targetsTable(b *strings.Builder, sums []summary) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	w("| target | measured | met |\n|---|---|---|\n")
	for i, e := range r.eps {
		if e.kind == "baseline" {
			continue
		}
		s := sums[i]
		w("| %s: p99 ≤ 15 ms | %.2f ms at %.0f req/s (%.2f ms saturated) | %s |\n", e.name, ms(s.p99), s.pacedRate, ms(s.satP99), yes(s.p99 <= 15*time.Millisecond))
	}
	for i, e := range r.eps {
		if e.kind == "baseline" {
			continue
		}
		w("| %s: throughput ≥ 30%% of livez | %.0f%% | %s |\n", e.name, 100*sums[i].ratio, yes(sums[i].ratio >= 0.30))
	}
	for i, e := range r.eps {
		if e.kind != "deep" {
			continue
		}
		first := slices.IndexFunc(r.eps, func(x endpoint) bool { return x.kind == "list" && x.member == e.member })
		d, p := sums[i], sums[first]
		ok := d.p50 <= 2*p.p50 && d.p99 <= 2*p.p99 && d.rate >= p.rate/2
		w("| %s no slower than 2 × page 1 | p50 %.2f vs %.2f ms, p99 %.2f vs %.2f ms, %.0f vs %.0f req/s | %s |\n", e.name,
			ms(d.p50), ms(p.p50), ms(d.p99), ms(p.p99), d.rate, p.rate, yes(ok))
	}
	maxQ := 0
	for i, e := range r.eps {
		if e.kind != "baseline" {
			maxQ = max(maxQ, sums[i].maxQueries)
		}
	}
	w("| at most 5 queries per page | at most %d (every response's Server-Timing) | %s |\n", maxQ, yes(maxQ > 0 && maxQ <= 5))
	var slowest time.Duration
	where := ""
	for _, p := range r.pages {
		for _, q := range p.queries {
			for _, d := range []time.Duration{q.explained.Custom.Execution, q.explained.Generic.Execution} {
				if d > slowest {
					slowest, where = d, p.endpoint+": "+q.label
				}
			}
		}
	}
	w("| each query < 1 ms in EXPLAIN ANALYZE | slowest %.3f ms (%s) | %s |\n\n", ms(slowest), strings.ReplaceAll(where, "|", "\\|"), yes(slowest < time.Millisecond))
}

func (r *report) explainTable(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("Each page's queries on the seeded data (`EXPLAIN (ANALYZE, BUFFERS)`, in-process request through the same handlers; "+
		"custom plan for the request's arguments, and the generic plan a long-prepared statement may switch to; the fastest of %d runs "+
		"each, since a run can be descheduled on a shared machine):\n\n", explainRuns)
	w("| page | query | planning | execution (custom) | execution (generic) |\n|---|---|---:|---:|---:|\n")
	for _, p := range r.pages {
		for i, q := range p.queries {
			name := ""
			if i == 0 {
				name = p.endpoint + " `" + p.path + "`"
			}
			label := "`" + strings.ReplaceAll(q.label, "|", "\\|") + "`"
			if q.err != nil {
				w("| %s | %s | explain failed: %v | | |\n", name, label, q.err)
				continue
			}
			generic := "–"
			if q.explained.HasGeneric {
				generic = fmt.Sprintf("%.3f ms", ms(q.explained.Generic.Execution))
			}
			w("| %s | %s | %.3f ms | %.3f ms | %s |\n", name, label, ms(q.explained.Custom.Planning), ms(q.explained.Custom.Execution), generic)
		}
	}
	w("\n")
}

// plans is every captured statement's full EXPLAIN output.
func (r *report) plans() string {
	var b strings.Builder
	for _, p := range r.pages {
		fmt.Fprintf(&b, "==== %s %s\n\n", p.endpoint, p.path)
		for _, q := range p.queries {
			fmt.Fprintf(&b, "---- %s\n", q.label)
			if q.err != nil {
				fmt.Fprintf(&b, "explain failed: %v\n\n", q.err)
				continue
			}
			fmt.Fprintf(&b, "custom plan:\n%s\n\n", q.explained.Custom.Text)
			if q.explained.HasGeneric {
				fmt.Fprintf(&b, "generic plan:\n%s\n\n", q.explained.Generic.Text)
			}
		}
	}
	return b.String()
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
