package forum_test

import (
	"errors"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// What this server decided about a remote account holds in every activity it sends: a suspended
// account's boosts and reports count for nothing, and so do a deleted account's (its key may
// still be cached elsewhere for a moment). Likes are checked the same way (reactionTarget).
func TestSuspendedOrDeletedAccountsNeitherBoostNorReport(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	_, opener := fx.thread(t, fx.alice, fx.cat, "Boost me", "opener")
	remote := func(name string) int64 {
		t.Helper()
		var id int64
		if err := fx.pool.QueryRow(fx.ctx, `INSERT INTO actors (kind, username, domain, ap_id)
			VALUES ('person', $1, 'elsewhere.example', 'https://elsewhere.example/u/' || $1) RETURNING id`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	suspended, deleted, fine := remote("suspended"), remote("deleted"), remote("fine")
	if err := fx.f.ModerateRemoteAccount(fx.ctx, fx.admin.Viewer(), suspended, forum.SuspendAccount, "spam"); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE actors SET deleted_at = now() WHERE id = $1`, deleted); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		actor int64
		want  error
	}{{"suspended", suspended, forum.ErrForbidden}, {"deleted", deleted, forum.ErrGone}, {"fine", fine, nil}} {
		created, err := fx.f.BoostRemote(fx.ctx, forum.RemoteReaction{APID: "https://elsewhere.example/boosts/" + c.name,
			ActorID: c.actor, PostID: opener.ID})
		if !errors.Is(err, c.want) || created != (c.want == nil) {
			t.Errorf("a boost by the %s account: created %v, %v; want %v", c.name, created, err, c.want)
		}
		_, created, err = fx.f.FileRemoteReport(fx.ctx, forum.RemoteReport{APID: "https://elsewhere.example/flags/" + c.name,
			ReporterID: c.actor, TargetActorID: fx.alice.ID, PostIDs: []int64{opener.ID}, Reason: "spam"})
		if !errors.Is(err, c.want) || created != (c.want == nil) {
			t.Errorf("a report by the %s account: created %v, %v; want %v", c.name, created, err, c.want)
		}
	}
	if n, err := fx.f.BoostCount(fx.ctx, opener.ID); err != nil || n != 1 {
		t.Errorf("boosts counted: %d (%v), want 1, the fine account's", n, err)
	}
	if q := fx.queue(t); len(q) != 1 || q[0].ReporterID != fine {
		t.Errorf("reports queued: %+v, want the fine account's alone", q)
	}
}
