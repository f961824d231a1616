package forum_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// setReportRules gives the site its list of rules.
func (fx *contentFixture) setReportRules(t *testing.T, rules ...string) {
	t.Helper()
	cur, err := fx.f.SiteSettings(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.UpdateSiteSettings(fx.ctx, forumtest.Admin, forum.SiteSettingsInput{SiteName: cur.SiteName,
		RegistrationOpen: cur.RegistrationOpen, ReportRules: rules}); err != nil {
		t.Fatal(err)
	}
}

func (fx *contentFixture) queue(t *testing.T) []forum.Report {
	t.Helper()
	reports, _, err := fx.f.OpenReports(fx.ctx, fx.mod.Viewer(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return reports
}

func TestFilingReports(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	fx.setReportRules(t, "Be kind", "No spam", "No spam", " ")
	if s, _ := fx.f.SiteSettings(fx.ctx); len(s.ReportRules) != 2 {
		t.Fatalf("rules %q: blanks and repeats should be dropped", s.ReportRules)
	}
	th, _ := fx.thread(t, fx.alice, fx.cat, "Reports", "opener")
	spam := fx.reply(t, fx.bob, th.ID, "buy now")

	id, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), forum.NewReport{PostID: spam.ID, Rule: "No spam", Reason: "an ad"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), forum.NewReport{PostID: spam.ID, Rule: "No spam"})
	if err != nil || again != id {
		t.Fatalf("reporting the same post again: %d (%v), want the open report %d", again, err, id)
	}
	account, err := fx.f.FileReport(fx.ctx, fx.mod.Viewer(), forum.NewReport{Account: "@bob", Reason: "spams everywhere"})
	if err != nil || account == id {
		t.Fatalf("account report: %d, %v", account, err)
	}
	q := fx.queue(t)
	if len(q) != 2 || q[0].ID != account || q[1].ID != id {
		t.Fatalf("queue %+v, want the account report first (newest)", q)
	}
	r := q[1]
	if r.Rule != "No spam" || r.Reason != "an ad" || r.ReporterHandle() != "alice" || r.TargetHandle() != "bob" ||
		!r.TargetMember || len(r.Posts) != 1 || r.Posts[0].PostID != spam.ID || r.Posts[0].Excerpt != "buy now" ||
		r.Posts[0].ThreadTitle != "Reports" {
		t.Fatalf("report %+v", r)
	}
	if len(q[0].Posts) != 0 {
		t.Fatalf("an account report has posts: %+v", q[0].Posts)
	}

	for _, bad := range []struct {
		in    forum.NewReport
		field string
	}{
		{forum.NewReport{PostID: spam.ID, Rule: "Not a rule"}, "rule"},
		{forum.NewReport{PostID: spam.ID}, "reason"},
		{forum.NewReport{Reason: "x"}, "report"},
		{forum.NewReport{PostID: spam.ID, Account: "bob", Reason: "x"}, "report"},
		{forum.NewReport{Account: "carol", Reason: "x"}, ""},
	} {
		_, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), bad.in)
		if bad.field == "" {
			wantErr(t, "an unknown account", err, forum.ErrNotFound)
		} else {
			wantInvalid(t, "report", err, bad.field)
		}
	}
	_, err = fx.f.FileReport(fx.ctx, fx.bob.Viewer(), forum.NewReport{PostID: spam.ID, Reason: "x"})
	wantInvalid(t, "reporting your own post", err, "report")
	_, err = fx.f.FileReport(fx.ctx, fx.bob.Viewer(), forum.NewReport{Account: "bob", Reason: "x"})
	wantInvalid(t, "reporting yourself", err, "report")
	_, err = fx.f.FileReport(fx.ctx, forum.Guest, forum.NewReport{PostID: spam.ID, Reason: "x"})
	wantErr(t, "a guest", err, forum.ErrUnauthorized)
	_, _, err = fx.f.OpenReports(fx.ctx, fx.alice.Viewer(), 0, 10)
	wantErr(t, "a member reading the queue", err, forum.ErrForbidden)
}

