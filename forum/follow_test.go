package forum_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// remoteActor stores a remote actor as a fetch from its origin would.
func remoteActor(t *testing.T, f *forum.Forum, kind forum.ActorKind, user, domain string, shared bool) forum.Actor {
	t.Helper()
	id := "https://" + domain + "/users/" + user
	in := forum.RemoteActor{APID: id, Kind: kind, Username: user, Domain: domain, InboxURL: id + "/inbox",
		PublicKeyID: id + "#main-key", PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}
	if shared {
		in.SharedInboxURL = "https://" + domain + "/inbox"
	}
	a, err := f.UpsertRemoteActor(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// recordedActivity is the last activity recorded, as a test reads it.
type recordedActivity struct {
	Verb       forum.Verb
	ActorID    int64
	FollowID   *int64
	TargetID   *int64
	ObjectAPID string
	Details    map[string]any
}

func lastActivity(t *testing.T, pool *pgxpool.Pool) (recordedActivity, int) {
	t.Helper()
	var a recordedActivity
	var n int
	var details []byte
	err := pool.QueryRow(context.Background(), `SELECT verb, actor_id, follow_id, target_actor_id, coalesce(object_ap_id, ''), details,
			(SELECT count(*) FROM activities)
		FROM activities ORDER BY id DESC LIMIT 1`).Scan(&a.Verb, &a.ActorID, &a.FollowID, &a.TargetID, &a.ObjectAPID, &details, &n)
	if err != nil {
		return recordedActivity{}, 0
	}
	if err := json.Unmarshal(details, &a.Details); err != nil {
		t.Fatal(err)
	}
	return a, n
}

func TestRemoteFollowOfAPublicCategoryIsAcceptedAndAnswered(t *testing.T) {
	t.Parallel()
	jobs := &recordingJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	zoe := remoteActor(t, f, forum.ActorPerson, "zoe", "social.example", true)
	fo, err := f.AddRemoteFollower(ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: cat.ActorID, APID: "https://social.example/f/1"})
	if err != nil || fo.State != forum.FollowAccepted || fo.APID != "https://social.example/f/1" || fo.AcceptedAt == nil {
		t.Fatalf("follow: %+v, %v", fo, err)
	}
	a, n := lastActivity(t, pool)
	if a.Verb != forum.VerbAccept || a.ActorID != cat.ActorID || a.FollowID == nil || *a.FollowID != fo.ID ||
		a.TargetID == nil || *a.TargetID != zoe.ID || a.ObjectAPID != "https://social.example/f/1" {
		t.Fatalf("recorded %+v", a)
	}
	// The first follow from a domain asks for its NodeInfo, once.
	probes := 0
	for _, j := range jobs.args {
		if p, ok := j.(forum.ProbeDomainArgs); ok && p.Domain == "social.example" {
			probes++
		}
	}
	if probes != 1 {
		t.Fatalf("%d NodeInfo probes queued, want 1 (%v)", probes, jobs.args)
	}

	// A peer that lost our Accept follows again with a new id: answered again, still accepted.
	fo2, err := f.AddRemoteFollower(ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: cat.ActorID, APID: "https://social.example/f/2"})
	if err != nil || fo2.ID != fo.ID || fo2.State != forum.FollowAccepted || fo2.APID != "https://social.example/f/2" {
		t.Fatalf("repeated follow: %+v, %v", fo2, err)
	}
	if a, n2 := lastActivity(t, pool); n2 != n+1 || a.Verb != forum.VerbAccept || a.ObjectAPID != "https://social.example/f/2" {
		t.Fatalf("repeated follow recorded %+v (%d activities, had %d)", a, n2, n)
	}
	if len(jobs.args) != probes {
		t.Fatalf("a second follow from the same domain queued another probe: %v", jobs.args)
	}
	if got, err := f.CountFollowers(ctx, cat.ActorID); err != nil || got != 1 {
		t.Fatalf("followers: %d, %v", got, err)
	}

	// Undo{Follow} removes it; undoing again is fine.
	for i := 0; i < 2; i++ {
		if err := f.RemoveFollower(ctx, zoe.ID, cat.ActorID); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := f.CountFollowers(ctx, cat.ActorID); got != 0 {
		t.Fatalf("%d followers after Undo", got)
	}
}

func TestRemoteFollowOfAPrivateCategoryOrHiddenThreadIsRejected(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	zoe := remoteActor(t, fx.f, forum.ActorPerson, "zoe", "social.example", true)
	staff := fx.category(t, "team")
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, staff.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true},
	}); err != nil {
		t.Fatal(err)
	}
	fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: staff.ActorID, APID: "https://social.example/f/9"})
	if err != nil || fo.State != forum.FollowRejected {
		t.Fatalf("follow of a private category: %+v, %v", fo, err)
	}
	if a, _ := lastActivity(t, fx.pool); a.Verb != forum.VerbReject || a.ActorID != staff.ActorID || *a.TargetID != zoe.ID ||
		a.ObjectAPID != "https://social.example/f/9" {
		t.Fatalf("recorded %+v", a)
	}
	if _, err := fx.f.FollowBetween(fx.ctx, zoe.ID, staff.ActorID); err == nil {
		t.Fatal("a rejected follow was stored")
	}

	th, _ := fx.thread(t, fx.alice, fx.cat, "Visible", "text")
	ta, err := fx.f.EnsureThreadActor(fx.ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: ta.ID, APID: "https://social.example/f/10"}); err != nil || fo.State != forum.FollowAccepted {
		t.Fatalf("follow of a thread: %+v, %v", fo, err)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), th.ID, true, "spam"); err != nil {
		t.Fatal(err)
	}
	bea := remoteActor(t, fx.f, forum.ActorPerson, "bea", "social.example", true)
	if fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: bea.ID, TargetID: ta.ID, APID: "https://social.example/f/11"}); err != nil || fo.State != forum.FollowRejected {
		t.Fatalf("follow of a hidden thread: %+v, %v", fo, err)
	}
	inst, err := fx.f.InstanceActor(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: inst.ID, APID: "https://social.example/f/12"}); err != nil || fo.State != forum.FollowRejected {
		t.Fatalf("follow of the instance actor: %+v, %v", fo, err)
	}
	// Only remote actors follow through federation.
	_, err = fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: fx.bob.ID, TargetID: fx.cat.ActorID, APID: "https://social.example/f/13"})
	wantInvalid(t, "local follower", err, "actor")
	// A Follow id another follow holds is a conflict, not a move.
	_, err = fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: bea.ID, TargetID: fx.cat.ActorID, APID: "https://social.example/f/10"})
	wantErr(t, "reused follow id", err, forum.ErrConflict)
}

