package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ThreadMirror is a thread that lives on another server, as a sync with its home sees it: the
// context collection to read, the Group whose mirror holds it, and how far its history was read.
type ThreadMirror struct {
	ThreadID   int64  `db:"thread_id"`
	ContextIRI string `db:"ap_id"`
	GroupID    int64  `db:"group_id"`
	// HistoryPage is the page of the contextHistory collection the last sync ended on ("" before
	// the first), and HistorySeen how many of its items were applied.
	HistoryPage string `db:"history_page"`
	HistorySeen int    `db:"history_seen"`
}

// ThreadMirror returns the mirror state of a thread of a remote category; ErrNotFound for a local
// thread (there is no home to sync with) or no thread at all.
func (f *Forum) ThreadMirror(ctx context.Context, threadID int64) (ThreadMirror, error) {
	rows, err := f.db.Query(ctx, `SELECT t.id AS thread_id, t.ap_id, c.actor_id AS group_id,
			coalesce(s.history_page, '') AS history_page, coalesce(s.history_seen, 0) AS history_seen
		FROM threads t JOIN categories c ON c.id = t.category_id
		LEFT JOIN thread_syncs s ON s.thread_id = t.id
		WHERE t.id = $1 AND t.ap_id IS NOT NULL AND c.domain IS NOT NULL AND c.actor_id IS NOT NULL`, threadID)
	if err != nil {
		return ThreadMirror{}, fmt.Errorf("mirror of thread %d: %w", threadID, err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ThreadMirror])
	if err != nil {
		return ThreadMirror{}, notFound(fmt.Errorf("mirror of thread %d: %w", threadID, err), "thread")
	}
	return m, nil
}

// SaveThreadSync records a finished sync of a mirrored thread: where its history reading stopped.
func (f *Forum) SaveThreadSync(ctx context.Context, threadID int64, historyPage string, historySeen int) error {
	_, err := f.db.Exec(ctx, `INSERT INTO thread_syncs (thread_id, history_page, history_seen) VALUES ($1, $2, $3)
		ON CONFLICT (thread_id) DO UPDATE SET history_page = EXCLUDED.history_page,
			history_seen = EXCLUDED.history_seen, synced_at = now()`, threadID, historyPage, historySeen)
	if err != nil {
		return fmt.Errorf("save sync of thread %d: %w", threadID, err)
	}
	return nil
}
