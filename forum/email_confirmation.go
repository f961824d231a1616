package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Confirming e-mail addresses. When an admin turns SiteSettings.ConfirmEmail on, a member who
// signed up on the site, or changed their address, may read and like but not start threads or
// reply until they open the link mailed to them (Flarum's rule; Discourse and Misago keep such
// accounts from signing in at all, which leaves a member who mistyped their address no way to fix
// it). Accounts made from the console count as confirmed.

// EmailConfirmationLifetime is how long a confirmation link works.
const EmailConfirmationLifetime = 48 * time.Hour

// ErrEmailUnconfirmed refuses a post by a member whose address is not confirmed while the site asks
// for confirmation. It is ErrForbidden for errors.Is.
var ErrEmailUnconfirmed = fmt.Errorf("confirm your e-mail address before you post: open the link we mailed you, "+
	"or have it sent again from your e-mail settings: %w", ErrForbidden)

var errBadConfirmToken = Invalid("token", "this confirmation link is invalid, used or expired; have a new one sent from your e-mail settings")

// confirmationsPerMember bounds the confirmation mails one member can have sent: enough for a mail
// that went to spam, too few to flood an address someone else typed in.
var confirmationsPerMember = rateLimit{"confirm-email", time.Hour, 5}

// EmailStatus is what the e-mail settings page says of the member's address.
type EmailStatus struct {
	Email     string
	Confirmed bool
	// Required says whether the member must confirm their address before posting: the site asks
	// it, and they are not staff (actingPoster).
	Required bool
}

// EmailStatusOf reads v's address and whether it is confirmed.
func (f *Forum) EmailStatusOf(ctx context.Context, v Viewer) (EmailStatus, error) {
	if !v.SignedIn() {
		return EmailStatus{}, fmt.Errorf("e-mail status: %w", ErrUnauthorized)
	}
	settings, err := f.SiteSettings(ctx)
	if err != nil {
		return EmailStatus{}, fmt.Errorf("e-mail status: %w", err)
	}
	st := EmailStatus{Required: settings.ConfirmEmail && !v.IsStaff()}
	err = f.db.QueryRow(ctx, `SELECT email, email_confirmed_at IS NOT NULL FROM members WHERE actor_id = $1`,
		v.ActorID).Scan(&st.Email, &st.Confirmed)
	if err != nil {
		return EmailStatus{}, notFound(err, "member")
	}
	return st, nil
}

// SendEmailConfirmation mails v a new confirmation link (link turns the token into its URL),
// voiding the ones sent before. An address already confirmed is a validation error.
func (f *Forum) SendEmailConfirmation(ctx context.Context, v Viewer, link func(token string) string) error {
	if !v.SignedIn() {
		return fmt.Errorf("send confirmation: %w", ErrUnauthorized)
	}
	settings, err := f.SiteSettings(ctx)
	if err != nil {
		return fmt.Errorf("send confirmation: %w", err)
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var email string
		var confirmed bool
		err := tx.QueryRow(ctx, `SELECT email, email_confirmed_at IS NOT NULL FROM members WHERE actor_id = $1 FOR UPDATE`,
			v.ActorID).Scan(&email, &confirmed)
		if err != nil {
			return notFound(err, "member")
		}
		if confirmed {
			return Invalid("email", "%s is confirmed already", email)
		}
		return f.queueEmailConfirmation(ctx, tx, settings, v.ActorID, v.Username, email, link)
	})
	if err != nil {
		return fmt.Errorf("send confirmation: %w", err)
	}
	return nil
}

// queueEmailConfirmation stores a new confirmation token for the member's address, voiding the
// older ones, and queues the mail that carries it, in tx. Every confirmation mail counts against
// confirmationsPerMember, whatever asked for it (a resend, a new address): past it, ErrRateLimited
// and the caller's change rolls back.
func (f *Forum) queueEmailConfirmation(ctx context.Context, tx pgx.Tx, settings SiteSettings, memberID int64, username, email string, link func(string) string) error {
	if limited, err := confirmationsPerMember.take(ctx, tx, fmt.Sprint(memberID)); err != nil {
		return err
	} else if limited {
		return ErrRateLimited
	}
	token, hash, err := newSecretToken("")
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM email_confirmations WHERE member_id = $1`, memberID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO email_confirmations (token_hash, member_id, email, expires_at)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, hash, memberID, email, EmailConfirmationLifetime.Seconds()); err != nil {
		return err
	}
	return f.insertJob(ctx, tx, MailArgs{To: email, Subject: settings.SiteName + ": confirm your e-mail address",
		Text: "Hello " + username + ",\n\nTo confirm that this is your address on " + settings.SiteName +
			", open this link within two days:\n\n" + link(token) +
			"\n\nIf you did not sign up or change your address there, ignore this message.\n"})
}

// ConfirmEmail confirms the address a link was mailed to and returns the member's username. The
// link works once; it confirms nothing when the member has changed their address since.
func (f *Forum) ConfirmEmail(ctx context.Context, token string) (string, error) {
	if !plausibleToken(token, "") {
		return "", errBadConfirmToken
	}
	var username string
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `WITH used AS (
				DELETE FROM email_confirmations WHERE token_hash = $1 AND expires_at > now() RETURNING member_id, email)
			UPDATE members m SET email_confirmed_at = now() FROM used, actors a
			WHERE m.actor_id = used.member_id AND m.email = used.email AND a.id = m.actor_id
			RETURNING a.username`, hashSecretToken(token)).Scan(&username)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errBadConfirmToken
	}
	if err != nil {
		return "", fmt.Errorf("confirm e-mail: %w", err)
	}
	return username, nil
}