func TestMembersWhoApproveFollowersAnswerPendingFollows(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	zoe := remoteActor(t, fx.f, forum.ActorPerson, "zoe", "social.example", true)
	// Without approval, a member is followed at once.
	if fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: fx.bob.ID, APID: "https://social.example/f/1"}); err != nil || fo.State != forum.FollowAccepted {
		t.Fatalf("follow of bob: %+v, %v", fo, err)
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE actors SET manually_approves_followers = true WHERE id = $1`, fx.alice.ID); err != nil {
		t.Fatal(err)
	}
	_, before := lastActivity(t, fx.pool)
	fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: zoe.ID, TargetID: fx.alice.ID, APID: "https://social.example/f/2"})
	if err != nil || fo.State != forum.FollowPending {
		t.Fatalf("follow of alice: %+v, %v", fo, err)
	}
	if _, n := lastActivity(t, fx.pool); n != before {
		t.Fatal("a pending follow was answered")
	}
	reqs, err := fx.f.FollowRequests(fx.ctx, fx.alice.Viewer(), fx.alice.ID, 0, 10)
	if err != nil || len(reqs) != 1 || reqs[0].ID != fo.ID || reqs[0].FollowerAPID != zoe.APID {
		t.Fatalf("requests: %+v, %v", reqs, err)
	}
	if _, err := fx.f.FollowRequests(fx.ctx, fx.bob.Viewer(), fx.alice.ID, 0, 10); err == nil {
		t.Fatal("bob read alice's follow requests")
	}
	wantErr(t, "bob accepting alice's follower", fx.f.AcceptFollow(fx.ctx, fx.bob.Viewer(), fo.ID), forum.ErrForbidden)
	if err := fx.f.AcceptFollow(fx.ctx, fx.alice.Viewer(), fo.ID); err != nil {
		t.Fatal(err)
	}
	a, n := lastActivity(t, fx.pool)
	if a.Verb != forum.VerbAccept || a.ActorID != fx.alice.ID || *a.FollowID != fo.ID || a.ObjectAPID != "https://social.example/f/2" {
		t.Fatalf("accept recorded %+v", a)
	}
	if err := fx.f.AcceptFollow(fx.ctx, fx.alice.Viewer(), fo.ID); err != nil {
		t.Fatal(err)
	}
	if _, n2 := lastActivity(t, fx.pool); n2 != n {
		t.Fatal("accepting twice sent a second Accept")
	}
	// Removing a follower rejects it (Mastodon's way of telling the follower's server).
	if err := fx.f.RejectFollow(fx.ctx, fx.alice.Viewer(), fo.ID); err != nil {
		t.Fatal(err)
	}
	if a, _ := lastActivity(t, fx.pool); a.Verb != forum.VerbReject || *a.TargetID != zoe.ID || a.ObjectAPID != "https://social.example/f/2" {
		t.Fatalf("reject recorded %+v", a)
	}
	if _, err := fx.f.FollowBetween(fx.ctx, zoe.ID, fx.alice.ID); err == nil {
		t.Fatal("the rejected follow is still there")
	}
}

func TestLocalMemberFollowsARemoteActor(t *testing.T) {
	t.Parallel()
	jobs := &recordingJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	alice := forumtest.Member(t, f, "alice", forum.RoleMember)
	group := remoteActor(t, f, forum.ActorGroup, "woodwork", "lemmy.example", true)
	other := remoteActor(t, f, forum.ActorPerson, "mallory", "evil.example", true)

	fo, err := f.FollowRemote(ctx, alice.Viewer(), group.ID)
	if err != nil || fo.State != forum.FollowPending || fo.FollowActivityID == nil {
		t.Fatalf("follow: %+v, %v", fo, err)
	}
	a, n := lastActivity(t, pool)
	if a.Verb != forum.VerbFollow || a.ActorID != alice.ID || *a.TargetID != group.ID || *a.FollowID != fo.ID {
		t.Fatalf("recorded %+v", a)
	}
	if again, err := f.FollowRemote(ctx, alice.Viewer(), group.ID); err != nil || again.ID != fo.ID {
		t.Fatalf("following again: %+v, %v", again, err)
	}
	if _, n2 := lastActivity(t, pool); n2 != n {
		t.Fatal("following again sent a second Follow")
	}
	_, err = f.FollowRemote(ctx, alice.Viewer(), alice.ID)
	wantInvalid(t, "following a local actor", err, "actor")

	// Only the followed actor may accept (SECURITY.md rule 4).
	_, err = f.SettleOwnFollow(ctx, other.ID, *fo.FollowActivityID, true)
	wantErr(t, "accept by another actor", err, forum.ErrForbidden)
	settled, err := f.SettleOwnFollow(ctx, group.ID, *fo.FollowActivityID, true)
	if err != nil || settled.State != forum.FollowAccepted || settled.AcceptedAt == nil {
		t.Fatalf("accept: %+v, %v", settled, err)
	}
	// An Accept that names no Follow settles the one pending follow of that actor, if there is one.
	_, err = f.SettleOwnFollow(ctx, group.ID, 0, true)
	wantErr(t, "accept of nothing pending", err, forum.ErrNotFound)

	if err := f.Unfollow(ctx, alice.Viewer(), group.ID); err != nil {
		t.Fatal(err)
	}
	a, _ = lastActivity(t, pool)
	if a.Verb != forum.VerbUndoFollow || *a.TargetID != group.ID || a.Details["follow_activity"] != float64(*fo.FollowActivityID) {
		t.Fatalf("undo recorded %+v", a)
	}
	if _, err := f.FollowBetween(ctx, alice.ID, group.ID); err == nil {
		t.Fatal("still following after Unfollow")
	}

	// A Reject of a pending follow removes it.
	fo, err = f.FollowRemote(ctx, alice.Viewer(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.SettleOwnFollow(ctx, other.ID, 0, false); err != nil || got.State != forum.FollowRejected || got.ID != fo.ID {
		t.Fatalf("reject: %+v, %v", got, err)
	}
	if _, err := f.FollowBetween(ctx, alice.ID, other.ID); err == nil {
		t.Fatal("a rejected follow is still there")
	}
}

func TestDropGoneInboxRemovesTheFollowsOfWhatIsGone(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	var shared, own []forum.Actor
	for i := 0; i < 3; i++ {
		shared = append(shared, remoteActor(t, f, forum.ActorPerson, fmt.Sprintf("s%d", i), "big.example", true))
		own = append(own, remoteActor(t, f, forum.ActorPerson, fmt.Sprintf("o%d", i), "gts.example", false))
	}
	for i, a := range append(shared, own...) {
		if _, err := f.AddRemoteFollower(ctx, forum.RemoteFollow{FollowerID: a.ID, TargetID: cat.ActorID,
			APID: fmt.Sprintf("https://%s/f/%d", a.Domain, i)}); err != nil {
			t.Fatal(err)
		}
	}
	// One account's own inbox is gone: that account is.
	if n, err := f.DropGoneInbox(ctx, own[0].InboxURL); err != nil || n != 1 {
		t.Fatalf("drop %s: %d, %v", own[0].InboxURL, n, err)
	}
	if a, _ := f.ActorByID(ctx, own[0].ID); a.DeletedAt == nil {
		t.Error("the gone actor is not marked deleted")
	}
	// A shared inbox that is gone takes every follow of its server's actors.
	if n, err := f.DropGoneInbox(ctx, "https://big.example/inbox"); err != nil || n != 3 {
		t.Fatalf("drop shared inbox: %d, %v", n, err)
	}
	if got, _ := f.CountFollowers(ctx, cat.ActorID); got != 2 {
		t.Fatalf("%d followers left, want the 2 other gts.example accounts", got)
	}
}
