package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Deliveries to one inbox go out side by side while its server answers. Once it fails, they go in
// order: a server coming back from an outage receives the Create before the Update or Delete of
// the same post, and replies in the order they were written. The outbox asks DeliveryBacklog
// before each request, holds a delivery back (HoldDelivery) while an earlier one is still waiting,
// and when a delivery from a backlog gets through it wakes the next held ones (HeldDeliveryJobs).

// Backlog is where an inbox stands for one delivery: Waits when an earlier activity's delivery
// there is pending after a failed attempt or held back itself, Backlog when the inbox has such
// deliveries at all (before or after this one).
type Backlog struct {
	Waits, Backlog bool
}

// DeliveryBacklog reports the backlog of an inbox for a delivery of activityID.
func (f *Forum) DeliveryBacklog(ctx context.Context, inbox string, activityID int64) (Backlog, error) {
	var b Backlog
	err := f.db.QueryRow(ctx, `SELECT coalesce(bool_or(activity_id < $2), false), count(*) > 0 FROM deliveries
		WHERE inbox = $1 AND state = 'pending' AND (attempts > 0 OR held_back)`, inbox, activityID).Scan(&b.Waits, &b.Backlog)
	if err != nil {
		return Backlog{}, fmt.Errorf("delivery backlog of %s: %w", inbox, err)
	}
	return b, nil
}

// DeliveryBacklogs is DeliveryBacklog for many inboxes at once (a batch of deliveries of one
// activity asks once). Inboxes without a backlog are absent from the map.
func (f *Forum) DeliveryBacklogs(ctx context.Context, inboxes []string, activityID int64) (map[string]Backlog, error) {
	rows, err := f.db.Query(ctx, `SELECT inbox, bool_or(activity_id < $2) FROM deliveries
		WHERE inbox = ANY($1) AND state = 'pending' AND (attempts > 0 OR held_back) GROUP BY inbox`, inboxes, activityID)
	if err != nil {
		return nil, fmt.Errorf("delivery backlogs: %w", err)
	}
	out := map[string]Backlog{}
	var inbox string
	var waits bool
	_, err = pgx.ForEachRow(rows, []any{&inbox, &waits}, func() error {
		out[inbox] = Backlog{Waits: waits, Backlog: true}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delivery backlogs: %w", err)
	}
	return out, nil
}

// HoldDelivery marks a pending delivery as held back behind an earlier one, so that later
// deliveries to its inbox wait for it in turn.
func (f *Forum) HoldDelivery(ctx context.Context, activityID int64, document, inbox string) error {
	_, err := f.db.Exec(ctx, `UPDATE deliveries SET held_back = true, updated_at = now()
		WHERE activity_id = $1 AND document = $2 AND inbox = $3 AND state = 'pending' AND NOT held_back`,
		activityID, document, inbox)
	if err != nil {
		return fmt.Errorf("hold delivery of activity %d to %s: %w", activityID, inbox, err)
	}
	return nil
}

// HeldDeliveryJobs returns the River job ids of the earliest activity's deliveries still waiting
// in an inbox's backlog: the ones to wake when the delivery before them got through.
func (f *Forum) HeldDeliveryJobs(ctx context.Context, inbox string) ([]int64, error) {
	rows, err := f.db.Query(ctx, `SELECT job_id FROM deliveries
		WHERE inbox = $1 AND state = 'pending' AND (attempts > 0 OR held_back) AND job_id IS NOT NULL AND NOT batched
		  AND activity_id = (SELECT min(activity_id) FROM deliveries
			WHERE inbox = $1 AND state = 'pending' AND (attempts > 0 OR held_back))
		ORDER BY job_id LIMIT 16`, inbox)
	if err != nil {
		return nil, fmt.Errorf("held deliveries to %s: %w", inbox, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("held deliveries to %s: %w", inbox, err)
	}
	return ids, nil
}