func TestResolvingReports(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Reports", "opener")
	rude := fx.reply(t, fx.bob, th.ID, "rude words")
	worse := fx.reply(t, fx.bob, th.ID, "worse words")
	fine := fx.reply(t, fx.mod, th.ID, "calm down")
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	file := func(by forum.Member, in forum.NewReport) int64 {
		t.Helper()
		id, err := fx.f.FileReport(fx.ctx, by.Viewer(), in)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	onRude := file(fx.alice, forum.NewReport{PostID: rude.ID, Reason: "rude"})
	file(carol, forum.NewReport{PostID: rude.ID, Reason: "very rude"}) // a second report about the same post
	onWorse := file(fx.alice, forum.NewReport{PostID: worse.ID, Reason: "worse"})
	onBob := file(carol, forum.NewReport{Account: "bob", Reason: "keeps at it"})
	onFine := file(fx.bob, forum.NewReport{PostID: fine.ID, Reason: "I disagree"})

	resolve := func(id int64, res forum.ReportResolution) error {
		return fx.f.ResolveReport(fx.ctx, fx.mod.Viewer(), id, res)
	}
	// Dismissing closes one report.
	if err := resolve(onFine, forum.ReportResolution{Action: forum.DismissReport}); err != nil {
		t.Fatal(err)
	}
	if err := resolve(onFine, forum.ReportResolution{Action: forum.DismissReport}); !errors.Is(err, forum.ErrReportClosed) {
		t.Fatalf("dismissing twice: %v", err)
	}
	// Hiding the post closes every open report about it.
	if err := resolve(onRude, forum.ReportResolution{Action: forum.HideReportedPosts}); err != nil {
		t.Fatal(err)
	}
	p, err := fx.f.PostByID(fx.ctx, fx.alice.Viewer(), rude.ID)
	if err != nil || !p.Hidden() {
		t.Fatalf("the reported post: hidden %v (%v)", p.Hidden(), err)
	}
	if q := fx.queue(t); len(q) != 2 || q[0].ID != onBob || q[1].ID != onWorse {
		t.Fatalf("queue after hiding: %v", reportIDs(q))
	}
	// Deleting the post.
	if err := resolve(onWorse, forum.ReportResolution{Action: forum.DeleteReportedPosts}); err != nil {
		t.Fatal(err)
	}
	if p, err := fx.f.PostByID(fx.ctx, fx.mod.Viewer(), worse.ID); err != nil || !p.Deleted() {
		t.Fatalf("the reported post: deleted %v (%v)", p.Deleted(), err)
	}
	// An account report has no post to hide.
	wantInvalid(t, "hiding an account report", resolve(onBob, forum.ReportResolution{Action: forum.HideReportedPosts}), "action")
	// Banning; the past is refused.
	past := time.Now().Add(-time.Hour)
	wantInvalid(t, "a ban in the past", resolve(onBob, forum.ReportResolution{Action: forum.BanReportedMember, BanUntil: &past}), "until")
	until := time.Now().Add(24 * time.Hour)
	wantErr(t, "a member resolving", fx.f.ResolveReport(fx.ctx, carol.Viewer(), onBob, forum.ReportResolution{Action: forum.DismissReport}), forum.ErrForbidden)
	if err := resolve(onBob, forum.ReportResolution{Action: forum.BanReportedMember, BanUntil: &until}); err != nil {
		t.Fatal(err)
	}
	if m, err := fx.f.MemberByID(fx.ctx, fx.bob.ID); err != nil || !m.Banned(time.Now()) {
		t.Fatalf("bob banned: %v (%v)", m.Banned(time.Now()), err)
	}
	if q := fx.queue(t); len(q) != 0 {
		t.Fatalf("queue at the end: %v", reportIDs(q))
	}
	wantStrings(t, "moderation log", fx.modActions(t), []string{"dismiss_report", "hide_post", "delete_post", "ban_member"})
	statuses := fx.strings(t, `SELECT status || ':' || resolution FROM reports ORDER BY id`)
	wantStrings(t, "report statuses", statuses, []string{"resolved:hide_post", "resolved:hide_post", "resolved:delete_post",
		"resolved:ban_member", "dismissed:dismiss"})
}

// A post staff delete or hide from the thread page, not from the queue, takes its open reports
// out of the queue, resolved by them with what they did; an author deleting their own reported
// post leaves the report for staff.
func TestActingOnAPostOutsideTheQueueClosesItsReports(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Reports", "opener")
	spam := fx.reply(t, fx.bob, th.ID, "buy watches")
	rude := fx.reply(t, fx.bob, th.ID, "rude words")
	regret := fx.reply(t, fx.bob, th.ID, "words I regret")
	var reports []int64
	for _, p := range []forum.Post{spam, rude, regret} {
		id, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), forum.NewReport{PostID: p.ID, Reason: "bad"})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, id)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), spam.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), rude.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), regret.ID, ""); err != nil {
		t.Fatal(err)
	}
	if q := fx.queue(t); len(q) != 1 || q[0].ID != reports[2] {
		t.Fatalf("queue: %v, want only the report of the post its author deleted", reportIDs(q))
	}
	settled := fx.strings(t, `SELECT status || ':' || resolution || ':' || coalesce(resolved_by, 0) FROM reports
		WHERE id = ANY($1) ORDER BY id`, reports[:2])
	by := fmt.Sprint(fx.mod.ID)
	wantStrings(t, "reports settled on the thread page", settled, []string{"resolved:delete_post:" + by, "resolved:hide_post:" + by})
}

