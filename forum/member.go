package forum

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"
)

// Member is a local account.
type Member struct {
	Actor
	Email     string `db:"email"`
	Role      Role   `db:"role"`
	BioSource string `db:"bio_source"`
	// BannedUntil is the end of a temporary ban (nil when not banned or banned forever).
	BannedUntil   *time.Time `db:"banned_until"`
	BannedForever bool       `db:"banned_forever"`
	BanReason     string     `db:"ban_reason"`
	JoinedAt      time.Time  `db:"joined_at"`
	LastSeenAt    *time.Time `db:"last_seen_at"`
}

// Viewer is the member as a permission subject.
func (m Member) Viewer() Viewer { return Viewer{ActorID: m.ID, Username: m.Username, Role: m.Role} }

// Banned reports whether the member is banned at t.
func (m Member) Banned(t time.Time) bool {
	return m.BannedForever || (m.BannedUntil != nil && m.BannedUntil.After(t))
}

// NewMember is the input to CreateMember.
type NewMember struct {
	Username string
	Email    string
	Password string
	// PasswordHash, when set, is used instead of hashing Password: an argon2id hash made earlier by
	// HashPassword. Bulk creation (seeding, imports, tests) would otherwise spend tens of
	// milliseconds of argon2 per member on hashing the same password again.
	PasswordHash string
	Role         Role
	DisplayName  string
	// Unconfirmed leaves the e-mail address unconfirmed (a sign-up on the site); the console's
	// and the tests' members count as confirmed.
	Unconfirmed bool
}

// MaxDisplayNameLen is the longest display name, in characters.
const MaxDisplayNameLen = 60

// ErrRegistrationClosed is returned by Register while the site does not accept new members.
var ErrRegistrationClosed = fmt.Errorf("registration is closed: %w", ErrForbidden)

const memberColumns = actorColumns + `, m.email, m.role, m.bio_source,
	CASE WHEN m.banned_until = 'infinity' THEN NULL ELSE m.banned_until END AS banned_until,
	coalesce(m.banned_until = 'infinity', false) AS banned_forever, m.ban_reason,
	m.created_at AS joined_at, m.last_seen_at`

// CreateMember registers a local member with a fresh key pair. It is the console's and the
// tests' way in; people registering on the site go through Register.
func (f *Forum) CreateMember(ctx context.Context, in NewMember) (Member, error) {
	return f.createMember(ctx, in, nil)
}

