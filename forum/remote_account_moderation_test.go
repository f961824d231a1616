package forum_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// Silencing, suspending and removing the posts of one remote account hide it as a domain block
// would, for that account alone; each is undone by its opposite, and each is in the log.
func TestRemoteAccountActionsHideAndRestore(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	troll := fx.remote(t, forum.ActorPerson, "mixed.example", "troll")
	neighbour := fx.remote(t, forum.ActorPerson, "mixed.example", "fine")
	th, _ := fx.remoteThread(t, troll, "bait", "<p>bait</p>")
	ok, _ := fx.remoteThread(t, neighbour, "fine", "<p>fine</p>")
	local, _ := fx.thread(t, fx.alice, "local", "a local thread")
	reply := fx.remoteReply(t, troll, local.ID, "<p>trolling</p>")
	mod := fx.mod.Viewer()

	if err := fx.f.ModerateRemoteAccount(fx.ctx, fx.alice.Viewer(), troll.ID, forum.SilenceAccount, ""); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("a member silenced an account: %v", err)
	}
	if err := fx.f.ModerateRemoteAccount(fx.ctx, mod, fx.bob.ID, forum.SuspendAccount, ""); err == nil {
		t.Fatal("a local member was suspended as a remote account")
	}
	for _, step := range []struct {
		action   forum.RemoteAccountAction
		listed   bool
		redacted bool
	}{
		{forum.SilenceAccount, false, true},
		{forum.UnsilenceAccount, true, false},
		{forum.SuspendAccount, false, true},
		{forum.UnsuspendAccount, true, false},
		{forum.RemoveAccountPosts, false, true},
		{forum.RestoreAccountPosts, true, false},
	} {
		if err := fx.f.ModerateRemoteAccount(fx.ctx, mod, troll.ID, step.action, "step "+string(step.action)); err != nil {
			t.Fatalf("%s: %v", step.action, err)
		}
		ids := fx.latestIDs(t, fx.bob.Viewer())
		if has(ids, th) != step.listed || !has(ids, ok) {
			t.Fatalf("after %s: latest %v (troll's %d listed: want %v; neighbour's %d)", step.action, ids, th, step.listed, ok)
		}
		if p := fx.postOnPage(t, fx.bob.Viewer(), local.ID, reply); p.Redacted != step.redacted {
			t.Fatalf("after %s: reply redacted %v", step.action, p.Redacted)
		}
	}
	// Doing what is done changes nothing and logs nothing.
	if err := fx.f.ModerateRemoteAccount(fx.ctx, mod, troll.ID, forum.RestoreAccountPosts, ""); err != nil {
		t.Fatal(err)
	}
	if n := fx.count(t, `SELECT count(*) FROM moderation_log WHERE target_actor_id = $1 AND action LIKE '%_account'`, troll.ID); n != 6 {
		t.Fatalf("%d log entries, want one per change", n)
	}
}

// A report about a remote account made here is forwarded once, as a Flag from the instance actor
// naming the account and the reported posts; the report records when.
func TestForwardReportRecordsAFlag(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	troll := fx.remote(t, forum.ActorPerson, "far.example", "troll")
	local, _ := fx.thread(t, fx.alice, "local", "a local thread")
	reply := fx.remoteReply(t, troll, local.ID, "<p>abuse</p>")
	reportID, err := fx.f.FileReport(fx.ctx, fx.bob.Viewer(), forum.NewReport{PostID: reply, Reason: "abusive"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.ForwardReport(fx.ctx, fx.alice.Viewer(), reportID, ""); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("a member forwarded a report: %v", err)
	}
	if err := fx.f.ForwardReport(fx.ctx, fx.mod.Viewer(), reportID, "abuse of our members"); err != nil {
		t.Fatal(err)
	}
	var verb, details string
	if err := fx.pool.QueryRow(fx.ctx, `SELECT a.verb, a.details::text FROM activities a JOIN actors i ON i.id = a.actor_id
		WHERE a.target_actor_id = $1 AND i.kind = 'instance'`, troll.ID).Scan(&verb, &details); err != nil {
		t.Fatalf("no Flag from the instance actor: %v", err)
	}
	if verb != string(forum.VerbFlag) || !strings.Contains(details, troll.APID+"/replies/") || !strings.Contains(details, "abuse of our members") {
		t.Fatalf("flag %s %s", verb, details)
	}
	if n := fx.count(t, `SELECT count(*) FROM reports WHERE id = $1 AND forwarded_at IS NOT NULL`, reportID); n != 1 {
		t.Fatal("forwarded_at not set")
	}
	if err := fx.f.ForwardReport(fx.ctx, fx.mod.Viewer(), reportID, ""); !errors.Is(err, forum.ErrAlreadyForwarded) {
		t.Fatalf("forwarded twice: %v", err)
	}
	if got := fx.logActions(t, "far.example"); strings.Join(got, ",") != "forward_report" {
		t.Fatalf("log: %v", got)
	}
	// Nothing is forwarded to a blocked server.
	other := fx.remote(t, forum.ActorPerson, "cut.example", "x")
	r2, err := fx.f.FileReport(fx.ctx, fx.bob.Viewer(), forum.NewReport{Account: "x@cut.example", Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	fx.block(t, forum.DomainBlockInput{Domain: "cut.example"})
	if err := fx.f.ForwardReport(fx.ctx, fx.mod.Viewer(), r2, ""); err == nil {
		t.Fatalf("a report about %s was forwarded to a blocked server", other.APID)
	}
}
