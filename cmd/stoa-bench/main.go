// Command stoa-bench measures Stoa's read path (`make bench-read`, BENCHMARKS.md "Read path"): on a
// database filled by `stoa seed`, it starts a real `stoa serve` (with STOA_QUERY_TIMING=1), signs
// members in, and loads the category list (page 1 and deep pages, as a guest and as a member), a
// thread page (as a member and as a guest) and the JSON thread endpoint, with GET /livez as the
// baseline, all in one run so the ratios between them hold on a noisy machine. Each page is
// measured at saturation (a closed loop of concurrent clients: throughput) and at half that rate
// (Poisson arrivals: latency, timed from when each request was due). Then it serves one request
// of each page in process through the same handlers with every statement recorded, and runs each
// statement under EXPLAIN ANALYZE, custom and generic plan. It prints a Markdown report.
//
// It is a separate program rather than a Go benchmark because it drives a real server process
// over HTTP, as clients do, and runs for minutes against a database far larger than tests use.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/querytrace"
	"github.com/stoa-forum/stoa/web"
)

type config struct {
	stoa, dbURL, secretFile, listen, password, out, plansOut, serverLog string
	// only, when set, keeps the pages whose names it matches (and the baseline, which every ratio
	// needs); serverEnv adds settings to the server's, e.g. STOA_METRICS_LISTEN to profile it.
	only                                  *regexp.Regexp
	serverEnv                             []string
	concurrency, rounds, members, threads int
	// The server's settings: its thread page, and its caches sized for the pages read.
	postsPerPage, guestCacheMB, memberCacheMB, sharedCacheMB int
	duration, warmup                                         time.Duration
	pacedShare                                               float64
}

func main() {
	var c config
	flag.StringVar(&c.stoa, "stoa", "", "the stoa binary to serve with (required)")
	flag.StringVar(&c.dbURL, "database-url", os.Getenv("STOA_DATABASE_URL"), "the seeded database (env STOA_DATABASE_URL)")
	flag.StringVar(&c.secretFile, "secret-key-file", os.Getenv("STOA_SECRET_KEY_FILE"), "file with the secret the seed used (env STOA_SECRET_KEY_FILE)")
	flag.StringVar(&c.listen, "listen", "127.0.0.1:18080", "where the server under test listens")
	flag.StringVar(&c.password, "password", forum.SeedDefaultPassword, "the seeded members' password")
	flag.IntVar(&c.concurrency, "concurrency", 8, "concurrent clients at saturation")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds over every page")
	flag.DurationVar(&c.duration, "duration", 8*time.Second, "length of each phase (saturation, then half load) per page and round")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "warm-up per page before the rounds")
	flag.Float64Var(&c.pacedShare, "paced-share", 0.5, "latency phase rate, as a share of the same round's saturation rate")
	flag.IntVar(&c.members, "members", 32, "members signed in for the member pages")
	flag.IntVar(&c.threads, "threads", 2000, "threads the thread pages pick from")
	flag.IntVar(&c.postsPerPage, "posts-per-page", benchPostsPerPage, "posts a thread page shows (the server's STOA_POSTS_PER_PAGE); every page read is full")
	// The pages read at random (about 3,000 thread pages of 50 posts on the 1M-thread seed, some
	// 150 MB as JSON alone) do not fit the caches' defaults, sized for a small server: with them,
	// half the thread API's answers were made afresh (BENCHMARKS.md, eighth session).
	flag.IntVar(&c.guestCacheMB, "guest-cache-mb", 512, "the server's STOA_GUEST_CACHE_MB")
	flag.IntVar(&c.memberCacheMB, "member-cache-mb", 256, "the server's STOA_MEMBER_CACHE_MB")
	flag.IntVar(&c.sharedCacheMB, "shared-cache-mb", 512, "the server's STOA_SHARED_CACHE_MB")
	flag.StringVar(&c.out, "out", "", "also write the report to this file")
	flag.StringVar(&c.plansOut, "plans", "", "write every captured statement's EXPLAIN ANALYZE output to this file")
	flag.Func("only", "measure only the pages whose names match this regular expression (and /livez)", func(v string) (err error) {
		c.only, err = regexp.Compile(v)
		return err
	})
	flag.Func("server-env", "add VAR=value to the server's settings (repeatable)", func(v string) error {
		if !strings.Contains(v, "=") {
			return errors.New("want VAR=value")
		}
		c.serverEnv = append(c.serverEnv, v)
		return nil
	})
	flag.StringVar(&c.serverLog, "server-log", filepath.Join(os.TempDir(), "stoa-bench-serve.log"), "where the server's output goes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	text, err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stoa-bench:", err)
		os.Exit(1)
	}
	fmt.Print(text)
}

// run measures and returns the report (also written to c.out, with the plans to c.plansOut).
func run(ctx context.Context, c config) (string, error) {
	text, plans, err := measureAll(ctx, c)
	if err != nil {
		return "", err
	}
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	if c.plansOut != "" {
		if err := os.WriteFile(c.plansOut, []byte(plans), 0o644); err != nil {
			return "", err
		}
	}
	return text, nil
}

