package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/inbox"
	"github.com/stoa-forum/stoa/internal/giveway"
	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/internal/rsasign"
	"github.com/stoa-forum/stoa/migrations"
	"github.com/stoa-forum/stoa/outbox"
)

func serveCommand() *command {
	return &command{name: "serve", summary: "run the web server and the background workers", run: runServe}
}

// app is the running process: everything serve builds, in the order it is torn down.
type app struct {
	cfg     *Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	forum   *forum.Forum
	river   *river.Client[pgx.Tx]
	fed     *federation.Federation
	outbox  *outbox.Outbox
	inbox   *inbox.Inbox
	reg     *prometheus.Registry
	handler http.Handler
	// gate counts the requests being served; the inbox's apply jobs give way to them.
	gate *giveway.Gate
	// presence is the key of the lock this process holds while it lives, which tells other
	// processes its running jobs are not orphans (forum/orphaned_jobs.go).
	presence forum.ProcessPresence
}

func runServe(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa serve", "", "run the web server and the background workers", env)
	cfg, err := parseWithConfig(fs, env, args)
	if err != nil {
		return err
	}
	if err := errors.Join(cfg.requireDatabase(), cfg.requireSecret()); err != nil {
		return err
	}
	log, err := observe.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	a, err := buildApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.pool.Close()
	return a.serve(ctx)
}

// buildApp connects, migrates and wires every package. It does not start anything.
func buildApp(ctx context.Context, cfg *Config, log *slog.Logger) (*app, error) {
	pool, err := openDatabase(ctx, cfg, log, keepPoolOpen)
	if err != nil {
		return nil, err
	}
	res, err := migrations.Up(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if len(res.Applied) > 0 || res.RiverApplied > 0 {
		log.Info("applied migrations", "stoa", len(res.Applied), "river", res.RiverApplied, "version", migrations.Latest())
	}
	if err := rsasign.SetMode(cfg.Delivery.RSASigner); err != nil {
		pool.Close()
		return nil, err
	}
	log.Info("federation requests are signed by "+rsasign.Backend(), "rsa_signer", cfg.Delivery.RSASigner)
	a := &app{cfg: cfg, log: log, pool: pool, reg: observe.NewRegistry(), gate: giveway.New(cfg.Inbox.GiveWay)}
	jobs := &riverJobs{}
	// The forum records activities and the outbox publishes them, but the outbox needs the forum:
	// the Federator inserts fan-out jobs and gets its River client once that exists.
	federator := outbox.NewFederator()
	a.forum, err = newForum(pool, cfg, jobs, federator)
	if err != nil {
		pool.Close()
		return nil, err
	}
	// The domain rules (blocks, allows, subscribed lists, allowlist mode) decide, for the verifier,
	// the fetcher, the handler and the outbox alike, whom Stoa talks to.
	policy := federation.NewForumPolicy(a.forum, log)
	a.fed, err = federation.New(federation.Config{Forum: a.forum, PublicURL: cfg.PublicURL, AuthorizedFetch: cfg.AuthorizedFetch, Policy: policy,
		UnsafeLocal: cfg.UnsafeLocalFederation, HostMap: cfg.UnsafeHostMap, Log: log,
		Software: federation.Software{Name: "stoa", Version: version}})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("federation: %w", err)
	}
	if a.outbox, err = newOutbox(cfg, log, a.forum, a.fed, policy, a.reg); err != nil {
		pool.Close()
		return nil, err
	}
	if a.inbox, err = newInbox(cfg, log, a.forum, a.fed, policy, a.reg, a.gate); err != nil {
		pool.Close()
		return nil, fmt.Errorf("inbox: %w", err)
	}
	queues := a.outbox.Queues()
	for name, q := range a.inbox.Queues() {
		queues[name] = q
	}
	// A block cancels the deliveries already queued to the domain once it commits.
	a.forum.UseDeliveryCanceller(a.outbox)
	blocklists := newBlocklistFetcher(cfg, a.fed)
	a.presence = forum.NewProcessPresence()
	a.river, err = newRiverClient(pool, cfg, log, a.forum, riverSetup{
		presence: &a.presence,
		register: func(w *river.Workers) {
			river.AddWorker(w, &federation.RefreshActorWorker{Actors: a.fed.Actors, Log: log})
			a.outbox.AddWorkers(w)
			a.inbox.AddWorkers(w)
			addBlocklistWorkers(w, a.forum, blocklists, log)
		},
		queues:   queues,
		periodic: append(append(a.outbox.PeriodicJobs(), a.inbox.PeriodicJobs()...), federation.BlocklistPeriodicJob()),
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	jobs.client = a.river
	federator.Use(a.river)
	a.outbox.Use(a.river)
	a.inbox.Use(a.river)
	if a.handler, err = a.routes(); err != nil {
		pool.Close()
		return nil, err
	}
	return a, nil
}

// serve runs until ctx is cancelled (SIGINT/SIGTERM), then shuts down in order: stop accepting and
// drain HTTP, stop River softly (running jobs finish), then cancel what is left, all within
// cfg.ShutdownTimeout. Returns nil after a clean shutdown, so the process exits 0.
func (a *app) serve(ctx context.Context) error {
	srv := &http.Server{
		Addr:              a.cfg.Listen,
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
	}
	var metricsSrv *http.Server
	var metricsLn net.Listener
	if a.cfg.MetricsListen != "off" {
		metricsLn, err = net.Listen("tcp", a.cfg.MetricsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics listener on %s: %w", a.cfg.MetricsListen, err)
		}
		metricsSrv = &http.Server{Handler: metricsMux(observe.MetricsHandler(a.reg), a.cfg.Pprof), ReadHeaderTimeout: 5 * time.Second}
	}

	if err := a.river.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	// Keep this process's permission cache in step with changes made by other processes
	// (forum/permission_cache.go); stopped after the HTTP server has drained.
	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		a.forum.ListenForChanges(listenCtx, func(err error) { a.log.Warn("change listener", "err", err) })
	}()
	// The presence lock and the orphan checks (forum/orphaned_jobs.go) end with the listener.
	rescuing := a.rescueOrphans(listenCtx)
	defer func() { stopListening(); <-listening; <-rescuing }()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if metricsSrv != nil {
		go func() { errc <- metricsSrv.Serve(metricsLn) }()
	}
	a.log.Info("stoa serving", "version", version, "listen", ln.Addr().String(), "public_url", a.cfg.PublicURL.String(),
		"metrics", a.cfg.MetricsListen, "pid", os.Getpid())

	var serveErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	case serveErr = <-errc:
		a.log.Error("server stopped", "err", serveErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		a.log.Warn("HTTP drain incomplete, closing connections", "err", err)
		srv.Close()
	}
	if metricsSrv != nil {
		metricsSrv.Close()
	}
	// The inbox's recorder commits what the drained handlers handed it, then stops (its apply
	// jobs need River, stopped next).
	a.inbox.Close()
	// Soft stop lets running jobs finish; whatever is still running at the deadline is cancelled and
	// will be retried by the next process (jobs are at-least-once).
	softCtx, softCancel := context.WithTimeout(shutdownCtx, a.cfg.ShutdownTimeout*3/4)
	defer softCancel()
	if err := a.river.Stop(softCtx); err != nil {
		a.log.Warn("jobs still running at the soft deadline, cancelling them", "err", err)
		hardCtx, hardCancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer hardCancel()
		if err := a.river.StopAndCancel(hardCtx); err != nil {
			a.log.Error("job queue did not stop", "err", err)
		}
	}
	a.log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}
