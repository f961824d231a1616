package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// AccessTokenPrefix starts every personal access token, so secret scanners (and people) can tell
// one when it leaks into a paste or a repository.
const AccessTokenPrefix = "stoa_pat_"

// Access token limits.
const (
	MaxAccessTokenNameLen    = 60
	maxAccessTokensPerMember = 50
)

// AccessToken is a personal access token as listed on the settings page. The secret itself is
// shown only once, when created; only its hash is stored.
type AccessToken struct {
	ID         int64      `db:"id"`
	MemberID   int64      `db:"member_id"`
	Name       string     `db:"name"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
}

const accessTokenColumns = `t.id, t.member_id, t.name, t.created_at, t.last_used_at`

// ErrTokenAlreadyCreated is CreateAccessTokenFromForm's answer to a form sent again: the token its
// key made exists, and its secret was shown when it was made.
var ErrTokenAlreadyCreated = fmt.Errorf("this form made its token already: %w", ErrConflict)

// maxFormKeyLen bounds a form's key (the web makes 26 characters).
const maxFormKeyLen = 64

// CreateAccessToken makes a named token that signs API requests in as the member. Members make
// their own; admins (and the console) may make one for anyone. It returns the token's secret, to
// be shown once.
func (f *Forum) CreateAccessToken(ctx context.Context, by Viewer, memberID int64, name string) (AccessToken, string, error) {
	return f.CreateAccessTokenFromForm(ctx, by, memberID, name, "")
}

// CreateAccessTokenFromForm is CreateAccessToken for a form that carries a key of its own
// (formKey, "" for none): sent again with the same key, it makes nothing and returns the token
// the key made, with ErrTokenAlreadyCreated.
func (f *Forum) CreateAccessTokenFromForm(ctx context.Context, by Viewer, memberID int64, name, formKey string) (AccessToken, string, error) {
	switch {
	case by.IsAdmin():
	case !by.SignedIn():
		return AccessToken{}, "", fmt.Errorf("create token: %w", ErrUnauthorized)
	case by.ActorID != memberID:
		return AccessToken{}, "", fmt.Errorf("create token: %w", ErrForbidden)
	}
	if len(formKey) > maxFormKeyLen {
		return AccessToken{}, "", Invalid("form_key", "is not one this site made; reload the page")
	}
	name = cleanLine(name)
	if n := len([]rune(name)); n == 0 || n > MaxAccessTokenNameLen {
		return AccessToken{}, "", Invalid("name", "must be 1 to %d characters", MaxAccessTokenNameLen)
	}
	secret, hash, err := newSecretToken(AccessTokenPrefix)
	if err != nil {
		return AccessToken{}, "", err
	}
	var tok AccessToken
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var banned bool
		err := tx.QueryRow(ctx, `SELECT coalesce(banned_until > now(), false) FROM members WHERE actor_id = $1 FOR UPDATE`,
			memberID).Scan(&banned)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("member %d: %w", memberID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if banned {
			return fmt.Errorf("member %d is banned: %w", memberID, ErrForbidden)
		}
		// The member's row is locked: a form sent twice at once waits here, and finds the first's.
		if formKey != "" {
			rows, err := tx.Query(ctx, `SELECT `+accessTokenColumns+` FROM access_tokens t
				WHERE t.member_id = $1 AND t.form_key = $2`, memberID, formKey)
			if err != nil {
				return err
			}
			made, err := pgx.CollectRows(rows, pgx.RowToStructByName[AccessToken])
			if err != nil {
				return err
			}
			if len(made) > 0 {
				tok = made[0]
				return ErrTokenAlreadyCreated
			}
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM access_tokens WHERE member_id = $1`, memberID).Scan(&n); err != nil {
			return err
		}
		if n >= maxAccessTokensPerMember {
			return Invalid("name", "you have %d tokens already; revoke one first", n)
		}
		rows, err := tx.Query(ctx, `INSERT INTO access_tokens AS t (member_id, name, token_hash, form_key)
			VALUES ($1, $2, $3, nullif($4, '')) RETURNING `+accessTokenColumns, memberID, name, hash, formKey)
		if err != nil {
			return err
		}
		tok, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AccessToken])
		return err
	})
	if errors.Is(err, ErrTokenAlreadyCreated) {
		return tok, "", fmt.Errorf("create token: %w", err)
	}
	if err != nil {
		return AccessToken{}, "", fmt.Errorf("create token: %w", err)
	}
	return tok, secret, nil
}