func measureAll(ctx context.Context, c config) (text, plans string, err error) {
	if c.stoa == "" || c.dbURL == "" {
		return "", "", errors.New("--stoa and --database-url (or STOA_DATABASE_URL) are required")
	}
	secretEnv, secret, err := readSecret(c.secretFile)
	if err != nil {
		return "", "", err
	}
	base, _ := url.Parse("http://" + c.listen)
	pc, err := pgxpool.ParseConfig(c.dbURL)
	if err != nil {
		return "", "", fmt.Errorf("database URL: %w", err)
	}
	pc.ConnConfig.Tracer = querytrace.Tracer{}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return "", "", err
	}
	defer pool.Close()
	f, err := forum.New(pool, forum.Options{Secret: secret, Markup: markup.New(markup.Options{BaseURL: base}),
		PostsPerPage: c.postsPerPage})
	if err != nil {
		return "", "", err
	}
	st, err := f.SeedStatus(ctx)
	switch {
	case err != nil:
		return "", "", err
	case !st.Done:
		return "", "", errors.New("the database holds no finished seed: run stoa seed first (make bench-read does)")
	case !st.SecretMatches:
		return "", "", errors.New("the database was seeded with another secret key: every post would fail its MAC and be re-rendered")
	}
	targets, err := f.SeedBenchTargets(ctx, c.members, c.threads)
	if err != nil {
		return "", "", err
	}
	log("seeded database: %d threads, %d posts; bench category %s", st.Threads, st.Posts, targets.Category.Slug)
	cookies, tokens, err := signIn(ctx, f, targets.Members, c.password)
	if err != nil {
		return "", "", err
	}
	defer func() {
		for _, t := range tokens {
			_ = f.Logout(context.WithoutCancel(ctx), t)
		}
	}()

	srv, err := startServer(ctx, c.stoa, c.listen, c.dbURL, append(c.serverSettings(), secretEnv...), c.serverLog)
	if err != nil {
		return "", "", err
	}
	log("stoa serve is up (pid %d, log %s)", srv.pid(), c.serverLog)
	eps := c.chosen(endpoints(srv.base, targets, c.postsPerPage, cookies))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2048, MaxIdleConnsPerHost: 2048, DisableCompression: true, IdleConnTimeout: time.Minute,
	}}
	rep := report{cfg: c, status: st, targets: targets, eps: eps, started: time.Now(), postgres: serverVersion(ctx, pool)}
	if rep.before, err = readCPU(srv.pid()); err != nil {
		return "", "", err
	}
	runs, err := measure(ctx, c, client, srv, eps)
	if err == nil {
		rep.after, err = readCPU(srv.pid())
	}
	stopErr := srv.stop()
	if err != nil {
		return "", "", err
	}
	if stopErr != nil {
		log("warning: %v", stopErr)
	}
	log("capturing each page's queries and running EXPLAIN ANALYZE")
	handler := web.New(web.Options{Forum: f, PublicURL: base, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	pages, err := capture(ctx, handler, pool, c.chosen(endpoints(base.String(), targets, c.postsPerPage, cookies)))
	if err != nil {
		return "", "", err
	}
	rep.runs, rep.pages = runs, pages
	return rep.markdown(), rep.plans(), nil
}

// serverSettings are the settings of the server under test, in its environment.
func (c config) serverSettings() []string {
	return append([]string{"STOA_POSTS_PER_PAGE=" + strconv.Itoa(c.postsPerPage), "STOA_GUEST_CACHE_MB=" + strconv.Itoa(c.guestCacheMB),
		"STOA_MEMBER_CACHE_MB=" + strconv.Itoa(c.memberCacheMB), "STOA_SHARED_CACHE_MB=" + strconv.Itoa(c.sharedCacheMB)}, c.serverEnv...)
}

// chosen are the endpoints --only keeps: the baseline always, and the pages it matches.
func (c config) chosen(eps []endpoint) []endpoint {
	if c.only == nil {
		return eps
	}
	var kept []endpoint
	for _, e := range eps {
		if e.kind == "baseline" || c.only.MatchString(e.name) {
			kept = append(kept, e)
		}
	}
	return kept
}

// readSecret returns the secret for this process and the environment that hands the same one to
// the server: the file when one is named, else STOA_SECRET_KEY.
func readSecret(file string) (env []string, secret []byte, err error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, err
		}
		return []string{"STOA_SECRET_KEY_FILE=" + file}, []byte(strings.TrimSpace(string(b))), nil
	}
	if s := os.Getenv("STOA_SECRET_KEY"); s != "" {
		return []string{"STOA_SECRET_KEY=" + s}, []byte(s), nil
	}
	return nil, nil, errors.New("no secret: set --secret-key-file, STOA_SECRET_KEY_FILE or STOA_SECRET_KEY to the seed's")
}

// signIn starts a session for each member (the server then resumes them from their cookies, as it
// does a browser's).
func signIn(ctx context.Context, f *forum.Forum, usernames []string, password string) ([]*http.Cookie, []string, error) {
	var cookies []*http.Cookie
	var tokens []string
	for _, u := range usernames {
		s, err := f.Login(ctx, forum.LoginInput{Login: u, Password: password, Client: forum.ClientInfo{UserAgent: "stoa-bench"}})
		if err != nil {
			return nil, tokens, fmt.Errorf("sign in as %s: %w", u, err)
		}
		tokens = append(tokens, s.Token)
		cookies = append(cookies, &http.Cookie{Name: "stoa_session", Value: s.Token})
	}
	return cookies, tokens, nil
}

// serverVersion is PostgreSQL's version as the server announced it when connecting.
func serverVersion(ctx context.Context, pool *pgxpool.Pool) string {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return "unknown"
	}
	defer conn.Release()
	return conn.Conn().PgConn().ParameterStatus("server_version")
}

func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "stoa-bench: "+format+"\n", args...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
