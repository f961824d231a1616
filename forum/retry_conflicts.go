package forum

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Deadlocks between ordinary requests (a member's first view of a thread recording it as read
// while a reply, a like or a moderator's hide of the same thread commits) are rare and harmless
// to run again, but each ended one request with a 500 after PostgreSQL's one-second detection. The
// transactions PostgreSQL ends to break one (40P01), and serialization failures (40001, which only
// a stricter isolation level raises), are run again a few times after a short random pause, since
// the other transaction of the cycle has by then gone through.

// conflictAttempts is how many times a conflicting transaction is run in all.
const conflictAttempts = 4

// retryConflicts runs fn until it succeeds, fails otherwise than by a conflict, or has run
// conflictAttempts times.
func retryConflicts(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == conflictAttempts || !isTxConflict(err) {
			return err
		}
		pause := time.Duration(attempt) * (5*time.Millisecond + rand.N(10*time.Millisecond))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// isTxConflict reports whether err is a deadlock or a serialization failure.
func isTxConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
