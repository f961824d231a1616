package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Activities received from other servers (migration 0007): the inbox records each verified
// activity once, in the transaction that queues its apply job, and the job marks it applied with
// an outcome. Recording is the dedup: a replayed or re-delivered activity finds its id taken and
// queues nothing (SECURITY.md rule 7).

// InboundRecord is a verified activity about to be recorded.
type InboundRecord struct {
	APID      string
	Type      string
	ActorAPID string
	// ActorID is the verified signer's row (the activity's actor).
	ActorID int64
	// Inbox is the path it was POSTed to.
	Inbox   string
	Payload []byte
}

// maxInboundType bounds the type column: a type name longer than this is not one anybody uses.
const maxInboundType = 64

// Validate checks a record's fields against the columns' bounds before it is recorded.
func (in InboundRecord) Validate() error {
	v := &ValidationError{}
	if in.APID == "" || len(in.APID) > maxRemoteURL {
		v.Add("id", "is required and at most %d characters", maxRemoteURL)
	}
	if in.Type == "" || len(in.Type) > maxInboundType {
		v.Add("type", "is required and at most %d characters", maxInboundType)
	}
	if in.ActorAPID == "" || len(in.ActorAPID) > maxRemoteURL {
		v.Add("actor", "is required and at most %d characters", maxRemoteURL)
	}
	if len(in.Payload) == 0 {
		v.Add("payload", "is empty")
	}
	return v.Err()
}

// RecordInboundTx records one verified activity in the caller's transaction (RecordInboundGroupTx
// for a group of one); the caller queues its apply job there when fresh is true. An id already
// recorded records nothing and returns fresh false with the existing row's id: the replay has no
// second effect.
func (f *Forum) RecordInboundTx(ctx context.Context, tx pgx.Tx, in InboundRecord) (id int64, fresh bool, err error) {
	ids, err := f.RecordInboundGroupTx(ctx, tx, []InboundRecord{in})
	if err != nil {
		return 0, false, err
	}
	if ids[0] != 0 {
		return ids[0], true, nil
	}
	if err := tx.QueryRow(ctx, `SELECT id FROM inbound_activities WHERE ap_id = $1`, in.APID).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("recorded inbound activity %s: %w", in.APID, err)
	}
	return id, false, nil
}

// InboundKnown reports whether an activity id was already recorded: the inbox answers a replay
// before paying for anything else.
func (f *Forum) InboundKnown(ctx context.Context, apID string) (bool, error) {
	var known bool
	if err := f.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbound_activities WHERE ap_id = $1)`, apID).Scan(&known); err != nil {
		return false, fmt.Errorf("inbound activity %s: %w", apID, err)
	}
	return known, nil
}

// maxOutcome bounds the recorded outcome text.
const maxOutcome = 500

// FinishInbound marks a received activity applied, with what came of it ("" when it did what it
// said; otherwise why it was ignored or failed, for the admin and the logs). In a transaction, so
// that the apply job's deferred commit (WithDeferredCommit) covers it too.
func (f *Forum) FinishInbound(ctx context.Context, id int64, outcome string) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, finishInboundSQL, id, clipText(outcome, maxOutcome))
		return err
	})
	if err != nil {
		return fmt.Errorf("finish inbound activity %d: %w", id, err)
	}
	return nil
}

// queueFinishInbound marks a received activity applied as it should be, in the batch of the
// transaction that applied it (CreateRemotePost with RemotePost.Finishes).
func queueFinishInbound(b *pgx.Batch, id int64) {
	b.Queue(finishInboundSQL, id, "")
}

const finishInboundSQL = `UPDATE inbound_activities SET applied_at = now(), outcome = $2 WHERE id = $1`

// InboundBacklog counts the recorded activities not applied yet.
func (f *Forum) InboundBacklog(ctx context.Context) (int64, error) {
	var n int64
	if err := f.db.QueryRow(ctx, `SELECT count(*) FROM inbound_activities WHERE applied_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbound backlog: %w", err)
	}
	return n, nil
}

// PruneInbound deletes applied activities received before olderThan, at most limit of them, and
// returns how many went. Past the signature window (12 hours) a replay is refused anyway, and the
// relays built from an activity store their own copy (activities.payload) when first sent, so the
// received bytes are not needed for long. Unapplied rows are kept whatever their age.
func (f *Forum) PruneInbound(ctx context.Context, olderThan time.Time, limit int) (int64, error) {
	tag, err := f.db.Exec(ctx, `DELETE FROM inbound_activities WHERE id IN (
			SELECT id FROM inbound_activities WHERE received_at < $1 AND applied_at IS NOT NULL ORDER BY id LIMIT $2)`,
		olderThan, limit)
	if err != nil {
		return 0, fmt.Errorf("prune inbound activities: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Tombstoned reports whether a remote object was deleted by its origin: a later Create of it is
// ignored.
func (f *Forum) Tombstoned(ctx context.Context, apID string) (bool, error) {
	var dead bool
	if err := f.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM remote_tombstones WHERE ap_id = $1)`, apID).Scan(&dead); err != nil {
		return false, fmt.Errorf("tombstone of %s: %w", apID, err)
	}
	return dead, nil
}

// TombstoneRemote records that a remote object was deleted by its origin, whether or not Stoa
// holds it. The inbox has checked that the deleting actor shares the object's origin.
func (f *Forum) TombstoneRemote(ctx context.Context, apID string) error {
	return f.inTx(ctx, func(tx pgx.Tx) error { return tombstone(ctx, tx, apID) })
}

func tombstone(ctx context.Context, tx pgx.Tx, apID string) error {
	if apID == "" || len(apID) > maxRemoteURL {
		return Invalid("object", "a tombstone needs an id of at most %d characters", maxRemoteURL)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO remote_tombstones (ap_id) VALUES ($1) ON CONFLICT DO NOTHING`, apID); err != nil {
		return fmt.Errorf("tombstone %s: %w", apID, err)
	}
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
