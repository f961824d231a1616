package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// postInsert is a post about to be stored, local or remote.
type postInsert struct {
	ThreadID    int64
	AuthorID    int64
	InReplyToID *int64
	APID        string // "" for local posts
	URL         string
	Source      string
	SourceKind  string // "markdown" or "html"
	HTML        string // already rendered or sanitised
	Summary     string
	Sensitive   bool
	// Mentions are the people the post mentions; the local members among them (Domain "") are
	// notified. Local posts pass what the renderer found; remote ones the Mention tags that name
	// members here.
	Mentions []Mention
	// Quotes are the posts a local post quotes (Rendered.Quotes): their authors are notified.
	Quotes []int64
	// CreatedAt is the published time of a remote post. Zero for a local post, which is stamped
	// now (and never earlier than the thread's last post, so local posts always append).
	CreatedAt time.Time
	// RemoteUpdatedAt is the updated time of a remote post's stored version, if it was edited
	// before it got here (migration 0104). Zero otherwise.
	RemoteUpdatedAt time.Time
}

// placedPost says where insertPost put a post.
type placedPost struct {
	ID        int64
	Position  int
	CreatedAt time.Time
}

// insertPost stores a post in its thread at the place its published time gives it, and keeps the
// thread's and category's counters right. Local posts and the tests come through here; remote
// posts lock their thread themselves (CreateRemotePost) and call insertPostLocked.
//
// The thread's row is locked first, so concurrent inserts into one thread are serialised.
func (f *Forum) insertPost(ctx context.Context, tx pgx.Tx, in postInsert) (placedPost, error) {
	lt, err := lockThreadRow(ctx, tx, in.ThreadID)
	if err != nil {
		return placedPost{}, err
	}
	id, err := nextPostID(ctx, tx)
	if err != nil {
		return placedPost{}, err
	}
	if err := f.queuePostNotifications(ctx, tx, id, notifyTime(in.CreatedAt), in); err != nil {
		return placedPost{}, err
	}
	return f.insertPostLocked(ctx, tx, lt, id, in, postExtras{})
}

// lockedThread is a thread's row read under its lock, with what placing a post needs besides.
type lockedThread struct {
	Thread
	// LastCreated is the published time of the thread's last post (nil for a thread with none).
	LastCreated *time.Time `db:"last_created"`
}

// lockThreadRowSQL locks a thread's row and reads it: the lock that serialises every insert into
// a thread (FOR NO KEY UPDATE conflicts with itself, with FOR UPDATE of threadForWrite and with
// every UPDATE of the row). It is not FOR UPDATE because nothing here changes the thread's key, and
// FOR UPDATE also blocks the KEY SHARE lock of every foreign key check on the thread: measured,
// the notification jobs' inserts (notifications.thread_id) waited on the apply jobs' thread
// locks.
const lockThreadRowSQL = "SELECT " + threadColumns + `, (SELECT p.created_at FROM posts p WHERE p.id = t.last_post_id) AS last_created
	FROM threads t WHERE t.id = $1 FOR NO KEY UPDATE`

// lockThreadRow locks a thread's row for the rest of tx and reads it.
func lockThreadRow(ctx context.Context, tx pgx.Tx, id int64) (lockedThread, error) {
	rows, err := tx.Query(ctx, lockThreadRowSQL, id)
	if err != nil {
		return lockedThread{}, fmt.Errorf("lock thread %d: %w", id, err)
	}
	return collectLockedThread(rows, id)
}

func collectLockedThread(rows pgx.Rows, id int64) (lockedThread, error) {
	lt, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[lockedThread])
	if err != nil {
		return lockedThread{}, notFound(err, fmt.Sprintf("thread %d", id))
	}
	return lt, nil
}

// nextPostIDSQL takes a post id ahead of its insert: the id is in the post's HTML MAC, and a
// sequence needs no lock, so it can be asked for before the thread's.
const nextPostIDSQL = `SELECT nextval(pg_get_serial_sequence('posts', 'id'))`

func nextPostID(ctx context.Context, tx pgx.Tx) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, nextPostIDSQL).Scan(&id); err != nil {
		return 0, fmt.Errorf("post id: %w", err)
	}
	return id, nil
}

// notifyTime is the time a post's notifications are judged by (notifyMaxAge): its published time,
// or now for a post stamped now (a local one, or a remote one whose clock ran fast, see
// insertPostLocked). It is what the post's created_at will be but for microseconds, known before
// the insert, so the notification job can be queued before the thread's row is locked.
func notifyTime(published time.Time) time.Time {
	if published.IsZero() || published.After(time.Now()) {
		return time.Now()
	}
	return published
}

// postExtras are what a caller of insertPostLocked adds to the post's round trip.
type postExtras struct {
	// NewThread counts a new thread in the category, with the post (a remote opener's thread).
	NewThread bool
	// Also queues statements that need the post's row (a relay's record, the received
	// activity marked applied), sent last, in the same round trip.
	Also func(b *pgx.Batch)
}

