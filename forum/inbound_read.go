package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// InboundActivity is an activity received from another server, as the inbox recorded it
// (migration 0007). Payload holds the exact bytes received.
type InboundActivity struct {
	ID         int64      `db:"id"`
	APID       string     `db:"ap_id"`
	Type       string     `db:"type"`
	ActorAPID  string     `db:"actor_ap_id"`
	ActorID    *int64     `db:"actor_id"`
	Inbox      string     `db:"inbox"`
	Payload    []byte     `db:"payload"`
	ReceivedAt time.Time  `db:"received_at"`
	AppliedAt  *time.Time `db:"applied_at"`
	Outcome    string     `db:"outcome"`
}

// InboundActivityByID loads a received activity. A Group relays what it accepted unchanged
// (FEP-1b12): the outbox wraps Payload in the Group's Announce, byte for byte.
func (f *Forum) InboundActivityByID(ctx context.Context, id int64) (InboundActivity, error) {
	rows, err := f.db.Query(ctx, `SELECT id, ap_id, type, actor_ap_id, actor_id, inbox, payload, received_at, applied_at, outcome
		FROM inbound_activities WHERE id = $1`, id)
	if err != nil {
		return InboundActivity{}, fmt.Errorf("inbound activity %d: %w", id, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[InboundActivity])
	if err != nil {
		return InboundActivity{}, notFound(err, fmt.Sprintf("inbound activity %d", id))
	}
	return a, nil
}

// InboundActivityPayload returns the bytes of a received activity.
func (f *Forum) InboundActivityPayload(ctx context.Context, id int64) ([]byte, error) {
	var payload []byte
	if err := f.db.QueryRow(ctx, `SELECT payload FROM inbound_activities WHERE id = $1`, id).Scan(&payload); err != nil {
		return nil, notFound(err, fmt.Sprintf("inbound activity %d", id))
	}
	return payload, nil
}

// InboundToApply loads a received activity and, in the same round trip, its verified signer's
// actor row (actor is nil when the activity has no signer row, or the row is gone: the caller then
// looks the actor up by id or address itself). The apply job starts with both.
func (f *Forum) InboundToApply(ctx context.Context, id int64) (rec InboundActivity, actor *Actor, err error) {
	recs, signers, err := f.InboundGroupToApply(ctx, []int64{id})
	if err != nil {
		return InboundActivity{}, nil, err
	}
	if len(recs) == 0 {
		return InboundActivity{}, nil, fmt.Errorf("inbound activity %d: %w", id, ErrNotFound)
	}
	if recs[0].ActorID != nil {
		actor = signers[*recs[0].ActorID]
	}
	return recs[0], actor, nil
}
