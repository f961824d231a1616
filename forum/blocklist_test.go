package forum_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A blocklist file shaped like Mastodon's export (admin/export_domain_blocks.csv).
const mastodonCSV = `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,true,true,Spam wave,false
loud.example,silence,false,false,"Harassment, repeated",true
media.example,noop,true,false,,false
sub.already.example,suspend,false,false,covered by the parent,false
weak.example,suspend,false,false,upgrade me,false
strict.example,silence,false,false,milder,false
not a domain,suspend,false,false,,false
`

// The dry run shows exactly what the import then does: same rows, same actions, same results,
// and the blast radius of each change; stricter existing blocks are kept, weaker ones upgraded.
func TestImportDryRunEqualsAppliedResult(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	spammer := fx.remote(t, forum.ActorPerson, "spam.example", "s")
	fx.remoteFollows(t, spammer, fx.cat.ActorID)
	fx.remoteThread(t, spammer, "buy", "<p>buy</p>")
	fx.block(t, forum.DomainBlockInput{Domain: "already.example", Severity: forum.SeveritySuspend})
	fx.block(t, forum.DomainBlockInput{Domain: "weak.example", Severity: forum.SeveritySilence, PrivateComment: "ours"})
	fx.block(t, forum.DomainBlockInput{Domain: "media.example", Severity: forum.SeveritySuspend, PublicComment: "stricter"})
	fx.block(t, forum.DomainBlockInput{Domain: "strict.example", Severity: forum.SeveritySuspend, PublicComment: "ours"})

	plan, err := fx.f.PlanBlocklistImport(fx.ctx, fx.admin.Viewer(), []byte(mastodonCSV))
	if err != nil {
		t.Fatal(err)
	}
	if n := fx.count(t, `SELECT count(*) FROM domain_blocks`); n != 4 {
		t.Fatalf("the dry run changed the rules: %d blocks", n)
	}
	actions := map[string]forum.ImportAction{}
	for _, r := range plan.Rows {
		actions[r.Domain] = r.Action
	}
	want := map[string]forum.ImportAction{"spam.example": forum.ImportAdd, "loud.example": forum.ImportAdd,
		"media.example": forum.ImportUpgrade, "sub.already.example": forum.ImportCovered, "weak.example": forum.ImportUpgrade, "strict.example": forum.ImportKeep}
	for d, a := range want {
		if actions[d] != a {
			t.Errorf("%s: dry run says %q, want %q", d, actions[d], a)
		}
	}
	if len(plan.Problems) != 1 || plan.Problems[0].Line != 8 {
		t.Fatalf("problems %+v, want the bad row at line 8", plan.Problems)
	}
	if plan.Totals.RemoteFollowers != 1 || plan.Totals.PostsInLocal != 1 {
		t.Fatalf("dry run totals %+v, want spam.example's follower and post", plan.Totals)
	}

	applied, _, err := fx.f.ImportBlocklist(fx.ctx, fx.admin.Viewer(), []byte(mastodonCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied.Rows) != len(plan.Rows) {
		t.Fatalf("applied %d rows, dry run %d", len(applied.Rows), len(plan.Rows))
	}
	for i := range plan.Rows {
		p, a := plan.Rows[i], applied.Rows[i]
		if p.Domain != a.Domain || p.Action != a.Action || !sameRule(p.Result, a.Result) {
			t.Errorf("row %d: dry run %s %s %+v, applied %s %s %+v", i, p.Domain, p.Action, p.Result, a.Domain, a.Action, a.Result)
		}
	}
	rules, err := fx.f.DomainRules(fx.ctx, fx.admin.Viewer())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plan.Rows {
		if r.Action != forum.ImportAdd && r.Action != forum.ImportUpgrade {
			continue
		}
		i := slices.IndexFunc(rules, func(x forum.DomainRule) bool { return x.Domain == r.Domain })
		if i < 0 || !sameRule(rules[i], r.Result) {
			t.Errorf("%s: stored %+v, dry run promised %+v", r.Domain, rules, r.Result)
		}
	}
	// media.example's suspension is kept and gains the row's reject_media; nothing is loosened.
	if b, _ := fx.f.DomainBlock(fx.ctx, fx.admin.Viewer(), "media.example"); b.Severity != forum.SeveritySuspend ||
		!b.RejectMedia || b.PublicComment != "stricter" {
		t.Fatalf("the import loosened a stricter block: %+v", b)
	}
	if b, _ := fx.f.DomainBlock(fx.ctx, fx.admin.Viewer(), "weak.example"); b.Severity != forum.SeveritySuspend || b.PrivateComment != "ours" {
		t.Fatalf("upgraded block: %+v", b)
	}
	if ids := fx.latestIDs(t, forum.Guest); len(ids) != 0 {
		t.Fatalf("the imported suspension left threads listed: %v", ids)
	}
	if b, _ := fx.f.DomainBlock(fx.ctx, fx.admin.Viewer(), "strict.example"); b.Severity != forum.SeveritySuspend || b.PublicComment != "ours" {
		t.Fatalf("the import touched a stricter block: %+v", b)
	}
	// Importing the same file again changes nothing.
	again, err := fx.f.PlanBlocklistImport(fx.ctx, fx.admin.Viewer(), []byte(mastodonCSV))
	if err != nil || again.Changes() {
		t.Fatalf("re-import would change %d+%d rows (%v)", again.Added, again.Upgraded, err)
	}
}

func sameRule(a, b forum.DomainRule) bool {
	return a.Domain == b.Domain && a.Severity == b.Severity && a.RejectMedia == b.RejectMedia &&
		a.RejectReports == b.RejectReports && a.PublicComment == b.PublicComment && a.Obfuscate == b.Obfuscate
}

// Export writes Mastodon's CSV, which imports back to the same rules.
func TestExportRoundTrips(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	fx.block(t, forum.DomainBlockInput{Domain: "a.example", Severity: forum.SeveritySilence, RejectMedia: true,
		PublicComment: `quotes "and", commas`, Obfuscate: true, PrivateComment: "never exported"})
	fx.block(t, forum.DomainBlockInput{Domain: "b.example", Severity: forum.SeverityNoop, RejectReports: true})
	out, err := fx.f.ExportDomainRules(fx.ctx, fx.admin.Viewer())
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if !strings.HasPrefix(text, "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n") ||
		strings.Contains(text, "never exported") {
		t.Fatalf("export:\n%s", text)
	}
	parsed, problems, err := fx.f.ParseBlocklist(out)
	if err != nil || len(problems) != 0 || len(parsed) != 2 {
		t.Fatalf("export does not parse back: %v %v %d", err, problems, len(parsed))
	}
	if parsed[0].PublicComment != `quotes "and", commas` || !parsed[0].Obfuscate || !parsed[0].RejectMedia ||
		parsed[1].Severity != forum.SeverityNoop || !parsed[1].RejectReports {
		t.Fatalf("round trip: %+v", parsed)
	}
	if _, err := fx.f.ExportDomainRules(fx.ctx, fx.mod.Viewer()); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("a moderator exported the rules: %v", err)
	}
}

