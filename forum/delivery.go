package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The queries behind the outbox's fan-out (who receives an activity) and its bookkeeping (one row
// per delivery job in deliveries, see migration 0060).

// Recipient is a remote actor an activity is delivered to, with the inbox to use: its server's
// shared inbox when it has one (one delivery per server, whatever the number of its actors), else
// its own.
type Recipient struct {
	ActorID  int64     `db:"actor_id"`
	APID     string    `db:"ap_id"`
	Kind     ActorKind `db:"kind"`
	Domain   string    `db:"domain"`
	Inbox    string    `db:"inbox"`
	Software string    `db:"software"`
	// Unavailable is set for domains that failed for days (domain_health.go): fan-outs skip them.
	Unavailable bool `db:"unavailable"`
}

// ForumPeer reports whether the recipient is forum software: a server whose NodeInfo names forum
// software, or an actor that is itself a group or a server (a NodeBB category following a category,
// a Lemmy instance actor). Forum peers receive a category's replies, edits and likes.
func (r Recipient) ForumPeer() bool {
	return r.Kind == ActorGroup || r.Kind == ActorInstance || IsForumSoftware(r.Software)
}

const recipientColumns = `a.id AS actor_id, a.ap_id, a.kind, a.domain,
	coalesce(a.shared_inbox_url, a.inbox_url) AS inbox, coalesce(d.software, '') AS software,
	d.unavailable_since IS NOT NULL AS unavailable`

// FollowerRecipients lists the remote accepted followers of a local actor that can receive
// deliveries (not deleted, not suspended here, with an inbox).
func (f *Forum) FollowerRecipients(ctx context.Context, actorID int64) ([]Recipient, error) {
	rows, err := f.db.Query(ctx, `SELECT `+recipientColumns+`
		FROM follows fo JOIN actors a ON a.id = fo.follower_id
		LEFT JOIN domains d ON d.domain = a.domain
		WHERE fo.target_id = $1 AND fo.state = 'accepted' AND a.domain IS NOT NULL
		  AND a.deleted_at IS NULL AND a.suspended_at IS NULL AND a.inbox_url IS NOT NULL
		ORDER BY a.id`, actorID)
	if err != nil {
		return nil, fmt.Errorf("followers of %d: %w", actorID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Recipient])
	if err != nil {
		return nil, fmt.Errorf("followers of %d: %w", actorID, err)
	}
	return list, nil
}

