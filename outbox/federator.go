package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Federator implements forum.Federator for processes that record activities without delivering
// them (the admin commands): it only inserts the fan-out job, which `stoa serve` then works. The
// River client is set after construction (Use), because the client needs the forum that needs this.
type Federator struct {
	client atomic.Pointer[river.Client[pgx.Tx]]
}

// NewFederator returns a Federator without a client yet.
func NewFederator() *Federator { return &Federator{} }

// Use sets the River client jobs are inserted with (an insert-only client will do).
func (f *Federator) Use(c *river.Client[pgx.Tx]) { f.client.Store(c) }

// ActivityRecorded implements forum.Federator.
func (f *Federator) ActivityRecorded(ctx context.Context, tx pgx.Tx, activityID int64) error {
	return insertFanOut(ctx, f.client.Load(), tx, activityID)
}

var errNoClient = errors.New("outbox: no job queue client")

func insertFanOut(ctx context.Context, c *river.Client[pgx.Tx], tx pgx.Tx, activityID int64) error {
	if c == nil {
		return errNoClient
	}
	if _, err := c.InsertTx(ctx, tx, FanOutArgs{ActivityID: activityID}, nil); err != nil {
		return fmt.Errorf("queue fan-out of activity %d: %w", activityID, err)
	}
	return nil
}