// createMember is CreateMember, running then (when not nil) in the transaction that made the
// member, with its id and the normalised input.
func (f *Forum) createMember(ctx context.Context, in NewMember, then func(tx pgx.Tx, id int64, in NewMember) error) (Member, error) {
	in.Username = NormalizeHandle(in.Username)
	in.Email = strings.TrimSpace(in.Email)
	if err := checkText("display_name", in.DisplayName); err != nil {
		return Member{}, err
	}
	in.DisplayName = cleanLine(in.DisplayName)
	if in.Role == "" {
		in.Role = RoleMember
	}
	v := &ValidationError{}
	if err := ValidateHandle("username", in.Username); err != nil {
		v.Problems = append(v.Problems, err.(*ValidationError).Problems...)
	}
	validateEmail(v, "email", in.Email)
	if in.PasswordHash == "" {
		validatePassword(v, "password", in.Password)
	} else if !isArgon2idHash(in.PasswordHash) {
		v.Add("password", "the given hash is not an argon2id hash")
	}
	if _, err := ParseRole(string(in.Role)); err != nil {
		v.Add("role", "must be admin, moderator or member")
	}
	if len([]rune(in.DisplayName)) > MaxDisplayNameLen {
		v.Add("display_name", "must be at most %d characters", MaxDisplayNameLen)
	}
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	hash := in.PasswordHash
	if hash == "" {
		var err error
		if hash, err = HashPassword(in.Password); err != nil {
			return Member{}, err
		}
	}
	var id int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if id, err = f.insertLocalActor(ctx, tx, "username", ActorPerson, in.Username, in.DisplayName); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO members (actor_id, email, password_hash, role, email_confirmed_at)
			VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN NULL ELSE now() END)`, id, in.Email, hash, in.Role, in.Unconfirmed)
		if isUniqueViolation(err, "members_email") {
			return Invalid("email", "is already registered")
		}
		if err != nil || then == nil {
			return err
		}
		return then(tx, id, in)
	})
	if err != nil {
		return Member{}, fmt.Errorf("create member %q: %w", in.Username, err)
	}
	return f.MemberByID(ctx, id)
}

// Registration is what the sign-up form sends.
type Registration struct {
	Username string
	Email    string
	Password string
	Client   ClientInfo
	// ConfirmLink turns a confirmation token into the URL mailed to the new member when the site
	// asks members to confirm their address (required then).
	ConfirmLink func(token string) string
}

// Register creates a member (role member) from the sign-up form and signs them in. It refuses with
// ErrRegistrationClosed when an admin closed registration, and throttles sign-ups per client
// address (rate_limit.go).
func (f *Forum) Register(ctx context.Context, in Registration) (NewSession, error) {
	settings, err := f.SiteSettings(ctx)
	if err != nil {
		return NewSession{}, fmt.Errorf("register: %w", err)
	}
	if !settings.RegistrationOpen {
		return NewSession{}, fmt.Errorf("register: %w", ErrRegistrationClosed)
	}
	ipKey, hasIP := ipBucket(in.Client.IP)
	if hasIP {
		// Counted before the account is made, so that parallel requests cannot all pass the
		// check; given back when the form is refused (a name taken is not an account made).
		limited, err := registerPerIP.take(ctx, f.db, ipKey)
		if err != nil {
			return NewSession{}, fmt.Errorf("register: %w", err)
		}
		if limited {
			return NewSession{}, fmt.Errorf("register: %w", ErrRateLimited)
		}
	}
	m, err := f.createMember(ctx, NewMember{Username: in.Username, Email: in.Email, Password: in.Password, Role: RoleMember,
		Unconfirmed: settings.ConfirmEmail}, func(tx pgx.Tx, id int64, nm NewMember) error {
		if !nm.Unconfirmed {
			return nil
		}
		return f.queueEmailConfirmation(ctx, tx, settings, id, nm.Username, nm.Email, in.ConfirmLink)
	})
	if err != nil {
		if hasIP {
			if gbErr := registerPerIP.giveBack(ctx, f.db, ipKey); gbErr != nil {
				return NewSession{}, fmt.Errorf("register: %w", errors.Join(err, gbErr))
			}
		}
		return NewSession{}, err
	}
	return f.startSession(ctx, m.ID, in.Client)
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

// SetPassword replaces a member's password without asking for the old one (the console's `stoa
// admin user set-password`), and signs the member out everywhere: every session ends and pending
// password-reset links die with it.
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
	err = f.inTx(ctx, func(tx pgx.Tx) error { return storePassword(ctx, tx, memberID, hash, 0) })
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// storePassword saves a new hash and revokes every session but keep (0: all), every pending reset
// and every personal access token: whoever took over a session could have made one, and a new
// password is meant to lock them out.
func storePassword(ctx context.Context, tx pgx.Tx, memberID int64, hash string, keep int64) error {
	tag, err := tx.Exec(ctx, `UPDATE members SET password_hash = $2 WHERE actor_id = $1`, memberID, hash)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	if err := revokeSessions(ctx, tx, memberID, keep); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM access_tokens WHERE member_id = $1`, memberID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM password_resets WHERE member_id = $1`, memberID)
	return err
}

