package forum

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"
)

// Domain rules: what this server does about another server. A rule names a host name (never a
// port) and covers its subdomains. Severity says how far it goes; the two flags refuse media and
// reports whatever the severity (Mastodon's model: severity "noop" is flags only).
//
// The rules come from three places, merged into one verdict per host (verdict below, and
// stoa_domain_limit in migration 0080, which must agree): the admin's own blocks (always count),
// subscribed blocklists (count unless the admin blocked the same domain themselves, or allowed the
// host: an explicit allow overrides subscriptions), and, in allowlist mode, "everything not
// allowed is suspended". Over a host and its parent domains, the strictest rule wins.

// DomainSeverity is how far a domain rule goes.
type DomainSeverity string

const (
	// SeveritySuspend: no federation at all; the domain's content, profiles and likes are hidden
	// and follows with it are severed (restored on a lift).
	SeveritySuspend DomainSeverity = "suspend"
	// SeveritySilence: federation goes on, but the domain's content is kept out of every list and
	// shown only to members who follow its authors (Mastodon's "limit").
	SeveritySilence DomainSeverity = "silence"
	// SeverityNoop: only the flags (reject media, reject reports) apply.
	SeverityNoop DomainSeverity = "noop"
)

// ParseDomainSeverity accepts the severities by name ("" is suspend, the CSV format's default).
func ParseDomainSeverity(s string) (DomainSeverity, error) {
	switch v := DomainSeverity(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return SeveritySuspend, nil
	case SeveritySuspend, SeveritySilence, SeverityNoop:
		return v, nil
	}
	return "", Invalid("severity", "must be suspend, silence or noop")
}

// Limit is the limit the severity puts on a domain's actors.
func (s DomainSeverity) Limit() DomainLimit {
	switch s {
	case SeveritySuspend:
		return LimitSuspend
	case SeveritySilence:
		return LimitSilence
	}
	return LimitNone
}

// DomainLimit is what the domain rules (or an account's own moderation) do to an actor's content,
// as stored in actors.domain_limit, actors.suppression, posts.suppressed and threads.suppressed.
type DomainLimit int16

const (
	LimitNone DomainLimit = 0
	// LimitSilence: out of lists, shown only to followers (and staff).
	LimitSilence DomainLimit = 1
	// LimitSuspend: shown to staff only.
	LimitSuspend DomainLimit = 2
)

// String names the limit as the pages do.
func (l DomainLimit) String() string {
	switch l {
	case LimitSilence:
		return "silenced"
	case LimitSuspend:
		return "suspended"
	}
	return "none"
}

// DomainRule is one rule: the admin's own block (SubscriptionID nil) or a subscribed list's entry.
type DomainRule struct {
	Domain         string         `db:"domain"`
	Severity       DomainSeverity `db:"severity"`
	RejectMedia    bool           `db:"reject_media"`
	RejectReports  bool           `db:"reject_reports"`
	PublicComment  string         `db:"public_comment"`
	PrivateComment string         `db:"private_comment"`
	Obfuscate      bool           `db:"obfuscate"`
	SubscriptionID *int64         `db:"subscription_id"`
	// SubscriptionURL is the list a subscribed rule comes from.
	SubscriptionURL string `db:"subscription_url"`
	// Overridden marks a subscribed rule a local allow overrides (listed, not applied).
	Overridden bool       `db:"-"`
	CreatedAt  *time.Time `db:"created_at"`
	UpdatedAt  *time.Time `db:"updated_at"`
}

// Local reports whether the admin made the rule (rather than a subscribed list).
func (r DomainRule) Local() bool { return r.SubscriptionID == nil }

// Limit is the limit the rule's severity puts on the domain.
func (r DomainRule) Limit() DomainLimit { return r.Severity.Limit() }

// PublicDomain is the domain as the public list shows it: with obfuscate, the middle of it starred
// except for dots, exactly as Mastodon does (DomainBlock#public_domain), so lists compare.
func (r DomainRule) PublicDomain() string {
	if !r.Obfuscate {
		return r.Domain
	}
	return ObfuscateDomain(r.Domain)
}

// ObfuscateDomain stars the middle half of a domain, keeping the dots.
func ObfuscateDomain(domain string) string {
	chars := []rune(domain)
	n := len(chars)
	visible := n / 4
	for i, c := range chars {
		if i > visible && i < n-visible && c != '.' {
			chars[i] = '*'
		}
	}
	return string(chars)
}

// Digest is the SHA-256 of the domain in hex, which Mastodon publishes beside obfuscated domains
// so a peer can check whether the block is about it.
func (r DomainRule) Digest() string {
	sum := sha256.Sum256([]byte(r.Domain))
	return hex.EncodeToString(sum[:])
}

// stricterOrEqual reports whether r goes at least as far as o in every respect.
func (r DomainRule) stricterOrEqual(o DomainRule) bool {
	return r.Limit() >= o.Limit() && (r.RejectMedia || !o.RejectMedia) && (r.RejectReports || !o.RejectReports)
}

