package forum

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// recordingFederator remembers what it was told, and can fail to test rollback.
type recordingFederator struct {
	ids  []int64
	fail error
}

func (r *recordingFederator) ActivityRecorded(_ context.Context, _ pgx.Tx, id int64) error {
	if r.fail != nil {
		return r.fail
	}
	r.ids = append(r.ids, id)
	return nil
}

func TestRecordActivityTellsTheFederatorInTheSameTransaction(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	fed := &recordingFederator{}
	f, err := New(pool, Options{Secret: []byte("0123456789abcdef0123456789abcdef"), Federator: fed})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var actorID int64
	if err := pool.QueryRow(ctx, "INSERT INTO actors (kind, username) VALUES ('person', 'a') RETURNING id").Scan(&actorID); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := f.inTx(ctx, func(tx pgx.Tx) error {
		id, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbBlock, ActorID: actorID, TargetActorID: &actorID})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(fed.ids) != 1 || fed.ids[0] != id {
		t.Fatalf("federator told %v, want [%d]", fed.ids, id)
	}

	// A failing federator rolls the activity back with the rest of the transaction.
	fed.fail = context.DeadlineExceeded
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		_, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbBlock, ActorID: actorID})
		return err
	})
	if err == nil {
		t.Fatal("failing federator did not fail the transaction")
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM activities").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d activities stored, want 1 (the failed one rolled back)", n)
	}

	// The payload is stored once: a second fan-out keeps the first bytes.
	first, err := f.SetActivityPayload(ctx, id, []byte(`{"id":"first"}`))
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.SetActivityPayload(ctx, id, []byte(`{"id":"second"}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) || string(second) != `{"id":"first"}` {
		t.Fatalf("payload changed: first %s, second %s", first, second)
	}
}
