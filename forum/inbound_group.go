package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Recording a group of verified activities at once (the inbox's group commit, inbox/recorder.go):
// the activities that arrive together share one transaction, so one synchronous commit (one WAL
// flush) answers all their senders instead of one each.

// RecordInboundGroupTx records verified activities in the caller's transaction with one
// statement; the caller queues the application of the fresh ones in the same transaction. ids[i] is the new row of
// ins[i], or 0 when ins[i] records nothing: its id was recorded before, or it repeats an earlier
// element of the same group (the first of two copies is the fresh one, the second a replay). The
// caller validates each record first (InboundRecord.Validate) so that one sender's bad activity
// never fails the others'; an invalid one here fails the call.
func (f *Forum) RecordInboundGroupTx(ctx context.Context, tx pgx.Tx, ins []InboundRecord) (ids []int64, err error) {
	ids = make([]int64, len(ins))
	first := make(map[string]int, len(ins))
	var apIDs, types, actors, inboxes []string
	var actorIDs []int64
	var payloads [][]byte
	for i, in := range ins {
		if err := in.Validate(); err != nil {
			return nil, fmt.Errorf("record inbound activity %d of %d: %w", i+1, len(ins), err)
		}
		if _, dup := first[in.APID]; dup {
			continue
		}
		first[in.APID] = i
		apIDs, types, actors = append(apIDs, in.APID), append(types, in.Type), append(actors, in.ActorAPID)
		actorIDs, inboxes, payloads = append(actorIDs, in.ActorID), append(inboxes, in.Inbox), append(payloads, in.Payload)
	}
	if len(apIDs) == 0 {
		return ids, nil
	}
	// ORDER BY ord gives the rows ids in arrival order. A row whose ap_id is already taken
	// (committed, or being inserted by a concurrent group, which this statement waits for) is
	// skipped and not returned: that copy is a replay.
	rows, err := tx.Query(ctx, `INSERT INTO inbound_activities (ap_id, type, actor_ap_id, actor_id, inbox, payload)
		SELECT ap_id, type, actor_ap_id, nullif(actor_id, 0), inbox, payload
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])
			WITH ORDINALITY AS t(ap_id, type, actor_ap_id, actor_id, inbox, payload, ord)
		ORDER BY ord
		ON CONFLICT (ap_id) DO NOTHING RETURNING id, ap_id`,
		apIDs, types, actors, actorIDs, inboxes, payloads)
	if err != nil {
		return nil, fmt.Errorf("record %d inbound activities: %w", len(apIDs), err)
	}
	var id int64
	var apID string
	_, err = pgx.ForEachRow(rows, []any{&id, &apID}, func() error {
		ids[first[apID]] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record %d inbound activities: %w", len(apIDs), err)
	}
	return ids, nil
}

// InboundGroupToApply loads the received activities a batch apply job names, in the order of ids
// (one pruned since is left out), with their verified signers' actor rows by id (an activity
// whose signer row is missing or gone has none there: the caller looks its actor up itself), in
// one round trip, as InboundToApply does for one.
//
// Both statements are planned for their arguments on every call (0.2-0.3 ms a batch): unlike
// readerStateSQL, they join inbound_activities, a table that grows from nothing, and a generic
// plan made while it was small hashed it whole until the plan was next made (the signers' read took
// 3.6 ms a call under `make bench-inbox` so, against 0.1 ms).
func (f *Forum) InboundGroupToApply(ctx context.Context, ids []int64) (recs []InboundActivity, signers map[int64]*Actor, err error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT a.id, a.ap_id, a.type, a.actor_ap_id, a.actor_id, a.inbox, a.payload, a.received_at, a.applied_at, a.outcome
		FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, ord) JOIN inbound_activities a ON a.id = t.id ORDER BY t.ord`, ids)
	b.Queue("SELECT "+actorColumns+" FROM actors a WHERE a.id IN (SELECT actor_id FROM inbound_activities WHERE id = ANY($1))", ids)
	br := f.db.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("inbound activities %v: %w", ids, err)
	}
	if recs, err = pgx.CollectRows(rows, pgx.RowToStructByName[InboundActivity]); err != nil {
		return nil, nil, fmt.Errorf("inbound activities %v: %w", ids, err)
	}
	if rows, err = br.Query(); err != nil {
		return nil, nil, fmt.Errorf("signers of inbound activities %v: %w", ids, err)
	}
	actors, err := pgx.CollectRows(rows, scanActor)
	if err != nil {
		return nil, nil, fmt.Errorf("signers of inbound activities %v: %w", ids, err)
	}
	signers = make(map[int64]*Actor, len(actors))
	for i := range actors {
		signers[actors[i].ID] = &actors[i]
	}
	return recs, signers, br.Close()
}
