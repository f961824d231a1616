package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// What the admin pages show about outgoing federation: a post's deliveries by domain, a domain's
// health and queue, and the queues as a whole. Admins only.

// DomainDeliveries sums one activity's deliveries to one domain.
type DomainDeliveries struct {
	Domain     string    `db:"domain"`
	Total      int       `db:"total"`
	Delivered  int       `db:"delivered"`
	Pending    int       `db:"pending"`
	Failed     int       `db:"failed"`
	Cancelled  int       `db:"cancelled"`
	Attempts   int       `db:"attempts"`
	LastStatus *int      `db:"last_status"`
	LastError  string    `db:"last_error"`
	UpdatedAt  time.Time `db:"updated_at"`
}

// ActivityDeliveries is one activity of a post with its deliveries by domain.
type ActivityDeliveries struct {
	Activity ActivityRef
	Domains  []DomainDeliveries
}

// PostDeliveryStatus lists the activities about a post (its Create, edits, likes, deletion, ...)
// with how their delivery went, per domain: what an admin checks when a peer says it never got a
// post.
func (f *Forum) PostDeliveryStatus(ctx context.Context, by Viewer, postID int64) ([]ActivityDeliveries, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("delivery status: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT id, '' AS document, verb, created_at FROM activities
		WHERE post_id = $1 ORDER BY id LIMIT $2`, postID, MaxCollectionPage)
	if err != nil {
		return nil, fmt.Errorf("activities of post %d: %w", postID, err)
	}
	acts, err := pgx.CollectRows(rows, pgx.RowToStructByName[ActivityRef])
	if err != nil {
		return nil, fmt.Errorf("activities of post %d: %w", postID, err)
	}
	out := make([]ActivityDeliveries, 0, len(acts))
	for _, a := range acts {
		rows, err := f.db.Query(ctx, `SELECT domain, count(*)::int AS total,
				count(*) FILTER (WHERE state = 'delivered')::int AS delivered,
				count(*) FILTER (WHERE state = 'pending')::int AS pending,
				count(*) FILTER (WHERE state = 'failed')::int AS failed,
				count(*) FILTER (WHERE state = 'cancelled')::int AS cancelled,
				sum(attempts)::int AS attempts,
				(array_agg(last_status ORDER BY updated_at DESC) FILTER (WHERE last_status IS NOT NULL))[1] AS last_status,
				coalesce((array_agg(last_error ORDER BY updated_at DESC) FILTER (WHERE last_error <> ''))[1], '') AS last_error,
				max(updated_at) AS updated_at
			FROM deliveries WHERE activity_id = $1
			GROUP BY domain ORDER BY count(*) FILTER (WHERE state IN ('pending', 'failed')) DESC, domain
			LIMIT 500`, a.ID)
		if err != nil {
			return nil, fmt.Errorf("deliveries of activity %d: %w", a.ID, err)
		}
		ds, err := pgx.CollectRows(rows, pgx.RowToStructByName[DomainDeliveries])
		if err != nil {
			return nil, fmt.Errorf("deliveries of activity %d: %w", a.ID, err)
		}
		out = append(out, ActivityDeliveries{Activity: a, Domains: ds})
	}
	return out, nil
}

// DeliveryRecord is one delivery as the domain page lists it.
type DeliveryRecord struct {
	ActivityID int64         `db:"activity_id"`
	Verb       Verb          `db:"verb"`
	PostID     *int64        `db:"post_id"`
	Document   string        `db:"document"`
	Inbox      string        `db:"inbox"`
	State      DeliveryState `db:"state"`
	Attempts   int           `db:"attempts"`
	LastStatus *int          `db:"last_status"`
	LastError  string        `db:"last_error"`
	CreatedAt  time.Time     `db:"created_at"`
	UpdatedAt  time.Time     `db:"updated_at"`
}

// DomainStatus is a domain's page: its health, its queue, its latest deliveries.
type DomainStatus struct {
	Domain  Domain
	Pending int
	Recent  []DeliveryRecord
}

// DomainDeliveryStatus loads a domain's page. A domain Stoa never delivered to and knows nothing
// about is ErrNotFound.
func (f *Forum) DomainDeliveryStatus(ctx context.Context, by Viewer, domain string) (DomainStatus, error) {
	if !by.IsAdmin() {
		return DomainStatus{}, fmt.Errorf("domain status: %w", ErrForbidden)
	}
	d, err := f.DomainByName(ctx, domain)
	if err != nil {
		return DomainStatus{}, err
	}
	out := DomainStatus{Domain: d}
	if err := f.db.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE domain = $1 AND state = 'pending'`, domain).
		Scan(&out.Pending); err != nil {
		return DomainStatus{}, fmt.Errorf("queue of %s: %w", domain, err)
	}
	rows, err := f.db.Query(ctx, `SELECT dl.activity_id, ac.verb, ac.post_id, dl.document, dl.inbox, dl.state, dl.attempts,
			dl.last_status, dl.last_error, dl.created_at, dl.updated_at
		FROM (SELECT * FROM deliveries WHERE domain = $1 ORDER BY created_at DESC LIMIT 50) dl
		JOIN activities ac ON ac.id = dl.activity_id
		ORDER BY dl.created_at DESC, dl.activity_id DESC`, domain)
	if err != nil {
		return DomainStatus{}, fmt.Errorf("deliveries to %s: %w", domain, err)
	}
	if out.Recent, err = pgx.CollectRows(rows, pgx.RowToStructByName[DeliveryRecord]); err != nil {
		return DomainStatus{}, fmt.Errorf("deliveries to %s: %w", domain, err)
	}
	return out, nil
}

