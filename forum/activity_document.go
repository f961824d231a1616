package forum

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Documents derived from a recorded activity and signed by another actor (migration 0060): the
// category's Announce of a member's Create, the plain Announce of the object, the thread actor's
// Announce. Like activities.payload, each is stored once.

// ActivityDocument is one derived document.
type ActivityDocument struct {
	ActivityID int64  `db:"activity_id"`
	Name       string `db:"name"`
	ActorID    int64  `db:"actor_id"`
	Payload    []byte `db:"payload"`
}

// SetActivityDocument stores a derived document unless one of that name exists, and returns the
// stored one: the first bytes win, so a re-run fan-out sends what the first run sent.
func (f *Forum) SetActivityDocument(ctx context.Context, d ActivityDocument) (ActivityDocument, error) {
	rows, err := f.db.Query(ctx, `WITH ins AS (
			INSERT INTO activity_documents (activity_id, name, actor_id, payload) VALUES ($1, $2, $3, $4)
			ON CONFLICT (activity_id, name) DO NOTHING
			RETURNING activity_id, name, actor_id, payload)
		SELECT * FROM ins
		UNION ALL
		SELECT activity_id, name, actor_id, payload FROM activity_documents WHERE activity_id = $1 AND name = $2
		LIMIT 1`, d.ActivityID, d.Name, d.ActorID, d.Payload)
	if err != nil {
		return ActivityDocument{}, fmt.Errorf("store document %s of activity %d: %w", d.Name, d.ActivityID, err)
	}
	stored, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ActivityDocument])
	if err != nil {
		return ActivityDocument{}, fmt.Errorf("store document %s of activity %d: %w", d.Name, d.ActivityID, err)
	}
	return stored, nil
}

// ActivityDocumentByName loads a derived document.
func (f *Forum) ActivityDocumentByName(ctx context.Context, activityID int64, name string) (ActivityDocument, error) {
	rows, err := f.db.Query(ctx, `SELECT activity_id, name, actor_id, payload FROM activity_documents
		WHERE activity_id = $1 AND name = $2`, activityID, name)
	if err != nil {
		return ActivityDocument{}, fmt.Errorf("document %s of activity %d: %w", name, activityID, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ActivityDocument])
	if err != nil {
		return ActivityDocument{}, notFound(err, fmt.Sprintf("document %s of activity %d", name, activityID))
	}
	return d, nil
}

// ActivityRef is a recorded activity listed in a collection: its id, the derived document listed
// ("" for the activity itself) and its verb.
type ActivityRef struct {
	ID        int64     `db:"id"`
	Document  string    `db:"document"`
	Verb      Verb      `db:"verb"`
	CreatedAt time.Time `db:"created_at"`
}

