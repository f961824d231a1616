package forum

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Taking indexes, foreign keys and the counter trigger off the tables the seed fills, and putting
// them back. What is taken off is read from the catalogue, not listed here, so an index or key a
// later migration adds is handled too; unique indexes and primary keys stay (they are appended to
// in order, which is cheap, and they are what a resumed seed finds its place by).

// seedTables are the tables loaded in bulk.
var seedTables = []string{"threads", "posts", "post_search", "likes", "member_threads", "notifications"}

// seedOffTriggers are the triggers off during the load; seedFinish does their work in one pass
// (the viewers' and readers' notifications, row triggers, would only say millions of times over
// that nobody's session or page is kept yet; the pages', statement triggers with transition
// tables, would write every loaded row out again). Putting them back tells every process that
// everything changed, as they would have.
var seedOffTriggers = []struct{ table, name string }{{"posts", "posts_member_post_count"},
	{"notifications", "notifications_viewers_changed"}, {"member_threads", "member_threads_readers_changed"},
	{"posts", "posts_pages_inserted"}, {"posts", "posts_pages_updated"},
	{"threads", "threads_pages_inserted"}, {"threads", "threads_pages_updated"}}

// seedTakenOff is an index or foreign key to put back: its definition as pg_get_indexdef or
// pg_get_constraintdef gave it.
type seedTakenOff struct {
	Kind  string `json:"kind"` // "index" or "foreign key"
	Table string `json:"table"`
	Name  string `json:"name"`
	Def   string `json:"def"`
}

// seedTakeOff records (once) and drops the secondary indexes and foreign keys of the seed tables,
// and turns off the counter trigger and autovacuum on them (autovacuum would scan the tables again
// and again while they grow; seedFinish vacuums once). Running it again is harmless.
func (f *Forum) seedTakeOff(ctx context.Context) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		var list []seedTakenOff
		if err := tx.QueryRow(ctx, `SELECT taken_off FROM stoa_seed FOR UPDATE`).Scan(&list); err != nil {
			return err
		}
		if list == nil {
			rows, err := tx.Query(ctx, `SELECT 'index' AS kind, t.relname AS table, i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
				FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
				WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1)
				  AND NOT x.indisprimary AND NOT x.indisunique
				UNION ALL
				SELECT 'foreign key', t.relname, k.conname, pg_get_constraintdef(k.oid)
				FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
				WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1) AND k.contype = 'f'
				ORDER BY 1, 2, 3`, seedTables)
			if err != nil {
				return err
			}
			if list, err = pgx.CollectRows(rows, pgx.RowToStructByName[seedTakenOff]); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE stoa_seed SET taken_off = $1`, list); err != nil {
				return err
			}
		}
		for _, o := range list {
			sql := "DROP INDEX IF EXISTS " + pgx.Identifier{o.Name}.Sanitize()
			if o.Kind == "foreign key" {
				sql = "ALTER TABLE " + pgx.Identifier{o.Table}.Sanitize() + " DROP CONSTRAINT IF EXISTS " + pgx.Identifier{o.Name}.Sanitize()
			}
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("take off %s %s: %w", o.Kind, o.Name, err)
			}
		}
		for _, t := range seedOffTriggers {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t.table}.Sanitize()+" DISABLE TRIGGER "+pgx.Identifier{t.name}.Sanitize()); err != nil {
				return err
			}
		}
		for _, t := range seedTables {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" SET (autovacuum_enabled = false)"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed: take indexes off: %w", err)
	}
	return nil
}

// seedPutBack rebuilds what seedTakeOff dropped, largest tables first, workers at a time (each on
// its own connection with a generous maintenance_work_mem), skipping what already exists (a
// resumed finish). Then it turns the trigger and autovacuum back on.
func (f *Forum) seedPutBack(ctx context.Context, workers int, step func(string)) error {
	var list []seedTakenOff
	if err := f.db.QueryRow(ctx, `SELECT taken_off FROM stoa_seed`).Scan(&list); err != nil {
		return fmt.Errorf("seed: put back: %w", err)
	}
	sizes := map[string]int64{}
	for _, t := range seedTables {
		var n int64
		if err := f.db.QueryRow(ctx, `SELECT pg_table_size(to_regclass($1))`, t).Scan(&n); err != nil {
			return fmt.Errorf("seed: put back: %w", err)
		}
		sizes[t] = n
	}
	// Longest first, so the two workers finish together: a GIN index takes a few times longer to
	// build than a b-tree over the same table.
	cost := func(o seedTakenOff) int64 {
		if strings.Contains(o.Def, "USING gin") {
			return 4 * sizes[o.Table]
		}
		return sizes[o.Table]
	}
	slices.SortStableFunc(list, func(a, b seedTakenOff) int { return cmp.Compare(cost(b), cost(a)) })
	todo := make(chan seedTakenOff, len(list))
	for _, o := range list {
		todo <- o
	}
	close(todo)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Go(func() {
			for o := range todo {
				if err := f.putBackOne(ctx, o); err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				done++
				step(fmt.Sprintf("%s %s back, %d of %d", o.Kind, o.Name, done, len(list)))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("seed: put back: %w", err)
	}
	return f.inTx(ctx, func(tx pgx.Tx) error {
		for _, t := range seedOffTriggers {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t.table}.Sanitize()+" ENABLE TRIGGER "+pgx.Identifier{t.name}.Sanitize()); err != nil {
				return err
			}
		}
		for _, t := range seedTables {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" RESET (autovacuum_enabled)"); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", pagesChannel)
		return err
	})
}

// seedMaintenanceMem is the sort memory of each index build: a 10-million-row index sorts in a
// few passes instead of many.
const seedMaintenanceMem = "1GB"

func (f *Forum) putBackOne(ctx context.Context, o seedTakenOff) error {
	conn, err := f.db.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var exists bool
	if o.Kind == "index" {
		err = conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{o.Name}.Sanitize()).Scan(&exists)
	} else {
		err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = $1 AND conrelid = to_regclass($2))`,
			o.Name, pgx.Identifier{o.Table}.Sanitize()).Scan(&exists)
	}
	if err != nil || exists {
		return err
	}
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '"+seedMaintenanceMem+"'"); err != nil {
		return err
	}
	// The connection goes back to the pool either way; a failed reset only leaves it generous.
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "RESET maintenance_work_mem") }()
	sql := o.Def
	if o.Kind == "foreign key" {
		sql = "ALTER TABLE " + pgx.Identifier{o.Table}.Sanitize() + " ADD CONSTRAINT " + pgx.Identifier{o.Name}.Sanitize() + " " + o.Def
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
	}
	return nil
}