// QueueDepth is the number of jobs of one queue in one state.
type QueueDepth struct {
	Queue string `db:"queue"`
	State string `db:"state"`
	Count int64  `db:"count"`
}

// QueueDepths counts the unfinished jobs of every queue by state, from River's job table (finished
// jobs are not counted: River keeps them a day, and counting them would scan them all). The index
// River fetches by leads with (state, queue), so this reads only unfinished jobs.
func (f *Forum) QueueDepths(ctx context.Context) ([]QueueDepth, error) {
	rows, err := f.db.Query(ctx, `SELECT queue, state::text AS state, count(*) AS count FROM river_job
		WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')
		GROUP BY queue, state ORDER BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[QueueDepth])
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	return list, nil
}

// DeliveryCounts are the deliveries recorded in a period, by state.
type DeliveryCounts struct {
	Delivered int `db:"delivered"`
	Pending   int `db:"pending"`
	Failed    int `db:"failed"`
	Cancelled int `db:"cancelled"`
}

// deliveryCountsSince counts the deliveries queued since a time, by state.
func (f *Forum) deliveryCountsSince(ctx context.Context, since time.Time) (DeliveryCounts, error) {
	rows, err := f.db.Query(ctx, `SELECT count(*) FILTER (WHERE state = 'delivered')::int AS delivered,
			count(*) FILTER (WHERE state = 'pending')::int AS pending,
			count(*) FILTER (WHERE state = 'failed')::int AS failed,
			count(*) FILTER (WHERE state = 'cancelled')::int AS cancelled
		FROM deliveries WHERE created_at > $1`, since)
	if err != nil {
		return DeliveryCounts{}, fmt.Errorf("delivery counts: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[DeliveryCounts])
	if err != nil {
		return DeliveryCounts{}, fmt.Errorf("delivery counts: %w", err)
	}
	return c, nil
}

// DeliveryOverview is the queue overview page.
type DeliveryOverview struct {
	Queues  []QueueDepth
	Day     DeliveryCounts
	Trouble []DomainListEntry
}

// DeliveryOverviewOf loads the overview: the queues, the last day's deliveries, and the domains
// that fail.
func (f *Forum) DeliveryOverviewOf(ctx context.Context, by Viewer, now time.Time) (DeliveryOverview, error) {
	if !by.IsAdmin() {
		return DeliveryOverview{}, fmt.Errorf("delivery overview: %w", ErrForbidden)
	}
	var out DeliveryOverview
	var err error
	if out.Queues, err = f.QueueDepths(ctx); err != nil {
		return DeliveryOverview{}, err
	}
	if out.Day, err = f.deliveryCountsSince(ctx, now.Add(-24*time.Hour)); err != nil {
		return DeliveryOverview{}, err
	}
	if out.Trouble, err = f.DomainsWithTrouble(ctx, by, 50); err != nil {
		return DeliveryOverview{}, err
	}
	return out, nil
}
