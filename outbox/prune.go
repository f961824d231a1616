package outbox

import (
	"context"

	"github.com/riverqueue/river"
)

// pruneWorker drops finished delivery bookkeeping older than the retention period, in batches, so
// the table holds weeks of history and never years.
type pruneWorker struct {
	river.WorkerDefaults[PruneDeliveriesArgs]
	ob *Outbox
}

// Work implements river.Worker.
func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneDeliveriesArgs]) error {
	cutoff := w.ob.now().Add(-w.ob.o.Retention)
	for {
		n, err := w.ob.forum.PruneDeliveries(ctx, cutoff, 10000)
		if err != nil {
			return err
		}
		if n < 10000 {
			return nil
		}
	}
}
