package forum

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// categoryCounterStripes is how many rows of category_counters share a category's counts
// (migration 0103). A post adds to its thread's stripe: the thread's row is already held by the
// posting transaction, so a stripe serializes posts of 1/16th of the category's threads instead of
// all of them.
const categoryCounterStripes = 16

func counterStripe(threadID int64) int16 { return int16(threadID % categoryCounterStripes) }

// categoryTotals are a category's counters in categoryColumns: its row's base plus its stripes.
const categoryTotals = `c.thread_count + (SELECT coalesce(sum(k.threads), 0) FROM category_counters k
		WHERE k.category_id = c.id)::integer AS thread_count,
	c.post_count + (SELECT coalesce(sum(k.posts), 0) FROM category_counters k
		WHERE k.category_id = c.id)::bigint AS post_count,
	greatest(c.last_post_at, (SELECT max(k.last_post_at) FROM category_counters k
		WHERE k.category_id = c.id)) AS last_post_at`

// addToStripe ends the statements that add to a stripe, which may not exist yet.
const addToStripe = `
	ON CONFLICT (category_id, stripe) DO UPDATE SET threads = k.threads + excluded.threads,
		posts = k.posts + excluded.posts, last_post_at = greatest(k.last_post_at, excluded.last_post_at)`

// countPost adds a post (and its thread, when the post opens it) to the category, with the post's
// time as the category's last activity when its thread is listed (Thread.listed: a reply in a
// hidden thread is not news to the category's visitors). Parameters: category, stripe, new threads
// (0 or 1), post, listed.
const countPost = `INSERT INTO category_counters AS k (category_id, stripe, threads, posts, last_post_at)
	SELECT $1, $2, $3, 1, CASE WHEN $5::bool THEN p.created_at END FROM posts p WHERE p.id = $4` + addToStripe

// countNewThread counts a thread in its category before its opening post is inserted (which
// counts itself, insertPostLocked).
func countNewThread(ctx context.Context, tx pgx.Tx, categoryID, threadID int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO category_counters AS k (category_id, stripe, threads)
		VALUES ($1, $2, 1)`+addToStripe, categoryID, counterStripe(threadID))
	return err
}
