package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Every change of the domain rules, whoever makes it (a block, a lift, an allow, an import, a
// subscribed list's refresh, the federation mode), goes through changeDomainRules, so each bites
// the same way:
//
//  1. In one transaction: the rules are read before and after the change, every domain whose rule
//     or verdict changed is written to the moderation log, and the limit of every remote account
//     under those domains is rewritten. Migration 0080's trigger carries the new limits through
//     posts, threads, like counts and follows in the same transaction, so what a block hides is
//     hidden, and what a lift restores restored, exactly when the rules change.
//  2. After the commit: this process's cached rules are dropped (other processes drop theirs on
//     the NOTIFY), and the queued deliveries to each newly blocked domain are cancelled through
//     the DeliveryCanceller. The delivery workers also ask the policy right before sending, so a
//     crash between the commit and the cancellation still sends nothing.

// DeliveryCanceller cancels the queued, scheduled and retrying deliveries to a domain and its
// subdomains. The outbox implements it; cmd/stoa plugs it in with UseDeliveryCanceller.
type DeliveryCanceller interface {
	CancelDomain(ctx context.Context, domain string) (int, error)
}

type deliveryCancellerBox struct{ c DeliveryCanceller }

// UseDeliveryCanceller sets who cancels deliveries to newly blocked domains.
func (f *Forum) UseDeliveryCanceller(c DeliveryCanceller) {
	f.cancels.Store(&deliveryCancellerBox{c: c})
}

// DomainPolicyResult says what a change of the domain rules did.
type DomainPolicyResult struct {
	// Changes lists the domains whose rule or verdict changed.
	Changes []DomainChange
	// Accounts is how many known remote accounts' limits changed.
	Accounts int64
	// Cancelled counts the deliveries cancelled to newly blocked domains. CancelError says why
	// cancelling failed, if it did: the rules stand, and the delivery workers refuse the domains
	// anyway.
	Cancelled   int
	CancelError error
}

// DomainChange is one domain whose rule or verdict a change altered.
type DomainChange struct {
	Domain string
	// Before and After are the rules in force for exactly this domain (nil: none).
	Before, After *DomainRule
	// LimitBefore and LimitAfter are the verdicts for the domain itself.
	LimitBefore, LimitAfter DomainLimit
}

// policyChange describes a change for changeDomainRules.
type policyChange struct {
	// domains are the domains whose rules the change touches.
	domains []string
	// underAllow says the change allows or disallows domains: subscribed rules under them change.
	underAllow bool
	// all says the change may alter any host's verdict (mode, allow in allowlist mode, a list
	// removed): every known domain is compared and every account's limit recomputed.
	all bool
	// reason goes to the log entries (else each rule's private comment).
	reason string
	// source is added to each log entry's details (which list, which import).
	source map[string]any
	// quiet logs only the change's own entry (a mode switch alters every domain's verdict).
	quiet bool
	// entry, when set, is the change's own log entry (subscribe, mode), written with the rest.
	entry *ModerationEntry
}

// domainRulesLock serialises changes of the rules: each compares the rules before and after.
const domainRulesLock = 0x570A_D0B1

func (f *Forum) changeDomainRules(ctx context.Context, by Viewer, pc policyChange, mutate func(tx pgx.Tx) error) (DomainPolicyResult, error) {
	var res DomainPolicyResult
	var newlyBlocked []string
	var modeNowAllowlist bool
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		res, newlyBlocked = DomainPolicyResult{}, nil // run again after a deadlock: start afresh
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, domainRulesLock); err != nil {
			return err
		}
		before, err := loadDomainRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := mutate(tx); err != nil {
			return err
		}
		after, err := loadDomainRules(ctx, tx)
		if err != nil {
			return err
		}
		modeNowAllowlist = after.mode == FederateAllowlist && before.mode != FederateAllowlist
		all := pc.all || before.mode != after.mode || (after.mode == FederateAllowlist && !sameAllows(before, after))
		candidates := slices.Clone(pc.domains)
		if all {
			candidates = append(candidates, before.domains()...)
			candidates = append(candidates, after.domains()...)
		} else if pc.underAllow {
			for _, d := range append(before.domains(), after.domains()...) {
				for _, a := range pc.domains {
					if under(d, a) {
						candidates = append(candidates, d)
					}
				}
			}
		}
		slices.Sort(candidates)
		var changed []string
		for _, d := range slices.Compact(candidates) {
			c, ok := compareDomain(before, after, d)
			if !ok {
				continue
			}
			res.Changes = append(res.Changes, c)
			changed = append(changed, d)
			if c.LimitAfter == LimitSuspend && c.LimitBefore != LimitSuspend {
				newlyBlocked = append(newlyBlocked, d)
			}
			if pc.quiet {
				continue
			}
			if err := f.logModeration(ctx, tx, by, domainChangeEntry(c, pc)); err != nil {
				return err
			}
		}
		if pc.entry != nil {
			if err := f.logModeration(ctx, tx, by, *pc.entry); err != nil {
				return err
			}
		}
		var n int64
		switch {
		case all:
			n, err = recomputeAllLimits(ctx, tx)
		case len(changed) > 0:
			n, err = recomputeLimitsUnder(ctx, tx, changed)
		}
		if err != nil {
			return err
		}
		res.Accounts = n
		if n > 0 && hides(res.Changes) {
			return f.insertJob(ctx, tx, ThreadListsVacuumArgs{})
		}
		return nil
	})
	f.domains.invalidate()
	if err != nil {
		return DomainPolicyResult{}, fmt.Errorf("domain rules: %w", err)
	}
	res.Cancelled, res.CancelError = f.cancelBlockedDeliveries(ctx, newlyBlocked, modeNowAllowlist)
	return res, nil
}

