package forum

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Seeding fills an empty database with a realistic forum for benchmarks (`stoa seed`): members and
// people from other servers, categories (one with sub-categories), threads with Markdown posts
// spread over years, likes, read state, notifications of replies, and every counter and the
// search index consistent with them, as if the forum's own code had written each row.
//
// How it is fast: rows go in with COPY in batches of threads, several batches at a time, and the
// tables are loaded the way pg_restore loads them: their non-unique indexes and foreign keys are
// taken off first and put back after (from their definitions as the database reports them, so the
// result is exactly the migrated schema), because building an index once is far cheaper than
// updating it ten million times in random order. The counter trigger on posts is off during the
// load and its counts are computed once at the end. Post bodies are joined from pre-rendered
// pieces (seed_pieces.go).
//
// How it resumes: the seed's options and progress live in two bookkeeping tables, stoa_seed and
// stoa_seed_batches, made by the seeder (not by a migration: no production database needs them).
// Thread i is generated from a random source keyed by (seed, i), with ids fixed by the plan, so a
// batch that did not commit is generated again identically. Running the same command again after
// an interruption picks up where it stopped; after a finished seed it does nothing; any other
// non-empty database is refused.

// SeedOptions describe a seeded forum. Threads, PostsPerThread, Members, Years, RandSeed and
// BatchThreads decide the data; a resumed seed must give the same values.
type SeedOptions struct {
	Threads int
	// PostsPerThread is the mean; most threads are shorter and a few much longer.
	PostsPerThread int
	// Members is the number of local members (0: 5,000, fewer for small seeds).
	Members int
	// Years is how far back the oldest thread goes (0: 6).
	Years int
	// RandSeed makes the data reproducible (0: 1).
	RandSeed uint64
	// Password is every seeded member's password (hashed once, with argon2id, for all of them).
	Password string
	// BatchThreads is the number of threads loaded per transaction (0: 5,000).
	BatchThreads int
	// Workers is the number of batches generated and loaded at once (0: 3).
	Workers int
}

// SeedDefaultPassword is what seeded members sign in with unless the seed was given another. Seed
// refuses any database that already holds a forum, so it never lands next to real accounts.
const SeedDefaultPassword = "seeded-member-password"

// SeedBenchUsername is the seeded member benchmarks sign in as: an active member who has read a
// quarter of the threads of the largest category and half of one long thread.
const SeedBenchUsername = "bench"

func (o SeedOptions) withDefaults() SeedOptions {
	if o.Members == 0 {
		o.Members = min(5000, max(50, o.Threads/10))
	}
	if o.Years == 0 {
		o.Years = 6
	}
	if o.RandSeed == 0 {
		o.RandSeed = 1
	}
	if o.BatchThreads == 0 {
		o.BatchThreads = 5000
	}
	if o.Workers == 0 {
		o.Workers = 3
	}
	return o
}

func (o SeedOptions) validate() error {
	v := &ValidationError{}
	if o.Threads < 1 || o.Threads > 50_000_000 {
		v.Add("threads", "must be between 1 and 50,000,000")
	}
	if o.PostsPerThread < 1 || o.PostsPerThread > 1000 {
		v.Add("posts-per-thread", "must be between 1 and 1,000")
	}
	if o.Members < 10 || o.Members > 1_000_000 {
		v.Add("members", "must be between 10 and 1,000,000")
	}
	if o.Years < 1 || o.Years > 30 {
		v.Add("years", "must be between 1 and 30")
	}
	if o.BatchThreads < 1 || o.Workers < 1 || o.Workers > 16 {
		v.Add("batch", "batch size must be positive and workers between 1 and 16")
	}
	validatePassword(v, "password", o.Password)
	return v.Err()
}

// sameData reports whether two option sets make the same rows.
func (o SeedOptions) sameData(p SeedOptions) bool {
	return o.Threads == p.Threads && o.PostsPerThread == p.PostsPerThread && o.Members == p.Members &&
		o.Years == p.Years && o.RandSeed == p.RandSeed && o.BatchThreads == p.BatchThreads
}

// SeedProgress is reported after each batch and each step of the finish.
type SeedProgress struct {
	Phase       string // "setup", "load", "finish" or "done"
	Step        string // what the finish is doing
	ThreadsDone int
	Threads     int
	PostsDone   int64
	Posts       int64
	// PostsBefore were loaded by an earlier, interrupted run (for rates).
	PostsBefore int64
	Elapsed     time.Duration
}

