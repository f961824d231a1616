package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SiteOverview is the admin area's first page: who is here, what they write, what waits for
// staff, and, for admins, how this server gets on with the others.
type SiteOverview struct {
	Members MemberCounts
	Content ContentCounts
	// Federation is nil for moderators: the delivery and domain pages it leads to are admins'.
	Federation *FederationCounts
}

// ContentCounts are the overview's figures about what is written here. Threads and posts are
// those of this forum's own categories (mirrors of remote communities are not counted), from the
// categories' counters rather than a count of the posts table, which the overview would scan.
type ContentCounts struct {
	Threads     int64 `db:"threads"`
	Posts       int64 `db:"posts"`
	ActiveToday int64 `db:"active_today"` // listed threads with a post in the last 24 hours
	OpenReports int64 `db:"open_reports"`
}

// FederationCounts are the overview's figures about other servers.
type FederationCounts struct {
	RemoteFollowers int64 `db:"remote_followers"` // accepted follows of local actors by remote ones
	Following       int64 `db:"following"`        // accepted follows of remote actors by local ones
	Unavailable     int64 `db:"unavailable"`      // domains deliveries have stopped trying
	// Blocked counts the domain rules in force, by hand or from a subscribed list (not one a
	// local rule replaces or an allow exempts): what the domains page lists.
	Blocked int64 `db:"-"`
	// DayDeliveries are the deliveries queued in the last 24 hours, by state.
	DayDeliveries DeliveryCounts `db:"-"`
}

// SiteOverviewOf loads the admin overview for staff. Every figure is one index scan or a sum of
// small tables: the page stays cheap on a forum of millions of posts.
func (f *Forum) SiteOverviewOf(ctx context.Context, by Viewer) (SiteOverview, error) {
	members, err := f.CountMembersByState(ctx, by)
	if err != nil {
		return SiteOverview{}, err
	}
	out := SiteOverview{Members: members}
	rows, err := f.db.Query(ctx, `WITH totals AS (SELECT `+categoryTotals+` FROM categories c WHERE c.domain IS NULL)
		SELECT
			(SELECT coalesce(sum(thread_count), 0) FROM totals)::bigint AS threads,
			(SELECT coalesce(sum(post_count), 0) FROM totals)::bigint AS posts,
			(SELECT count(*) FROM threads t JOIN categories c ON c.id = t.category_id
				WHERE t.last_post_at > now() - interval '1 day' AND c.domain IS NULL
				  AND t.deleted_at IS NULL AND t.hidden_at IS NULL AND t.suppressed = 0) AS active_today,
			(SELECT count(*) FROM reports WHERE status = 'open') AS open_reports`)
	if err != nil {
		return SiteOverview{}, fmt.Errorf("content counts: %w", err)
	}
	if out.Content, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ContentCounts]); err != nil {
		return SiteOverview{}, fmt.Errorf("content counts: %w", err)
	}
	if !by.IsAdmin() {
		return out, nil
	}
	fed, err := f.federationCounts(ctx)
	if err != nil {
		return SiteOverview{}, err
	}
	out.Federation = &fed
	return out, nil
}

func (f *Forum) federationCounts(ctx context.Context) (FederationCounts, error) {
	rows, err := f.db.Query(ctx, `SELECT
			(SELECT count(*) FROM follows fo JOIN actors a ON a.id = fo.follower_id JOIN actors t ON t.id = fo.target_id
				WHERE fo.state = 'accepted' AND a.domain IS NOT NULL AND t.domain IS NULL) AS remote_followers,
			(SELECT count(*) FROM follows fo JOIN actors a ON a.id = fo.follower_id JOIN actors t ON t.id = fo.target_id
				WHERE fo.state = 'accepted' AND a.domain IS NULL AND t.domain IS NOT NULL) AS following,
			(SELECT count(*) FROM domains WHERE unavailable_since IS NOT NULL) AS unavailable`)
	if err != nil {
		return FederationCounts{}, fmt.Errorf("federation counts: %w", err)
	}
	fc, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[FederationCounts])
	if err != nil {
		return FederationCounts{}, fmt.Errorf("federation counts: %w", err)
	}
	rules, err := f.domains.get(ctx, f)
	if err != nil {
		return FederationCounts{}, fmt.Errorf("domain rules: %w", err)
	}
	fc.Blocked = int64(rules.inForce())
	if fc.DayDeliveries, err = f.deliveryCountsSince(ctx, time.Now().Add(-24*time.Hour)); err != nil {
		return FederationCounts{}, err
	}
	return fc, nil
}
