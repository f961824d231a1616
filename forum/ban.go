package forum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// MaxBanReasonLen bounds the reason recorded with a ban.
const MaxBanReasonLen = 500

// banColumns reads members.banned_until (alias m), where a permanent ban is 'infinity': pgx cannot
// put infinity in a time.Time, so it becomes banned_forever and a NULL banned_until.
const banColumns = `CASE WHEN m.banned_until = 'infinity' THEN NULL ELSE m.banned_until END AS banned_until,
	coalesce(m.banned_until = 'infinity', false) AS banned_forever, m.ban_reason,
	coalesce(m.banned_until > now(), false) AS banned`

// BanError is why a banned member may not sign in. It is ErrForbidden for errors.Is; its message
// says until when.
type BanError struct {
	Until  time.Time // zero for a permanent ban
	Reason string
}

func banError(until *time.Time, forever bool, reason string) *BanError {
	e := &BanError{Reason: reason}
	if until != nil && !forever {
		e.Until = *until
	}
	return e
}

// Permanent reports whether the ban has no end.
func (e *BanError) Permanent() bool { return e.Until.IsZero() }

func (e *BanError) Error() string {
	var b strings.Builder
	if e.Permanent() {
		b.WriteString("this account is banned permanently")
	} else {
		// As the pages show dates (web's formatDateTime): day, short month, year, UTC time.
		b.WriteString("this account is banned until " + e.Until.UTC().Format("2 Jan 2006, 15:04 UTC"))
	}
	if e.Reason != "" {
		b.WriteString(" (reason: " + e.Reason + ")")
	}
	return b.String()
}

// Unwrap makes a ban ErrForbidden.
func (e *BanError) Unwrap() error { return ErrForbidden }

// BanMember bans a member until a time, or permanently when until is nil (stored as 'infinity').
// Staff only; admins cannot be banned (demote them first) and only admins may ban moderators. The
// ban ends the member's sessions, and is recorded in the moderation log in the same transaction.
// Their access tokens are refused while it lasts (ViewerByAccessToken), and kept for after it.
func (f *Forum) BanMember(ctx context.Context, by Viewer, memberID int64, until *time.Time, reason string) error {
	if !by.IsStaff() {
		return fmt.Errorf("ban member: %w", ErrForbidden)
	}
	reason = strings.TrimSpace(reason)
	v := &ValidationError{}
	if memberID == by.ActorID {
		v.Add("member", "you cannot ban yourself")
	}
	if until != nil && !until.After(time.Now()) {
		v.Add("until", "must be in the future")
	}
	if len([]rune(reason)) > MaxBanReasonLen {
		v.Add("reason", "must be at most %d characters", MaxBanReasonLen)
	}
	if err := v.Err(); err != nil {
		return err
	}
	details := map[string]any{"until": "permanent"}
	if until != nil {
		details["until"] = until.UTC().Format(time.RFC3339)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error { return f.banMemberTx(ctx, tx, by, memberID, until, reason, details) })
	if err != nil {
		return fmt.Errorf("ban member %d: %w", memberID, err)
	}
	return nil
}

// banMemberTx is BanMember's change, inside the caller's transaction, after validation.
func (f *Forum) banMemberTx(ctx context.Context, tx pgx.Tx, by Viewer, memberID int64, until *time.Time, reason string, details map[string]any) error {
	target, err := lockMemberRole(ctx, tx, memberID)
	if err != nil {
		return err
	}
	if target == RoleAdmin || (target == RoleModerator && !by.IsAdmin()) {
		return fmt.Errorf("%s cannot be banned by %s: %w", target, by.Role, ErrForbidden)
	}
	if _, err := tx.Exec(ctx, `UPDATE members SET banned_until = coalesce($2::timestamptz, 'infinity'), ban_reason = $3
		WHERE actor_id = $1`, memberID, until, reason); err != nil {
		return err
	}
	if err := revokeSessions(ctx, tx, memberID, 0); err != nil {
		return err
	}
	return f.logModeration(ctx, tx, by, ModerationEntry{Action: "ban_member", TargetActorID: &memberID,
		Reason: reason, Details: modDetails(details)})
}

// UnbanMember lifts a ban. Staff only, and moderators only a member's; recorded in the moderation
// log.
func (f *Forum) UnbanMember(ctx context.Context, by Viewer, memberID int64) error {
	if !by.IsStaff() {
		return fmt.Errorf("unban member: %w", ErrForbidden)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		// Moderators unban members only, as they ban members only (banMemberTx): a moderator
		// does not lift an admin's ban of another moderator. Admins unban anyone.
		target, err := lockMemberRole(ctx, tx, memberID)
		if err != nil {
			return err
		}
		if target != RoleMember && !by.IsAdmin() {
			return fmt.Errorf("%s cannot be unbanned by %s: %w", target, by.Role, ErrForbidden)
		}
		tag, err := tx.Exec(ctx, `UPDATE members SET banned_until = NULL, ban_reason = ''
			WHERE actor_id = $1 AND banned_until > now()`, memberID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return Invalid("member", "is not banned")
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "unban_member", TargetActorID: &memberID})
	})
	if err != nil {
		return fmt.Errorf("unban member %d: %w", memberID, err)
	}
	return nil
}

// SetRole changes a member's role. Admins only, and not their own (so the last admin cannot
// demote themselves by accident); recorded in the moderation log.
func (f *Forum) SetRole(ctx context.Context, by Viewer, memberID int64, role Role) error {
	if !by.IsAdmin() {
		return fmt.Errorf("set role: %w", ErrForbidden)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if memberID == by.ActorID {
		return Invalid("role", "you cannot change your own role")
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		from, err := lockMemberRole(ctx, tx, memberID)
		if err != nil {
			return err
		}
		if from == role {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE members SET role = $2 WHERE actor_id = $1`, memberID, role); err != nil {
			return err
		}
		if err := settleMemberOutOfSight(ctx, tx, memberID, role); err != nil {
			return err
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "set_role", TargetActorID: &memberID,
			Details: modDetails(map[string]any{"from": from, "to": role})})
	})
	if err != nil {
		return fmt.Errorf("set role of member %d: %w", memberID, err)
	}
	return nil
}

// lockMemberRole locks a member's row for the rest of tx and returns their role.
func lockMemberRole(ctx context.Context, tx pgx.Tx, memberID int64) (Role, error) {
	var role Role
	err := tx.QueryRow(ctx, `SELECT role FROM members WHERE actor_id = $1 FOR UPDATE`, memberID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	return role, err
}

func modDetails(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
