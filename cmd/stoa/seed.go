package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/migrations"
)

func seedCommand() *command {
	return &command{name: "seed", summary: "fill an empty database with a realistic forum for benchmarks", run: runSeed}
}

func runSeed(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa seed", "", "fill an empty database with a realistic forum for benchmarks (resumes an interrupted seed; does nothing after a finished one)", env)
	var opts forum.SeedOptions
	fs.IntVar(&opts.Threads, "threads", 10000, "number of threads")
	fs.IntVar(&opts.PostsPerThread, "posts-per-thread", 10, "mean posts per thread (most threads shorter, a few much longer)")
	fs.IntVar(&opts.Members, "members", 0, "local members (0: 5,000, fewer for small seeds)")
	fs.IntVar(&opts.Years, "years", 6, "age of the oldest thread, in years")
	seed := fs.Uint64("rand-seed", 1, "random seed: the same options make the same forum")
	fs.StringVar(&opts.Password, "password", forum.SeedDefaultPassword, "password of every seeded member")
	fs.IntVar(&opts.BatchThreads, "batch", 5000, "threads per COPY batch (the unit an interrupted seed resumes from)")
	fs.IntVar(&opts.Workers, "workers", 3, "batches generated and loaded at once")
	cfg, err := parseWithConfig(fs, env, args)
	if err != nil {
		return err
	}
	opts.RandSeed = *seed
	if err := errors.Join(cfg.requireDatabase(), cfg.requireSecret()); err != nil {
		return err
	}
	log, err := observe.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Seeding needs the schema; on the empty database it requires, migrating is what serve would do.
	if _, err := migrations.Up(ctx, pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// A seed is a benchmark fixture: nothing in it is mailed or federated.
	f, err := newForum(pool, cfg, nil, nil)
	if err != nil {
		return err
	}
	var last time.Time
	var lastPhase, lastStep string
	report, err := f.Seed(ctx, opts, func(p forum.SeedProgress) {
		// A line per phase or step, and at most one every five seconds while loading.
		if p.Phase == lastPhase && p.Step == lastStep && time.Since(last) < 5*time.Second && p.ThreadsDone < p.Threads {
			return
		}
		last, lastPhase, lastStep = time.Now(), p.Phase, p.Step
		fmt.Fprintln(env.stdout, formatSeedProgress(p))
	})
	if err != nil {
		return err
	}
	switch {
	case report.AlreadyDone:
		fmt.Fprintf(env.stdout, "seed: the database already holds this seed (%d threads, %d posts); nothing to do\n", report.Threads, report.Posts)
	default:
		fmt.Fprintf(env.stdout, "seed: %d threads and %d posts in %s; members sign in with the seed password, the benchmark member is %q\n",
			report.Threads, report.Posts, report.Took.Round(time.Second), forum.SeedBenchUsername)
	}
	return nil
}

func formatSeedProgress(p forum.SeedProgress) string {
	elapsed := p.Elapsed.Round(time.Second)
	switch p.Phase {
	case "load":
		pct := 100 * float64(p.PostsDone) / float64(max(p.Posts, 1))
		line := fmt.Sprintf("seed: loaded %d/%d threads, %d/%d posts (%.1f%%) in %s", p.ThreadsDone, p.Threads, p.PostsDone, p.Posts, pct, elapsed)
		if secs := p.Elapsed.Seconds(); secs > 0 && p.PostsDone > p.PostsBefore {
			rate := float64(p.PostsDone-p.PostsBefore) / secs
			eta := time.Duration(float64(p.Posts-p.PostsDone) / rate * float64(time.Second)).Round(time.Second)
			line += fmt.Sprintf(", %.0f posts/s, load done in about %s", rate, eta)
		}
		return line
	case "finish":
		return fmt.Sprintf("seed: finishing (%s) at %s", p.Step, elapsed)
	case "done":
		return fmt.Sprintf("seed: done in %s", elapsed)
	}
	return fmt.Sprintf("seed: %s", p.Phase)
}
