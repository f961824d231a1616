package forum

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// SessionIdleLifetime is how long a session lasts without being used.
	SessionIdleLifetime = 30 * 24 * time.Hour
	// SessionMaxLifetime is how long a session lasts at most, used or not; then the member signs
	// in again.
	SessionMaxLifetime = 365 * 24 * time.Hour
	// touchInterval is how stale sessions.last_used_at, access_tokens.last_used_at and
	// members.last_seen_at may get before a request refreshes them. Writing them on every request
	// would turn every page view into a write (and a WAL record); a few minutes of imprecision in
	// "last seen" costs nothing.
	touchInterval   = 5 * time.Minute
	maxUserAgentLen = 300
)

// Session is one signed-in browser. The token that identifies it is never stored: only its hash.
type Session struct {
	ID         int64     `db:"id"`
	MemberID   int64     `db:"member_id"`
	CreatedAt  time.Time `db:"created_at"`
	LastUsedAt time.Time `db:"last_used_at"`
	ExpiresAt  time.Time `db:"expires_at"`
	UserAgent  string    `db:"user_agent"`
	IP         string    `db:"ip"`
	// Counts are what the header shows the member; ResumeSession fills them.
	Counts HeaderCounts `db:"-"`
}

// ClientInfo describes who is on the other end of a request, for throttling and for the session
// list. IP is the zero Addr when unknown.
type ClientInfo struct {
	IP        netip.Addr
	UserAgent string
}

// NewSession is a session just made, with the token to hand to the browser. The token is shown
// once: only its hash is kept.
type NewSession struct {
	Token   string
	Session Session
	Member  Member
}

const sessionColumns = `s.id, s.member_id, s.created_at, s.last_used_at, s.expires_at, s.user_agent,
	coalesce(host(s.ip), '') AS ip`

// createSession starts a session for a member in tx and returns its token.
func (f *Forum) createSession(ctx context.Context, tx pgx.Tx, memberID int64, client ClientInfo) (string, Session, error) {
	token, hash, err := newSecretToken("")
	if err != nil {
		return "", Session{}, err
	}
	rows, err := tx.Query(ctx, `INSERT INTO sessions AS s (member_id, token_hash, expires_at, user_agent, ip)
		VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)
		RETURNING `+sessionColumns,
		memberID, hash, SessionIdleLifetime.Seconds(), clip(client.UserAgent, maxUserAgentLen), ipOrNil(client.IP))
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return token, s, nil
}

// StartSession signs a member in without a password. It is for flows that have already proven
// who the member is (registration just now); sign-in with a password goes through Login.
func (f *Forum) startSession(ctx context.Context, memberID int64, client ClientInfo) (NewSession, error) {
	var ns NewSession
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		ns.Token, ns.Session, err = f.createSession(ctx, tx, memberID, client)
		return err
	})
	if err != nil {
		return NewSession{}, err
	}
	ns.Member, err = f.MemberByID(ctx, memberID)
	return ns, err
}

