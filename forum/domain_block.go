package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The admin's own domain blocks: create or change one, lift one, list them. Each change goes
// through changeDomainRules (domain_block_apply.go), which makes it bite at once and writes it to
// the moderation log; BlastRadius (domain_block_preview.go) says beforehand what it will do.

// MaxDomainCommentLen bounds a rule's public and private comments, in characters.
const MaxDomainCommentLen = 1000

// DomainBlockInput is a block as the admin describes it.
type DomainBlockInput struct {
	Domain         string
	Severity       DomainSeverity
	RejectMedia    bool
	RejectReports  bool
	PublicComment  string
	PrivateComment string
	Obfuscate      bool
}

// rule is the input as a rule, once valid.
func (in DomainBlockInput) rule() DomainRule {
	return DomainRule{Domain: in.Domain, Severity: in.Severity, RejectMedia: in.RejectMedia, RejectReports: in.RejectReports,
		PublicComment: in.PublicComment, PrivateComment: in.PrivateComment, Obfuscate: in.Obfuscate}
}

// CanonicalDomain spells a domain as rules store it: the canonical host name (Options.CanonicalHost)
// with no port. A leading "*." (how some lists write "and every subdomain", which every rule
// covers anyway) is dropped.
func (f *Forum) CanonicalDomain(domain string) (string, error) {
	if f.canonicalHost == nil {
		return "", errors.New("forum: domain rules need Options.CanonicalHost")
	}
	d := strings.TrimPrefix(strings.TrimSpace(domain), "*.")
	if d == "" {
		return "", Invalid("domain", "is required")
	}
	canon, err := f.canonicalHost(d)
	if err != nil {
		return "", Invalid("domain", "%q is not a host name", clipText(domain, 100))
	}
	if hostName(canon) != canon {
		return "", Invalid("domain", "give the host name alone: a rule covers every port")
	}
	return canon, nil
}

// validate checks and normalises the input.
func (f *Forum) validateBlock(in *DomainBlockInput) error {
	v := &ValidationError{}
	domain, err := f.CanonicalDomain(in.Domain)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		v.Problems = append(v.Problems, ve.Problems...)
	}
	in.Domain = domain
	if in.Severity == "" {
		in.Severity = SeveritySuspend
	}
	if _, err := ParseDomainSeverity(string(in.Severity)); err != nil {
		v.Add("severity", "must be suspend, silence or noop")
	}
	in.PublicComment = strings.TrimSpace(in.PublicComment)
	in.PrivateComment = strings.TrimSpace(in.PrivateComment)
	if len([]rune(in.PublicComment)) > MaxDomainCommentLen {
		v.Add("public_comment", "must be at most %d characters", MaxDomainCommentLen)
	}
	if len([]rune(in.PrivateComment)) > MaxDomainCommentLen {
		v.Add("private_comment", "must be at most %d characters", MaxDomainCommentLen)
	}
	if in.Severity == SeverityNoop && !in.RejectMedia && !in.RejectReports {
		v.Add("severity", "a block that neither limits nor rejects anything does nothing: choose silence or suspend, or reject media or reports")
	}
	return v.Err()
}

// BlockDomain creates or replaces the admin's block of a domain (and its subdomains). It takes
// effect before it returns: the domain's content is hidden, follows severed (suspend), queued
// deliveries cancelled, and every process refuses the domain. Admins only.
func (f *Forum) BlockDomain(ctx context.Context, by Viewer, in DomainBlockInput) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("block domain: %w", ErrForbidden)
	}
	if err := f.validateBlock(&in); err != nil {
		return DomainPolicyResult{}, err
	}
	return f.changeDomainRules(ctx, by, policyChange{domains: []string{in.Domain}}, func(tx pgx.Tx) error {
		return upsertLocalBlock(ctx, tx, by, in.rule())
	})
}

