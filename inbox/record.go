package inbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
)

// record stores a verified activity and queues its apply job in one transaction (the job exists
// if and only if the activity was recorded, and a replay records and queues nothing). fresh is
// false for an activity already recorded.
func (ib *Inbox) record(ctx context.Context, in forum.InboundRecord) (fresh bool, err error) {
	client := ib.client.Load()
	if client == nil {
		return false, errNoQueue
	}
	err = pgx.BeginFunc(ctx, ib.forum.DB(), func(tx pgx.Tx) error {
		id, isNew, err := ib.forum.RecordInboundTx(ctx, tx, in)
		if err != nil || !isNew {
			return err
		}
		fresh = true
		if _, err := client.InsertTx(ctx, tx, ApplyArgs{InboundID: id}, nil); err != nil {
			return fmt.Errorf("queue apply of inbound activity %d: %w", id, err)
		}
		return nil
	})
	return fresh, err
}
