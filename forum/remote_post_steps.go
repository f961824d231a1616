package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The round trips of CreateRemotePost. Under load a round trip costs more than the statement it
// carries (a socket write and read on both sides, and a wait for a core on a busy machine), and
// the ones made while a hot row is locked cost every other transaction waiting for that row
// (BENCHMARKS.md, "Inbox"). So a remote reply is stored in five round trips after BEGIN: what
// can be asked before any row lock in one batch (remotePostFirst), the notification job, the
// thread's lock with what is read under it (lockReplyThread), the post with everything it
// changes (insertPostLocked), and the commit. The thread's row is held for the last two, the
// category's for the commit only.

// remotePostStart is what remotePostFirst found.
type remotePostStart struct {
	stored int64 // the post's id when it is stored already
	dead   bool  // its origin deleted it
	author Actor
	parent postRow  // the post it answers (a reply)
	cat    Category // the category its thread goes to (an opener)
	id     int64    // the id the post will have
}

// remotePostFirst takes the post's advisory lock (concurrent deliveries of one post, straight
// from its author and relayed by its category, wait for each other here, so the second finds the
// first's row), then in the same round trip asks whether it is stored or tombstoned, loads its
// author and the post it answers (or the category it opens a thread in), and takes its id.
func remotePostFirst(ctx context.Context, tx pgx.Tx, in RemotePost) (remotePostStart, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, in.APID)
	b.Queue(`SELECT coalesce((SELECT id FROM posts WHERE ap_id = $1), 0),
		EXISTS (SELECT 1 FROM remote_tombstones WHERE ap_id = $1)`, in.APID)
	b.Queue("SELECT "+actorColumns+" FROM actors a WHERE a.id = $1", in.AuthorID)
	if in.Thread != nil {
		b.Queue("SELECT "+categoryColumns+" FROM categories c WHERE c.id = $1", in.Thread.CategoryID)
	} else {
		b.Queue(postForWriteSQL, in.InReplyToID)
	}
	b.Queue(nextPostIDSQL)
	br := tx.SendBatch(ctx, b)
	defer br.Close()

	var s remotePostStart
	if _, err := br.Exec(); err != nil {
		return s, err
	}
	if err := br.QueryRow().Scan(&s.stored, &s.dead); err != nil {
		return s, err
	}
	rows, err := br.Query()
	if err != nil {
		return s, err
	}
	if s.author, err = pgx.CollectExactlyOneRow(rows, scanActor); err != nil {
		return s, notFound(err, "author")
	}
	if rows, err = br.Query(); err != nil {
		return s, err
	}
	if in.Thread != nil {
		if s.cat, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Category]); err != nil {
			return s, notFound(err, fmt.Sprintf("category %d", in.Thread.CategoryID))
		}
	} else if s.parent, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[postRow]); err != nil {
		return s, notFound(err, fmt.Sprintf("post %d", in.InReplyToID))
	}
	if err := br.QueryRow().Scan(&s.id); err != nil {
		return s, fmt.Errorf("post id: %w", err)
	}
	return s, br.Close()
}

// lockReplyThread locks a thread's row for the rest of tx and, in the same round trip, reads it,
// its category, and whether a local category's relay of inboundID would reach anyone
// (relayHeard's question, asked here by the thread's id).
func lockReplyThread(ctx context.Context, tx pgx.Tx, threadID, inboundID int64) (lockedThread, Category, bool, error) {
	b := &pgx.Batch{}
	b.Queue(lockThreadRowSQL, threadID)
	b.Queue("SELECT "+categoryColumns+" FROM categories c WHERE c.id = (SELECT category_id FROM threads WHERE id = $1)", threadID)
	if inboundID != 0 {
		b.Queue(`SELECT `+threadRelayHeard("$1"), threadID)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()

	rows, err := br.Query()
	if err != nil {
		return lockedThread{}, Category{}, false, fmt.Errorf("lock thread %d: %w", threadID, err)
	}
	lt, err := collectLockedThread(rows, threadID)
	if err != nil {
		return lockedThread{}, Category{}, false, err
	}
	if rows, err = br.Query(); err != nil {
		return lockedThread{}, Category{}, false, fmt.Errorf("category of thread %d: %w", threadID, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Category])
	if err != nil {
		return lockedThread{}, Category{}, false, notFound(err, fmt.Sprintf("category %d", lt.CategoryID))
	}
	var heard bool
	if inboundID != 0 {
		if err := br.QueryRow().Scan(&heard); err != nil {
			return lockedThread{}, Category{}, false, fmt.Errorf("followers of category %d or thread %d: %w", c.ID, threadID, err)
		}
	}
	return lt, c, heard && c.Local(), br.Close()
}

// threadRelayHeard is relayHeard's question as an SQL expression for the thread whose id is the
// expression thread: does a follower of its category's or its own actor get what the outbox sends?
func threadRelayHeard(thread string) string {
	return `EXISTS (
		SELECT 1 FROM follows fo JOIN actors a ON a.id = fo.follower_id
		WHERE fo.target_id IN ((SELECT c.actor_id FROM threads t JOIN categories c ON c.id = t.category_id WHERE t.id = ` + thread + `),
			(SELECT actor_id FROM threads WHERE id = ` + thread + `)) AND fo.state = 'accepted'
		  AND a.domain IS NOT NULL AND a.deleted_at IS NULL AND a.suspended_at IS NULL AND a.inbox_url IS NOT NULL)`
}

// relayActivity is the Announce a local category records of a received activity it accepted
// (relayInbound); ok is false when there is none: the category is remote, or the post came with
// no activity of its own.
func relayActivity(c Category, threadID int64, postID *int64, inboundID int64) (a NewActivity, ok bool) {
	if !c.Local() || inboundID == 0 {
		return NewActivity{}, false
	}
	return NewActivity{Verb: VerbAnnounce, ActorID: c.ActorID, ThreadID: &threadID, PostID: postID,
		CategoryID: &c.ID, Details: map[string]any{"inbound": inboundID}}, true
}