// sameEffect reports whether two rules do the same thing and say the same in public.
func (r DomainRule) sameEffect(o DomainRule) bool {
	return r.Severity == o.Severity && r.RejectMedia == o.RejectMedia && r.RejectReports == o.RejectReports &&
		r.PublicComment == o.PublicComment && r.PrivateComment == o.PrivateComment && r.Obfuscate == o.Obfuscate
}

// DomainAllow is a domain the admin allows: in allowlist mode, one of the servers Stoa federates
// with; in either mode, an override of subscribed blocks.
type DomainAllow struct {
	Domain    string    `db:"domain"`
	Comment   string    `db:"comment"`
	CreatedAt time.Time `db:"created_at"`
}

// FederationMode is the site-wide choice between federating with everyone not blocked and with
// only the allowed domains.
type FederationMode string

const (
	FederateBlocklist FederationMode = "blocklist"
	FederateAllowlist FederationMode = "allowlist"
)

// ParseFederationMode accepts the modes by name.
func ParseFederationMode(s string) (FederationMode, error) {
	switch m := FederationMode(s); m {
	case FederateBlocklist, FederateAllowlist:
		return m, nil
	}
	return "", Invalid("mode", "must be blocklist or allowlist")
}

// DomainVerdict is what the rules say about one host.
type DomainVerdict struct {
	Limit         DomainLimit
	RejectMedia   bool
	RejectReports bool
	// Allowed is set when a local allow covers the host.
	Allowed bool
	// NotAllowed is set in allowlist mode for a host no allow covers (it is then suspended).
	NotAllowed bool
	// Rules are the rules that apply, most specific domain first.
	Rules []DomainRule
}

// Blocked reports whether Stoa refuses all federation with the host.
func (v DomainVerdict) Blocked() bool { return v.Limit == LimitSuspend }

// domainRuleSet is every rule at one moment, ready to answer about any host.
type domainRuleSet struct {
	mode  FederationMode
	local map[string]DomainRule
	// listed is, per domain with no local block, the entry of the highest-priority list.
	listed map[string]DomainRule
	allows map[string]DomainAllow
}

// inForce counts the domains a rule applies to as written: every local rule, and each listed one
// that no local rule replaces and no allow exempts.
func (s *domainRuleSet) inForce() int {
	n := len(s.local)
	for domain := range s.listed {
		if !s.verdict(domain).Allowed {
			n++
		}
	}
	return n
}

// verdict applies the rules to a host (a stored domain: host[:port], canonical).
func (s *domainRuleSet) verdict(domain string) DomainVerdict {
	names := domainSuffixes(domain)
	var v DomainVerdict
	for _, n := range names {
		if _, ok := s.allows[n]; ok {
			v.Allowed = true
			break
		}
	}
	apply := func(r DomainRule) {
		v.Rules = append(v.Rules, r)
		v.Limit = max(v.Limit, r.Limit())
		v.RejectMedia = v.RejectMedia || r.RejectMedia
		v.RejectReports = v.RejectReports || r.RejectReports
	}
	for _, n := range names {
		if r, ok := s.local[n]; ok {
			apply(r)
		} else if r, ok := s.listed[n]; ok && !v.Allowed {
			apply(r)
		}
	}
	if s.mode == FederateAllowlist && !v.Allowed {
		v.NotAllowed, v.Limit = true, LimitSuspend
	}
	return v
}

// domainSuffixes are the names whose rules apply to a stored domain (stoa_domain_suffixes): its
// host name and each parent; an IP address only itself.
func domainSuffixes(domain string) []string {
	host := hostName(domain)
	if host == "" {
		return nil
	}
	if strings.HasPrefix(host, "[") {
		return []string{host}
	}
	if _, err := netip.ParseAddr(host); err == nil || strings.Trim(host, "0123456789.") == "" {
		return []string{host}
	}
	out := []string{host}
	for i := 0; i < len(host); i++ {
		if host[i] == '.' && i+1 < len(host) {
			out = append(out, host[i+1:])
		}
	}
	return out
}

// under reports whether domain is parent or one of its subdomains.
func under(domain, parent string) bool {
	return domain == parent || strings.HasSuffix(domain, "."+parent)
}

// hostName drops the port of a stored domain (stoa_host_name).
func hostName(domain string) string {
	if strings.HasPrefix(domain, "[") {
		if end := strings.IndexByte(domain, ']'); end >= 0 {
			return domain[:end+1]
		}
		return domain
	}
	name, _, _ := strings.Cut(domain, ":")
	return name
}

// domainKeyRange is the index range of stoa_domain_key holding a domain and its subdomains.
func domainKeyRange(domain string) (lo, hi string) {
	b := []byte("." + hostName(domain))
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	// Keys hold only a-z, 0-9 and ".-[]:", all below '~' in byte order.
	return string(b), string(b) + "~"
}
