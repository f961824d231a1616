package forum

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Allows and the federation mode. An allow names a domain the admin federates with: in allowlist
// mode the only ones, in either mode an override of subscribed lists' blocks (never of the admin's
// own). Both changes go through changeDomainRules, so they bite (and are logged) like a block.

// AllowDomain allows a domain (and its subdomains). Admins only.
func (f *Forum) AllowDomain(ctx context.Context, by Viewer, domain, comment string) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("allow domain: %w", ErrForbidden)
	}
	d, err := f.CanonicalDomain(domain)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	comment = strings.TrimSpace(comment)
	if len([]rune(comment)) > MaxDomainCommentLen {
		return DomainPolicyResult{}, Invalid("comment", "must be at most %d characters", MaxDomainCommentLen)
	}
	var creator *int64
	if by.ActorID > 0 {
		creator = &by.ActorID
	}
	entry := ModerationEntry{Action: "allow_domain", Domain: d, Reason: comment}
	return f.changeDomainRules(ctx, by, policyChange{domains: []string{d}, reason: comment, entry: &entry, underAllow: true},
		func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO domain_allows (domain, comment, created_by) VALUES ($1, $2, $3)
				ON CONFLICT (domain) DO UPDATE SET comment = EXCLUDED.comment`, d, comment, creator)
			return err
		})
}

// DisallowDomain removes an allow. Admins only.
func (f *Forum) DisallowDomain(ctx context.Context, by Viewer, domain string) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("disallow domain: %w", ErrForbidden)
	}
	d, err := f.CanonicalDomain(domain)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	entry := ModerationEntry{Action: "disallow_domain", Domain: d}
	return f.changeDomainRules(ctx, by, policyChange{domains: []string{d}, entry: &entry, underAllow: true}, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `DELETE FROM domain_allows WHERE domain = $1`, d)
		if err != nil {
			return err
		}
		if ct.RowsAffected() == 0 {
			return fmt.Errorf("allow of %s: %w", d, ErrNotFound)
		}
		return nil
	})
}

// DomainAllows lists the allowed domains. Admins only.
func (f *Forum) DomainAllows(ctx context.Context, by Viewer) ([]DomainAllow, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("domain allows: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT domain, comment, created_at FROM domain_allows ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("domain allows: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[DomainAllow])
	if err != nil {
		return nil, fmt.Errorf("domain allows: %w", err)
	}
	return list, nil
}

// SetFederationMode switches between federating with every domain not blocked and with the allowed
// domains only. Switching to allowlist mode cuts off every other domain at once, like a suspension
// of each: preview it with AllowlistBlastRadius. Admins only.
func (f *Forum) SetFederationMode(ctx context.Context, by Viewer, mode FederationMode) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("federation mode: %w", ErrForbidden)
	}
	if _, err := ParseFederationMode(string(mode)); err != nil {
		return DomainPolicyResult{}, err
	}
	entry := ModerationEntry{Action: "set_federation_mode", Details: modDetails(map[string]any{"mode": mode})}
	res, err := f.changeDomainRules(ctx, by, policyChange{all: true, quiet: true, entry: &entry}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE site_settings SET federation_mode = $1, updated_at = now()`, mode)
		return err
	})
	f.site.invalidate()
	return res, err
}

// AllowlistRadius is what switching to allowlist mode would cut off.
type AllowlistRadius struct {
	// Domains are the known domains no allow covers, with what each would lose, largest first
	// (at most 50); Totals sums every such domain.
	Domains []BlastRadius
	Totals  BlastRadius
	// DomainCount is how many known domains would be cut off.
	DomainCount int
}

// AllowlistBlastRadius previews SetFederationMode(allowlist). Admins only.
func (f *Forum) AllowlistBlastRadius(ctx context.Context, by Viewer) (AllowlistRadius, error) {
	if !by.IsAdmin() {
		return AllowlistRadius{}, fmt.Errorf("preview allowlist mode: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT DISTINCT stoa_host_name(domain) FROM actors WHERE domain IS NOT NULL`)
	if err != nil {
		return AllowlistRadius{}, fmt.Errorf("known domains: %w", err)
	}
	hosts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return AllowlistRadius{}, fmt.Errorf("known domains: %w", err)
	}
	rules, err := loadDomainRules(ctx, f.db)
	if err != nil {
		return AllowlistRadius{}, err
	}
	allowlist := *rules
	allowlist.mode = FederateAllowlist
	var cut []DomainRule
	for _, h := range hosts {
		if allowlist.verdict(h).Blocked() && !rules.verdict(h).Blocked() {
			cut = append(cut, DomainRule{Domain: h, Severity: SeveritySuspend})
		}
	}
	var out AllowlistRadius
	out.DomainCount = len(cut)
	if len(cut) == 0 {
		return out, nil
	}
	radii, err := f.blastRadii(ctx, cut)
	if err != nil {
		return AllowlistRadius{}, err
	}
	for _, r := range radii {
		out.Totals.add(r)
	}
	sortRadii(radii)
	out.Domains = radii[:min(len(radii), 50)]
	return out, nil
}