// SeedReport says what Seed did.
type SeedReport struct {
	// AlreadyDone: the database held a finished seed of the same options; nothing was done.
	AlreadyDone bool
	// Resumed: an interrupted seed was continued.
	Resumed bool
	Threads int
	Posts   int64
	Took    time.Duration
}

// Seed fills the database (see the top of this file). progress may be nil.
func (f *Forum) Seed(ctx context.Context, opts SeedOptions, progress func(SeedProgress)) (SeedReport, error) {
	start := time.Now()
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return SeedReport{}, err
	}
	if progress == nil {
		progress = func(SeedProgress) {}
	}
	unlock, err := f.seedLock(ctx)
	if err != nil {
		return SeedReport{}, err
	}
	defer unlock()
	st, err := f.SeedStatus(ctx)
	if err != nil {
		return SeedReport{}, err
	}
	report := SeedReport{Resumed: st.Exists && !st.Done}
	switch {
	case !st.Exists:
		progress(SeedProgress{Phase: "setup", Threads: opts.Threads})
		if err := f.seedSetup(ctx, opts); err != nil {
			return SeedReport{}, err
		}
	case !opts.sameData(st.Options):
		return SeedReport{}, fmt.Errorf("seed: the database holds a seed of %d threads, %d posts per thread, %d members, seed %d; "+
			"give the same options to resume or reuse it, or seed an empty database: %w",
			st.Options.Threads, st.Options.PostsPerThread, st.Options.Members, st.Options.RandSeed, ErrConflict)
	case !st.SecretMatches:
		return SeedReport{}, fmt.Errorf("seed: the database was seeded with another secret key (its posts' MACs would not verify): %w", ErrConflict)
	case st.Done:
		return SeedReport{AlreadyDone: true, Threads: st.Threads, Posts: st.Posts, Took: time.Since(start)}, nil
	}
	plan, err := f.loadSeedPlan(ctx, opts)
	if err != nil {
		return SeedReport{}, err
	}
	phase, err := f.seedPhase(ctx)
	if err != nil {
		return SeedReport{}, err
	}
	report.Threads, report.Posts = opts.Threads, plan.postOffsets[opts.Threads]
	if phase == "load" {
		if err := f.seedLoad(ctx, plan, start, progress); err != nil {
			return SeedReport{}, err
		}
	}
	if err := f.seedFinish(ctx, plan, start, progress); err != nil {
		return SeedReport{}, err
	}
	report.Took = time.Since(start)
	progress(SeedProgress{Phase: "done", ThreadsDone: opts.Threads, Threads: opts.Threads, PostsDone: report.Posts,
		Posts: report.Posts, Elapsed: report.Took})
	return report, nil
}

// seedLock makes sure one seed runs at a time on a database: it holds a session advisory lock on a
// connection of its own until unlock.
func (f *Forum) seedLock(ctx context.Context) (unlock func(), err error) {
	conn, err := f.db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed lock: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, seedLockKey).Scan(&got); err != nil || !got {
		conn.Release()
		if err == nil {
			err = fmt.Errorf("another seed is running on this database: %w", ErrConflict)
		}
		return nil, fmt.Errorf("seed lock: %w", err)
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, seedLockKey)
		conn.Release()
	}, nil
}

