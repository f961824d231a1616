package forum

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// rateLimit is a budget of hits per sliding window for one kind of bucket. The counters live in
// PostgreSQL (table rate_limits), so they survive restarts and are shared by every instance.
//
// The window slides by weighting: a bucket's count is the hits of the current fixed window plus
// the previous window's hits times the share of it the sliding window still covers. That is what
// Cloudflare and nginx-style limiters do: one row per bucket and window, no per-hit rows, and no
// burst of 2x the budget at a window boundary.
type rateLimit struct {
	name   string
	window time.Duration
	max    int
}

// The budgets, and why they are what they are:
var (
	// Failed sign-ins per account. Passwords are at least 10 characters and argon2id-hashed; 10
	// guesses per 15 minutes is under 1,000 a day, too few for any online guessing to matter, and
	// plenty for a person who mistypes. The price is that someone who knows a username can keep
	// that account from signing in; the lock lifts 15 minutes after they stop, and a password
	// reset by e-mail still works meanwhile (Discourse and GitHub make the same trade).
	loginPerAccount = rateLimit{"login-account", 15 * time.Minute, 10}
	// Failed sign-ins per client address (IPv6: per /64). Higher than per account, because a
	// school or an office shares one address behind NAT; low enough that spraying one password
	// over many accounts from one address gets about 3,000 guesses a day. Counting failures only
	// also bounds the argon2 work (19 MiB, ~30 ms) one address can make the server do for nothing.
	loginPerIP = rateLimit{"login-ip", 15 * time.Minute, 30}
	// Registrations per client address: a household registering a few people is fine, a script
	// making accounts is not.
	registerPerIP = rateLimit{"register-ip", time.Hour, 5}
	// Password-reset mails per address asked for: enough for a person who did not get the first
	// mail, too few to flood someone's inbox through us.
	resetPerEmail = rateLimit{"reset-email", time.Hour, 3}
	// Password-reset requests per client address, whatever the e-mail: stops one client from
	// probing (or flooding) many addresses.
	resetPerIP = rateLimit{"reset-ip", time.Hour, 10}
	// Avatar uploads per member: each is decoded in memory (up to maxAvatarDecodedBytes), so a
	// member scripting uploads must not keep the server doing that; a person trying a few pictures
	// never notices.
	avatarPerMember = rateLimit{"avatar-member", time.Hour, 20}
)

// DefaultPostsPerMinute bounds how fast a member posts, threads and replies together: a person in
// a lively discussion writes a reply a minute, rarely more than a few; a script, or someone
// flooding a thread, writes dozens. Ten in any minute stops the second and never the first
// (Discourse waits 5 s between two posts of a member). Staff are not counted.
const DefaultPostsPerMinute = 10

// spendPostBudget counts a post by actor in tx, or refuses it with ErrPostingTooFast when actor
// has posted the forum's bound in the last minute. Counted in the post's transaction, it is spent
// only when the post is stored, and a member's posts at once wait for each other's count.
func (f *Forum) spendPostBudget(ctx context.Context, tx pgx.Tx, actor Viewer) error {
	if f.postBudget.max == 0 || actor.IsStaff() {
		return nil
	}
	over, err := f.postBudget.take(ctx, tx, strconv.FormatInt(actor.ActorID, 10))
	if err != nil {
		return err
	}
	if over {
		return fmt.Errorf("%s: %w", actor.Username, ErrPostingTooFast)
	}
	return nil
}

// longestRateWindow bounds how long rows are useful: a check reads the current and previous window.
const longestRateWindow = time.Hour

// pgQuerier is what both a pool and a transaction offer.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// The epoch the fixed windows are aligned to; any fixed instant works.
const rateEpoch = `timestamptz '2000-01-01 00:00:00+00'`

// take counts one event against the bucket and reports whether the bucket had used its budget
// before it. It is one statement: the upsert locks the bucket's row, so two requests at once
// cannot both find the last unit of the budget free (a check and a later count let any number of
// parallel requests through; each saw the count before the others' hits). In a transaction the
// row stays locked, and the count stays spent, until it ends: a refused write rolled back spends
// nothing. Autocommitted, a refused event stays counted, so a client that keeps trying stays
// refused until it stops for a window.
func (l rateLimit) take(ctx context.Context, q pgQuerier, key string) (bool, error) {
	var count float64
	err := q.QueryRow(ctx, `
		WITH c AS (SELECT date_bin(w, now(), `+rateEpoch+`) AS cur, w
		           FROM (SELECT make_interval(secs => $2) AS w) x),
		counted AS (
			INSERT INTO rate_limits (bucket, window_start, hits) SELECT $1, c.cur, 1 FROM c
			ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
			RETURNING hits)
		SELECT (SELECT hits FROM counted)::float8
		     + coalesce((SELECT r.hits FROM rate_limits r WHERE r.bucket = $1 AND r.window_start = c.cur - c.w), 0)::float8
		       * greatest(0, 1 - extract(epoch FROM now() - c.cur)::float8 / extract(epoch FROM c.w)::float8)
		FROM c`, l.bucket(key), l.window.Seconds()).Scan(&count)
	if err != nil {
		return false, fmt.Errorf("rate limit %s: %w", l.name, err)
	}
	// count includes this event: the budget was spent if what came before it reached max.
	return count-1 >= float64(l.max), nil
}

// giveBack uncounts an event take counted that turned out not to be one the budget is for (a
// sign-in that succeeded, a registration refused for its form).
func (l rateLimit) giveBack(ctx context.Context, q pgQuerier, key string) error {
	_, err := q.Exec(ctx, `UPDATE rate_limits SET hits = hits - 1
		WHERE bucket = $1 AND window_start = date_bin(make_interval(secs => $2), now(), `+rateEpoch+`) AND hits > 0`,
		l.bucket(key), l.window.Seconds())
	if err != nil {
		return fmt.Errorf("rate limit %s: %w", l.name, err)
	}
	return nil
}

// clear forgets the bucket (a successful sign-in clears the account's failures).
func (l rateLimit) clear(ctx context.Context, q pgQuerier, key string) error {
	if _, err := q.Exec(ctx, `DELETE FROM rate_limits WHERE bucket = $1`, l.bucket(key)); err != nil {
		return fmt.Errorf("rate limit %s: %w", l.name, err)
	}
	return nil
}

func (l rateLimit) bucket(key string) string { return l.name + ":" + key }

// ipBucket is the key of a client address: the address itself for IPv4, its /64 for IPv6 (one
// subscriber usually gets a whole /64, so counting single addresses would count nothing). The
// second result is false when the address is unknown, and then nothing is counted per address.
func ipBucket(ip netip.Addr) (string, bool) {
	if !ip.IsValid() {
		return "", false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, err := ip.Prefix(64)
		if err != nil {
			return "", false
		}
		return p.String(), true
	}
	return ip.String(), true
}