// ActorRecipients returns the deliverable ones among the given actors (local actors, deleted or
// suspended ones and actors without an inbox are left out).
func (f *Forum) ActorRecipients(ctx context.Context, ids []int64) ([]Recipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := f.db.Query(ctx, `SELECT `+recipientColumns+`
		FROM actors a LEFT JOIN domains d ON d.domain = a.domain
		WHERE a.id = ANY($1) AND a.domain IS NOT NULL AND a.deleted_at IS NULL AND a.suspended_at IS NULL
		  AND a.inbox_url IS NOT NULL
		ORDER BY a.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Recipient])
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	return list, nil
}

// PostAudienceInboxes lists the inboxes that were sent (or may have received, or are still to be
// sent) a post's Create in any of its documents: its Update and Delete must reach every one of
// them, or copies elsewhere go stale. A Create still pending counts: it goes out as it was first
// built, so an edit made meanwhile (while the inbox's server was down, or this one crashed) must
// follow it, and the inbox's order of deliveries sends the Create first. Deliveries cancelled
// before any attempt are left out. Unavailable domains are marked.
func (f *Forum) PostAudienceInboxes(ctx context.Context, postID int64) ([]Recipient, error) {
	list, err := f.inboxesReached(ctx, `ac.post_id = $1 AND ac.verb IN ('create', 'announce')`, reachedOrPending, postID)
	if err != nil {
		return nil, fmt.Errorf("audience of post %d: %w", postID, err)
	}
	return list, nil
}

// Which deliveries inboxesReached counts: those sent or that may have arrived (delivered, failed
// after trying, or tried at least once), and also those still pending. Cancelled before any
// attempt, a delivery reached nobody.
const (
	reachedOnly      = `(dl.state IN ('delivered', 'failed') OR dl.attempts > 0)`
	reachedOrPending = `(dl.state <> 'cancelled' OR dl.attempts > 0)`
)

// sentInboxes lists, one per inbox, where deliveries of the activities matching where (over
// activities ac) were sent or may have arrived (reachedOnly).
func (f *Forum) sentInboxes(ctx context.Context, where string, args ...any) ([]Recipient, error) {
	return f.inboxesReached(ctx, where, reachedOnly, args...)
}

// inboxesReached lists, one per inbox, the inboxes of the deliveries of the activities matching
// where whose state matches reached.
func (f *Forum) inboxesReached(ctx context.Context, where, reached string, args ...any) ([]Recipient, error) {
	rows, err := f.db.Query(ctx, `SELECT DISTINCT ON (dl.inbox) 0::bigint AS actor_id, '' AS ap_id,
			'person'::text AS kind, dl.domain, dl.inbox, coalesce(d.software, '') AS software,
			d.unavailable_since IS NOT NULL AS unavailable
		FROM activities ac JOIN deliveries dl ON dl.activity_id = ac.id
		LEFT JOIN domains d ON d.domain = dl.domain
		WHERE `+where+`
		  AND `+reached+`
		ORDER BY dl.inbox`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Recipient])
}

// DomainFollowers lists the ids of the remote actors on a domain who follow a local actor
// (accepted), for FEP-8fcf followers synchronization: the digest of this list travels with each
// delivery, and the partial collection is served to that domain. At most limit are returned.
func (f *Forum) DomainFollowers(ctx context.Context, actorID int64, domain string, limit int) ([]string, error) {
	rows, err := f.db.Query(ctx, `SELECT a.ap_id FROM follows fo JOIN actors a ON a.id = fo.follower_id
		WHERE fo.target_id = $1 AND fo.state = 'accepted' AND a.domain = $2 AND a.deleted_at IS NULL
		ORDER BY a.ap_id LIMIT $3`, actorID, domain, limit)
	if err != nil {
		return nil, fmt.Errorf("followers of %d on %s: %w", actorID, domain, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("followers of %d on %s: %w", actorID, domain, err)
	}
	return ids, nil
}

// DeliveryRow is one delivery job as the fan-out records it.
type DeliveryRow struct {
	ActivityID int64
	Document   string
	Inbox      string
	Domain     string
	JobID      int64
	// Batched marks a delivery carried by a batch job (JobID names the batch: migration 0097),
	// which reads from the row who signs it, the digest sent with it, and its place in the batch.
	Batched  bool
	SignerID int64
	Sync     string
	Position int
}

// InsertDeliveriesTx records the delivery jobs a fan-out inserted, in the fan-out's transaction.
// A re-run fan-out (after a crash) finds its rows there already and leaves them.
func (f *Forum) InsertDeliveriesTx(ctx context.Context, tx pgx.Tx, rows []DeliveryRow) error {
	if len(rows) == 0 {
		return nil
	}
	acts := make([]int64, len(rows))
	docs := make([]string, len(rows))
	inboxes := make([]string, len(rows))
	domains := make([]string, len(rows))
	jobs := make([]int64, len(rows))
	batched, signers, syncs, positions := make([]bool, len(rows)), make([]*int64, len(rows)), make([]string, len(rows)), make([]int32, len(rows))
	for i, r := range rows {
		acts[i], docs[i], inboxes[i], domains[i], jobs[i] = r.ActivityID, r.Document, r.Inbox, r.Domain, r.JobID
		batched[i], syncs[i], positions[i] = r.Batched, r.Sync, int32(r.Position)
		if r.SignerID != 0 {
			signers[i] = &rows[i].SignerID
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO deliveries (activity_id, document, inbox, domain, job_id, batched, signer_id, sync, position)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bool[], $7::bigint[],
			$8::text[], $9::int[])
		ON CONFLICT (activity_id, document, inbox) DO NOTHING`, acts, docs, inboxes, domains, jobs, batched, signers, syncs, positions)
	if err != nil {
		return fmt.Errorf("record deliveries: %w", err)
	}
	return nil
}

