package forum

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ModerationEntry is one line of the audit log.
type ModerationEntry struct {
	ID            int64           `db:"id"`
	ModeratorID   *int64          `db:"moderator_id"`
	Moderator     string          `db:"moderator"` // handle, or "" for the console/system
	Action        string          `db:"action"`
	TargetActorID *int64          `db:"target_actor_id"`
	Target        string          `db:"target"` // target actor's handle, if any
	CategoryID    *int64          `db:"category_id"`
	Category      LogCategory     `db:"-"` // the category CategoryID names, read back by ModerationLog
	FromCategory  LogCategory     `db:"-"` // move_thread: where the thread came from (details' "from")
	ThreadID      *int64          `db:"thread_id"`
	PostID        *int64          `db:"post_id"`
	Domain        string          `db:"domain"`
	Reason        string          `db:"reason"`
	Details       json.RawMessage `db:"details"`
	CreatedAt     time.Time       `db:"created_at"`
}

// LogCategory names a category in the log: ID is 0 when the entry names none (or it is gone).
// Domain is empty for a local category.
type LogCategory struct {
	ID     int64
	Slug   string
	Domain string
	Title  string
}

// Handle is slug for a local category and slug@domain for a remote one.
func (c LogCategory) Handle() string {
	if c.Domain == "" {
		return c.Slug
	}
	return c.Slug + "@" + c.Domain
}

// logModeration appends to the audit log in the caller's transaction, so an action and its record
// commit together. by.ActorID 0 (the console) is stored as NULL.
func (f *Forum) logModeration(ctx context.Context, tx pgx.Tx, by Viewer, e ModerationEntry) error {
	var mod *int64
	if by.ActorID > 0 {
		mod = &by.ActorID
	}
	details := e.Details
	if details == nil {
		details = json.RawMessage("{}")
	}
	var domain *string
	if e.Domain != "" {
		domain = &e.Domain
	}
	_, err := tx.Exec(ctx, `INSERT INTO moderation_log
		(moderator_id, action, target_actor_id, category_id, thread_id, post_id, domain, reason, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		mod, e.Action, e.TargetActorID, e.CategoryID, e.ThreadID, e.PostID, domain, e.Reason, details)
	if err != nil {
		return fmt.Errorf("moderation log %s: %w", e.Action, err)
	}
	return nil
}

// ModerationLog lists the audit log, newest first, before the cursor (an entry id; 0 for the start).
// Only admins may read it.
func (f *Forum) ModerationLog(ctx context.Context, by Viewer, before int64, limit int) ([]ModerationEntry, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("moderation log: %w", ErrForbidden)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	// A move's origin is only in its details (category_id is the destination), so it is joined
	// from there; older rows hold just {"from": id}. Other actions' "from" is no id (set_role's is
	// a role): the CASE keeps the cast from ever seeing them, which an AND would not promise.
	rows, err := f.db.Query(ctx, `SELECT l.id, l.moderator_id, coalesce(m.username, '') AS moderator, l.action,
			l.target_actor_id, coalesce(t.username || coalesce('@' || t.domain, ''), '') AS target,
			l.category_id, l.thread_id, l.post_id, coalesce(l.domain, '') AS domain, l.reason, l.details, l.created_at,
			coalesce(c.slug, ''), coalesce(c.domain, ''), coalesce(c.title, ''),
			fc.id, coalesce(fc.slug, ''), coalesce(fc.domain, ''), coalesce(fc.title, '')
		FROM (SELECT * FROM moderation_log WHERE id < $1 ORDER BY id DESC LIMIT $2) l
		LEFT JOIN actors m ON m.id = l.moderator_id
		LEFT JOIN actors t ON t.id = l.target_actor_id
		LEFT JOIN categories c ON c.id = l.category_id
		LEFT JOIN categories fc ON fc.id = CASE WHEN l.action = 'move_thread' AND jsonb_typeof(l.details -> 'from') = 'number'
			THEN (l.details ->> 'from')::bigint END
		ORDER BY l.id DESC`, pageBefore(before), limit)
	if err != nil {
		return nil, fmt.Errorf("moderation log: %w", err)
	}
	var out []ModerationEntry
	var e ModerationEntry
	var fromID *int64
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.ModeratorID, &e.Moderator, &e.Action, &e.TargetActorID, &e.Target,
		&e.CategoryID, &e.ThreadID, &e.PostID, &e.Domain, &e.Reason, &e.Details, &e.CreatedAt,
		&e.Category.Slug, &e.Category.Domain, &e.Category.Title,
		&fromID, &e.FromCategory.Slug, &e.FromCategory.Domain, &e.FromCategory.Title}, func() error {
		entry := e
		// Details is scanned into the same slice each row; each entry keeps its own copy.
		entry.Details = append(json.RawMessage(nil), e.Details...)
		entry.Category.ID, entry.FromCategory.ID = 0, 0
		if entry.CategoryID != nil && entry.Category.Slug != "" {
			entry.Category.ID = *entry.CategoryID
		}
		if fromID != nil {
			entry.FromCategory.ID = *fromID
		}
		out = append(out, entry)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("moderation log: %w", err)
	}
	return out, nil
}