func reportIDs(rs []forum.Report) []int64 {
	ids := []int64{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestRemoteReportsEnterTheSameQueueOnce(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	var instance, remote int64
	if err := fx.pool.QueryRow(fx.ctx, `INSERT INTO actors (kind, username, domain, ap_id)
		VALUES ('instance', 'social.example', 'social.example', 'https://social.example/actor') RETURNING id`).Scan(&instance); err != nil {
		t.Fatal(err)
	}
	if err := fx.pool.QueryRow(fx.ctx, `INSERT INTO actors (kind, username, domain, ap_id)
		VALUES ('person', 'troll', 'elsewhere.example', 'https://elsewhere.example/u/troll') RETURNING id`).Scan(&remote); err != nil {
		t.Fatal(err)
	}
	th, opener := fx.thread(t, fx.alice, fx.cat, "Flags", "opener")
	mine := fx.reply(t, fx.bob, th.ID, "bob's post")
	flag := forum.RemoteReport{APID: "https://social.example/flags/1", ReporterID: instance, TargetActorID: fx.bob.ID,
		PostIDs: []int64{mine.ID, opener.ID /* alice's, not bob's: dropped */}, Reason: "harassment"}
	id, created, err := fx.f.FileRemoteReport(fx.ctx, flag)
	if err != nil || !created {
		t.Fatalf("file: %d %v %v", id, created, err)
	}
	again, created, err := fx.f.FileRemoteReport(fx.ctx, flag)
	if err != nil || created || again != id {
		t.Fatalf("the same Flag again: %d %v %v", again, created, err)
	}
	q := fx.queue(t)
	if len(q) != 1 || q[0].ReporterHandle() != "social.example@social.example" || q[0].ReporterKind != forum.ActorInstance ||
		len(q[0].Posts) != 1 || q[0].Posts[0].PostID != mine.ID || q[0].APID != flag.APID {
		t.Fatalf("queue %+v", q)
	}
	// A member reports the remote account; it cannot be banned here, only dismissed.
	acc, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), forum.NewReport{Account: "troll@Elsewhere.example", Reason: "trolling"})
	if err != nil {
		t.Fatal(err)
	}
	if q := fx.queue(t); q[0].ID != acc || q[0].TargetMember || q[0].TargetHandle() != "troll@elsewhere.example" {
		t.Fatalf("remote account report %+v", q[0])
	}
	wantInvalid(t, "banning a remote account", fx.f.ResolveReport(fx.ctx, fx.admin.Viewer(), acc,
		forum.ReportResolution{Action: forum.BanReportedMember}), "action")
	if err := fx.f.ResolveReport(fx.ctx, fx.admin.Viewer(), acc, forum.ReportResolution{Action: forum.DismissReport}); err != nil {
		t.Fatal(err)
	}
}
