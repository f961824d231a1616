package forum

import (
	"context"
	"fmt"
)

// A block (or the suspension of one account) that hides many threads rewrites threads.suppressed
// on each of them, and the rows leave the partial indexes the lists walk. Their old index entries
// stay until a vacuum removes them, and until then every list page steps over them: measured on
// 20,000 suspended threads, a category's first page read 41,000 buffers instead of 34
// (BenchmarkListsUnderAFlood) where PostgreSQL could not mark the entries dead in passing (an
// older snapshot open anywhere in the database prevents it). Autovacuum would come, but only
// once a fifth of a large table is dead, so the change queues a vacuum of its own.

// ThreadListsVacuumArgs is the job that vacuums threads after a change hid many of them.
type ThreadListsVacuumArgs struct{}

// Kind names the job.
func (ThreadListsVacuumArgs) Kind() string { return "thread_lists_vacuum" }

// VacuumThreadLists removes the dead entries a block left in the thread lists' indexes, and
// refreshes the planner's statistics of threads. INDEX_CLEANUP ON: with few dead rows in a large
// table PostgreSQL would otherwise skip the indexes, which are the point.
func (f *Forum) VacuumThreadLists(ctx context.Context) error {
	if _, err := f.db.Exec(ctx, `VACUUM (INDEX_CLEANUP ON, ANALYZE) threads`); err != nil {
		return fmt.Errorf("vacuum threads: %w", err)
	}
	return nil
}
