package forum

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// What a block will do, shown before it is applied (one page, one click to confirm): the accounts
// it limits, the follows it severs in each direction, the content it hides, the deliveries it
// cancels. Counted over the domain and its subdomains, like the block itself.

// BlastRadius is what blocking a domain touches.
type BlastRadius struct {
	Domain string `db:"-"`
	// Current is the rule in force for exactly this domain, if any; CurrentLimit the verdict now.
	Current      *DomainRule `db:"-"`
	CurrentLimit DomainLimit `db:"-"`
	// Proposed is the rule asked for and ProposedLimit the verdict it would give (a stricter
	// parent rule, or allowlist mode, may keep it stricter than the rule alone).
	Proposed      DomainRule  `db:"-"`
	ProposedLimit DomainLimit `db:"-"`
	// Accounts are the remote accounts known on the domain.
	Accounts int `db:"accounts"`
	// LocalFollowers are the members who follow accounts there, LocalFollows their follows.
	LocalFollowers int `db:"local_followers"`
	LocalFollows   int `db:"local_follows"`
	// RemoteFollowers are the accounts there that follow local actors, and their follows of
	// categories, members and threads.
	RemoteFollowers  int `db:"remote_followers"`
	FollowsOfGroups  int `db:"follows_of_groups"`
	FollowsOfMembers int `db:"follows_of_members"`
	FollowsOfThreads int `db:"follows_of_threads"`
	// RemoteCategories are the Groups there known here (their threads are hidden with them).
	RemoteCategories int `db:"remote_categories"`
	// PostsInLocal and ThreadsInLocal are their posts and threads in local categories, counted up
	// to BlastCountCap: more than that is BlastCountCap+1.
	PostsInLocal   int `db:"posts_in_local"`
	ThreadsInLocal int `db:"threads_in_local"`
	Likes          int `db:"likes"`
	// PendingDeliveries are the queued deliveries to the domain a suspension cancels.
	PendingDeliveries int `db:"pending_deliveries"`
	OpenReports       int `db:"open_reports"`
	// SeveredFollows are follows an earlier suspension severed, which lifting it restores.
	SeveredFollows int `db:"severed_follows"`
}

// Severs reports whether applying the proposal cuts the domain off (follows severed, deliveries
// cancelled).
func (b BlastRadius) Severs() bool {
	return b.ProposedLimit == LimitSuspend && b.CurrentLimit != LimitSuspend
}

// Restores reports whether applying the proposal lifts a suspension (severed follows come back).
func (b BlastRadius) Restores() bool {
	return b.ProposedLimit != LimitSuspend && b.CurrentLimit == LimitSuspend
}

// Hides reports whether the proposal hides content that shows now.
func (b BlastRadius) Hides() bool { return b.ProposedLimit > b.CurrentLimit }

// BlastRadius previews BlockDomain(in): nothing is changed. Admins only.
func (f *Forum) BlastRadius(ctx context.Context, by Viewer, in DomainBlockInput) (BlastRadius, error) {
	if !by.IsAdmin() {
		return BlastRadius{}, fmt.Errorf("preview domain block: %w", ErrForbidden)
	}
	if err := f.validateBlock(&in); err != nil {
		return BlastRadius{}, err
	}
	radii, err := f.blastRadii(ctx, []DomainRule{in.rule()})
	if err != nil {
		return BlastRadius{}, err
	}
	return radii[0], nil
}

// blastRadii counts, for each proposed rule, what it touches, and what the verdict is now and
// would be with the rule in place (each rule on its own).
func (f *Forum) blastRadii(ctx context.Context, proposed []DomainRule) ([]BlastRadius, error) {
	rules, err := loadDomainRules(ctx, f.db)
	if err != nil {
		return nil, err
	}
	domains := make([]string, len(proposed))
	los, his := make([]string, len(proposed)), make([]string, len(proposed))
	for i, r := range proposed {
		domains[i] = r.Domain
		los[i], his[i] = domainKeyRange(r.Domain)
	}
	rows, err := f.db.Query(ctx, blastRadiusSQL, domains, los, his)
	if err != nil {
		return nil, fmt.Errorf("blast radius: %w", err)
	}
	counted, err := pgx.CollectRows(rows, pgx.RowToStructByName[blastRow])
	if err != nil {
		return nil, fmt.Errorf("blast radius: %w", err)
	}
	byDomain := make(map[string]blastRow, len(counted))
	for _, c := range counted {
		byDomain[c.Domain] = c
	}
	out := make([]BlastRadius, len(proposed))
	for i, r := range proposed {
		b := byDomain[r.Domain].BlastRadius
		b.Domain, b.Proposed = r.Domain, r
		if cur, ok := rules.ruleFor(r.Domain); ok {
			b.Current = &cur
		}
		b.CurrentLimit = rules.verdict(r.Domain).Limit
		b.ProposedLimit = rules.with(r).verdict(r.Domain).Limit
		out[i] = b
	}
	return out, nil
}

// add sums another radius's counts into b.
func (b *BlastRadius) add(o BlastRadius) {
	b.Accounts += o.Accounts
	b.LocalFollowers += o.LocalFollowers
	b.LocalFollows += o.LocalFollows
	b.RemoteFollowers += o.RemoteFollowers
	b.FollowsOfGroups += o.FollowsOfGroups
	b.FollowsOfMembers += o.FollowsOfMembers
	b.FollowsOfThreads += o.FollowsOfThreads
	b.RemoteCategories += o.RemoteCategories
	b.PostsInLocal += o.PostsInLocal
	b.ThreadsInLocal += o.ThreadsInLocal
	b.Likes += o.Likes
	b.PendingDeliveries += o.PendingDeliveries
	b.OpenReports += o.OpenReports
	b.SeveredFollows += o.SeveredFollows
}

