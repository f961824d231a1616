package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// seedBatch generates batch b and loads it in one transaction: threads, posts, likes, read state
// and notifications by COPY, the search rows by one INSERT (their documents must come from PostgreSQL's own
// text-search parser, through the same stoa_search_document the forum indexes posts with), and the
// batch's bookkeeping row, so a batch is either wholly in or wholly absent.
func (f *Forum) seedBatch(ctx context.Context, plan *seedPlan, b int) error {
	lo, hi := plan.batchRange(b)
	data := make([]seedThreadData, 0, hi-lo)
	for i := lo; i < hi; i++ {
		data = append(data, plan.genThread(f, i))
	}
	var posts []*seedPostRow
	var reads []seedReadRow
	var notes []seedNotificationRow
	likes := 0
	for i := range data {
		for k := range data[i].posts {
			posts = append(posts, &data[i].posts[k])
			likes += len(data[i].posts[k].likers)
		}
		reads = append(reads, data[i].reads...)
		notes = append(notes, data[i].notifications...)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		// Losing the last batches in a crash costs only their reload; no need to wait for the disk.
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, "threads", []string{"id", "category_id", "author_id", "title", "created_at", "last_post_at",
			"last_post_id", "post_count", "locked_at", "pinned_at", "hidden_at", "deleted_at"}, len(data), func(i int) []any {
			t := &data[i].thread
			return []any{t.id, t.categoryID, t.authorID, t.title, t.createdAt, t.lastPostAt, t.lastPostID, int32(t.postCount),
				t.locked, t.pinned, t.hidden, t.deleted}
		}); err != nil {
			return err
		}
		threadOf := make([]int64, 0, len(posts))
		for i := range data {
			for range data[i].posts {
				threadOf = append(threadOf, data[i].thread.id)
			}
		}
		if err := copyRows(ctx, tx, "posts", []string{"id", "thread_id", "author_id", "position", "in_reply_to_id", "ap_id", "url",
			"source", "source_kind", "html", "html_mac", "created_at", "hidden_at", "deleted_at", "like_count"}, len(posts), func(i int) []any {
			p := posts[i]
			return []any{p.id, threadOf[i], p.authorID, int32(p.position), p.inReplyTo, p.apID, p.url, p.source, p.kind, p.html,
				p.mac, p.createdAt, p.hidden, p.deleted, int32(len(p.likers))}
		}); err != nil {
			return err
		}
		if err := copyLikes(ctx, tx, posts, likes, plan.now); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, "member_threads", []string{"thread_id", "member_id", "read_positions", "level"}, len(reads), func(i int) []any {
			r := reads[i]
			var level *string
			if r.watching {
				w := string(Watching)
				level = &w
			}
			return []any{r.threadID, r.memberID, positionsUpTo(r.upTo), level}
		}); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, "notifications", []string{"member_id", "kind", "actor_id", "thread_id", "post_id", "created_at", "read_at"},
			len(notes), func(i int) []any {
				n := &notes[i]
				return []any{n.memberID, "reply", n.actorID, n.threadID, n.postID, n.createdAt, n.readAt}
			}); err != nil {
			return err
		}
		ids, titles, bodies := make([]int64, len(posts)), make([]*string, len(posts)), make([]string, len(posts))
		for i, p := range posts {
			ids[i], titles[i], bodies[i] = p.id, p.title, p.searchBody
		}
		if _, err := tx.Exec(ctx, `INSERT INTO post_search (post_id, body, document)
			SELECT id, body, stoa_search_document(title, body) FROM unnest($1::bigint[], $2::text[], $3::text[]) AS x(id, title, body)`,
			ids, titles, bodies); err != nil {
			return fmt.Errorf("search rows: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO stoa_seed_batches (batch, threads, posts) VALUES ($1, $2, $3)`, b, len(data), len(posts))
		return err
	})
	if err != nil {
		return fmt.Errorf("seed batch %d (threads %d-%d): %w", b, lo, hi-1, err)
	}
	return nil
}

// copyLikes loads the likes of posts: each liker an hour after the previous one, none after now.
func copyLikes(ctx context.Context, tx pgx.Tx, posts []*seedPostRow, n int, now time.Time) error {
	type like struct {
		post, actor int64
		at          time.Time
	}
	rows := make([]like, 0, n)
	for _, p := range posts {
		for k, a := range p.likers {
			at := p.createdAt.Add(time.Duration(k+1) * time.Hour)
			if at.After(now) {
				at = now
			}
			rows = append(rows, like{p.id, a, at})
		}
	}
	return copyRows(ctx, tx, "likes", []string{"post_id", "actor_id", "created_at"}, len(rows), func(i int) []any {
		return []any{rows[i].post, rows[i].actor, rows[i].at}
	})
}

func copyRows(ctx context.Context, tx pgx.Tx, table string, columns []string, n int, row func(i int) []any) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// positionsUpTo is the read set {[1, upTo]}.
func positionsUpTo(upTo int) pgtype.Multirange[pgtype.Range[pgtype.Int4]] {
	return pgtype.Multirange[pgtype.Range[pgtype.Int4]]{{
		Lower: pgtype.Int4{Int32: 1, Valid: true}, Upper: pgtype.Int4{Int32: int32(upTo) + 1, Valid: true},
		LowerType: pgtype.Inclusive, UpperType: pgtype.Exclusive, Valid: true,
	}}
}
