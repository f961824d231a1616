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

// LoginInput is what a sign-in form sends.
type LoginInput struct {
	// Login is a username or an e-mail address.
	Login    string
	Password string
	Client   ClientInfo
}

type loginCandidate struct {
	ID            int64      `db:"actor_id"`
	PasswordHash  string     `db:"password_hash"`
	BannedUntil   *time.Time `db:"banned_until"`
	BannedForever bool       `db:"banned_forever"`
	BanReason     string     `db:"ban_reason"`
	Banned        bool       `db:"banned"`
}

// Login checks a password and starts a new session (a fresh token: a session id is never carried
// over from before sign-in).
//
// An unknown account and a wrong password get the same error (ErrBadCredentials) after the same
// work: an argon2id check, against a dummy hash when there is no account, and the same counter
// updates. Failures are throttled per account and per client address (see rate_limit.go); when
// either budget is spent the answer is ErrRateLimited, before any password is checked. A banned
// member learns of the ban (a *BanError, which is ErrForbidden) only after giving the right password.
func (f *Forum) Login(ctx context.Context, in LoginInput) (NewSession, error) {
	login := strings.TrimSpace(in.Login)
	v := &ValidationError{}
	if login == "" {
		v.Add("login", "is required")
	}
	if in.Password == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return NewSession{}, err
	}
	// No stored password is longer than MaxPasswordLen: a longer one is wrong, and is checked (for
	// the same work) only up to that length rather than hashing whatever size was posted.
	tooLong := len(in.Password) > MaxPasswordLen
	if tooLong {
		in.Password = clip(in.Password, MaxPasswordLen)
	}
	login = clip(login, 320)

	cand, found, err := f.loginCandidate(ctx, login)
	if err != nil {
		return NewSession{}, fmt.Errorf("login: %w", err)
	}
	// Count failures against the member when the login names one (so username and e-mail share
	// one budget), else against what was typed. Both paths do the same queries.
	accountKey := "name:" + strings.ToLower(login)
	if found {
		accountKey = "member:" + strconv.FormatInt(cand.ID, 10)
	}
	ipKey, hasIP := ipBucket(in.Client.IP)
	// Every attempt is counted before its password is checked, and given back when it succeeds:
	// counted after the check, parallel guesses were all checked before any was counted.
	if limited, err := loginPerAccount.take(ctx, f.db, accountKey); err != nil || limited {
		return NewSession{}, loginRefused(err)
	}
	if hasIP {
		if limited, err := loginPerIP.take(ctx, f.db, ipKey); err != nil || limited {
			return NewSession{}, loginRefused(err)
		}
	}

	hash := dummyHash
	if found && !tooLong {
		hash = cand.PasswordHash
	}
	ok, err := CheckPassword(hash, in.Password)
	if err != nil {
		return NewSession{}, fmt.Errorf("login: member %d: %w", cand.ID, err)
	}
	if !ok || !found || tooLong {
		return NewSession{}, fmt.Errorf("login: %w", ErrBadCredentials)
	}
	if cand.Banned {
		return NewSession{}, fmt.Errorf("login: %w", banError(cand.BannedUntil, cand.BannedForever, cand.BanReason))
	}

	var ns NewSession
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		if err := loginPerAccount.clear(ctx, tx, accountKey); err != nil {
			return err
		}
		if hasIP {
			if err := loginPerIP.giveBack(ctx, tx, ipKey); err != nil {
				return err
			}
		}
		var err error
		ns.Token, ns.Session, err = f.createSession(ctx, tx, cand.ID, in.Client)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE members SET last_seen_at = now() WHERE actor_id = $1`, cand.ID)
		return err
	})
	if err != nil {
		return NewSession{}, fmt.Errorf("login: %w", err)
	}
	if ns.Member, err = f.MemberByID(ctx, cand.ID); err != nil {
		return NewSession{}, fmt.Errorf("login: %w", err)
	}
	return ns, nil
}

func loginRefused(err error) error {
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return fmt.Errorf("login: %w", ErrRateLimited)
}

// loginCandidate finds the member a login names: an e-mail address if it has an @, else a username.
func (f *Forum) loginCandidate(ctx context.Context, login string) (loginCandidate, bool, error) {
	where := "a.username = $1"
	key := NormalizeHandle(login)
	if strings.Contains(login, "@") {
		where = "lower(m.email) = $1"
		key = strings.ToLower(login)
	}
	rows, err := f.db.Query(ctx, `SELECT m.actor_id, m.password_hash, `+banColumns+`
		FROM members m JOIN actors a ON a.id = m.actor_id
		WHERE a.domain IS NULL AND a.deleted_at IS NULL AND `+where, key)
	if err != nil {
		return loginCandidate{}, false, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[loginCandidate])
	if errors.Is(err, pgx.ErrNoRows) {
		return loginCandidate{}, false, nil
	}
	if err != nil {
		return loginCandidate{}, false, err
	}
	return c, true, nil
}