// hides reports whether a change limits some domain more than before (domain_block_vacuum.go).
func hides(changes []DomainChange) bool {
	for _, c := range changes {
		if c.LimitAfter > c.LimitBefore {
			return true
		}
	}
	return false
}

// compareDomain reports how the change altered one domain, if it did.
func compareDomain(before, after *domainRuleSet, d string) (DomainChange, bool) {
	rb, okb := before.ruleFor(d)
	ra, oka := after.ruleFor(d)
	vb, va := before.verdict(d), after.verdict(d)
	sameRule := okb == oka && (!okb || (rb.sameEffect(ra) && rb.Overridden == ra.Overridden &&
		equalIDs(rb.SubscriptionID, ra.SubscriptionID)))
	if sameRule && vb.Limit == va.Limit && vb.RejectMedia == va.RejectMedia && vb.RejectReports == va.RejectReports {
		return DomainChange{}, false
	}
	c := DomainChange{Domain: d, LimitBefore: vb.Limit, LimitAfter: va.Limit}
	if okb {
		c.Before = &rb
	}
	if oka {
		c.After = &ra
	}
	return c, true
}

func equalIDs(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func sameAllows(a, b *domainRuleSet) bool {
	if len(a.allows) != len(b.allows) {
		return false
	}
	for d := range a.allows {
		if _, ok := b.allows[d]; !ok {
			return false
		}
	}
	return true
}

// domains lists every domain a rule or an allow names.
func (s *domainRuleSet) domains() []string {
	out := make([]string, 0, len(s.local)+len(s.listed)+len(s.allows))
	for d := range s.local {
		out = append(out, d)
	}
	for d := range s.listed {
		out = append(out, d)
	}
	for d := range s.allows {
		out = append(out, d)
	}
	return out
}

// domainChangeEntry is the moderation log's line for one domain's change.
func domainChangeEntry(c DomainChange, pc policyChange) ModerationEntry {
	action := "change_domain_block"
	switch {
	case c.Before == nil && c.After != nil:
		action = "block_domain"
	case c.Before != nil && c.After == nil:
		action = "unblock_domain"
	case c.Before == nil && c.After == nil:
		// Only the verdict moved: an allow, or a parent domain's rule.
		action = "domain_limit_changed"
	}
	details := map[string]any{"limit_before": c.LimitBefore.String(), "limit_after": c.LimitAfter.String()}
	if c.Before != nil {
		details["before"] = ruleDetails(*c.Before)
	}
	if c.After != nil {
		details["after"] = ruleDetails(*c.After)
	}
	for k, v := range pc.source {
		details[k] = v
	}
	reason := pc.reason
	if reason == "" && c.After != nil {
		reason = c.After.PrivateComment
		if reason == "" {
			reason = c.After.PublicComment
		}
	}
	return ModerationEntry{Action: action, Domain: c.Domain, Reason: clipText(reason, MaxDomainCommentLen),
		Details: modDetails(details)}
}

func ruleDetails(r DomainRule) map[string]any {
	m := map[string]any{"severity": r.Severity, "reject_media": r.RejectMedia, "reject_reports": r.RejectReports,
		"obfuscate": r.Obfuscate}
	if r.SubscriptionID != nil {
		m["subscription"] = *r.SubscriptionID
		m["list"] = r.SubscriptionURL
	}
	if r.Overridden {
		m["overridden_by_allow"] = true
	}
	return m
}

// recomputeLimitsUnder rewrites the limit of every known account on the given domains and their
// subdomains (one index range each; migration 0080's trigger does the rest).
func recomputeLimitsUnder(ctx context.Context, tx pgx.Tx, domains []string) (int64, error) {
	los, his := make([]string, len(domains)), make([]string, len(domains))
	for i, d := range domains {
		los[i], his[i] = domainKeyRange(d)
	}
	ct, err := tx.Exec(ctx, `WITH hit AS (
			SELECT DISTINCT a.domain FROM unnest($1::text[], $2::text[]) k(lo, hi)
			JOIN actors a ON a.domain IS NOT NULL
				AND stoa_domain_key(a.domain) COLLATE "C" >= k.lo AND stoa_domain_key(a.domain) COLLATE "C" < k.hi),
		lvl AS (SELECT domain, stoa_domain_limit(domain) AS l FROM hit)
		UPDATE actors a SET domain_limit = lvl.l FROM lvl
		WHERE a.domain IS NOT NULL AND stoa_domain_key(a.domain) COLLATE "C" = stoa_domain_key(lvl.domain) COLLATE "C"
			AND a.domain = lvl.domain AND a.domain_limit <> lvl.l`, los, his)
	if err != nil {
		return 0, fmt.Errorf("apply domain limits: %w", err)
	}
	return ct.RowsAffected(), nil
}

// recomputeAllLimits rewrites the limit of every known remote account, one evaluation per domain.
func recomputeAllLimits(ctx context.Context, tx pgx.Tx) (int64, error) {
	ct, err := tx.Exec(ctx, `WITH lvl AS (
			SELECT d.domain, stoa_domain_limit(d.domain) AS l
			FROM (SELECT DISTINCT domain FROM actors WHERE domain IS NOT NULL) d)
		UPDATE actors a SET domain_limit = lvl.l FROM lvl
		WHERE a.domain = lvl.domain AND a.domain_limit <> lvl.l`)
	if err != nil {
		return 0, fmt.Errorf("apply domain limits: %w", err)
	}
	return ct.RowsAffected(), nil
}

// cancelBlockedDeliveries cancels queued deliveries to newly blocked domains, and in a switch to
// allowlist mode to every domain with deliveries waiting that is now blocked.
func (f *Forum) cancelBlockedDeliveries(ctx context.Context, domains []string, allowlistNow bool) (int, error) {
	box := f.cancels.Load()
	if box == nil || box.c == nil {
		return 0, nil
	}
	if allowlistNow {
		pending, err := f.pendingDeliveryHosts(ctx)
		if err != nil {
			return 0, err
		}
		rules, err := f.domains.get(ctx, f)
		if err != nil {
			return 0, err
		}
		for _, h := range pending {
			if rules.verdict(h).Blocked() {
				domains = append(domains, h)
			}
		}
	}
	slices.Sort(domains)
	total := 0
	var errs []string
	for _, d := range slices.Compact(domains) {
		n, err := box.c.CancelDomain(ctx, d)
		total += n
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return total, fmt.Errorf("cancel deliveries: %s", strings.Join(errs, "; "))
	}
	return total, nil
}

// pendingDeliveryHosts lists the host names that have deliveries waiting.
func (f *Forum) pendingDeliveryHosts(ctx context.Context) ([]string, error) {
	rows, err := f.db.Query(ctx, `SELECT DISTINCT stoa_host_name(domain) FROM deliveries WHERE state = 'pending'`)
	if err != nil {
		return nil, fmt.Errorf("pending delivery domains: %w", err)
	}
	hosts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pending delivery domains: %w", err)
	}
	return hosts, nil
}
