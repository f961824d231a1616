package forum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Remote servers ("domains": canonical host[:port], as in actors.domain) as the outbox sees them:
// what software they run and whether deliveries to them work. The rule is Mastodon's
// (DeliveryFailureTracker): each failed delivery adds its UTC day to the domain's failure days; a
// domain with failures on UnavailableAfterDays distinct days and no success since is unavailable,
// and fan-outs skip it; any successful delivery, or any valid signed request from the domain
// (DomainSeen, called by the inbox), clears the mark and the days.

// UnavailableAfterDays is how many distinct days of failures, with no success between them, make a
// domain unavailable.
const UnavailableAfterDays = 7

// Domain is what Stoa knows about one remote server.
type Domain struct {
	Domain            string      `db:"domain"`
	Software          string      `db:"software"`
	SoftwareVersion   string      `db:"software_version"`
	SoftwareCheckedAt *time.Time  `db:"software_checked_at"`
	FailureDays       []time.Time `db:"failure_days"`
	LastFailureAt     *time.Time  `db:"last_failure_at"`
	LastError         string      `db:"last_error"`
	LastSuccessAt     *time.Time  `db:"last_success_at"`
	UnavailableSince  *time.Time  `db:"unavailable_since"`
	CreatedAt         time.Time   `db:"created_at"`
}

// Unavailable reports whether fan-outs skip the domain.
func (d Domain) Unavailable() bool { return d.UnavailableSince != nil }

// ForumSoftware reports whether the domain runs forum software: such peers receive a category's
// replies, edits, likes and moderation (FEP-1b12 Announces), which microblogs would show as spam.
func (d Domain) ForumSoftware() bool { return IsForumSoftware(d.Software) }

// forumSoftware are the NodeInfo software names of servers built around groups and threads.
var forumSoftware = map[string]bool{
	"lemmy": true, "mbin": true, "kbin": true, "piefed": true, "nodebb": true, "discourse": true,
	"lotide": true, "stoa": true, "friendica": true, "flarum": true, "misago": true, "sublinks": true,
}

// IsForumSoftware reports whether a NodeInfo software name is forum software.
func IsForumSoftware(name string) bool {
	return forumSoftware[strings.ToLower(strings.TrimSpace(name))]
}

const domainColumns = `d.domain, d.software, d.software_version, d.software_checked_at, d.failure_days,
	d.last_failure_at, d.last_error, d.last_success_at, d.unavailable_since, d.created_at`

// DomainByName loads what is known about a domain; ErrNotFound when nothing is.
func (f *Forum) DomainByName(ctx context.Context, domain string) (Domain, error) {
	rows, err := f.db.Query(ctx, "SELECT "+domainColumns+" FROM domains d WHERE d.domain = $1", domain)
	if err != nil {
		return Domain{}, fmt.Errorf("domain %s: %w", domain, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Domain])
	if err != nil {
		return Domain{}, notFound(err, "domain "+domain)
	}
	return d, nil
}

// DeliveryFailure is one failed delivery attempt to a domain.
type DeliveryFailure struct {
	Domain string
	At     time.Time
	Error  string
}

// successResolution is how fresh a healthy domain's last_success_at is kept: a domain that
// succeeded within it, and has no failure to clear, is not written again.
const successResolution = time.Minute

