package forum

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Verb is what a recorded activity did, in Stoa's words; package federation maps each to an
// ActivityStreams type and builds the document.
type Verb string

const (
	VerbCreate     Verb = "create"      // a post: thread opener or reply (PostID, ThreadID)
	VerbUpdate     Verb = "update"      // an edited post (PostID), or a changed actor (TargetActorID)
	VerbDelete     Verb = "delete"      // a deleted post (PostID) or actor
	VerbLike       Verb = "like"        // PostID
	VerbUndoLike   Verb = "undo_like"   // PostID
	VerbFollow     Verb = "follow"      // FollowID, TargetActorID
	VerbUndoFollow Verb = "undo_follow" // FollowID or ObjectAPID
	VerbAccept     Verb = "accept"      // FollowID
	VerbReject     Verb = "reject"      // FollowID or ObjectAPID
	VerbAnnounce   Verb = "announce"    // a Group relaying an accepted activity (Details["inbound"])
	VerbBlock      Verb = "block"       // TargetActorID
	VerbUndoBlock  Verb = "undo_block"  // TargetActorID
	VerbFlag       Verb = "flag"        // a report forwarded to another server
	VerbMove       Verb = "move"        // a thread moved to another category (ThreadID, CategoryID)
	VerbLock       Verb = "lock"        // ThreadID
	VerbUnlock     Verb = "unlock"      // ThreadID
	VerbPin        Verb = "pin"         // ThreadID: added to the category's featured collection
	VerbUnpin      Verb = "unpin"       // ThreadID
)

// NewActivity is an activity to record for federation.
type NewActivity struct {
	Verb          Verb
	ActorID       int64
	ThreadID      *int64
	PostID        *int64
	CategoryID    *int64
	TargetActorID *int64
	FollowID      *int64
	ObjectAPID    string
	Details       map[string]any
}

// Activity is a recorded activity. Payload is the serialized ActivityStreams document once the
// outbox has built it (empty before).
type Activity struct {
	ID            int64           `db:"id"`
	Verb          Verb            `db:"verb"`
	ActorID       int64           `db:"actor_id"`
	ThreadID      *int64          `db:"thread_id"`
	PostID        *int64          `db:"post_id"`
	CategoryID    *int64          `db:"category_id"`
	TargetActorID *int64          `db:"target_actor_id"`
	FollowID      *int64          `db:"follow_id"`
	ObjectAPID    string          `db:"object_ap_id"`
	Details       json.RawMessage `db:"details"`
	Payload       []byte          `db:"payload"`
	CreatedAt     time.Time       `db:"created_at"`
}

// recordActivity writes an activity in the caller's transaction and tells the Federator, so the
// activity is published exactly when the change that caused it commits.
func (f *Forum) recordActivity(ctx context.Context, tx pgx.Tx, a NewActivity) (int64, error) {
	id, err := insertActivity(ctx, tx, a)
	if err != nil {
		return 0, err
	}
	if f.federator != nil {
		if err := f.federator.ActivityRecorded(ctx, tx, id); err != nil {
			return 0, fmt.Errorf("publish %s activity %d: %w", a.Verb, id, err)
		}
	}
	return id, nil
}

// insertActivity writes an activity without publishing it: for one its caller knows has nobody
// to reach (relayUnheard), which still belongs in the thread's history.
func insertActivity(ctx context.Context, tx pgx.Tx, a NewActivity) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, insertActivitySQL, a.args()...).Scan(&id); err != nil {
		return 0, fmt.Errorf("record %s activity: %w", a.Verb, err)
	}
	return id, nil
}

// queueInsertActivity is insertActivity in a caller's batch, for one whose id nobody needs.
func queueInsertActivity(b *pgx.Batch, a NewActivity) {
	b.Queue(insertActivitySQL, a.args()...)
}

const insertActivitySQL = `INSERT INTO activities
	(verb, actor_id, thread_id, post_id, category_id, target_actor_id, follow_id, object_ap_id, details)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`

// args are insertActivitySQL's arguments.
func (a NewActivity) args() []any {
	details := a.Details
	if details == nil {
		details = map[string]any{}
	}
	var objectAPID *string
	if a.ObjectAPID != "" {
		objectAPID = &a.ObjectAPID
	}
	return []any{a.Verb, a.ActorID, a.ThreadID, a.PostID, a.CategoryID, a.TargetActorID, a.FollowID, objectAPID, details}
}

const activityColumns = `id, verb, actor_id, thread_id, post_id, category_id, target_actor_id, follow_id,
	coalesce(object_ap_id, '') AS object_ap_id, details, payload, created_at`

// ActivityByID loads a recorded activity.
func (f *Forum) ActivityByID(ctx context.Context, id int64) (Activity, error) {
	rows, err := f.db.Query(ctx, "SELECT "+activityColumns+" FROM activities WHERE id = $1", id)
	if err != nil {
		return Activity{}, fmt.Errorf("activity %d: %w", id, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Activity])
	if err != nil {
		return Activity{}, notFound(err, fmt.Sprintf("activity %d", id))
	}
	return a, nil
}

// SetActivityPayload stores the serialized document once; a later call (a re-run fan-out after a
// crash) keeps the first, so every recipient sees the same bytes and id. It returns the stored payload.
func (f *Forum) SetActivityPayload(ctx context.Context, id int64, payload []byte) ([]byte, error) {
	var stored []byte
	err := f.db.QueryRow(ctx, `UPDATE activities SET payload = coalesce(payload, $2) WHERE id = $1 RETURNING payload`,
		id, payload).Scan(&stored)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("activity %d", id))
	}
	return stored, nil
}
