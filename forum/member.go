package forum

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Member is a local account.
type Member struct {
	Actor
	Email       string     `db:"email"`
	Role        Role       `db:"role"`
	BioSource   string     `db:"bio_source"`
	BannedUntil *time.Time `db:"banned_until"`
	BanReason   string     `db:"ban_reason"`
	JoinedAt    time.Time  `db:"joined_at"`
	LastSeenAt  *time.Time `db:"last_seen_at"`
}

// Viewer is the member as a permission subject.
func (m Member) Viewer() Viewer { return Viewer{ActorID: m.ID, Username: m.Username, Role: m.Role} }

// Banned reports whether the member is banned at t.
func (m Member) Banned(t time.Time) bool { return m.BannedUntil != nil && m.BannedUntil.After(t) }

// NewMember is the input to CreateMember.
type NewMember struct {
	Username    string
	Email       string
	Password    string
	Role        Role
	DisplayName string
}

const memberColumns = actorColumns + `, m.email, m.role, m.bio_source, m.banned_until, m.ban_reason,
	m.created_at AS joined_at, m.last_seen_at`

// CreateMember registers a local member with a fresh key pair.
func (f *Forum) CreateMember(ctx context.Context, in NewMember) (Member, error) {
	in.Username = NormalizeHandle(in.Username)
	in.Email = strings.TrimSpace(in.Email)
	if in.Role == "" {
		in.Role = RoleMember
	}
	v := &ValidationError{}
	if err := ValidateHandle("username", in.Username); err != nil {
		v.Problems = append(v.Problems, err.(*ValidationError).Problems...)
	}
	if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != in.Email || len(in.Email) > 254 {
		v.Add("email", "is not a valid e-mail address")
	}
	validatePassword(v, "password", in.Password)
	if _, err := ParseRole(string(in.Role)); err != nil {
		v.Add("role", "must be admin, moderator or member")
	}
	if len([]rune(in.DisplayName)) > 60 {
		v.Add("display_name", "must be at most 60 characters")
	}
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return Member{}, err
	}
	var id int64
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if id, err = f.insertLocalActor(ctx, tx, "username", ActorPerson, in.Username, strings.TrimSpace(in.DisplayName)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO members (actor_id, email, password_hash, role) VALUES ($1, $2, $3, $4)`,
			id, in.Email, hash, in.Role)
		if isUniqueViolation(err, "members_email") {
			return Invalid("email", "is already registered")
		}
		return err
	})
	if err != nil {
		return Member{}, fmt.Errorf("create member %q: %w", in.Username, err)
	}
	return f.MemberByID(ctx, id)
}

func (f *Forum) queryMember(ctx context.Context, where string, args ...any) (Member, error) {
	rows, err := f.db.Query(ctx, "SELECT "+memberColumns+" FROM members m JOIN actors a ON a.id = m.actor_id WHERE "+where, args...)
	if err != nil {
		return Member{}, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Member])
}

// MemberByID loads a member.
func (f *Forum) MemberByID(ctx context.Context, id int64) (Member, error) {
	m, err := f.queryMember(ctx, "m.actor_id = $1", id)
	if err != nil {
		return Member{}, notFound(err, "member")
	}
	return m, nil
}

// MemberByUsername loads a member by handle, case-insensitively.
func (f *Forum) MemberByUsername(ctx context.Context, username string) (Member, error) {
	m, err := f.queryMember(ctx, "a.domain IS NULL AND a.username = $1", NormalizeHandle(username))
	if err != nil {
		return Member{}, notFound(err, "member "+username)
	}
	return m, nil
}

// CountMembers returns how many local members exist; the demo seeding only runs on an empty forum.
func (f *Forum) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := f.db.QueryRow(ctx, "SELECT count(*) FROM members").Scan(&n)
	return n, err
}

// SetPassword replaces a member's password.
func (f *Forum) SetPassword(ctx context.Context, memberID int64, password string) error {
	v := &ValidationError{}
	validatePassword(v, "password", password)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	tag, err := f.db.Exec(ctx, `UPDATE members SET password_hash = $2 WHERE actor_id = $1`, memberID, hash)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set password: member %d: %w", memberID, ErrNotFound)
	}
	return nil
}