// RecordDeliveryResults updates the health of domains after a batch of delivery attempts: every
// domain in succeeded is healthy again; every failure adds its day. One statement each, whatever
// the batch size: the delivery workers report in batches.
//
// A success rewrites a domain's row only when it changes something that matters: failures to
// clear, or a last success older than successResolution. A busy peer is delivered to many times
// a second, and rewriting its row for each batch cost PostgreSQL an update (with its index
// entries and, later, its vacuum) per batch for nothing a page or a rule reads to the second.
func (f *Forum) RecordDeliveryResults(ctx context.Context, succeeded []string, failed []DeliveryFailure) error {
	if len(succeeded) > 0 {
		if _, err := f.db.Exec(ctx, `INSERT INTO domains AS d (domain, last_success_at)
			SELECT DISTINCT x, now() FROM unnest($1::text[]) AS x
			ON CONFLICT (domain) DO UPDATE SET last_success_at = now(), failure_days = '{}', unavailable_since = NULL
			WHERE d.last_success_at IS NULL OR d.last_success_at < now() - $2::interval
				OR d.failure_days <> '{}' OR d.unavailable_since IS NOT NULL`,
			succeeded, successResolution); err != nil {
			return fmt.Errorf("record delivery successes: %w", err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	domains := make([]string, len(failed))
	days := make([]time.Time, len(failed))
	ats := make([]time.Time, len(failed))
	errs := make([]string, len(failed))
	for i, x := range failed {
		domains[i], ats[i], errs[i] = x.Domain, x.At.UTC(), clipText(x.Error, 500)
		days[i] = time.Date(ats[i].Year(), ats[i].Month(), ats[i].Day(), 0, 0, 0, 0, time.UTC)
	}
	// Each domain's failures of the batch are folded into one row first (ON CONFLICT may touch a
	// row once per statement); a day already counted is not counted twice, and a failure older than
	// the last success (a slow request that began before it) does not count.
	_, err := f.db.Exec(ctx, `WITH batch AS (
			SELECT f.domain, array_agg(DISTINCT f.day) AS days, max(f.at) AS at,
			       (array_agg(f.err ORDER BY f.at DESC))[1] AS err
			FROM unnest($1::text[], $2::date[], $3::timestamptz[], $4::text[]) AS f(domain, day, at, err)
			GROUP BY f.domain)
		INSERT INTO domains AS d (domain, failure_days, last_failure_at, last_error, unavailable_since)
		SELECT b.domain, b.days, b.at, b.err,
		       CASE WHEN cardinality(b.days) >= $5 THEN now() END
		FROM batch b
		ON CONFLICT (domain) DO UPDATE SET
			failure_days = CASE WHEN d.last_success_at >= EXCLUDED.last_failure_at THEN d.failure_days
				ELSE ARRAY(SELECT DISTINCT x FROM unnest(d.failure_days || EXCLUDED.failure_days) AS x ORDER BY x) END,
			last_failure_at = greatest(d.last_failure_at, EXCLUDED.last_failure_at),
			last_error = EXCLUDED.last_error,
			unavailable_since = CASE
				WHEN d.unavailable_since IS NOT NULL THEN d.unavailable_since
				WHEN d.last_success_at >= EXCLUDED.last_failure_at THEN NULL
				WHEN (SELECT count(DISTINCT x) FROM unnest(d.failure_days || EXCLUDED.failure_days) AS x) >= $5 THEN now()
				END`,
		domains, days, ats, errs, UnavailableAfterDays)
	if err != nil {
		return fmt.Errorf("record delivery failures: %w", err)
	}
	return nil
}

// DomainSeen records that a domain is alive: the inbox calls it for every valid signed request
// from the domain, so a server that comes back is delivered to again before the outbox would have
// tried it. It clears the unavailable mark and the failure days; cheap when there is nothing to clear.
func (f *Forum) DomainSeen(ctx context.Context, domain string) error {
	_, err := f.db.Exec(ctx, `UPDATE domains SET failure_days = '{}', unavailable_since = NULL
		WHERE domain = $1 AND (unavailable_since IS NOT NULL OR failure_days <> '{}')`, domain)
	if err != nil {
		return fmt.Errorf("domain %s seen: %w", domain, err)
	}
	return nil
}

// ResetDomain clears a domain's failure record by an admin's decision ("retry now"): it is
// delivered to again at once.
func (f *Forum) ResetDomain(ctx context.Context, by Viewer, domain string) error {
	if !by.IsAdmin() {
		return fmt.Errorf("reset domain %s: %w", domain, ErrForbidden)
	}
	return f.DomainSeen(ctx, domain)
}

// SetDomainSoftware records the software a domain's NodeInfo names.
func (f *Forum) SetDomainSoftware(ctx context.Context, domain, name, version string) error {
	_, err := f.db.Exec(ctx, `INSERT INTO domains (domain, software, software_version, software_checked_at)
		VALUES ($1, $2, $3, now())
		ON CONFLICT (domain) DO UPDATE SET software = EXCLUDED.software, software_version = EXCLUDED.software_version,
			software_checked_at = now()`,
		domain, clipText(strings.ToLower(strings.TrimSpace(name)), 100), clipText(version, 100))
	if err != nil {
		return fmt.Errorf("set software of %s: %w", domain, err)
	}
	return nil
}

// ProbeDomainArgs is the job that reads a domain's NodeInfo to learn its software.
type ProbeDomainArgs struct {
	Domain string `json:"domain"`
}

// Kind implements JobArgs.
func (ProbeDomainArgs) Kind() string { return "probe_domain" }

// probeDomainInterval is how long a failed NodeInfo probe waits before another is queued.
const probeDomainInterval = 24 * time.Hour

// probeDomainOnce queues a NodeInfo probe of a remote domain in tx unless its software is known or
// a probe was queued within probeDomainInterval: the claim and the job commit together.
func (f *Forum) probeDomainOnce(ctx context.Context, tx pgx.Tx, domain string) error {
	if domain == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO domains AS d (domain, software_checked_at) VALUES ($1, now())
		ON CONFLICT (domain) DO UPDATE SET software_checked_at = now()
		WHERE d.software = '' AND (d.software_checked_at IS NULL OR d.software_checked_at < now() - make_interval(secs => $2))`,
		domain, probeDomainInterval.Seconds())
	if err != nil {
		return fmt.Errorf("claim probe of %s: %w", domain, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	return f.insertJob(ctx, tx, ProbeDomainArgs{Domain: domain})
}

// clipText cuts s to at most n bytes without splitting a UTF-8 sequence.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// DomainListEntry is one line of the admin's list of domains.
type DomainListEntry struct {
	Domain
	Pending int `db:"pending"`
}

// DomainsWithTrouble lists domains that are unavailable or failing, worst first (most failure
// days), for the admin overview. Admins only.
func (f *Forum) DomainsWithTrouble(ctx context.Context, by Viewer, limit int) ([]DomainListEntry, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("domains: %w", ErrForbidden)
	}
	if limit <= 0 || limit > MaxCollectionPage {
		limit = MaxCollectionPage
	}
	rows, err := f.db.Query(ctx, `SELECT `+domainColumns+`,
			(SELECT count(*) FROM deliveries dl WHERE dl.domain = d.domain AND dl.state = 'pending')::int AS pending
		FROM (SELECT * FROM domains WHERE failure_days <> '{}' OR unavailable_since IS NOT NULL
		      ORDER BY cardinality(failure_days) DESC, domain LIMIT $1) d
		ORDER BY cardinality(d.failure_days) DESC, d.domain`, limit)
	if err != nil {
		return nil, fmt.Errorf("domains with trouble: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[DomainListEntry])
	if err != nil {
		return nil, fmt.Errorf("domains with trouble: %w", err)
	}
	return list, nil
}
