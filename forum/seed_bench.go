package forum

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// What a read benchmark needs from a seeded database: whom to sign in as, which category to list
// and from where, which threads to read. One-off queries, run before the measured load.

// SeedTargets are the pages a read benchmark requests.
type SeedTargets struct {
	// Category is the bench category, the largest.
	Category Category
	// BenchThread is the long thread the bench member has read half of.
	BenchThread int64
	// Members are usernames to sign in as: the bench member first, then the most active members.
	Members []string
	// Threads are visible threads with at least a page of posts, the bench thread first, then a
	// fixed pseudo-random choice across the whole forum.
	Threads []SeedTargetThread
	// DeepCursors point into the bench category's list at increasing depths.
	DeepCursors []SeedDeepCursor
}

// SeedTargetThread is a thread to read, with its number of posts.
type SeedTargetThread struct {
	ID        int64 `db:"id"`
	PostCount int   `db:"post_count"`
}

// SeedDeepCursor is a list cursor; Rank is how many threads of the list come before it.
type SeedDeepCursor struct {
	Cursor string
	Rank   int
	Share  float64 // Rank as a share of the list
}

// seedDepths are the depths of the deep cursors, as shares of the bench category's list.
var seedDepths = []float64{0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99}

// SeedBenchTargets reads the targets of a finished seed: members usernames and threads thread ids.
func (f *Forum) SeedBenchTargets(ctx context.Context, members, threads int) (SeedTargets, error) {
	var t SeedTargets
	var benchMember, benchCategory int64
	if err := f.db.QueryRow(ctx, `SELECT bench_member_id, bench_category_id, bench_thread_id FROM stoa_seed WHERE phase = 'done'`).
		Scan(&benchMember, &benchCategory, &t.BenchThread); err != nil {
		return SeedTargets{}, notFound(err, "finished seed")
	}
	var err error
	if t.Category, err = f.CategoryByID(ctx, benchCategory); err != nil {
		return SeedTargets{}, err
	}
	rows, err := f.db.Query(ctx, `SELECT a.username FROM actors a WHERE a.id = $1
		UNION ALL
		(SELECT a.username FROM members m JOIN actors a ON a.id = m.actor_id
		 WHERE m.role = 'member' AND m.actor_id <> $1 ORDER BY m.post_count DESC, a.id LIMIT $2)`, benchMember, members-1)
	if err != nil {
		return SeedTargets{}, fmt.Errorf("bench members: %w", err)
	}
	if t.Members, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return SeedTargets{}, fmt.Errorf("bench members: %w", err)
	}
	// hashint8 orders the threads pseudo-randomly but the same way on every run.
	rows, err = f.db.Query(ctx, `SELECT id, post_count FROM threads WHERE id = $1
		UNION ALL
		(SELECT id, post_count FROM threads
		 WHERE post_count >= $2 AND deleted_at IS NULL AND hidden_at IS NULL AND id <> $1
		 ORDER BY hashint8(id) LIMIT $3)`, t.BenchThread, f.perPage, threads-1)
	if err != nil {
		return SeedTargets{}, fmt.Errorf("bench threads: %w", err)
	}
	if t.Threads, err = pgx.CollectRows(rows, pgx.RowToStructByName[SeedTargetThread]); err != nil {
		return SeedTargets{}, fmt.Errorf("bench threads: %w", err)
	}
	var listed int
	var at []time.Time
	if err := f.db.QueryRow(ctx, `SELECT count(*), percentile_disc($2::float8[]) WITHIN GROUP (ORDER BY last_post_at DESC)
		FROM threads WHERE category_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL AND pinned_at IS NULL`,
		benchCategory, seedDepths).Scan(&listed, &at); err != nil {
		return SeedTargets{}, fmt.Errorf("bench cursors: %w", err)
	}
	for i, ts := range at {
		// The cursor of the last thread active at ts: the page after it starts below ts.
		c := ThreadCursor{LastPostAt: ts, ID: math.MaxInt64}
		t.DeepCursors = append(t.DeepCursors, SeedDeepCursor{Cursor: c.String(), Rank: int(seedDepths[i] * float64(listed)), Share: seedDepths[i]})
	}
	return t, nil
}
