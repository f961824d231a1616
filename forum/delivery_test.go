package forum_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestFollowerRecipientsPreferSharedInboxesAndKnowForumPeers(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	zoe := remoteActor(t, fx.f, forum.ActorPerson, "zoe", "social.example", true)
	gts := remoteActor(t, fx.f, forum.ActorPerson, "gus", "gts.example", false)
	nodebb := remoteActor(t, fx.f, forum.ActorGroup, "cat", "bb.example", true)
	lem := remoteActor(t, fx.f, forum.ActorPerson, "lou", "lemmy.example", true)
	gone := remoteActor(t, fx.f, forum.ActorPerson, "gone", "social.example", true)
	for i, a := range []forum.Actor{zoe, gts, nodebb, lem, gone} {
		if _, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: a.ID, TargetID: fx.cat.ActorID,
			APID: "https://" + a.Domain + "/f/" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := fx.f.MarkRemoteActorGone(fx.ctx, gone.APID); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetDomainSoftware(fx.ctx, "lemmy.example", "lemmy", "1"); err != nil {
		t.Fatal(err)
	}
	rs, err := fx.f.FollowerRecipients(fx.ctx, fx.cat.ActorID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]forum.Recipient{}
	for _, r := range rs {
		got[r.APID] = r
	}
	if len(rs) != 4 || got[gone.APID].APID != "" {
		t.Fatalf("recipients %+v: the deleted actor must be left out", rs)
	}
	if got[zoe.APID].Inbox != "https://social.example/inbox" || got[gts.APID].Inbox != gts.InboxURL {
		t.Errorf("inboxes: zoe %q, gus %q", got[zoe.APID].Inbox, got[gts.APID].Inbox)
	}
	if got[zoe.APID].ForumPeer() || got[gts.APID].ForumPeer() || !got[nodebb.APID].ForumPeer() || !got[lem.APID].ForumPeer() {
		t.Errorf("forum peers: zoe %v gus %v nodebb %v lemmy %v", got[zoe.APID].ForumPeer(), got[gts.APID].ForumPeer(),
			got[nodebb.APID].ForumPeer(), got[lem.APID].ForumPeer())
	}
	ids, err := fx.f.DomainFollowers(fx.ctx, fx.cat.ActorID, "social.example", 100)
	if err != nil || !slices.Equal(ids, []string{zoe.APID}) {
		t.Fatalf("followers on social.example: %v, %v", ids, err)
	}
}

// A delivery cancelled by a block while its request was already on its way (sent, or its outcome
// waiting for the recorder's group commit) is recorded as delivered once that outcome comes: the
// inbox has it. A late failure does not undo a cancellation.
func TestADeliveryCancelledWhileSentIsRecordedDelivered(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	opener, createID := fx.openerAndItsCreate(t)
	rows := []forum.DeliveryRow{
		{ActivityID: createID, Inbox: "https://b.example/inbox", Domain: "b.example", JobID: 21},
		{ActivityID: createID, Inbox: "https://b.example/users/x/inbox", Domain: "b.example", JobID: 22},
	}
	if err := pgx.BeginFunc(fx.ctx, fx.pool, func(tx pgx.Tx) error { return fx.f.InsertDeliveriesTx(fx.ctx, tx, rows) }); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.CancelDeliveriesByJob(fx.ctx, []int64{21, 22}); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.RecordDeliveryOutcomes(fx.ctx, []forum.DeliveryOutcome{
		{ActivityID: createID, Inbox: rows[0].Inbox, State: forum.DeliveryDelivered, Attempted: true, Status: 202},
		{ActivityID: createID, Inbox: rows[1].Inbox, State: forum.DeliveryFailed, Attempted: true, Status: 500, Error: "late"},
	}); err != nil {
		t.Fatal(err)
	}
	status, err := fx.f.PostDeliveryStatus(fx.ctx, forumtest.Admin, opener.ID)
	if err != nil || len(status) != 1 || len(status[0].Domains) != 1 {
		t.Fatalf("status: %+v, %v", status, err)
	}
	if b := status[0].Domains[0]; b.Delivered != 1 || b.Cancelled != 1 || b.Failed != 0 {
		t.Fatalf("b.example: %+v, want 1 delivered and 1 cancelled", b)
	}
}

func TestDeliveryBookkeeping(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	opener, createID := fx.openerAndItsCreate(t)
	rows := []forum.DeliveryRow{
		{ActivityID: createID, Document: "", Inbox: "https://a.example/inbox", Domain: "a.example", JobID: 11},
		{ActivityID: createID, Document: "announce", Inbox: "https://a.example/inbox", Domain: "a.example", JobID: 12},
		{ActivityID: createID, Document: "announce", Inbox: "https://sub.b.example:8443/inbox", Domain: "sub.b.example:8443", JobID: 13},
		{ActivityID: createID, Document: "announce", Inbox: "https://notb.example/inbox", Domain: "notb.example", JobID: 14},
	}
	tx, err := fx.pool.Begin(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // a re-run fan-out changes nothing
		if err := fx.f.InsertDeliveriesTx(fx.ctx, tx, rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(fx.ctx); err != nil {
		t.Fatal(err)
	}
	// Blocking b.example covers its subdomains and any port, not notb.example.
	if ids, err := fx.f.PendingDeliveryJobsOnHost(fx.ctx, "b.example"); err != nil || !slices.Equal(ids, []int64{13}) {
		t.Fatalf("jobs on b.example: %v, %v", ids, err)
	}
	if ids, err := fx.f.PendingPostDeliveryJobs(fx.ctx, opener.ID); err != nil || !slices.Equal(ids, []int64{11, 12, 13, 14}) {
		t.Fatalf("jobs of the post: %v, %v", ids, err)
	}
	// Nothing was attempted yet, but each pending Create will go out as first built: an edit must
	// follow it to every one of those inboxes.
	if aud, err := fx.f.PostAudienceInboxes(fx.ctx, opener.ID); err != nil || len(aud) != 3 {
		t.Fatalf("audience before any attempt: %v, %v; want the three inboxes still to be sent the Create", aud, err)
	}
	err = fx.f.RecordDeliveryOutcomes(fx.ctx, []forum.DeliveryOutcome{
		{ActivityID: createID, Document: "", Inbox: "https://a.example/inbox", State: forum.DeliveryPending, Attempted: true, Status: 503, Error: "HTTP 503"},
		{ActivityID: createID, Document: "", Inbox: "https://a.example/inbox", State: forum.DeliveryDelivered, Attempted: true, Status: 202},
		{ActivityID: createID, Document: "announce", Inbox: "https://a.example/inbox", State: forum.DeliveryFailed, Attempted: true, Status: 400, Error: "HTTP 400"},
		{ActivityID: createID, Document: "announce", Inbox: "https://sub.b.example:8443/inbox", State: forum.DeliveryCancelled},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A finished delivery stays finished whatever is reported later.
	if err := fx.f.RecordDeliveryOutcomes(fx.ctx, []forum.DeliveryOutcome{
		{ActivityID: createID, Document: "", Inbox: "https://a.example/inbox", State: forum.DeliveryFailed, Attempted: true, Status: 500, Error: "late"},
	}); err != nil {
		t.Fatal(err)
	}
	status, err := fx.f.PostDeliveryStatus(fx.ctx, forumtest.Admin, opener.ID)
	if err != nil || len(status) != 1 || status[0].Activity.Verb != forum.VerbCreate {
		t.Fatalf("status: %+v, %v", status, err)
	}
	byDomain := map[string]forum.DomainDeliveries{}
	for _, d := range status[0].Domains {
		byDomain[d.Domain] = d
	}
	a := byDomain["a.example"]
	if a.Total != 2 || a.Delivered != 1 || a.Failed != 1 || a.Pending != 0 || a.LastError != "HTTP 400" {
		t.Errorf("a.example: %+v", a)
	}
	if b := byDomain["sub.b.example:8443"]; b.Cancelled != 1 || b.Attempts != 0 {
		t.Errorf("b: %+v", b)
	}
	if n := byDomain["notb.example"]; n.Pending != 1 {
		t.Errorf("notb: %+v", n)
	}
	// a.example was sent it; notb.example still will be; sub.b.example's was cancelled unsent.
	aud, err := fx.f.PostAudienceInboxes(fx.ctx, opener.ID)
	if err != nil || len(aud) != 2 || aud[0].Inbox != "https://a.example/inbox" || aud[1].Inbox != "https://notb.example/inbox" {
		t.Fatalf("audience: %+v, %v", aud, err)
	}
	if _, err := fx.f.PostDeliveryStatus(fx.ctx, fx.alice.Viewer(), opener.ID); err == nil {
		t.Fatal("a member read delivery status")
	}
	// The domain page and the overview.
	if err := fx.f.RecordDeliveryResults(fx.ctx, nil, []forum.DeliveryFailure{{Domain: "notb.example", At: time.Now(), Error: "timeout"}}); err != nil {
		t.Fatal(err)
	}
	ds, err := fx.f.DomainDeliveryStatus(fx.ctx, forumtest.Admin, "notb.example")
	if err != nil || ds.Pending != 1 || len(ds.Recent) != 1 || ds.Recent[0].Verb != forum.VerbCreate || ds.Domain.LastError != "timeout" {
		t.Fatalf("domain status: %+v, %v", ds, err)
	}
	ov, err := fx.f.DeliveryOverviewOf(fx.ctx, forumtest.Admin, time.Now())
	if err != nil || ov.Day.Delivered != 1 || ov.Day.Pending != 1 || ov.Day.Failed != 1 || ov.Day.Cancelled != 1 ||
		len(ov.Trouble) != 1 || ov.Trouble[0].Domain.Domain != "notb.example" || ov.Trouble[0].Pending != 1 {
		t.Fatalf("overview: %+v, %v", ov, err)
	}
	// Pruning keeps pending rows.
	if n, err := fx.f.PruneDeliveries(fx.ctx, time.Now().Add(time.Hour), 100); err != nil || n != 3 {
		t.Fatalf("pruned %d, %v", n, err)
	}
}

func TestFederatedPostAndCollections(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Hello", "text")
	r1 := fx.reply(t, fx.bob, th.ID, "first")
	r2, err := fx.f.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "to bob", InReplyToID: &r1.ID})
	if err != nil {
		t.Fatal(err)
	}
	r3 := fx.reply(t, fx.bob, th.ID, "hidden later")
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), r3.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	p, err := fx.f.FederatedPostByID(fx.ctx, r1.ID)
	if err != nil || !p.Public || p.Opener() || p.ParentID == nil || *p.ParentID != opener.ID || p.OpenerID != opener.ID ||
		p.Category.ID != fx.cat.ID || p.ThreadTitle != "Hello" {
		t.Fatalf("reply: %+v, %v", p, err)
	}
	if p2, _ := fx.f.FederatedPostByID(fx.ctx, r2.ID); p2.ParentID == nil || *p2.ParentID != r1.ID || *p2.ParentAuthor != fx.bob.ID {
		t.Fatalf("reply to a reply: parent %v", p2.ParentID)
	}
	op, _ := fx.f.FederatedPostByID(fx.ctx, opener.ID)
	refs, err := fx.f.PostReplyRefs(fx.ctx, op, 0, 10)
	if err != nil || len(refs) != 1 || refs[0].ID != r1.ID {
		t.Fatalf("replies of the opener: %+v, %v (r2 answers r1; r3 is hidden)", refs, err)
	}
	if n, err := fx.f.CountPostReplies(fx.ctx, p); err != nil || n != 1 {
		t.Fatalf("replies of r1: %d, %v", n, err)
	}
	all, err := fx.f.ThreadPostRefs(fx.ctx, th.ID, 1, 10)
	if err != nil || len(all) != 2 || all[0].ID != r1.ID || all[1].ID != r2.ID {
		t.Fatalf("context after the opener: %+v, %v", all, err)
	}
	ft, err := fx.f.FederatedThreadByID(fx.ctx, th.ID)
	if err != nil || ft.Visible != 3 {
		t.Fatalf("thread: %+v, %v", ft, err)
	}
	hist, err := fx.f.ThreadActivities(fx.ctx, th.ID, 0, 10)
	if err != nil || len(hist) != 4 || hist[0].Verb != forum.VerbCreate {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	out, total, err := fx.f.ActorOutbox(fx.ctx, fx.alice.Actor, 0, 10)
	if err != nil || total != 2 || len(out) != 2 || out[0].ID <= out[1].ID {
		t.Fatalf("alice's outbox: %+v (%d), %v", out, total, err)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), opener.ID, ""); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "deleted thread", func() error { _, err := fx.f.FederatedThreadByID(fx.ctx, th.ID); return err }(), forum.ErrGone)
	if _, total, _ := fx.f.ActorOutbox(fx.ctx, fx.alice.Actor, 0, 10); total != 0 {
		t.Fatalf("a deleted thread's posts are still in the outbox (%d)", total)
	}
}

// openerAndItsCreate starts a thread and returns its opening post and the id of its Create.
func (fx *contentFixture) openerAndItsCreate(t *testing.T) (forum.Post, int64) {
	t.Helper()
	_, opener := fx.thread(t, fx.alice, fx.cat, "Hello", "text")
	var createID int64
	if err := fx.pool.QueryRow(fx.ctx, `SELECT id FROM activities WHERE post_id = $1 AND verb = 'create'`, opener.ID).Scan(&createID); err != nil {
		t.Fatal(err)
	}
	return opener, createID
}
