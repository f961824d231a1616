package forum

import (
	"context"
	"errors"
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
	// CreatedAt is the published time of a remote post. Zero for a local post, which is stamped
	// now (and never earlier than the thread's last post, so local posts always append).
	CreatedAt time.Time
}

// placedPost says where insertPost put a post.
type placedPost struct {
	ID        int64
	Position  int
	CreatedAt time.Time
}

// insertPost stores a post in its thread at the place its published time gives it, and keeps the
// thread's and category's counters right. Local and remote posts both come through here.
//
// Positions are 1..post_count in published order. A post published before the thread's last post
// (a remote reply delivered late, or fetched while backfilling) goes where it belongs and every
// later post moves down one place; posts_thread_position is DEFERRABLE precisely so that the
// shifting UPDATE can pass through momentary duplicates (a deferrable unique constraint is checked
// at the end of the statement, not row by row). A reply never goes before the opening post, whose
// position 1 is what makes it the opener. Posts published at the same instant keep arrival order.
//
// The thread's row is locked first, so concurrent inserts into one thread are serialised.
func (f *Forum) insertPost(ctx context.Context, tx pgx.Tx, in postInsert) (placedPost, error) {
	var categoryID int64
	var postCount int
	var threadDeleted bool
	var lastCreated *time.Time
	var title string
	err := tx.QueryRow(ctx, `SELECT t.category_id, t.post_count, t.deleted_at IS NOT NULL,
			(SELECT p.created_at FROM posts p WHERE p.id = t.last_post_id), t.title
		FROM threads t WHERE t.id = $1 FOR UPDATE`, in.ThreadID).Scan(&categoryID, &postCount, &threadDeleted, &lastCreated, &title)
	if errors.Is(err, pgx.ErrNoRows) {
		return placedPost{}, fmt.Errorf("thread %d: %w", in.ThreadID, ErrNotFound)
	}
	if err != nil {
		return placedPost{}, fmt.Errorf("lock thread %d: %w", in.ThreadID, err)
	}

	// A published time in the future (a peer's clock running fast) counts as now: it would
	// otherwise stamp every later local post with that future time too.
	if in.CreatedAt.After(time.Now()) {
		in.CreatedAt = time.Time{}
	}
	position := postCount + 1
	if !in.CreatedAt.IsZero() && lastCreated != nil && in.CreatedAt.Before(*lastCreated) {
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

	var id int64
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('posts', 'id'))`).Scan(&id); err != nil {
		return placedPost{}, fmt.Errorf("post id: %w", err)
	}
	var createdAt *time.Time
	if !in.CreatedAt.IsZero() {
		createdAt = &in.CreatedAt
	}
	var placed placedPost
	err = tx.QueryRow(ctx, `INSERT INTO posts (id, thread_id, author_id, position, in_reply_to_id, ap_id, url, source,
			source_kind, html, html_mac, summary, sensitive, created_at)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), nullif($7, ''), $8, $9, $10, $11, $12, $13,
			coalesce($14, greatest(clock_timestamp(), $15)))
		RETURNING id, position, created_at`,
		id, in.ThreadID, in.AuthorID, position, in.InReplyToID, in.APID, in.URL, in.Source,
		in.SourceKind, in.HTML, f.secrets.macHTML("post", id, in.HTML), in.Summary, in.Sensitive,
		createdAt, lastCreated).Scan(&placed.ID, &placed.Position, &placed.CreatedAt)
	if err != nil {
		if isUniqueViolation(err, "posts_ap_id_key") {
			return placedPost{}, fmt.Errorf("post %s: %w", in.APID, ErrConflict)
		}
		return placedPost{}, fmt.Errorf("insert post: %w", err)
	}

	// What else a new post changes, in the same transaction: the notifications job, then, sent
	// together in one round trip, the thread's counters and last post, its author's read state,
	// the search index and the category's counters. The category's row, which every post in the
	// category updates, comes last, so the transaction holds its lock for as short a time as it
	// can (measured: with the update in the middle, concurrent apply jobs of replies in one
	// category queued on this row).
	if err := f.queuePostNotifications(ctx, tx, placed, in); err != nil {
		return placedPost{}, err
	}
	b := &pgx.Batch{}
	// The newest post (by published time) is the thread's last post; ties go to the later arrival,
	// which is also the one with the higher position.
	b.Queue(`UPDATE threads SET post_count = post_count + 1,
			last_post_id = CASE WHEN last_post_id IS NULL OR $2 >= last_post_at THEN $3 ELSE last_post_id END,
			last_post_at = CASE WHEN last_post_id IS NULL OR $2 >= last_post_at THEN $2 ELSE last_post_at END
		WHERE id = $1`, in.ThreadID, placed.CreatedAt, placed.ID)
	queueNotePosted(b, in.ThreadID, in.AuthorID, placed.Position)
	queueIndexPost(b, placed.ID, placed.Position, title, in.HTML)
	if !threadDeleted {
		b.Queue(`UPDATE categories SET post_count = post_count + 1, last_post_at = greatest(last_post_at, $2) WHERE id = $1`,
			categoryID, placed.CreatedAt)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return placedPost{}, fmt.Errorf("count post %d in its thread and category, note its author's read state, index it: %w", placed.ID, err)
	}
	return placed, nil
}
