package forum

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A group of activities is recorded by one statement: each new id once, in arrival order; a copy
// of an id already recorded, or of an earlier element of the same group, records nothing; and the
// batch loader gives them back in the order asked, with their signers.
func TestRecordInboundGroupRecordsEachIDOnce(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	rec := func(n string, actorID int64) InboundRecord {
		return InboundRecord{APID: "https://remote.example/a/" + n, Type: "Like", ActorAPID: "https://remote.example/u/r",
			ActorID: actorID, Inbox: "/inbox", Payload: []byte(`{"n":"` + n + `"}`)}
	}
	group := func(ins ...InboundRecord) []int64 {
		t.Helper()
		var ids []int64
		err := pgx.BeginFunc(fx.ctx, fx.f.db, func(tx pgx.Tx) error {
			var err error
			ids, err = fx.f.RecordInboundGroupTx(fx.ctx, tx, ins)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	first := group(rec("1", fx.authorID))
	if first[0] == 0 {
		t.Fatal("a new activity was not recorded")
	}
	ids := group(rec("2", fx.authorID), rec("1", fx.authorID), rec("3", 0), rec("2", fx.authorID))
	if ids[0] == 0 || ids[2] == 0 || ids[1] != 0 || ids[3] != 0 {
		t.Fatalf("ids %v: want new rows for 2 and 3 only (1 was recorded before, the second 2 repeats the first)", ids)
	}
	if ids[2] <= ids[0] {
		t.Fatalf("ids %v: not in arrival order", ids)
	}
	var n int
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT count(*) FROM inbound_activities`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d rows (%v), want 3", n, err)
	}

	recs, signers, err := fx.f.InboundGroupToApply(fx.ctx, []int64{ids[2], first[0], ids[0] + 1000, ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].ID != ids[2] || recs[1].ID != first[0] || recs[2].ID != ids[0] {
		t.Fatalf("loaded %+v, want %d, %d, %d in that order (the missing id left out)", recs, ids[2], first[0], ids[0])
	}
	if recs[0].ActorID != nil || string(recs[2].Payload) != `{"n":"2"}` {
		t.Fatalf("loaded %+v", recs)
	}
	if a := signers[fx.authorID]; a == nil || a.APID != "https://remote.example/u/r" || len(signers) != 1 {
		t.Fatalf("signers %+v", signers)
	}

	// An invalid record fails the call, and its transaction records nothing.
	err = pgx.BeginFunc(fx.ctx, fx.f.db, func(tx pgx.Tx) error {
		_, err := fx.f.RecordInboundGroupTx(fx.ctx, tx, []InboundRecord{rec("4", 0), {APID: "x"}})
		return err
	})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("invalid record: %v, want a ValidationError", err)
	}
}