// A subscribed list's entries apply; an entry retracted from the list is lifted only if that list
// created it (a local block of the same domain stays), a higher-priority list wins, and a local
// allow overrides subscribed blocks. Every change is in the log, with its list.
func TestSubscriptionRetractionPriorityAndAllow(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	admin := fx.admin.Viewer()
	gone := fx.remote(t, forum.ActorPerson, "gone.example", "g")
	th, _ := fx.remoteThread(t, gone, "listed", "<p>listed</p>")
	low, err := fx.f.SubscribeBlocklist(fx.ctx, admin, "https://lists.example/low.csv", 10)
	if err != nil {
		t.Fatal(err)
	}
	high, err := fx.f.SubscribeBlocklist(fx.ctx, admin, "https://lists.example/high.csv", 200)
	if err != nil {
		t.Fatal(err)
	}
	fetched := func(sub forum.BlocklistSubscription, csv string) {
		t.Helper()
		if _, err := fx.f.ApplyBlocklistFetch(fx.ctx, sub.ID, forum.BlocklistFetch{Data: []byte(csv)}); err != nil {
			t.Fatal(err)
		}
	}
	fetched(low, "#domain,#severity\ngone.example,suspend\nmine.example,suspend\nboth.example,suspend\nfriend.example,suspend\n")
	fetched(high, "#domain,#severity\nboth.example,silence\n")
	fx.block(t, forum.DomainBlockInput{Domain: "mine.example", Severity: forum.SeveritySilence})
	if _, err := fx.f.AllowDomain(fx.ctx, admin, "friend.example", "we know them"); err != nil {
		t.Fatal(err)
	}
	verdict := func(host string) forum.DomainLimit {
		t.Helper()
		v, err := fx.f.DomainVerdict(fx.ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		return v.Limit
	}
	for host, want := range map[string]forum.DomainLimit{"gone.example": forum.LimitSuspend, "mine.example": forum.LimitSilence,
		"both.example": forum.LimitSilence, "friend.example": forum.LimitNone} {
		if got := verdict(host); got != want {
			t.Errorf("%s: %v, want %v", host, got, want)
		}
	}
	if has(fx.latestIDs(t, forum.Guest), th) {
		t.Fatal("a subscribed suspension left the thread listed")
	}

	// The list retracts everything but both.example.
	fetched(low, "#domain,#severity\nboth.example,suspend\n")
	for host, want := range map[string]forum.DomainLimit{"gone.example": forum.LimitNone, "mine.example": forum.LimitSilence,
		"both.example": forum.LimitSilence, "friend.example": forum.LimitNone} {
		if got := verdict(host); got != want {
			t.Errorf("after retraction, %s: %v, want %v", host, got, want)
		}
	}
	if !has(fx.latestIDs(t, forum.Guest), th) {
		t.Fatal("a retracted entry still hides the thread")
	}
	if got := fx.logActions(t, "gone.example"); strings.Join(got, ",") != "block_domain,unblock_domain" {
		t.Fatalf("log of gone.example: %v", got)
	}
	var details string
	if err := fx.pool.QueryRow(fx.ctx, `SELECT details::text FROM moderation_log WHERE domain = 'gone.example' ORDER BY id DESC LIMIT 1`).
		Scan(&details); err != nil || !strings.Contains(details, "lists.example/low.csv") {
		t.Fatalf("the log does not say which list: %s %v", details, err)
	}
	// Dropping the high-priority list lets the low one's stricter entry apply.
	if _, err := fx.f.UnsubscribeBlocklist(fx.ctx, admin, high.ID); err != nil {
		t.Fatal(err)
	}
	if got := verdict("both.example"); got != forum.LimitSuspend {
		t.Fatalf("after unsubscribing the high list, both.example: %v", got)
	}
	// A broken fetch changes nothing and is recorded.
	if _, err := fx.f.ApplyBlocklistFetch(fx.ctx, low.ID, forum.BlocklistFetch{Data: []byte("<html>oops</html>")}); err == nil {
		t.Fatal("an unreadable list was applied")
	}
	if got := verdict("both.example"); got != forum.LimitSuspend {
		t.Fatalf("a broken fetch lifted both.example: %v", got)
	}
	if sub, _ := fx.f.BlocklistSubscriptionByID(fx.ctx, low.ID); sub.LastError == "" {
		t.Fatal("the failed fetch is not recorded")
	}
}

// Content of a blocked domain that reaches us later, carried by an allowed peer (a boost of it,
// stored under its own author, or a reply in a thread the peer started), is born hidden.
func TestBlockedContentArrivingThroughAllowedPeerIsHidden(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	fx.block(t, forum.DomainBlockInput{Domain: "blocked.example", Severity: forum.SeveritySuspend})
	peer := fx.remote(t, forum.ActorPerson, "allowed.example", "friend")
	// The inbox resolves a boosted or quoted object's author as a remote actor: born suspended.
	author := fx.remote(t, forum.ActorPerson, "sub.blocked.example", "origin")
	if a, err := fx.f.ActorByID(fx.ctx, author.ID); err != nil || a.DomainLimit != forum.LimitSuspend {
		t.Fatalf("a blocked domain's actor first seen after the block: limit %v (%v)", a.DomainLimit, err)
	}
	peerThread, _ := fx.remoteThread(t, peer, "look at this", "<p>quoting something</p>")
	boosted, _ := fx.remoteThread(t, author, "boosted", "<p>blocked words</p>")
	quoted := fx.remoteReply(t, author, peerThread, "<p>blocked reply</p>")
	ids := fx.latestIDs(t, fx.alice.Viewer())
	if has(ids, boosted) || !has(ids, peerThread) {
		t.Fatalf("latest %v: boosted %d must be hidden, the peer's %d shown", ids, boosted, peerThread)
	}
	if p := fx.postOnPage(t, fx.alice.Viewer(), peerThread, quoted); !p.Redacted || p.HTML != "" {
		t.Fatalf("the blocked domain's post shows in the peer's thread: %+v", p)
	}
	if res, err := fx.f.Search(fx.ctx, fx.alice.Viewer(), forum.SearchQuery{Text: "blocked"}); err != nil || len(res.Hits) != 0 {
		t.Fatalf("search finds the blocked domain's posts: %d, %v", len(res.Hits), err)
	}
}