// ChangePassword sets the viewer's password after checking the current one, and signs them out of
// every other session (keep is the session asking; 0 for none). Wrong current passwords count
// against the same per-account budget as failed sign-ins, so a stolen session cannot be used to
// guess the password.
func (f *Forum) ChangePassword(ctx context.Context, by Viewer, current, next string, keep int64) error {
	if !by.SignedIn() {
		return fmt.Errorf("change password: %w", ErrUnauthorized)
	}
	v := &ValidationError{}
	validatePassword(v, "new_password", next)
	if err := v.Err(); err != nil {
		return err
	}
	if err := f.confirmPassword(ctx, by, current); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error { return storePassword(ctx, tx, by.ActorID, hash, keep) })
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// ChangeEmail sets the viewer's e-mail address after checking their password, and tells the old
// address (a mail queued in the same transaction), so a hijacked session that changes the address
// does not go unnoticed. While the site asks for confirmed addresses, the new one must be
// confirmed in turn: confirmLink makes the URL mailed to it.
func (f *Forum) ChangeEmail(ctx context.Context, by Viewer, password, email string, confirmLink func(token string) string) error {
	if !by.SignedIn() {
		return fmt.Errorf("change e-mail: %w", ErrUnauthorized)
	}
	email = strings.TrimSpace(email)
	v := &ValidationError{}
	validateEmail(v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	if err := f.confirmPassword(ctx, by, password); err != nil {
		return fmt.Errorf("change e-mail: %w", err)
	}
	settings, err := f.SiteSettings(ctx)
	if err != nil {
		return fmt.Errorf("change e-mail: %w", err)
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var old string
		if err := tx.QueryRow(ctx, `SELECT email FROM members WHERE actor_id = $1 FOR UPDATE`, by.ActorID).Scan(&old); err != nil {
			return notFound(err, "member")
		}
		if old == email {
			return nil
		}
		// The new address is unconfirmed while the site asks for confirmation; a link sent to the
		// old one no longer confirms anything (ConfirmEmail matches the address).
		_, err := tx.Exec(ctx, `UPDATE members SET email = $2,
				email_confirmed_at = CASE WHEN $3 THEN NULL ELSE now() END WHERE actor_id = $1`, by.ActorID, email, settings.ConfirmEmail)
		if isUniqueViolation(err, "members_email") {
			return Invalid("email", "is already registered")
		}
		if err != nil {
			return err
		}
		if settings.ConfirmEmail {
			if err := f.queueEmailConfirmation(ctx, tx, settings, by.ActorID, by.Username, email, confirmLink); err != nil {
				return err
			}
		}
		return f.insertJob(ctx, tx, MailArgs{To: old, Subject: settings.SiteName + ": your e-mail address was changed",
			Text: "Hello " + by.Username + ",\n\nThe e-mail address of your account on " + settings.SiteName +
				" was changed to " + email + ".\n\nIf you did not do this, reset your password and contact the " +
				"administrators: someone else may be using your account.\n"})
	})
	if err != nil {
		return fmt.Errorf("change e-mail: %w", err)
	}
	return nil
}

// confirmPassword checks the viewer's password for a sensitive change, throttled like sign-in.
func (f *Forum) confirmPassword(ctx context.Context, by Viewer, password string) error {
	key := "member:" + strconv.FormatInt(by.ActorID, 10)
	// Counted first and given back when right, as a sign-in is (login.go).
	limited, err := loginPerAccount.take(ctx, f.db, key)
	if err != nil {
		return err
	}
	if limited {
		return ErrRateLimited
	}
	var hash string
	if err := f.db.QueryRow(ctx, `SELECT password_hash FROM members WHERE actor_id = $1`, by.ActorID).Scan(&hash); err != nil {
		return notFound(err, "member")
	}
	ok, err := CheckPassword(hash, clip(password, MaxPasswordLen))
	if err != nil {
		return err
	}
	if !ok || len(password) > MaxPasswordLen {
		return Invalid("current_password", "is not your current password")
	}
	return loginPerAccount.giveBack(ctx, f.db, key)
}

func validateEmail(v *ValidationError, field, email string) {
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		v.Add(field, "is not a valid e-mail address")
	}
}

// cleanLine makes one line of text fit to show: white space collapsed to single spaces, control
// and format characters (newlines, bell, bidirectional overrides) and non-characters dropped, so
// that a display name or a title cannot break a page's layout or pose as another. It is then put
// in NFC, so that "é" typed as e and a combining accent is one character, as it looks, for the
// length limits and for search.
func cleanLine(s string) string {
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if isInvisibleOrControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
