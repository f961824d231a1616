package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Importing a blocklist file as the admin's own blocks. An import never loosens anything: a row
// for a domain already blocked at least as strictly is kept as it is (Mastodon skips such rows;
// Stoa also upgrades a weaker block to the row's strictness, keeping its comments), a row a
// stricter block of a parent domain already covers adds nothing, and a domain a subscribed list
// blocks becomes the admin's own with the stricter of the two. The dry run computes exactly the
// plan the import then applies (PlanBlocklistImport and ImportBlocklist share planImport), with
// each row's blast radius.

// ImportAction is what an import does with one row.
type ImportAction string

const (
	ImportAdd     ImportAction = "add"
	ImportUpgrade ImportAction = "upgrade"
	// ImportKeep: the domain's own block is at least as strict already.
	ImportKeep ImportAction = "keep"
	// ImportCovered: a block of a parent domain is at least as strict already.
	ImportCovered ImportAction = "covered"
)

// ImportRow is one domain of an import plan.
type ImportRow struct {
	Domain string
	Action ImportAction
	// Current is the rule in force for the domain now (the admin's or a list's), if any.
	Current *DomainRule
	// Result is the admin's block of the domain after the import (add and upgrade), or the rule
	// that stays (keep, covered).
	Result DomainRule
	// Radius is what applying the row touches (dry runs of add and upgrade only).
	Radius *BlastRadius
}

// ImportPlan is the whole import: its rows, the rows of the file it skipped, and totals.
type ImportPlan struct {
	Rows                           []ImportRow
	Problems                       []BlocklistProblem
	Added, Upgraded, Kept, Covered int
	// Totals sums the blast radius of the rows that change something (dry runs).
	Totals BlastRadius
}

// Changes reports whether applying the plan changes anything.
func (p ImportPlan) Changes() bool { return p.Added+p.Upgraded > 0 }

// PlanBlocklistImport is the dry run of ImportBlocklist: what it would do, and what each change
// touches. Nothing is changed. Admins only.
func (f *Forum) PlanBlocklistImport(ctx context.Context, by Viewer, data []byte) (ImportPlan, error) {
	if !by.IsAdmin() {
		return ImportPlan{}, fmt.Errorf("import blocklist: %w", ErrForbidden)
	}
	entries, problems, err := f.ParseBlocklist(data)
	if err != nil {
		return ImportPlan{}, err
	}
	rules, err := loadDomainRules(ctx, f.db)
	if err != nil {
		return ImportPlan{}, err
	}
	plan := planImport(rules, entries)
	plan.Problems = problems
	var changing []DomainRule
	var at []int
	for i, r := range plan.Rows {
		if r.Action == ImportAdd || r.Action == ImportUpgrade {
			changing = append(changing, r.Result)
			at = append(at, i)
		}
	}
	if len(changing) == 0 {
		return plan, nil
	}
	radii, err := f.blastRadii(ctx, changing)
	if err != nil {
		return ImportPlan{}, err
	}
	for j, i := range at {
		radius := radii[j]
		plan.Rows[i].Radius = &radius
		plan.Totals.add(radius)
	}
	return plan, nil
}

// ImportBlocklist applies a blocklist file as the admin's own blocks, in one transaction, and
// returns the plan it applied (without blast radii) and what the change did. Admins only.
func (f *Forum) ImportBlocklist(ctx context.Context, by Viewer, data []byte) (ImportPlan, DomainPolicyResult, error) {
	if !by.IsAdmin() {
		return ImportPlan{}, DomainPolicyResult{}, fmt.Errorf("import blocklist: %w", ErrForbidden)
	}
	entries, problems, err := f.ParseBlocklist(data)
	if err != nil {
		return ImportPlan{}, DomainPolicyResult{}, err
	}
	domains := make([]string, len(entries))
	for i, e := range entries {
		domains[i] = e.Domain
	}
	var plan ImportPlan
	res, err := f.changeDomainRules(ctx, by, policyChange{domains: domains, source: map[string]any{"source": "import"}},
		func(tx pgx.Tx) error {
			rules, err := loadDomainRules(ctx, tx)
			if err != nil {
				return err
			}
			plan = planImport(rules, entries)
			for _, r := range plan.Rows {
				if r.Action != ImportAdd && r.Action != ImportUpgrade {
					continue
				}
				if err := upsertLocalBlock(ctx, tx, by, r.Result); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return ImportPlan{}, DomainPolicyResult{}, err
	}
	plan.Problems = problems
	return plan, res, nil
}

// planImport decides each entry against the rules in force.
func planImport(rules *domainRuleSet, entries []DomainRule) ImportPlan {
	var plan ImportPlan
	for _, e := range entries {
		e.SubscriptionID, e.SubscriptionURL = nil, ""
		row := ImportRow{Domain: e.Domain}
		cur, has := rules.ruleFor(e.Domain)
		if has && cur.Overridden {
			has = false
		}
		if has {
			c := cur
			row.Current = &c
		}
		switch {
		case has && cur.Local():
			merged := mergeRules(cur, e)
			merged.CreatedAt, merged.UpdatedAt = nil, nil
			if merged.sameEffect(cur) {
				row.Action, row.Result = ImportKeep, cur
			} else {
				row.Action, row.Result = ImportUpgrade, merged
			}
		case localParentCovers(rules, e):
			row.Action, row.Result = ImportCovered, e
		case has:
			// A list's block becomes the admin's own, no looser than the list's.
			listed := cur
			listed.SubscriptionID, listed.SubscriptionURL, listed.CreatedAt, listed.UpdatedAt = nil, "", nil, nil
			row.Action, row.Result = ImportAdd, mergeRules(e, listed)
		default:
			row.Action, row.Result = ImportAdd, e
		}
		switch row.Action {
		case ImportAdd:
			plan.Added++
		case ImportUpgrade:
			plan.Upgraded++
		case ImportKeep:
			plan.Kept++
		case ImportCovered:
			plan.Covered++
		}
		plan.Rows = append(plan.Rows, row)
	}
	return plan
}

// localParentCovers reports whether an admin's block of a parent domain already does at least
// what the entry asks.
func localParentCovers(rules *domainRuleSet, e DomainRule) bool {
	for _, n := range domainSuffixes(e.Domain)[1:] {
		if r, ok := rules.local[n]; ok && r.stricterOrEqual(e) {
			return true
		}
	}
	return false
}