// ThreadActivities lists a thread's recorded activities oldest first, after an activity id (0:
// from the start): its contextHistory collection (creates, edits, deletes, likes, locks, moves).
func (f *Forum) ThreadActivities(ctx context.Context, threadID, after int64, limit int) ([]ActivityRef, error) {
	if limit <= 0 || limit > MaxCollectionPage {
		limit = MaxCollectionPage
	}
	rows, err := f.db.Query(ctx, `SELECT id, '' AS document, verb, created_at FROM activities
		WHERE thread_id = $1 AND id > $2 ORDER BY id LIMIT $3`, threadID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("history of thread %d: %w", threadID, err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByName[ActivityRef])
	if err != nil {
		return nil, fmt.Errorf("history of thread %d: %w", threadID, err)
	}
	return refs, nil
}

// CountThreadActivities counts a thread's recorded activities.
func (f *Forum) CountThreadActivities(ctx context.Context, threadID int64) (int, error) {
	var n int
	if err := f.db.QueryRow(ctx, `SELECT count(*) FROM activities WHERE thread_id = $1`, threadID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count history of thread %d: %w", threadID, err)
	}
	return n, nil
}

// outboxQuery selects the public activities an actor's outbox lists, by kind: a member's Creates
// and Announces, a category's Announces of its new threads (derived "announce" documents of the
// openers' Creates), a thread actor's Announces of its replies ("relay" documents). Only what a
// guest may read is listed: $2 is the guest-visible categories. The instance lists nothing.
func outboxQuery(kind ActorKind) (string, bool) {
	const visible = `JOIN posts p ON p.id = ac.post_id AND p.hidden_at IS NULL AND p.deleted_at IS NULL
		JOIN threads t ON t.id = ac.thread_id AND t.hidden_at IS NULL AND t.deleted_at IS NULL AND t.category_id = ANY($2)`
	switch kind {
	case ActorPerson:
		return `FROM activities ac ` + visible + `
			WHERE ac.actor_id = $1 AND ac.verb = 'create'`, true
	case ActorGroup:
		return `FROM activities ac ` + visible + `
			WHERE ac.category_id = (SELECT id FROM categories WHERE actor_id = $1) AND ac.verb = 'create' AND p.position = 1
			  AND EXISTS (SELECT 1 FROM activity_documents d WHERE d.activity_id = ac.id AND d.name = 'announce')`, true
	case ActorThread:
		return `FROM activities ac ` + visible + `
			WHERE ac.thread_id = (SELECT id FROM threads WHERE actor_id = $1) AND ac.verb = 'create' AND p.position > 1
			  AND EXISTS (SELECT 1 FROM activity_documents d WHERE d.activity_id = ac.id AND d.name = 'relay')`, true
	}
	return "", false
}

func outboxDocument(kind ActorKind) string {
	switch kind {
	case ActorGroup:
		return "announce"
	case ActorThread:
		return "relay"
	}
	return ""
}

// ActorOutbox lists a local actor's public activities, newest first, before an activity id (0:
// from the newest), and counts them all.
func (f *Forum) ActorOutbox(ctx context.Context, a Actor, before int64, limit int) ([]ActivityRef, int, error) {
	from, ok := outboxQuery(a.Kind)
	if !ok {
		return nil, 0, nil
	}
	visible, err := f.VisibleCategoryIDs(ctx, Guest)
	if err != nil {
		return nil, 0, err
	}
	before = pageBefore(max(before, 0))
	if limit <= 0 || limit > MaxCollectionPage {
		limit = MaxCollectionPage
	}
	var total int
	if err := f.db.QueryRow(ctx, `SELECT count(*) `+from, a.ID, visible).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count outbox of %d: %w", a.ID, err)
	}
	rows, err := f.db.Query(ctx, `SELECT ac.id, $4::text AS document, ac.verb, ac.created_at `+from+`
		AND ac.id < $3 ORDER BY ac.id DESC LIMIT $5`, a.ID, visible, before, outboxDocument(a.Kind), limit)
	if err != nil {
		return nil, 0, fmt.Errorf("outbox of %d: %w", a.ID, err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByName[ActivityRef])
	if err != nil {
		return nil, 0, fmt.Errorf("outbox of %d: %w", a.ID, err)
	}
	return refs, total, nil
}

// LatestActivityOf finds the newest activity of a verb by an actor about a post, recorded before
// another: the Like an Undo{Like} takes back, whose id the Undo repeats.
func (f *Forum) LatestActivityOf(ctx context.Context, verb Verb, actorID, postID, before int64) (Activity, error) {
	rows, err := f.db.Query(ctx, "SELECT "+activityColumns+` FROM activities
		WHERE verb = $1 AND actor_id = $2 AND post_id = $3 AND id < $4 ORDER BY id DESC LIMIT 1`, verb, actorID, postID, before)
	if err != nil {
		return Activity{}, fmt.Errorf("%s of post %d: %w", verb, postID, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Activity])
	if err != nil {
		return Activity{}, notFound(err, fmt.Sprintf("%s of post %d", verb, postID))
	}
	return a, nil
}

// DetailsInto decodes an activity's details into v.
func (a Activity) DetailsInto(v any) error {
	if len(a.Details) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.Details, v); err != nil {
		return fmt.Errorf("details of activity %d: %w", a.ID, err)
	}
	return nil
}