// upsertLocalBlock writes a local block row as given.
func upsertLocalBlock(ctx context.Context, tx pgx.Tx, by Viewer, r DomainRule) error {
	var creator *int64
	if by.ActorID > 0 {
		creator = &by.ActorID
	}
	_, err := tx.Exec(ctx, `INSERT INTO domain_blocks (domain, severity, reject_media, reject_reports, public_comment,
			private_comment, obfuscate, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (domain) DO UPDATE SET severity = EXCLUDED.severity, reject_media = EXCLUDED.reject_media,
			reject_reports = EXCLUDED.reject_reports, public_comment = EXCLUDED.public_comment,
			private_comment = EXCLUDED.private_comment, obfuscate = EXCLUDED.obfuscate, updated_at = now()`,
		r.Domain, r.Severity, r.RejectMedia, r.RejectReports, r.PublicComment, r.PrivateComment, r.Obfuscate, creator)
	if err != nil {
		return fmt.Errorf("store block of %s: %w", r.Domain, err)
	}
	return nil
}

// UnblockDomain lifts the admin's block of a domain: its content shows again, severed follows come
// back, and federation resumes, unless another rule still applies (a parent domain's block, or a
// subscribed list's entry: the result says so, and an allow overrides the list). reason goes to the
// moderation log. Admins only.
func (f *Forum) UnblockDomain(ctx context.Context, by Viewer, domain, reason string) (DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return DomainPolicyResult{}, fmt.Errorf("unblock domain: %w", ErrForbidden)
	}
	d, err := f.CanonicalDomain(domain)
	if err != nil {
		return DomainPolicyResult{}, err
	}
	return f.changeDomainRules(ctx, by, policyChange{domains: []string{d}, reason: reason}, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `DELETE FROM domain_blocks WHERE domain = $1`, d)
		if err != nil {
			return err
		}
		if ct.RowsAffected() == 0 {
			return fmt.Errorf("no block of %s of your own: %w", d, ErrNotFound)
		}
		return nil
	})
}

// DomainBlock returns the admin's own block of a domain (ErrNotFound when there is none).
func (f *Forum) DomainBlock(ctx context.Context, by Viewer, domain string) (DomainRule, error) {
	if !by.IsAdmin() {
		return DomainRule{}, fmt.Errorf("domain block: %w", ErrForbidden)
	}
	d, err := f.CanonicalDomain(domain)
	if err != nil {
		return DomainRule{}, err
	}
	rows, err := f.db.Query(ctx, `SELECT `+localRuleColumns+` FROM domain_blocks b WHERE b.domain = $1`, d)
	if err != nil {
		return DomainRule{}, fmt.Errorf("domain block %s: %w", d, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[DomainRule])
	if err != nil {
		return DomainRule{}, notFound(err, "domain block "+d)
	}
	return r, nil
}

// DomainRules lists every rule, for the admin: their own blocks and each subscribed list's entry
// that is in force for its domain (entries an allow overrides are listed, marked Overridden), by
// domain. Admins only.
func (f *Forum) DomainRules(ctx context.Context, by Viewer) ([]DomainRule, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("domain rules: %w", ErrForbidden)
	}
	s, err := loadDomainRules(ctx, f.db)
	if err != nil {
		return nil, err
	}
	return s.list(true), nil
}

// PublicDomainRules lists the rules in force as the public may see them: no private comments,
// domains obfuscated where asked, overridden entries left out. From the in-process cache: the
// public page and NodeInfo ask often.
func (f *Forum) PublicDomainRules(ctx context.Context) ([]DomainRule, error) {
	s, err := f.domains.get(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("domain rules: %w", err)
	}
	out := s.list(false)
	for i := range out {
		out[i].PrivateComment = ""
		out[i].SubscriptionURL = ""
	}
	return out, nil
}

// list returns the rules sorted by domain; withOverridden keeps subscribed entries an allow
// overrides (marked).
func (s *domainRuleSet) list(withOverridden bool) []DomainRule {
	out := make([]DomainRule, 0, len(s.local)+len(s.listed))
	for _, r := range s.local {
		out = append(out, r)
	}
	for _, r := range s.listed {
		r.Overridden = s.verdict(r.Domain).Allowed
		if r.Overridden && !withOverridden {
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b DomainRule) int { return strings.Compare(a.Domain, b.Domain) })
	return out
}

// ruleFor is the rule in force for exactly this domain: the local block, else the listed entry.
func (s *domainRuleSet) ruleFor(domain string) (DomainRule, bool) {
	if r, ok := s.local[domain]; ok {
		return r, true
	}
	r, ok := s.listed[domain]
	if ok {
		r.Overridden = s.verdict(domain).Allowed
	}
	return r, ok
}