// DeliveryState is where one delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
	DeliveryCancelled DeliveryState = "cancelled"
)

// DeliveryOutcome is the result of one delivery attempt (or of a decision not to attempt).
type DeliveryOutcome struct {
	ActivityID int64
	Document   string
	Inbox      string
	// State is delivered, failed (given up), cancelled, or pending (will be retried).
	State DeliveryState
	// Attempted is false when no request was sent (the job was cancelled or skipped).
	Attempted bool
	Status    int    // HTTP status, 0 for none
	Error     string // empty on success
}

// RecordDeliveryOutcomes stores a batch of outcomes in one statement. Outcomes are idempotent (a
// job re-run after a crash reports its delivery again), and a finished delivery stays finished,
// with one exception: a delivery cancelled (a domain block, a deleted post) while its request was
// already sent, or its outcome on its way here (the recorder's group commit), is recorded as
// delivered when it was: the inbox has it, and the status pages should say so.
func (f *Forum) RecordDeliveryOutcomes(ctx context.Context, outcomes []DeliveryOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	n := len(outcomes)
	acts, docs, inboxes, states := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	attempted, statuses, errs := make([]bool, n), make([]int32, n), make([]string, n)
	for i, o := range outcomes {
		acts[i], docs[i], inboxes[i], states[i] = o.ActivityID, o.Document, o.Inbox, string(o.State)
		attempted[i], statuses[i], errs[i] = o.Attempted, int32(o.Status), clipText(o.Error, 500)
	}
	// A batch may hold two outcomes of one delivery (a retry reported twice); the last one counts.
	_, err := f.db.Exec(ctx, `WITH batch AS (
			SELECT DISTINCT ON (o.act, o.doc, o.inbox) o.*
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::int[], $7::text[])
				WITH ORDINALITY AS o(act, doc, inbox, state, attempted, status, err, n)
			ORDER BY o.act, o.doc, o.inbox, o.n DESC)
		UPDATE deliveries dl SET state = b.state,
			attempts = dl.attempts + CASE WHEN b.attempted THEN 1 ELSE 0 END,
			last_status = CASE WHEN b.attempted THEN b.status ELSE dl.last_status END,
			last_error = CASE WHEN b.state = 'delivered' THEN '' WHEN b.err <> '' THEN b.err ELSE dl.last_error END,
			updated_at = now()
		FROM batch b
		WHERE dl.activity_id = b.act AND dl.document = b.doc AND dl.inbox = b.inbox
			AND (dl.state = 'pending' OR (dl.state = 'cancelled' AND b.state = 'delivered'))`,
		acts, docs, inboxes, states, attempted, statuses, errs)
	if err != nil {
		return fmt.Errorf("record delivery outcomes: %w", err)
	}
	return nil
}

// onHostOrSubdomain is true for a delivery whose domain is the host name $1 or one of its
// subdomains, whatever the port (blocks cover subdomains).
const onHostOrSubdomain = `(regexp_replace(domain, ':[0-9]+$', '') = $1
	OR right(regexp_replace(domain, ':[0-9]+$', ''), length($1) + 1) = '.' || $1)`

