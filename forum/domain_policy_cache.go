package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The domain rules are asked about on every inbound request, every fetch and every delivery, so
// each process keeps them in memory and answers from there.
//
// A block must bite at once, in every process: the process that changes the rules drops its copy
// when the change commits, and every other process drops its copy when the change's NOTIFY
// arrives (migration 0080's triggers notify stoa_domain_policy_changed; ListenForChanges listens).
// A copy older than domainPolicyTTL is reloaded (in the background, served meanwhile), which
// bounds staleness if a notification is ever lost. Between the commit and the notification
// (milliseconds), a delivery worker elsewhere may still pass its check; CancelDomain, called by
// the changing process after the commit, cancels those jobs.
const (
	domainPolicyChannel = "stoa_domain_policy_changed"
	domainPolicyTTL     = 5 * time.Minute
)

// domainPolicyCache holds the rules (reloadingCache: reloaded in the background once stale).
type domainPolicyCache struct {
	rules reloadingCache[*domainRuleSet]
}

func newDomainPolicyCache() *domainPolicyCache {
	return &domainPolicyCache{rules: reloadingCache[*domainRuleSet]{ttl: domainPolicyTTL, maxAge: 2 * domainPolicyTTL}}
}

func (c *domainPolicyCache) invalidate() { c.rules.invalidate() }

func (c *domainPolicyCache) get(ctx context.Context, f *Forum) (*domainRuleSet, error) {
	return c.rules.get(ctx, func(ctx context.Context) (*domainRuleSet, error) { return loadDomainRules(ctx, f.db) })
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const localRuleColumns = `b.domain, b.severity, b.reject_media, b.reject_reports, b.public_comment, b.private_comment,
	b.obfuscate, NULL::bigint AS subscription_id, '' AS subscription_url, b.created_at, b.updated_at`

// listedRulesSQL is, per domain no local block names, the entry of the highest-priority list.
const listedRulesSQL = `SELECT DISTINCT ON (e.domain) e.domain, e.severity, e.reject_media, e.reject_reports,
		e.public_comment, '' AS private_comment, e.obfuscate, e.subscription_id, s.url AS subscription_url,
		s.fetched_at AS created_at, s.fetched_at AS updated_at
	FROM blocklist_entries e JOIN blocklist_subscriptions s ON s.id = e.subscription_id
	WHERE NOT EXISTS (SELECT 1 FROM domain_blocks b WHERE b.domain = e.domain)`

// loadDomainRules reads every rule (in q's snapshot: a transaction sees its own changes).
func loadDomainRules(ctx context.Context, q querier) (*domainRuleSet, error) {
	s := &domainRuleSet{local: map[string]DomainRule{}, listed: map[string]DomainRule{}, allows: map[string]DomainAllow{}}
	if err := q.QueryRow(ctx, `SELECT federation_mode FROM site_settings`).Scan(&s.mode); err != nil {
		return nil, fmt.Errorf("federation mode: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT `+localRuleColumns+` FROM domain_blocks b`)
	local, err := collectRules(rows, err)
	if err != nil {
		return nil, fmt.Errorf("domain blocks: %w", err)
	}
	for _, r := range local {
		s.local[r.Domain] = r
	}
	rows, err = q.Query(ctx, listedRulesSQL+` ORDER BY e.domain, s.priority DESC, s.id`)
	listed, err := collectRules(rows, err)
	if err != nil {
		return nil, fmt.Errorf("subscribed blocks: %w", err)
	}
	for _, r := range listed {
		s.listed[r.Domain] = r
	}
	rows, err = q.Query(ctx, `SELECT domain, comment, created_at FROM domain_allows`)
	if err != nil {
		return nil, fmt.Errorf("domain allows: %w", err)
	}
	allows, err := pgx.CollectRows(rows, pgx.RowToStructByName[DomainAllow])
	if err != nil {
		return nil, fmt.Errorf("domain allows: %w", err)
	}
	for _, a := range allows {
		s.allows[a.Domain] = a
	}
	return s, nil
}

func collectRules(rows pgx.Rows, err error) ([]DomainRule, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[DomainRule])
}

// DomainVerdict says what the rules do to a host (a canonical host name, with or without a port).
// It answers from the in-process cache: this is what the federation policy asks on every request.
func (f *Forum) DomainVerdict(ctx context.Context, host string) (DomainVerdict, error) {
	s, err := f.domains.get(ctx, f)
	if err != nil {
		return DomainVerdict{}, fmt.Errorf("domain rules: %w", err)
	}
	return s.verdict(host), nil
}

// FederationMode returns the site's federation mode.
func (f *Forum) FederationMode(ctx context.Context) (FederationMode, error) {
	s, err := f.domains.get(ctx, f)
	if err != nil {
		return "", fmt.Errorf("domain rules: %w", err)
	}
	return s.mode, nil
}
