package forum

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// LockReason is the reason the thread's lock was given with, "" when none was (or the thread is
// not locked). The moderator's form says it is public: it travels with the Lock to other servers
// (Lemmy shows it), and the thread's page shows it beside "locked". The newest lock of the thread
// counts, here or from the thread's home server.
func (f *Forum) LockReason(ctx context.Context, threadID int64) (string, error) {
	var reason string
	err := f.db.QueryRow(ctx, `SELECT l.reason FROM moderation_log l
		WHERE l.thread_id = $1 AND l.action IN ('lock_thread', 'remote_lock_thread')
		ORDER BY l.id DESC LIMIT 1`, threadID).Scan(&reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lock reason of thread %d: %w", threadID, err)
	}
	return reason, nil
}
