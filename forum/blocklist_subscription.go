package forum

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Subscriptions to shared blocklists (GoToSocial's and NodeBB's idea): a list is fetched by URL on
// a schedule (federation's BlocklistFetchWorker, through the safe fetch rules), and its entries
// replace what it said before. Its entries are rules like the admin's, with three differences that
// keep a list from overruling the admin: the admin's own block of a domain wins over any list's
// entry for it, a local allow overrides every list, and among lists the highest priority wins. A
// domain a list retracts is lifted only if that list alone was blocking it (another list's entry,
// or the admin's block, stays in force). Every change a refresh makes is in the moderation log,
// with the list it came from.
//
// A fetch that fails, or a list that comes back empty or unreadable, changes nothing: a broken
// list must not lift every block it held.

// BlocklistSubscription is a subscribed list.
type BlocklistSubscription struct {
	ID           int64      `db:"id"`
	URL          string     `db:"url"`
	Priority     int        `db:"priority"`
	CreatedAt    time.Time  `db:"created_at"`
	FetchedAt    *time.Time `db:"fetched_at"`
	AttemptedAt  *time.Time `db:"attempted_at"`
	ETag         string     `db:"etag"`
	LastModified string     `db:"last_modified"`
	LastError    string     `db:"last_error"`
	EntryCount   int        `db:"entry_count"`
}

// Subscription limits and defaults.
const (
	DefaultBlocklistPriority = 100
	maxBlocklistURL          = 2000
	// BlocklistRefreshEvery is how often lists are fetched again.
	BlocklistRefreshEvery = 6 * time.Hour
)

// BlocklistFetchArgs is the job that fetches one subscribed list now (queued when it is added and
// by the periodic BlocklistRefreshArgs). Federation's BlocklistFetchWorker runs it.
type BlocklistFetchArgs struct {
	SubscriptionID int64 `json:"subscription_id"`
}

// Kind names the job.
func (BlocklistFetchArgs) Kind() string { return "blocklist_fetch" }

// BlocklistRefreshArgs is the periodic job that queues a fetch of every subscribed list.
type BlocklistRefreshArgs struct{}

// Kind names the job.
func (BlocklistRefreshArgs) Kind() string { return "blocklist_refresh" }

const subscriptionColumns = `id, url, priority, created_at, fetched_at, attempted_at, etag, last_modified, last_error, entry_count`

// validBlocklistURL accepts absolute http(s) URLs without user information. Whether plain http and
// private addresses may be fetched is the fetcher's decision (unsafe local mode).
func validBlocklistURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(raw) > maxBlocklistURL {
		return "", Invalid("url", "must be an https URL of at most %d characters", maxBlocklistURL)
	}
	u.Fragment = ""
	return u.String(), nil
}

func validPriority(p int) error {
	if p < 0 || p > 255 {
		return Invalid("priority", "must be from 0 to 255 (higher wins)")
	}
	return nil
}

