package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PruneResult says what PruneAccounts deleted.
type PruneResult struct {
	Sessions       int64
	PasswordResets int64
	// EmailConfirmations are confirmation links past their lifetime (a used one is deleted when used).
	EmailConfirmations int64
	RateLimits         int64
}

// PruneAccounts deletes what can no longer be used: expired sessions, expired or used
// password-reset tokens, expired e-mail confirmation links, and rate-limit windows too old to
// count. Nothing reads these rows once they are stale (every lookup checks expiry), so this only
// keeps the tables small; cmd/stoa runs it as a periodic job.
func (f *Forum) PruneAccounts(ctx context.Context) (PruneResult, error) {
	var r PruneResult
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
		if err != nil {
			return err
		}
		r.Sessions = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, `DELETE FROM password_resets WHERE expires_at <= now() OR used_at IS NOT NULL`); err != nil {
			return err
		}
		r.PasswordResets = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, `DELETE FROM email_confirmations WHERE expires_at <= now()`); err != nil {
			return err
		}
		r.EmailConfirmations = tag.RowsAffected()
		// A check reads the current and the previous window of its limit.
		if tag, err = tx.Exec(ctx, `DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => $1)`,
			(2 * longestRateWindow).Seconds()); err != nil {
			return err
		}
		r.RateLimits = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return PruneResult{}, fmt.Errorf("prune accounts: %w", err)
	}
	return r, nil
}
