package forum

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A local category's relay of a received activity is always recorded (it is part of the thread's
// history), but handed to the Federator, whose fan-out job would build and send it, only when the
// category's or the thread's actor has a follower the outbox delivers to.
func TestRelayIsPublishedOnlyWhenSomeoneRemoteFollows(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	fed := &recordingFederator{}
	fx.f.federator = fed
	db := fx.f.db
	var catActor, threadActor int64
	if err := db.QueryRow(fx.ctx, `SELECT actor_id FROM categories WHERE id = $1`, fx.catID).Scan(&catActor); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(fx.ctx, `INSERT INTO actors (kind, username) VALUES ('thread', 't1') RETURNING id`).Scan(&threadActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fx.ctx, `UPDATE threads SET actor_id = $1 WHERE id = $2`, threadActor, fx.threadID); err != nil {
		t.Fatal(err)
	}
	remote := func(name string, inbox bool) int64 {
		t.Helper()
		var id int64
		var inboxURL *string
		if inbox {
			u := "https://far.example/u/" + name + "/inbox"
			inboxURL = &u
		}
		if err := db.QueryRow(fx.ctx, `INSERT INTO actors (kind, username, domain, ap_id, inbox_url)
			VALUES ('person', $1, 'far.example', 'https://far.example/u/' || $1, $2) RETURNING id`, name, inboxURL).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	follow := func(follower, target int64, state string) {
		t.Helper()
		if _, err := db.Exec(fx.ctx, `INSERT INTO follows (follower_id, target_id, state) VALUES ($1, $2, $3)`, follower, target, state); err != nil {
			t.Fatal(err)
		}
	}
	post := fx.insert(t, time.Now(), "p").ID
	relay := func(inbound int64) (published bool) {
		t.Helper()
		told := len(fed.ids)
		err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
			c, err := categoryInTx(fx.ctx, tx, fx.catID)
			if err != nil {
				return err
			}
			return fx.f.relayInbound(fx.ctx, tx, c, fx.threadID, &post, inbound)
		})
		if err != nil {
			t.Fatal(err)
		}
		var recorded int
		if err := db.QueryRow(fx.ctx, `SELECT count(*) FROM activities WHERE verb = 'announce' AND (details->>'inbound')::bigint = $1`,
			inbound).Scan(&recorded); err != nil {
			t.Fatal(err)
		}
		if recorded != 1 {
			t.Fatalf("relay of inbound %d recorded %d times, want once", inbound, recorded)
		}
		return len(fed.ids) > told
	}

	if relay(1) {
		t.Error("published with no followers at all")
	}
	follow(remote("pending", true), catActor, "pending")
	follow(remote("noinbox", false), catActor, "accepted")
	suspended := remote("suspended", true)
	follow(suspended, threadActor, "accepted")
	if _, err := db.Exec(fx.ctx, `UPDATE actors SET suspended_at = now() WHERE id = $1`, suspended); err != nil {
		t.Fatal(err)
	}
	if relay(2) {
		t.Error("published with only a pending follower, one without an inbox and a suspended one")
	}
	follow(remote("threadfan", true), threadActor, "accepted")
	if !relay(3) {
		t.Error("not published although the thread has a remote follower")
	}
	if _, err := db.Exec(fx.ctx, `DELETE FROM follows WHERE target_id = $1`, threadActor); err != nil {
		t.Fatal(err)
	}
	follow(remote("catfan", true), catActor, "accepted")
	if !relay(4) {
		t.Error("not published although the category has a remote follower")
	}
}