// SubscribeBlocklist subscribes to a list, and queues its first fetch with the subscription.
// Admins only.
func (f *Forum) SubscribeBlocklist(ctx context.Context, by Viewer, rawURL string, priority int) (BlocklistSubscription, error) {
	if !by.IsAdmin() {
		return BlocklistSubscription{}, fmt.Errorf("subscribe to blocklist: %w", ErrForbidden)
	}
	u, err := validBlocklistURL(rawURL)
	if err != nil {
		return BlocklistSubscription{}, err
	}
	if err := validPriority(priority); err != nil {
		return BlocklistSubscription{}, err
	}
	var creator *int64
	if by.ActorID > 0 {
		creator = &by.ActorID
	}
	var sub BlocklistSubscription
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO blocklist_subscriptions (url, priority, created_by) VALUES ($1, $2, $3)
			RETURNING `+subscriptionColumns, u, priority, creator)
		if err != nil {
			return err
		}
		if sub, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[BlocklistSubscription]); err != nil {
			if isUniqueViolation(err, "") {
				return Invalid("url", "this list is already subscribed")
			}
			return err
		}
		if err := f.logModeration(ctx, tx, by, ModerationEntry{Action: "subscribe_blocklist",
			Details: modDetails(map[string]any{"subscription": sub.ID, "url": u, "priority": priority})}); err != nil {
			return err
		}
		return f.insertJob(ctx, tx, BlocklistFetchArgs{SubscriptionID: sub.ID})
	})
	if err != nil {
		return BlocklistSubscription{}, fmt.Errorf("subscribe to %s: %w", u, err)
	}
	return sub, nil
}

// UnsubscribeBlocklist drops a list and its entries: the domains only it was blocking are lifted.
// Admins only.
func (f *Forum) UnsubscribeBlocklist(ctx context.Context, by Viewer, id int64) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("unsubscribe blocklist: %w", ErrForbidden)
	}
	sub, err := f.BlocklistSubscriptionByID(ctx, id)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	domains, err := f.subscriptionDomains(ctx, id)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	source := map[string]any{"subscription": id, "url": sub.URL}
	entry := ModerationEntry{Action: "unsubscribe_blocklist", Details: modDetails(source)}
	return f.changeDomainRules(ctx, by, policyChange{domains: domains, source: source, entry: &entry}, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `DELETE FROM blocklist_subscriptions WHERE id = $1`, id)
		if err == nil && ct.RowsAffected() == 0 {
			return fmt.Errorf("blocklist subscription %d: %w", id, ErrNotFound)
		}
		return err
	})
}

// SetBlocklistPriority changes a list's priority, which may change which list's entry is in force
// for domains several lists name. Admins only.
func (f *Forum) SetBlocklistPriority(ctx context.Context, by Viewer, id int64, priority int) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("blocklist priority: %w", ErrForbidden)
	}
	if err := validPriority(priority); err != nil {
		return DomainPolicyResult{}, err
	}
	domains, err := f.subscriptionDomains(ctx, id)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	source := map[string]any{"subscription": id, "priority": priority}
	entry := ModerationEntry{Action: "set_blocklist_priority", Details: modDetails(source)}
	return f.changeDomainRules(ctx, by, policyChange{domains: domains, source: source, entry: &entry}, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `UPDATE blocklist_subscriptions SET priority = $2 WHERE id = $1`, id, priority)
		if err == nil && ct.RowsAffected() == 0 {
			return fmt.Errorf("blocklist subscription %d: %w", id, ErrNotFound)
		}
		return err
	})
}

// RefreshBlocklist queues a fetch of a list now. Admins only.
func (f *Forum) RefreshBlocklist(ctx context.Context, by Viewer, id int64) error {
	if !by.IsAdmin() {
		return fmt.Errorf("refresh blocklist: %w", ErrForbidden)
	}
	if _, err := f.BlocklistSubscriptionByID(ctx, id); err != nil {
		return err
	}
	return f.inTx(ctx, func(tx pgx.Tx) error { return f.insertJob(ctx, tx, BlocklistFetchArgs{SubscriptionID: id}) })
}

// BlocklistSubscriptions lists the subscribed lists, highest priority first. Admins only.
func (f *Forum) BlocklistSubscriptions(ctx context.Context, by Viewer) ([]BlocklistSubscription, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("blocklist subscriptions: %w", ErrForbidden)
	}
	return f.AllBlocklistSubscriptions(ctx)
}

// AllBlocklistSubscriptions lists every subscribed list, highest priority first (for the periodic
// refresh).
func (f *Forum) AllBlocklistSubscriptions(ctx context.Context) ([]BlocklistSubscription, error) {
	rows, err := f.db.Query(ctx, `SELECT `+subscriptionColumns+` FROM blocklist_subscriptions ORDER BY priority DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("blocklist subscriptions: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[BlocklistSubscription])
	if err != nil {
		return nil, fmt.Errorf("blocklist subscriptions: %w", err)
	}
	return list, nil
}

// BlocklistSubscriptionByID loads a subscribed list.
func (f *Forum) BlocklistSubscriptionByID(ctx context.Context, id int64) (BlocklistSubscription, error) {
	rows, err := f.db.Query(ctx, `SELECT `+subscriptionColumns+` FROM blocklist_subscriptions WHERE id = $1`, id)
	if err != nil {
		return BlocklistSubscription{}, fmt.Errorf("blocklist subscription %d: %w", id, err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[BlocklistSubscription])
	if err != nil {
		return BlocklistSubscription{}, notFound(err, fmt.Sprintf("blocklist subscription %d", id))
	}
	return s, nil
}

func (f *Forum) subscriptionDomains(ctx context.Context, id int64) ([]string, error) {
	rows, err := f.db.Query(ctx, `SELECT domain FROM blocklist_entries WHERE subscription_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("entries of list %d: %w", id, err)
	}
	domains, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("entries of list %d: %w", id, err)
	}
	return domains, nil
}

// BlocklistFetch is what a fetch of a list brought back.
type BlocklistFetch struct {
	// NotModified: the server answered 304 to the conditional request; nothing changes.
	NotModified        bool
	Data               []byte
	ETag, LastModified string
}

// ApplyBlocklistFetch replaces a list's entries with what was fetched and applies the change like
// any other change of the rules (logged per domain, with the list). A file that cannot be read, or
// holds no valid entry, is recorded as the list's error and changes nothing.
func (f *Forum) ApplyBlocklistFetch(ctx context.Context, id int64, got BlocklistFetch) (DomainPolicyResult, error) {
	sub, err := f.BlocklistSubscriptionByID(ctx, id)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	if got.NotModified {
		_, err := f.db.Exec(ctx, `UPDATE blocklist_subscriptions SET fetched_at = now(), attempted_at = now(), last_error = ''
			WHERE id = $1`, id)
		return DomainPolicyResult{}, err
	}
	entries, problems, err := f.ParseBlocklist(got.Data)
	if err == nil && len(entries) == 0 {
		err = fmt.Errorf("%w: no valid entry (%d rows skipped); the previous entries stay in force", ErrBlocklistFormat, len(problems))
	}
	if err != nil {
		return DomainPolicyResult{}, errors.Join(err, f.RecordBlocklistFailure(ctx, id, err.Error()))
	}
	old, err := f.subscriptionDomains(ctx, id)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	domains := old
	cols := struct {
		domain, severity, comment []string
		media, reports, obfuscate []bool
	}{}
	for _, e := range entries {
		domains = append(domains, e.Domain)
		cols.domain = append(cols.domain, e.Domain)
		cols.severity = append(cols.severity, string(e.Severity))
		cols.comment = append(cols.comment, e.PublicComment)
		cols.media = append(cols.media, e.RejectMedia)
		cols.reports = append(cols.reports, e.RejectReports)
		cols.obfuscate = append(cols.obfuscate, e.Obfuscate)
	}
	status := ""
	if len(problems) > 0 {
		status = fmt.Sprintf("%d rows skipped; first at line %d: %s", len(problems), problems[0].Line, problems[0].Problem)
	}
	source := map[string]any{"source": "subscription", "subscription": id, "url": sub.URL}
	return f.changeDomainRules(ctx, Viewer{}, policyChange{domains: domains, source: source}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM blocklist_entries WHERE subscription_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blocklist_entries
				(subscription_id, domain, severity, reject_media, reject_reports, public_comment, obfuscate)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bool[], $5::bool[], $6::text[], $7::bool[])`,
			id, cols.domain, cols.severity, cols.media, cols.reports, cols.comment, cols.obfuscate); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE blocklist_subscriptions SET fetched_at = now(), attempted_at = now(), etag = $2,
				last_modified = $3, last_error = $4, entry_count = $5 WHERE id = $1`,
			id, clipText(got.ETag, 500), clipText(got.LastModified, 100), status, len(entries))
		return err
	})
}

// RecordBlocklistFailure notes a failed fetch of a list; its entries stay in force.
func (f *Forum) RecordBlocklistFailure(ctx context.Context, id int64, problem string) error {
	_, err := f.db.Exec(ctx, `UPDATE blocklist_subscriptions SET attempted_at = now(), last_error = $2 WHERE id = $1`,
		id, clipText(problem, 500))
	if err != nil {
		return fmt.Errorf("record failure of list %d: %w", id, err)
	}
	return nil
}