// AccessTokens lists the viewer's tokens, newest first.
func (f *Forum) AccessTokens(ctx context.Context, by Viewer) ([]AccessToken, error) {
	if !by.SignedIn() {
		return nil, fmt.Errorf("tokens: %w", ErrUnauthorized)
	}
	rows, err := f.db.Query(ctx, `SELECT `+accessTokenColumns+` FROM access_tokens t WHERE t.member_id = $1
		ORDER BY t.id DESC`, by.ActorID)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[AccessToken])
}

// RevokeAccessToken deletes one of the viewer's tokens; requests bearing it fail from then on.
func (f *Forum) RevokeAccessToken(ctx context.Context, by Viewer, tokenID int64) error {
	if !by.SignedIn() {
		return fmt.Errorf("revoke token: %w", ErrUnauthorized)
	}
	tag, err := f.db.Exec(ctx, `DELETE FROM access_tokens WHERE id = $1 AND member_id = $2`, tokenID, by.ActorID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke token %d: %w", tokenID, ErrNotFound)
	}
	return nil
}

type tokenViewer struct {
	ID            int64      `db:"id"`
	MemberID      int64      `db:"member_id"`
	Username      string     `db:"username"`
	Role          Role       `db:"role"`
	Stale         bool       `db:"stale"`
	BannedUntil   *time.Time `db:"banned_until"`
	BannedForever bool       `db:"banned_forever"`
	BanReason     string     `db:"ban_reason"`
	Banned        bool       `db:"banned"`
}

// ViewerByAccessToken returns who a bearer token signs in. A malformed, unknown or revoked token
// is ErrUnauthorized. A banned member's token is refused with a *BanError (ErrForbidden) that says
// until when, and works again when the ban ends: a ban keeps the member's tokens (a bot should not
// need a new one after a day's ban). last_used_at is refreshed at most every few minutes.
func (f *Forum) ViewerByAccessToken(ctx context.Context, token string) (Viewer, error) {
	token = strings.TrimSpace(token)
	if !plausibleToken(token, AccessTokenPrefix) {
		return Guest, fmt.Errorf("access token: %w", ErrUnauthorized)
	}
	rows, err := f.db.Query(ctx, `SELECT t.id, t.member_id, a.username, m.role,
			(t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => $2)) AS stale, `+banColumns+`
		FROM access_tokens t
		JOIN members m ON m.actor_id = t.member_id
		JOIN actors a ON a.id = t.member_id
		WHERE t.token_hash = $1 AND a.suspended_at IS NULL AND a.deleted_at IS NULL`, hashSecretToken(token), touchInterval.Seconds())
	if err != nil {
		return Guest, fmt.Errorf("access token: %w", err)
	}
	tv, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[tokenViewer])
	if errors.Is(err, pgx.ErrNoRows) {
		return Guest, fmt.Errorf("access token: %w", ErrUnauthorized)
	}
	if err != nil {
		return Guest, fmt.Errorf("access token: %w", err)
	}
	if tv.Banned {
		return Guest, fmt.Errorf("access token: %w", banError(tv.BannedUntil, tv.BannedForever, tv.BanReason))
	}
	if tv.Stale {
		_, err := f.db.Exec(ctx, `WITH t AS (UPDATE access_tokens SET last_used_at = now() WHERE id = $1 RETURNING member_id)
			UPDATE members SET last_seen_at = now() WHERE actor_id = (SELECT member_id FROM t)
			  AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => $2))`, tv.ID, touchInterval.Seconds())
		if err != nil {
			return Guest, fmt.Errorf("access token: touch: %w", err)
		}
	}
	return Viewer{ActorID: tv.MemberID, Username: tv.Username, Role: tv.Role}, nil
}
