package federation

import (
	"context"
	"log/slog"

	"github.com/stoa-forum/stoa/forum"
)

// ReportPolicy is the optional part of a DomainPolicy the inbox asks before filing a Flag from a
// host (a domain block's reject_reports): policies that do not implement it accept reports from
// every host they do not block.
type ReportPolicy interface {
	ReportsRejected(ctx context.Context, host string) bool
}

// MediaPolicy is the optional part of a DomainPolicy asked before fetching or showing a host's
// media (a domain block's reject_media).
type MediaPolicy interface {
	MediaRejected(ctx context.Context, host string) bool
}

var (
	_ DomainPolicy = (*ForumPolicy)(nil)
	_ ReportPolicy = (*ForumPolicy)(nil)
	_ MediaPolicy  = (*ForumPolicy)(nil)
)

// ForumPolicy is the DomainPolicy of a running Stoa: the domain rules kept by forum (the admin's
// blocks and allows, subscribed blocklists, allowlist mode), answered from forum's in-process copy,
// which every process drops as soon as the rules change anywhere (forum.ListenForChanges). A host
// it cannot judge (an invalid name, or rules that cannot be read) is refused: failing open would
// let a blocked server in whenever the database hiccups.
type ForumPolicy struct {
	forum *forum.Forum
	log   *slog.Logger
}

// NewForumPolicy returns the policy over f's domain rules.
func NewForumPolicy(f *forum.Forum, log *slog.Logger) *ForumPolicy {
	if log == nil {
		log = slog.Default()
	}
	return &ForumPolicy{forum: f, log: log}
}

// verdict canonicalises host and asks forum; ok is false when the host must be refused unjudged.
func (p *ForumPolicy) verdict(ctx context.Context, host string) (forum.DomainVerdict, bool) {
	canon, err := CanonicalHost(host)
	if err != nil {
		return forum.DomainVerdict{}, false
	}
	v, err := p.forum.DomainVerdict(ctx, canon)
	if err != nil {
		p.log.Warn("domain rules unavailable; refusing the host", "host", canon, "err", err)
		return forum.DomainVerdict{}, false
	}
	return v, true
}

// Blocked implements DomainPolicy: true for a suspended domain (or subdomain of one), for every
// domain no allow covers in allowlist mode, and for hosts that cannot be judged.
func (p *ForumPolicy) Blocked(ctx context.Context, host string) bool {
	v, ok := p.verdict(ctx, host)
	return !ok || v.Blocked()
}

// ReportsRejected reports whether reports (Flags) from host are refused: the optional method the
// inbox asks before filing a Flag.
func (p *ForumPolicy) ReportsRejected(ctx context.Context, host string) bool {
	v, ok := p.verdict(ctx, host)
	return !ok || v.RejectReports || v.Blocked()
}

// MediaRejected reports whether media from host is refused (not fetched, not shown).
func (p *ForumPolicy) MediaRejected(ctx context.Context, host string) bool {
	v, ok := p.verdict(ctx, host)
	return !ok || v.RejectMedia || v.Blocked()
}