// ResumeSession returns the session a browser's token names and the viewer it signs in. An unknown
// or expired token, or one of a banned or suspended member, is ErrUnauthorized. It refreshes the
// session's expiry and the member's last_seen_at at most every touchInterval.
//
// One statement does both: the read, and (when the session is stale) the touch, as
// data-modifying CTEs, so a page view costs one round trip for its session whether or not it is
// the one in touchInterval that writes; the touch commits lazily (commit_mode.go). The columns
// are scanned by hand: this runs on every signed-in request. Most requests do not run it at all:
// they find their session kept in memory (session_cache.go).
func (f *Forum) ResumeSession(ctx context.Context, token string) (Session, Viewer, error) {
	if !plausibleToken(token, "") {
		return Session{}, Guest, fmt.Errorf("session: %w", ErrUnauthorized)
	}
	hash := hashSecretToken(token)
	if sess, v, ok := f.resumeKeptSession(hash); ok {
		return sess, v, nil
	}
	start := f.viewerReadStart()
	var (
		sess    Session
		v       Viewer
		hc      HeaderCounts
		touched bool
	)
	err := f.db.QueryRow(ctx, `WITH r AS (
			SELECT `+sessionColumns+`, a.username, m.role,
				s.last_used_at < now() - make_interval(secs => $2) AS stale, `+headerCountsColumns+`
			FROM sessions s
			JOIN members m ON m.actor_id = s.member_id
			JOIN actors a ON a.id = s.member_id
			WHERE s.token_hash = $1 AND s.expires_at > now()
			  AND (m.banned_until IS NULL OR m.banned_until <= now())
			  AND a.suspended_at IS NULL AND a.deleted_at IS NULL),
		touched AS (
			UPDATE sessions SET last_used_at = now(),
				expires_at = least(now() + make_interval(secs => $3), created_at + make_interval(secs => $4))
			WHERE id = (SELECT id FROM r WHERE stale) RETURNING member_id),
		seen AS (
			UPDATE members SET last_seen_at = now()
			WHERE actor_id = (SELECT member_id FROM touched)
			  AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => $2))),
		`+lazyCommitCTE+`
		SELECT id, member_id, created_at, last_used_at, expires_at, user_agent, ip, username, role,
			unread_notifications, open_reports, stale FROM r CROSS JOIN lazy_commit`,
		hash, touchInterval.Seconds(), SessionIdleLifetime.Seconds(), SessionMaxLifetime.Seconds()).
		Scan(&sess.ID, &sess.MemberID, &sess.CreatedAt, &sess.LastUsedAt, &sess.ExpiresAt, &sess.UserAgent, &sess.IP,
			&v.Username, (*string)(&v.Role), &hc.UnreadNotifications, &hc.OpenReports, &touched)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, Guest, fmt.Errorf("session: %w", ErrUnauthorized)
	}
	if err != nil {
		return Session{}, Guest, fmt.Errorf("session: %w", err)
	}
	sess.Counts = hc
	v.ActorID = sess.MemberID
	f.keepSession(hash, start, sess, v, touched)
	return sess, v, nil
}

// Logout ends the session the token names. An unknown token is not an error: the browser is
// signed out either way.
func (f *Forum) Logout(ctx context.Context, token string) error {
	if !plausibleToken(token, "") {
		return nil
	}
	var memberID int64
	err := f.db.QueryRow(ctx, `DELETE FROM sessions WHERE token_hash = $1 RETURNING member_id`, hashSecretToken(token)).Scan(&memberID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // already gone: signed out elsewhere, expired and pruned, or never valid
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	// Refused here at once, and only this member's kept sessions and pages are dropped
	// (session_cache.go); other processes drop them when the trigger's notification arrives.
	f.viewers.keyChanged(memberID)
	return nil
}

// Sessions lists the viewer's live sessions, most recently used first.
func (f *Forum) Sessions(ctx context.Context, by Viewer) ([]Session, error) {
	if !by.SignedIn() {
		return nil, fmt.Errorf("sessions: %w", ErrUnauthorized)
	}
	rows, err := f.db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.member_id = $1 AND s.expires_at > now()
		ORDER BY s.last_used_at DESC, s.id DESC LIMIT 200`, by.ActorID)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Session])
}

// RevokeSession signs one of the viewer's sessions out.
func (f *Forum) RevokeSession(ctx context.Context, by Viewer, sessionID int64) error {
	if !by.SignedIn() {
		return fmt.Errorf("revoke session: %w", ErrUnauthorized)
	}
	tag, err := f.db.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND member_id = $2`, sessionID, by.ActorID)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	f.viewers.keyChanged(by.ActorID)
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke session %d: %w", sessionID, ErrNotFound)
	}
	return nil
}

// RevokeOtherSessions signs the viewer out everywhere except the session keep (the one asking).
// It returns how many sessions ended.
func (f *Forum) RevokeOtherSessions(ctx context.Context, by Viewer, keep int64) (int64, error) {
	if !by.SignedIn() {
		return 0, fmt.Errorf("revoke sessions: %w", ErrUnauthorized)
	}
	tag, err := f.db.Exec(ctx, `DELETE FROM sessions WHERE member_id = $1 AND id <> $2`, by.ActorID, keep)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	f.viewers.keyChanged(by.ActorID)
	return tag.RowsAffected(), nil
}

// revokeSessions ends every session of a member except keep (0: all of them), in tx.
func revokeSessions(ctx context.Context, tx pgx.Tx, memberID, keep int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE member_id = $1 AND id <> $2`, memberID, keep); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}
