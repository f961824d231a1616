package forum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// seedFinish makes the loaded rows a forum: the counters the forum keeps incrementally are computed
// once, the indexes and keys go back, sequences move past the seeded ids, and the tables are
// vacuumed (frozen and marked all-visible, as years-old rows of a real forum are) and analysed.
// Every step can run again, so an interrupted finish resumes.
func (f *Forum) seedFinish(ctx context.Context, plan *seedPlan, start time.Time, progress func(SeedProgress)) error {
	n := plan.opts.Threads
	posts := plan.postOffsets[n]
	step := func(s string) {
		progress(SeedProgress{Phase: "finish", Step: s, ThreadsDone: n, Threads: n, PostsDone: posts, Posts: posts, Elapsed: time.Since(start)})
	}
	steps := []struct {
		name string
		run  func() error
	}{
		// Statistics first, so the foreign keys' validation queries get sensible plans.
		{"analyze", func() error { return f.seedExec(ctx, "ANALYZE "+seedTableList()) }},
		{"counters", func() error { return f.seedCounters(ctx) }},
		{"indexes and foreign keys", func() error { return f.seedPutBack(ctx, min(plan.opts.Workers, 2), step) }},
		{"sequences", func() error {
			return f.seedExec(ctx, `SELECT setval(pg_get_serial_sequence('threads', 'id'), (SELECT max(id) FROM threads)),
				setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts))`)
		}},
		{"vacuum", func() error {
			if err := f.seedExec(ctx, "VACUUM (FREEZE, ANALYZE) "+seedTableList()); err != nil {
				return err
			}
			return f.seedExec(ctx, "ANALYZE actors, members, categories")
		}},
	}
	for _, s := range steps {
		step(s.name)
		if err := s.run(); err != nil {
			return fmt.Errorf("seed finish, %s: %w", s.name, err)
		}
	}
	return f.seedExec(ctx, `UPDATE stoa_seed SET phase = 'done', finished_at = now()`)
}

func seedTableList() string {
	names := make([]string, len(seedTables))
	for i, t := range seedTables {
		names[i] = pgx.Identifier{t}.Sanitize()
	}
	return strings.Join(names, ", ")
}

func (f *Forum) seedExec(ctx context.Context, sql string) error {
	_, err := f.db.Exec(ctx, sql)
	return err
}

// seedCounters computes what insertPost, deleteThreadRow and the post-count trigger keep: each
// category's live threads, their posts and its last activity; each member's visible posts in
// visible threads (migration 0017's definition).
func (f *Forum) seedCounters(ctx context.Context) error {
	return f.inTx(ctx, func(tx pgx.Tx) error {
		// The counts below are the whole truth: the stripes (what posts added) start again from zero.
		if _, err := tx.Exec(ctx, `DELETE FROM category_counters`); err != nil {
			return fmt.Errorf("category counters: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE categories c SET thread_count = s.threads, post_count = s.posts, last_post_at = s.last
			FROM (SELECT cc.id,
					count(t.id) FILTER (WHERE t.deleted_at IS NULL)::integer AS threads,
					coalesce(sum(t.post_count) FILTER (WHERE t.deleted_at IS NULL), 0)::bigint AS posts,
					max(t.last_post_at) FILTER (WHERE t.deleted_at IS NULL AND t.hidden_at IS NULL) AS last
				FROM categories cc LEFT JOIN threads t ON t.category_id = cc.id GROUP BY cc.id) s
			WHERE s.id = c.id`); err != nil {
			return fmt.Errorf("category counters: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE members m SET post_count = coalesce(c.n, 0)
			FROM members m2 LEFT JOIN (
				SELECT p.author_id, count(*)::integer AS n FROM posts p JOIN threads t ON t.id = p.thread_id
				WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND t.deleted_at IS NULL AND t.hidden_at IS NULL
				GROUP BY p.author_id) c ON c.author_id = m2.actor_id
			WHERE m.actor_id = m2.actor_id`); err != nil {
			return fmt.Errorf("member post counts: %w", err)
		}
		return nil
	})
}
