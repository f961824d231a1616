package forum

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The apply job loads a received activity and its signer in one round trip; an activity without
// a signer row gets no actor (the job looks it up by address), and a pruned one is ErrNotFound.
func TestInboundToApplyLoadsTheActivityWithItsSigner(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	record := func(apID string, actorID int64) int64 {
		t.Helper()
		var id int64
		err := pgx.BeginFunc(fx.ctx, fx.f.db, func(tx pgx.Tx) error {
			var err error
			id, _, err = fx.f.RecordInboundTx(fx.ctx, tx, InboundRecord{APID: apID, Type: "Like",
				ActorAPID: "https://remote.example/u/r", ActorID: actorID, Inbox: "/inbox", Payload: []byte(`{"a":1}`)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	signed := record("https://remote.example/a/1", fx.authorID)
	rec, actor, err := fx.f.InboundToApply(fx.ctx, signed)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != signed || rec.APID != "https://remote.example/a/1" || string(rec.Payload) != `{"a":1}` || rec.AppliedAt != nil {
		t.Fatalf("activity: %+v", rec)
	}
	if actor == nil || actor.ID != fx.authorID || actor.APID != "https://remote.example/u/r" {
		t.Fatalf("signer: %+v, want actor %d", actor, fx.authorID)
	}

	unsigned := record("https://remote.example/a/2", 0)
	if rec, actor, err := fx.f.InboundToApply(fx.ctx, unsigned); err != nil || actor != nil || rec.ID != unsigned {
		t.Fatalf("activity without a signer row: %d, actor %+v, %v", rec.ID, actor, err)
	}
	if _, _, err := fx.f.InboundToApply(fx.ctx, unsigned+100); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a pruned activity: %v, want ErrNotFound", err)
	}
}
