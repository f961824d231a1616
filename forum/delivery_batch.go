package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The bookkeeping of batched deliveries (migration 0097): a large fan-out's first attempts travel
// in batch jobs, each carrying a few dozen deliveries of one activity. A batch job is never
// cancelled or retried for one delivery's sake: a delivery that must stop is marked in its row
// (the batch skips rows that are no longer pending), and one that must be tried again becomes a
// delivery job of its own (SpillDeliveriesTx).

// BatchItem is a batched delivery still pending, and the attempts already made (by a run of the
// batch cut short by a crash).
type BatchItem struct {
	Document string
	Inbox    string
	Domain   string
	SignerID int64
	Sync     string
	Attempts int
}

// pendingBatchItemsSQL reads a batch's pending rows through deliveries_pending_job (migration
// 0102): the rows of its job, not every row of its activity.
const pendingBatchItemsSQL = `SELECT document, inbox, domain, coalesce(signer_id, 0), sync, attempts FROM deliveries
	WHERE activity_id = $1 AND job_id = $2 AND batched AND state = 'pending' ORDER BY position`

// PendingBatchItems lists, in their order, the deliveries of activityID carried by batch job jobID
// that are still pending: what a (re-)run of the batch has left to do.
func (f *Forum) PendingBatchItems(ctx context.Context, activityID, jobID int64) ([]BatchItem, error) {
	rows, err := f.db.Query(ctx, pendingBatchItemsSQL, activityID, jobID)
	if err != nil {
		return nil, fmt.Errorf("batch %d of activity %d: %w", jobID, activityID, err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BatchItem, error) {
		var it BatchItem
		err := r.Scan(&it.Document, &it.Inbox, &it.Domain, &it.SignerID, &it.Sync, &it.Attempts)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("batch %d of activity %d: %w", jobID, activityID, err)
	}
	return items, nil
}

// SpillDeliveriesTx hands batched deliveries over to delivery jobs of their own (rows' JobID), in
// the transaction that inserted those jobs.
func (f *Forum) SpillDeliveriesTx(ctx context.Context, tx pgx.Tx, rows []DeliveryRow) error {
	if len(rows) == 0 {
		return nil
	}
	acts, docs, inboxes, jobs := make([]int64, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		acts[i], docs[i], inboxes[i], jobs[i] = r.ActivityID, r.Document, r.Inbox, r.JobID
	}
	_, err := tx.Exec(ctx, `UPDATE deliveries dl SET batched = false, job_id = s.job, updated_at = now()
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS s(act, doc, inbox, job)
		WHERE dl.activity_id = s.act AND dl.document = s.doc AND dl.inbox = s.inbox AND dl.batched`,
		acts, docs, inboxes, jobs)
	if err != nil {
		return fmt.Errorf("spill %d batched deliveries: %w", len(rows), err)
	}
	return nil
}

// DeliveryKeys lists the (document, inbox) pairs an activity already has deliveries for: a fan-out
// run again after a crash queues only the others.
func (f *Forum) DeliveryKeys(ctx context.Context, activityID int64) (map[[2]string]bool, error) {
	rows, err := f.db.Query(ctx, `SELECT document, inbox FROM deliveries WHERE activity_id = $1`, activityID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of activity %d: %w", activityID, err)
	}
	out := map[[2]string]bool{}
	var doc, inbox string
	_, err = pgx.ForEachRow(rows, []any{&doc, &inbox}, func() error {
		out[[2]string{doc, inbox}] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deliveries of activity %d: %w", activityID, err)
	}
	return out, nil
}

// CancelBatchedOnHost marks the pending batched deliveries to a host name or any of its
// subdomains (whatever the port) cancelled, as a domain block must, and returns how many.
func (f *Forum) CancelBatchedOnHost(ctx context.Context, host string) (int64, error) {
	tag, err := f.db.Exec(ctx, `UPDATE deliveries SET state = 'cancelled', updated_at = now()
		WHERE state = 'pending' AND batched AND `+onHostOrSubdomain, host)
	if err != nil {
		return 0, fmt.Errorf("cancel batched deliveries to %s: %w", host, err)
	}
	return tag.RowsAffected(), nil
}

// CancelBatchedPostDeliveries marks the pending batched deliveries of a post's Create, Update and
// Announce activities cancelled (the post was deleted), and returns how many.
func (f *Forum) CancelBatchedPostDeliveries(ctx context.Context, postID int64) (int64, error) {
	tag, err := f.db.Exec(ctx, `UPDATE deliveries dl SET state = 'cancelled', updated_at = now()
		FROM activities ac WHERE ac.id = dl.activity_id AND ac.post_id = $1
		  AND ac.verb IN ('create', 'update', 'announce') AND dl.state = 'pending' AND dl.batched`, postID)
	if err != nil {
		return 0, fmt.Errorf("cancel batched deliveries of post %d: %w", postID, err)
	}
	return tag.RowsAffected(), nil
}