// insertPostLocked stores post id in a thread whose row the caller locked (lt), at the place its
// published time gives it, and keeps the thread's and category's counters right.
//
// Positions are 1..post_count in published order. A post published before the thread's last post
// (a remote reply delivered late, or fetched while backfilling) goes where it belongs and every
// later post moves down one place; posts_thread_position is DEFERRABLE precisely so that the
// shifting UPDATE can pass through momentary duplicates (a deferrable unique constraint is checked
// at the end of the statement, not row by row). A reply never goes before the opening post, whose
// position 1 is what makes it the opener. Posts published at the same instant keep arrival order.
//
// The insert and everything else a new post changes go in one round trip (pgx.Batch): the post,
// the thread's counters and last post, its author's read state, the search index, the category's
// counters, then the caller's extras. The thread's row is locked from the caller's lock to the
// commit. The category's row is not written at all: a post adds to its thread's stripe of the
// category's counters (category_counters.go), since with one row every posting transaction in the
// category queued behind the one before it (measured: 10.9 ms a wait under the inbox benchmark).
func (f *Forum) insertPostLocked(ctx context.Context, tx pgx.Tx, lt lockedThread, id int64, in postInsert, ex postExtras) (placedPost, error) {
	// A published time in the future (a peer's clock running fast) counts as now: it would
	// otherwise stamp every later local post with that future time too.
	if in.CreatedAt.After(time.Now()) {
		in.CreatedAt = time.Time{}
	}
	position := lt.PostCount + 1
	if !in.CreatedAt.IsZero() && lt.LastCreated != nil && in.CreatedAt.Before(*lt.LastCreated) {
		// Published before the last post: take the place of the first post published after it.
		var at *int
		if err := tx.QueryRow(ctx, `SELECT min(position) FROM posts WHERE thread_id = $1 AND created_at > $2 AND position > 1`,
			in.ThreadID, in.CreatedAt).Scan(&at); err != nil {
			return placedPost{}, fmt.Errorf("find the place of a late post: %w", err)
		}
		if at != nil {
			position = *at
			if _, err := tx.Exec(ctx, `UPDATE posts SET position = position + 1 WHERE thread_id = $1 AND position >= $2`,
				in.ThreadID, position); err != nil {
				return placedPost{}, fmt.Errorf("make room for a late post: %w", err)
			}
			if err := shiftReadPositions(ctx, tx, in.ThreadID, position); err != nil {
				return placedPost{}, err
			}
		}
	}

	var createdAt, remoteUpdatedAt *time.Time
	if !in.CreatedAt.IsZero() {
		createdAt = &in.CreatedAt
	}
	if !in.RemoteUpdatedAt.IsZero() {
		remoteUpdatedAt = &in.RemoteUpdatedAt
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO posts (id, thread_id, author_id, position, in_reply_to_id, ap_id, url, source,
			source_kind, html, html_mac, summary, sensitive, created_at, remote_updated_at)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), nullif($7, ''), $8, $9, $10, $11, $12, $13,
			coalesce($14, greatest(clock_timestamp(), $15)), $16)
		RETURNING id, position, created_at`,
		id, in.ThreadID, in.AuthorID, position, in.InReplyToID, in.APID, in.URL, in.Source,
		in.SourceKind, in.HTML, f.secrets.macHTML("post", id, in.HTML), in.Summary, in.Sensitive,
		createdAt, lt.LastCreated, remoteUpdatedAt)
	// The newest post (by published time) is the thread's last post; ties go to the later arrival,
	// which is also the one with the higher position. Every SET expression reads the row as it was.
	b.Queue(`UPDATE threads t SET post_count = t.post_count + 1,
			last_post_id = CASE WHEN t.last_post_id IS NULL OR p.created_at >= t.last_post_at THEN p.id ELSE t.last_post_id END,
			last_post_at = CASE WHEN t.last_post_id IS NULL OR p.created_at >= t.last_post_at THEN p.created_at ELSE t.last_post_at END
		FROM posts p WHERE t.id = $1 AND p.id = $2`, in.ThreadID, id)
	queueNotePosted(b, in.ThreadID, in.AuthorID, position)
	queueIndexPost(b, id, position, lt.Title, in.HTML)
	if lt.DeletedAt == nil {
		newThreads := 0
		if ex.NewThread {
			newThreads = 1
		}
		b.Queue(countPost, lt.CategoryID, counterStripe(lt.ID), newThreads, id, lt.listed())
	}
	if ex.Also != nil {
		ex.Also(b)
	}
	br := tx.SendBatch(ctx, b)
	var placed placedPost
	err := br.QueryRow().Scan(&placed.ID, &placed.Position, &placed.CreatedAt)
	if err != nil {
		_ = br.Close()
		if isUniqueViolation(err, "posts_ap_id_key") {
			return placedPost{}, fmt.Errorf("post %s: %w", in.APID, ErrConflict)
		}
		return placedPost{}, fmt.Errorf("insert post: %w", err)
	}
	if err := br.Close(); err != nil {
		return placedPost{}, fmt.Errorf("count post %d in its thread and category, note its author's read state, index it: %w", placed.ID, err)
	}
	return placed, nil
}
