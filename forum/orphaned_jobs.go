package forum

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Jobs orphaned by a process that ended mid-job (kill -9, a crash, a lost machine) are run again
// once that process is known to be gone, rather than when River's rescuer presumes them stuck.
//
// River can only tell a job is stuck by its age: it runs again what has been running longer than
// RescueStuckJobsAfter, five minutes here, since a job that fetches from other servers may rightly
// run for 75 s. After a crash, a federation delivery in flight thus waited five minutes, and, since
// it had made no attempt yet, later deliveries to the same inbox did not wait behind it: an edit's
// Update could reach a peer before the post's Create (outbox/deliver.go keeps that order only for
// deliveries that have been tried).
//
// Each process that works jobs names its River client after a random key (ProcessPresence.ClientID)
// and holds a session advisory lock on that key for as long as it lives (KeepPresence). PostgreSQL
// releases the lock when the process's connection ends, whatever ended it, so a running job whose
// worker's lock is not held is an orphan. RescueOrphanedJobs makes such jobs available again, the
// way River's rescuer would, minutes sooner.
//
// A database restart ends every process's lock at once, live or not: for PresenceGrace after the
// database starts (PresenceGrace), nothing is taken for an orphan, which gives the live processes time to take
// their locks again. A job is also left alone until it has been running for minOrphanAge, so a
// process's newest jobs are never judged by a lock it is still taking.

// presenceLockClass is the first half of every presence lock's two-part key: it keeps these locks
// apart from the forum's other advisory locks, which use one 64-bit key.
const presenceLockClass = 0x53746f61 // "Stoa"

// PresenceGrace is how long after the database started that no job is taken for an orphan.
const PresenceGrace = 30 * time.Second

// ProcessPresence is this process's presence key and the River client id made from it.
type ProcessPresence struct {
	key int32
}

// NewProcessPresence draws a presence key for this process.
func NewProcessPresence() ProcessPresence {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux (Go 1.24+ panics rather than return an error)
	return ProcessPresence{key: int32(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)}
}

// ClientID is the River client id of a process with this presence: "stoa.{key}.{host}". The host
// name is only for people reading River's attempted_by column.
func (p ProcessPresence) ClientID() string {
	host, err := os.Hostname()
	if err != nil || !hostPart.MatchString(host) {
		host = "unknown"
	}
	return "stoa." + strconv.Itoa(int(p.key)) + "." + host
}

var hostPart = regexp.MustCompile(`^[A-Za-z0-9.-]{1,64}$`)

// KeepPresence holds the process's presence lock on a connection of its own until ctx ends,
// connecting again (and taking the lock again) whenever the connection is lost. held is told
// each time the lock is taken (true) and lost (false).
func (f *Forum) KeepPresence(ctx context.Context, p ProcessPresence, log *slog.Logger, held func(bool)) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := f.holdPresence(ctx, p, held)
		held(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("presence lock lost; taking it again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenerMaxBackoff)
	}
}

// presencePing is how often the presence connection is checked: a lost one is noticed (and the
// lock taken again) within about this long.
const presencePing = 5 * time.Second

func (f *Forum) holdPresence(ctx context.Context, p ProcessPresence, held func(bool)) error {
	conn, err := pgx.ConnectConfig(ctx, f.db.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("presence: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1::int4, $2::int4)`, presenceLockClass, p.key); err != nil {
		return fmt.Errorf("presence: lock: %w", err)
	}
	held(true)
	tick := time.NewTicker(presencePing)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// Let go explicitly: a closed connection's lock is released only once its backend
			// has ended, a moment after Close returns, and a process stopping cleanly has no
			// orphans to leave in between.
			unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_, _ = conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1::int4, $2::int4)`, presenceLockClass, p.key)
			cancel()
			return ctx.Err()
		case <-tick.C:
			if err := conn.Ping(ctx); err != nil {
				return fmt.Errorf("presence: %w", err)
			}
		}
	}
}

// RescueOrphanedJobs makes available again the River jobs running for at least minAge in a process
// whose presence lock nobody holds, unless the database started less than grace ago (PresenceGrace;
// tests pass 0), and returns how many. As River's rescuer does, a job whose cancellation was asked
// for is cancelled instead, and one out of attempts is discarded; each gets an error entry saying
// why, and River's rescue count.
func (f *Forum) RescueOrphanedJobs(ctx context.Context, minAge, grace time.Duration) (int64, error) {
	tag, err := f.db.Exec(ctx, `
		WITH owned AS (
			SELECT j.id,
				substring(j.attempted_by[cardinality(j.attempted_by)] FROM '^stoa\.([0-9]{1,10})\.')::bigint AS key
			FROM river_job j
			WHERE j.state = 'running' AND j.attempted_at < now() - make_interval(secs => $1)
			  AND pg_postmaster_start_time() < now() - make_interval(secs => $2)
		), orphans AS (
			SELECT o.id FROM owned o
			WHERE o.key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_locks l
				WHERE l.locktype = 'advisory' AND l.granted
				  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				  AND l.classid = $3::bigint::oid
				  AND l.objid = o.key::oid AND l.objsubid = 2)
		), decided AS (
			SELECT j.id, CASE
				WHEN j.metadata ? 'cancel_attempted_at' THEN 'cancelled'
				WHEN j.attempt >= j.max_attempts THEN 'discarded'
				ELSE 'available' END::river_job_state AS state
			FROM river_job j JOIN orphans o ON o.id = j.id
			FOR UPDATE OF j SKIP LOCKED
		)
		UPDATE river_job j SET
			state = d.state,
			scheduled_at = CASE WHEN d.state = 'available' THEN now() ELSE j.scheduled_at END,
			finalized_at = CASE WHEN d.state = 'available' THEN NULL ELSE now() END,
			errors = array_append(j.errors, jsonb_build_object('at', now(), 'attempt', greatest(j.attempt, 0),
				'error', 'rescued: the process running it ended', 'trace', '')),
			metadata = j.metadata || jsonb_build_object('river:rescue_count',
				coalesce(CASE WHEN jsonb_typeof(j.metadata -> 'river:rescue_count') = 'number'
					THEN (j.metadata ->> 'river:rescue_count')::int END, 0) + 1)
		FROM decided d
		WHERE j.id = d.id AND j.state = 'running'`,
		minAge.Seconds(), grace.Seconds(), presenceLockClass)
	if err != nil {
		return 0, fmt.Errorf("rescue orphaned jobs: %w", err)
	}
	return tag.RowsAffected(), nil
}