// seedLoad takes the indexes off and loads every batch not yet loaded, opts.Workers at a time.
func (f *Forum) seedLoad(ctx context.Context, plan *seedPlan, start time.Time, progress func(SeedProgress)) error {
	if err := f.seedTakeOff(ctx); err != nil {
		return err
	}
	done, err := f.seedBatchesDone(ctx)
	if err != nil {
		return err
	}
	n := plan.opts.Threads
	batches := (n + plan.opts.BatchThreads - 1) / plan.opts.BatchThreads
	var mu sync.Mutex
	p := SeedProgress{Phase: "load", Threads: n, Posts: plan.postOffsets[n]}
	todo := make(chan int, batches)
	for b := range batches {
		lo, hi := plan.batchRange(b)
		if done[b] {
			p.ThreadsDone += hi - lo
			p.PostsDone += plan.postOffsets[hi] - plan.postOffsets[lo]
			continue
		}
		todo <- b
	}
	close(todo)
	p.PostsBefore = p.PostsDone
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range plan.opts.Workers {
		wg.Go(func() {
			for b := range todo {
				if ctx.Err() != nil {
					return
				}
				if err := f.seedBatch(ctx, plan, b); err != nil {
					cancel(err)
					return
				}
				lo, hi := plan.batchRange(b)
				mu.Lock()
				p.ThreadsDone += hi - lo
				p.PostsDone += plan.postOffsets[hi] - plan.postOffsets[lo]
				p.Elapsed = time.Since(start)
				progress(p)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	_, err = f.db.Exec(ctx, `UPDATE stoa_seed SET phase = 'finish'`)
	return err
}

func (p *seedPlan) batchRange(b int) (lo, hi int) {
	lo = b * p.opts.BatchThreads
	return lo, min(lo+p.opts.BatchThreads, p.opts.Threads)
}

// SeedStatus describes the seed a database holds, if any.
type SeedStatus struct {
	Exists bool
	Done   bool
	// Options are the ones the seed was made with (Password and Workers are not kept).
	Options SeedOptions
	// SecretMatches: the seed's posts were MACed with this Forum's secret.
	SecretMatches bool
	Threads       int
	Posts         int64
	StartedAt     time.Time
	FinishedAt    *time.Time
}

// SeedStatus reads the seed bookkeeping. A database that was never seeded has none (Exists false).
func (f *Forum) SeedStatus(ctx context.Context) (SeedStatus, error) {
	var exists bool
	if err := f.db.QueryRow(ctx, `SELECT to_regclass('stoa_seed') IS NOT NULL`).Scan(&exists); err != nil {
		return SeedStatus{}, fmt.Errorf("seed status: %w", err)
	}
	if !exists {
		return SeedStatus{}, nil
	}
	st := SeedStatus{Exists: true}
	var mac []byte
	var phase string
	var stored seedStoredOptions
	err := f.db.QueryRow(ctx, `SELECT options, mac_check, phase, started_at, finished_at FROM stoa_seed`).
		Scan(&stored, &mac, &phase, &st.StartedAt, &st.FinishedAt)
	st.Options = stored.options()
	if errors.Is(err, pgx.ErrNoRows) {
		return SeedStatus{}, fmt.Errorf("seed status: stoa_seed exists but is empty (a seed's setup never committed?): %w", ErrConflict)
	}
	if err != nil {
		return SeedStatus{}, fmt.Errorf("seed status: %w", err)
	}
	st.Done = phase == "done"
	st.SecretMatches = f.secrets.htmlOK("seed", 0, seedMACCheck, mac)
	st.Threads = st.Options.Threads
	if st.Done {
		if err := f.db.QueryRow(ctx, `SELECT coalesce(sum(posts), 0) FROM stoa_seed_batches`).Scan(&st.Posts); err != nil {
			return SeedStatus{}, fmt.Errorf("seed status: %w", err)
		}
	}
	return st, nil
}

// seedStoredOptions are the options kept in stoa_seed: those that decide the data (never the
// password).
type seedStoredOptions struct {
	Threads        int    `json:"threads"`
	PostsPerThread int    `json:"posts_per_thread"`
	Members        int    `json:"members"`
	Years          int    `json:"years"`
	RandSeed       uint64 `json:"rand_seed"`
	BatchThreads   int    `json:"batch_threads"`
}

func storedOptions(o SeedOptions) seedStoredOptions {
	return seedStoredOptions{Threads: o.Threads, PostsPerThread: o.PostsPerThread, Members: o.Members, Years: o.Years,
		RandSeed: o.RandSeed, BatchThreads: o.BatchThreads}
}

func (s seedStoredOptions) options() SeedOptions {
	return SeedOptions{Threads: s.Threads, PostsPerThread: s.PostsPerThread, Members: s.Members, Years: s.Years,
		RandSeed: s.RandSeed, BatchThreads: s.BatchThreads}
}

// seedMACCheck is MACed with the secret at setup, so a later run can tell whether it holds the same
// secret as the one the posts were MACed with.
const seedMACCheck = "stoa seed secret check"

func (f *Forum) seedPhase(ctx context.Context) (string, error) {
	var phase string
	if err := f.db.QueryRow(ctx, `SELECT phase FROM stoa_seed`).Scan(&phase); err != nil {
		return "", fmt.Errorf("seed phase: %w", err)
	}
	return phase, nil
}

func (f *Forum) seedBatchesDone(ctx context.Context) (map[int]bool, error) {
	rows, err := f.db.Query(ctx, `SELECT batch FROM stoa_seed_batches`)
	if err != nil {
		return nil, fmt.Errorf("seed batches: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("seed batches: %w", err)
	}
	done := make(map[int]bool, len(ids))
	for _, b := range ids {
		done[int(b)] = true
	}
	return done, nil
}