// sortRadii puts the domains that matter most here first: most follows, then most accounts.
func sortRadii(rs []BlastRadius) {
	slices.SortStableFunc(rs, func(a, b BlastRadius) int {
		fa, fb := a.LocalFollows+a.RemoteFollowers, b.LocalFollows+b.RemoteFollowers
		if fa != fb {
			return fb - fa
		}
		if a.Accounts != b.Accounts {
			return b.Accounts - a.Accounts
		}
		return strings.Compare(a.Domain, b.Domain)
	})
}

// with returns a copy of the rule set with r as the admin's block of its domain.
func (s *domainRuleSet) with(r DomainRule) *domainRuleSet {
	c := &domainRuleSet{mode: s.mode, local: make(map[string]DomainRule, len(s.local)+1), listed: s.listed, allows: s.allows}
	for d, x := range s.local {
		c.local[d] = x
	}
	c.local[r.Domain] = r
	return c
}

type blastRow struct {
	Domain string `db:"domain"`
	BlastRadius
}

// blastCountLimit is BlastCountCap+1 in SQL: one row past the cap says there are more.
var blastCountLimit = strconv.Itoa(BlastCountCap + 1)

// BlastCountCap is how far a blast radius counts posts and threads: counting every post of a big
// domain reads each one (2,500 accounts' 56,000 posts took 0.6-0.9 s a domain on a 10-million-post
// forum, and allowlist mode's preview of eight domains 7-10 s), while "more than a thousand"
// tells an admin as much.
const BlastCountCap = 1000

// blastRadiusSQL counts, per domain ($1, with its key range $2..$3), over the accounts under it.
// A post's category is looked up per post (a scalar subquery), and an account's threads per account
// (a lateral subquery that OFFSET 0 keeps from being flattened into a join), so each count walks
// the indexes and stops at its cap instead of hashing every thread of the forum first.
var blastRadiusSQL = `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS k(domain, lo, hi)),
	acts AS (
		SELECT k.domain AS rule, a.id, a.kind FROM k JOIN actors a ON a.domain IS NOT NULL
			AND stoa_domain_key(a.domain) COLLATE "C" >= k.lo AND stoa_domain_key(a.domain) COLLATE "C" < k.hi),
	inward AS (
		SELECT acts.rule, fo.follower_id FROM acts JOIN follows fo ON fo.target_id = acts.id
		JOIN actors l ON l.id = fo.follower_id AND l.domain IS NULL),
	outward AS (
		SELECT acts.rule, fo.follower_id, l.kind AS target_kind FROM acts JOIN follows fo ON fo.follower_id = acts.id
		JOIN actors l ON l.id = fo.target_id AND l.domain IS NULL)
	SELECT k.domain,
		(SELECT count(*) FROM acts WHERE acts.rule = k.domain)::int AS accounts,
		(SELECT count(DISTINCT follower_id) FROM inward WHERE inward.rule = k.domain)::int AS local_followers,
		(SELECT count(*) FROM inward WHERE inward.rule = k.domain)::int AS local_follows,
		(SELECT count(DISTINCT follower_id) FROM outward WHERE outward.rule = k.domain)::int AS remote_followers,
		(SELECT count(*) FROM outward WHERE outward.rule = k.domain AND target_kind = 'group')::int AS follows_of_groups,
		(SELECT count(*) FROM outward WHERE outward.rule = k.domain AND target_kind = 'person')::int AS follows_of_members,
		(SELECT count(*) FROM outward WHERE outward.rule = k.domain AND target_kind = 'thread')::int AS follows_of_threads,
		(SELECT count(*) FROM acts JOIN categories c ON c.actor_id = acts.id WHERE acts.rule = k.domain)::int AS remote_categories,
		(SELECT count(*) FROM (SELECT 1 FROM acts JOIN posts p ON p.author_id = acts.id
			WHERE acts.rule = k.domain AND p.deleted_at IS NULL
				AND (SELECT c.domain IS NULL FROM threads t JOIN categories c ON c.id = t.category_id WHERE t.id = p.thread_id)
			LIMIT ` + blastCountLimit + `) capped)::int AS posts_in_local,
		(SELECT count(*) FROM (SELECT 1 FROM acts CROSS JOIN LATERAL (SELECT 1 FROM threads t
				JOIN categories c ON c.id = t.category_id AND c.domain IS NULL
				WHERE t.author_id = acts.id AND t.deleted_at IS NULL OFFSET 0) th
			WHERE acts.rule = k.domain LIMIT ` + blastCountLimit + `) capped)::int AS threads_in_local,
		(SELECT count(*) FROM acts JOIN likes l ON l.actor_id = acts.id WHERE acts.rule = k.domain)::int AS likes,
		(SELECT count(*) FROM deliveries dl WHERE dl.state = 'pending'
			AND stoa_domain_key(dl.domain) COLLATE "C" >= k.lo AND stoa_domain_key(dl.domain) COLLATE "C" < k.hi)::int AS pending_deliveries,
		(SELECT count(*) FROM acts JOIN reports r ON r.target_actor_id = acts.id AND r.status = 'open'
			WHERE acts.rule = k.domain)::int AS open_reports,
		(SELECT count(DISTINCT s.id) FROM acts JOIN severed_follows s ON acts.id IN (s.follower_id, s.target_id)
			WHERE acts.rule = k.domain)::int AS severed_follows
	FROM k`