// PendingDeliveryJobsOnHost lists the River job ids of pending deliveries to a host name or any of
// its subdomains, whatever the port: what a domain block must cancel (blocks cover subdomains).
func (f *Forum) PendingDeliveryJobsOnHost(ctx context.Context, host string) ([]int64, error) {
	rows, err := f.db.Query(ctx, `SELECT job_id FROM deliveries
		WHERE state = 'pending' AND job_id IS NOT NULL AND NOT batched AND `+onHostOrSubdomain+`
		ORDER BY job_id`, host)
	if err != nil {
		return nil, fmt.Errorf("pending deliveries to %s: %w", host, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("pending deliveries to %s: %w", host, err)
	}
	return ids, nil
}

// PendingPostDeliveryJobs lists the River job ids of pending deliveries of a post's Create and
// Update activities (every document): deleting the post cancels them.
func (f *Forum) PendingPostDeliveryJobs(ctx context.Context, postID int64) ([]int64, error) {
	rows, err := f.db.Query(ctx, `SELECT dl.job_id FROM activities ac JOIN deliveries dl ON dl.activity_id = ac.id
		WHERE ac.post_id = $1 AND ac.verb IN ('create', 'update', 'announce')
		  AND dl.state = 'pending' AND dl.job_id IS NOT NULL AND NOT dl.batched
		ORDER BY dl.job_id`, postID)
	if err != nil {
		return nil, fmt.Errorf("pending deliveries of post %d: %w", postID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("pending deliveries of post %d: %w", postID, err)
	}
	return ids, nil
}

// PendingDomainDeliveryJobs lists the River job ids of a domain's pending deliveries (exactly this
// host[:port]), for the admin's "retry now".
func (f *Forum) PendingDomainDeliveryJobs(ctx context.Context, domain string, limit int) ([]int64, error) {
	rows, err := f.db.Query(ctx, `SELECT job_id FROM deliveries WHERE state = 'pending' AND domain = $1 AND job_id IS NOT NULL
		  AND NOT batched ORDER BY job_id LIMIT $2`, domain, limit)
	if err != nil {
		return nil, fmt.Errorf("pending deliveries to %s: %w", domain, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("pending deliveries to %s: %w", domain, err)
	}
	return ids, nil
}

// PruneDeliveries deletes the bookkeeping of finished deliveries older than the cutoff, in
// batches of limit rows, and returns how many went. Pending ones stay whatever their age.
func (f *Forum) PruneDeliveries(ctx context.Context, olderThan time.Time, limit int) (int64, error) {
	tag, err := f.db.Exec(ctx, `DELETE FROM deliveries WHERE ctid = ANY (ARRAY(
		SELECT ctid FROM deliveries WHERE created_at < $1 AND state <> 'pending' LIMIT $2))`, olderThan, limit)
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PostIsPublished reports whether a local post is still what federation publishes: not deleted or
// hidden, nor its thread; neither limited by moderation; in a category guests may see (the same
// rules as FederatedPostByID's Public and federation's visiblePost). The delivery worker asks
// before sending a post's Create or Update, so that one queued, or waiting for a retry, is not
// sent once the post has left public view: deleted, hidden, its thread deleted, hidden or moved
// into a private category, or its category made private (SECURITY.md rule 18).
func (f *Forum) PostIsPublished(ctx context.Context, postID int64) (bool, error) {
	var shown bool
	var categoryID int64
	err := f.db.QueryRow(ctx, `SELECT p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.suppressed = 0
			AND t.deleted_at IS NULL AND t.hidden_at IS NULL AND t.suppressed = 0, t.category_id
		FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1`, postID).Scan(&shown, &categoryID)
	if err != nil {
		return false, notFound(err, fmt.Sprintf("post %d", postID))
	}
	if !shown {
		return false, nil
	}
	c, err := f.categoryDefinition(ctx, categoryID) // from memory: the counters are not needed
	if err != nil {
		return false, err
	}
	perm, err := f.Permissions(ctx, Guest, c)
	if err != nil {
		return false, err
	}
	return perm.See, nil
}

// CancelDeliveriesByJob marks the pending deliveries of cancelled River jobs cancelled.
func (f *Forum) CancelDeliveriesByJob(ctx context.Context, jobIDs []int64) error {
	if len(jobIDs) == 0 {
		return nil
	}
	_, err := f.db.Exec(ctx, `UPDATE deliveries SET state = 'cancelled', updated_at = now()
		WHERE job_id = ANY($1) AND state = 'pending'`, jobIDs)
	if err != nil {
		return fmt.Errorf("cancel deliveries: %w", err)
	}
	return nil
}
