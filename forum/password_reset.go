package forum

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PasswordResetLifetime is how long a reset link works.
const PasswordResetLifetime = time.Hour

// resetAnswerTime is how long RequestPasswordReset takes at the least, whatever the address: the
// known one stores a token and queues a mail, which an unknown one does not, and without a floor
// the difference (a fraction of a millisecond to a few) would tell who is registered
// (SECURITY.md rule 22). Both paths take well under it.
const resetAnswerTime = 250 * time.Millisecond

var errBadResetToken = Invalid("token", "this password-reset link is invalid, used or expired; ask for a new one")

// RequestPasswordReset mails a single-use reset link to the member with this e-mail address, if
// there is one. The answer is the same either way (nil, or ErrRateLimited by the same rules), so
// the form cannot be used to find out who is registered; both paths do the same counter updates in
// one transaction, the known address additionally stores the token and queues the mail in it.
// link turns a token into the URL to mail (the domain does not know the site's address). Every
// answer takes resetAnswerTime at the least, so its timing does not tell either.
func (f *Forum) RequestPasswordReset(ctx context.Context, email string, client ClientInfo, link func(token string) string) error {
	floor := time.NewTimer(resetAnswerTime)
	defer func() {
		select {
		case <-floor.C:
		case <-ctx.Done():
		}
	}()
	email = strings.TrimSpace(email)
	v := &ValidationError{}
	validateEmail(v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	emailKey := strings.ToLower(email)
	ipKey, hasIP := ipBucket(client.IP)
	settings, err := f.SiteSettings(ctx)
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	token, hash, err := newSecretToken("")
	if err != nil {
		return err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		// Counted in the transaction that sends the mail: requests at once wait for each
		// other's count, and a refused one (rolled back) spends nothing.
		if limited, err := resetPerEmail.take(ctx, tx, emailKey); err != nil {
			return err
		} else if limited {
			return ErrRateLimited
		}
		if hasIP {
			if limited, err := resetPerIP.take(ctx, tx, ipKey); err != nil {
				return err
			} else if limited {
				return ErrRateLimited
			}
		}
		// The mail goes to the address on the account, never the one typed: lower() folds other
		// spellings into it (Go's and PostgreSQL's folding of U+0130 or the Kelvin sign), and a
		// link sent to such a look-alike, on a domain anyone may register, would hand over the
		// account.
		var memberID int64
		var username, stored string
		err := tx.QueryRow(ctx, `SELECT m.actor_id, a.username, m.email FROM members m JOIN actors a ON a.id = m.actor_id
			WHERE lower(m.email) = $1 AND a.deleted_at IS NULL`, emailKey).Scan(&memberID, &username, &stored)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// One live link at a time: a new request voids the older ones.
		if _, err := tx.Exec(ctx, `DELETE FROM password_resets WHERE member_id = $1`, memberID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO password_resets (member_id, token_hash, expires_at)
			VALUES ($1, $2, now() + make_interval(secs => $3))`, memberID, hash, PasswordResetLifetime.Seconds()); err != nil {
			return err
		}
		return f.insertJob(ctx, tx, MailArgs{To: stored, Subject: settings.SiteName + ": reset your password",
			Text: "Hello " + username + ",\n\nSomeone (hopefully you) asked to reset the password of your account on " +
				settings.SiteName + ".\n\nTo choose a new password, open this link within an hour. It works once:\n\n" +
				link(token) + "\n\nIf you did not ask for this, ignore this message: your password stays as it is.\n"})
	})
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	return nil
}

// CheckPasswordResetToken reports whether a reset link still works, so the form can say so before
// the member types a new password. It returns a *ValidationError on the field "token" when not.
func (f *Forum) CheckPasswordResetToken(ctx context.Context, token string) error {
	if !plausibleToken(token, "") {
		return errBadResetToken
	}
	var ok bool
	err := f.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM password_resets
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now())`, hashSecretToken(token)).Scan(&ok)
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	if !ok {
		return errBadResetToken
	}
	return nil
}

// ResetPassword sets a new password with a reset token. The token works once and within the hour;
// the reset ends every session of the member (whoever had the old password is out) and clears the
// account's failed sign-in count, so a member locked out by someone guessing can get back in.
func (f *Forum) ResetPassword(ctx context.Context, token, password string) error {
	v := &ValidationError{}
	validatePassword(v, "password", password)
	if err := v.Err(); err != nil {
		return err
	}
	if err := f.CheckPasswordResetToken(ctx, token); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var memberID int64
		err := tx.QueryRow(ctx, `UPDATE password_resets SET used_at = now()
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING member_id`,
			hashSecretToken(token)).Scan(&memberID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadResetToken // used by a concurrent request since the check above
		}
		if err != nil {
			return err
		}
		if err := storePassword(ctx, tx, memberID, hash, 0); err != nil {
			return err
		}
		return loginPerAccount.clear(ctx, tx, "member:"+strconv.FormatInt(memberID, 10))
	})
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	return nil
}
