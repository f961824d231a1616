package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Unread tracking, post-accurate within a window.
//
// Each member has, per thread they have opened or posted in, the set of post positions they have
// seen (member_threads.read_positions, an int4multirange). A post is unread for a member when it was
// published inside their window and its position is not in their set. The window is the last
// UnreadWindowDays days, and never starts before the member joined: older posts count as read, so
// neither an old thread that gets one reply nor a new member's first visit shows thousands of
// unread posts. Guests have no unread state.
//
// What changes the sets, and where:
//   - reading a thread page adds exactly the positions it showed (ReadThreadPage, one upsert that
//     also returns the set as it was, so the page can mark what is new to the reader);
//   - writing a post adds its position for its author (insertPost via notePosted);
//   - an edit removes the post's position from every reader's set, so it is unread again, and
//     adds it to the editor's (applyEdit via markEditedUnread), unless readers cannot read it (hidden
//     or deleted);
//   - a post deleted or hidden is added to every set of its thread (settleRemovedPost), so a
//     reader's count and jump skip what they cannot read, and to the thread's own set of removed
//     positions (thread_removed_positions), which every count and jump subtracts too: a member who
//     never opened the thread has no set to add it to (measured on the 1M-thread seed, a category
//     page's unread state for 33 threads: 0.246-0.251 ms before, 0.291-0.292 ms with the extra
//     probe, best 3 of 12 each, generic plans, 44,919 threads with removed posts); shown again, it
//     leaves the thread's set (unnoteRemovedPost), so it is new to those who never read it;
//   - a late remote post inserted at position p moves every later post down one place; the sets
//     move with them (shiftReadPositions), so what a member read stays read and only the late
//     post itself is unread. That is exact, costs one UPDATE of the thread's reader rows, and only
//     happens for remote posts delivered out of order.
//
// Because positions follow published order, the posts inside a window are the positions from the
// first post published inside it to the thread's last: an unread count is that span's length minus
// the size of the set within it, computed per listed thread with one index probe
// (posts_thread_created), in the list query itself.

// UnreadWindowDays is how far back unread tracking reaches.
const UnreadWindowDays = 60

// unreadSinceSQL is the start of the window of the viewer whose actor id is parameter $n: now
// less the window, or when they joined if later. Guests (0) get the plain window, and no member
// row.
func unreadSinceSQL(n int) string {
	return `greatest(now() - make_interval(days => ` + strconv.Itoa(UnreadWindowDays) + `),
		(SELECT m.created_at FROM members m WHERE m.actor_id = $` + strconv.Itoa(n) + `))`
}

// unreadJoins adds, to a query over threads t, a member's read positions (uw.read_positions) and
// the first position inside their window (uw.first_position; NULL for threads with no post inside
// it). The member's actor id is parameter $n; guests' lists do without (summarySelect). Both are
// scalar subqueries, so each is one index probe per listed row whatever the plan: a join would let
// the planner hash every row of a member who has read many thousands of threads.
//
// A thread last active before the window starts has no post inside it (last_post_at is the newest
// post's created_at and never goes back), so neither probe runs for it: the first page's pinned
// threads are mostly old, and a deep page's nearly all (the probes were a sixth of a member's
// first-page statement).
//
// OFFSET 0 keeps the lateral subquery from being flattened into the outer query: flattened, its
// first_position, which unreadColumn uses three times, was probed three times per row. Measured on
// the 1M-thread seed, the member state of a category's first page (33 threads, generic plan):
// 0.35 ms before, 0.22 ms after.
func unreadJoins(n int) string {
	p := "$" + strconv.Itoa(n) + "::bigint"
	inWindow := `t.last_post_at > ` + unreadSinceSQL(n)
	return `
	LEFT JOIN LATERAL (
		SELECT CASE WHEN ` + inWindow + ` THEN (SELECT wp.position FROM posts wp
				WHERE wp.thread_id = t.id AND wp.created_at > ` + unreadSinceSQL(n) + `
				ORDER BY wp.created_at, wp.position LIMIT 1) END AS first_position,
			CASE WHEN ` + inWindow + ` THEN (SELECT mt.read_positions FROM member_threads mt
				WHERE mt.thread_id = t.id AND mt.member_id = ` + p + `) END AS read_positions,
			CASE WHEN ` + inWindow + ` THEN (SELECT r.positions FROM thread_removed_positions r
				WHERE r.thread_id = t.id) END AS removed_positions
		OFFSET 0) uw ON true`
}

// unreadColumn is the number of unread posts of t, given unreadJoins: the window's span less the
// read positions inside it. The sum is written out rather than put in a SQL function: one that
// cannot be inlined costs a function-executor round per listed row.
const unreadColumn = unreadExpr + ` AS unread`

// unreadExpr is unreadColumn's value.
const unreadExpr = `CASE WHEN uw.first_position IS NULL THEN 0
		ELSE t.post_count - uw.first_position + 1 - (SELECT coalesce(sum(upper(r) - lower(r)), 0)::integer
			FROM unnest((coalesce(uw.read_positions, '{}') + coalesce(uw.removed_positions, '{}'))
				* int4multirange(int4range(uw.first_position, t.post_count + 1))) r) END`

// unmutedUnreadColumn is unreadColumn for a list (t has the thread's category): 0 for a thread the
// member ($n) muted, by its own level or else its category's. Muting tells them of nothing but
// mentions, yet the lists kept inviting them back with "N new"; the threads stay listed, since a
// list is read once for every reader. Only threads with posts inside the window are asked about.
func unmutedUnreadColumn(n int) string {
	p := "$" + strconv.Itoa(n) + "::bigint"
	return `CASE WHEN uw.first_position IS NOT NULL AND coalesce(
			(SELECT mt.level FROM member_threads mt WHERE mt.thread_id = t.id AND mt.member_id = ` + p + `),
			(SELECT mc.level FROM member_categories mc WHERE mc.category_id = t.category_id AND mc.member_id = ` + p + `)) = 'muted'
		THEN 0 ELSE ` + unreadExpr + ` END AS unread`
}

// readThreadPageSQL is ReadThreadPage's statement: member $1 reads thread $2's positions $3-$4,
// posts $5 (lowest $7, highest $8) of category $6. Built once: pgx finds its prepared statement
// by the text, and a page view need not assemble and hash it afresh.
var readThreadPageSQL = `WITH me AS (
		SELECT m.actor_id, ` + unreadSinceSQL(1) + ` AS since FROM members m WHERE m.actor_id = $1),
	before AS (
		SELECT read_positions, level, mailed_at FROM member_threads WHERE thread_id = $2 AND member_id = $1),
	mark AS (
		INSERT INTO member_threads AS mt (thread_id, member_id, read_positions)
		SELECT $2, me.actor_id, int4multirange(int4range($3, $4 + 1)) FROM me
		WHERE NOT EXISTS (SELECT 1 FROM before
			WHERE read_positions @> int4multirange(int4range($3, $4 + 1)) AND mailed_at IS NULL)
		ON CONFLICT (thread_id, member_id) DO UPDATE
			SET read_positions = mt.read_positions + excluded.read_positions, mailed_at = NULL
		RETURNING 1),
	seen AS (
		UPDATE notifications SET read_at = now()
		WHERE member_id = $1 AND read_at IS NULL AND ` + postsAmong(5, 7, 8) + ` RETURNING 1),
	` + lazyCommitCTE + `
	SELECT (SELECT since FROM me),
		ARRAY(SELECT g FROM generate_series($3::int, $4::int) g
			WHERE NOT coalesce((SELECT read_positions FROM before), '{}') @> g),
		(SELECT level FROM before),
		(SELECT level FROM member_categories WHERE category_id = $6 AND member_id = $1),
		ARRAY(SELECT post_id FROM likes WHERE actor_id = $1 AND ` + postsAmong(5, 7, 8) + `),
		(SELECT count(*) FROM seen),
		EXISTS (SELECT FROM mark)
	FROM lazy_commit`

// ReadThreadPage is ThreadPageOf for the thread page itself. For a signed-in member it also marks
// the posts the page shows as read and their notifications about those posts as read, in one
// statement that returns what they had read before: posts new to them come back with Unread set.
// A page read before, with no mail about the thread since, writes nothing: the statement is then
// read-only, and a reread (a refresh, a page seen again on the way back) costs PostgreSQL no
// row version, no WAL and no transaction id.
// It also returns their watch level for the thread and which of its posts they like (the posts
// themselves may be a shared read: shared_reads.go). The marks commit lazily (commit_mode.go).
func (f *Forum) ReadThreadPage(ctx context.Context, v Viewer, threadID int64, n int) (ThreadPage, error) {
	tp, err := f.threadPageOf(ctx, v, threadID, n, callerReadsLikes)
	if err != nil || !v.SignedIn() || len(tp.Posts) == 0 {
		return tp, err
	}
	first, last := tp.Posts[0].Position, tp.Posts[len(tp.Posts)-1].Position
	ids := postIDs(tp.Posts)
	var since *time.Time
	var unread []int32
	var liked []int64
	var sawNotifications int
	var marked bool
	var threadLevel, categoryLevel *string
	err = retryConflicts(ctx, func() error {
		return f.db.QueryRow(ctx, readThreadPageSQL,
			v.ActorID, threadID, first, last, ids, tp.Thread.CategoryID, slices.Min(ids), slices.Max(ids)).Scan(&since, &unread, &threadLevel, &categoryLevel, &liked, &sawNotifications, &marked)
	})
	if err != nil {
		return ThreadPage{}, fmt.Errorf("mark thread %d read: %w", threadID, err)
	}
	tp.NotificationsRead = sawNotifications
	if sawNotifications > 0 {
		f.viewers.keyChanged(v.ActorID) // the header's count, from the next request on (session_cache.go)
	}
	if marked {
		f.readers.keyChanged(v.ActorID) // their pages' unread state (reader_changes.go)
	}
	markLiked(tp.Posts, liked)
	if since == nil { // not a member row (the console's viewer): nothing is tracked
		return tp, nil
	}
	for i := range tp.Posts {
		p := &tp.Posts[i]
		// A removed post (shown to staff, or as a placeholder) is not news, as the counts say
		// (thread_removed_positions): a first visit marked it new.
		p.Unread = p.CreatedAt.After(*since) && slices.Contains(unread, int32(p.Position)) && !p.Deleted() && !p.Hidden()
	}
	tp.Watch = threadWatch(threadLevel, categoryLevel)
	return tp, nil
}

// FirstUnread finds the first post v has not read in a thread: the first position inside their
// window missing from their set, or the last post when they have read everything. It answers
// /t/{id}/unread. Guests get the first post.
func (f *Forum) FirstUnread(ctx context.Context, v Viewer, threadID int64) (postID int64, page int, err error) {
	tv, err := f.ThreadByID(ctx, v, threadID)
	if err != nil {
		return 0, 0, err
	}
	var position int
	err = f.db.QueryRow(ctx, `WITH win AS (
			SELECT p.position AS first_position FROM posts p
			WHERE $1::bigint <> 0 AND p.thread_id = $2 AND p.created_at > `+unreadSinceSQL(1)+`
			ORDER BY p.created_at, p.position LIMIT 1),
		target AS (
			SELECT lower(int4multirange(int4range(win.first_position, $3 + 1))
				- coalesce((SELECT read_positions FROM member_threads WHERE thread_id = $2 AND member_id = $1), '{}')
				- coalesce((SELECT positions FROM thread_removed_positions WHERE thread_id = $2), '{}')) AS position
			FROM win)
		SELECT p.id, p.position FROM posts p
		WHERE p.thread_id = $2 AND p.position = CASE WHEN $1 = 0 THEN 1 ELSE coalesce((SELECT position FROM target), $3) END`,
		v.ActorID, threadID, tv.PostCount).Scan(&postID, &position)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("first unread post of thread %d: %w", threadID, ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("first unread post of thread %d: %w", threadID, err)
	}
	return postID, f.PageOf(position), nil
}

// queueNotePosted records, in the transaction that inserted a post, that its author has read it and,
// unless they chose a level for the thread, now watches it (starting or replying to a thread is
// taking part in it). Remote authors have no member row and are skipped.
func queueNotePosted(b *pgx.Batch, threadID, authorID int64, position int) {
	b.Queue(`INSERT INTO member_threads AS mt (thread_id, member_id, read_positions, level)
		SELECT $1, m.actor_id, int4multirange(int4range($3, $3 + 1)), 'watching' FROM members m WHERE m.actor_id = $2
		ON CONFLICT (thread_id, member_id) DO UPDATE
			SET read_positions = mt.read_positions + excluded.read_positions, level = coalesce(mt.level, 'watching')`,
		threadID, authorID, position)
}

// markEditedUnread makes an edited post unread again for everyone who had read it, and read for its
// editor, who has seen the new version.
func markEditedUnread(ctx context.Context, tx pgx.Tx, threadID int64, position int, editorID int64) error {
	_, err := tx.Exec(ctx, `UPDATE member_threads SET read_positions = CASE WHEN member_id = $3
				THEN read_positions + int4multirange(int4range($2, $2 + 1))
				ELSE read_positions - int4multirange(int4range($2, $2 + 1)) END
		WHERE thread_id = $1 AND (member_id = $3 OR read_positions @> $2::integer)`, threadID, position, editorID)
	if err != nil {
		return fmt.Errorf("mark edited post unread: %w", err)
	}
	return nil
}

// shiftReadPositions moves the read positions at or after position one place down in every set of
// the thread, after a late post was inserted there.
func shiftReadPositions(ctx context.Context, tx pgx.Tx, threadID int64, position int) error {
	_, err := tx.Exec(ctx, `UPDATE member_threads SET read_positions = stoa_positions_shift(read_positions, $2)
		WHERE thread_id = $1 AND upper(read_positions) > $2`, threadID, position)
	if err != nil {
		return fmt.Errorf("shift read positions: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE thread_removed_positions SET positions = stoa_positions_shift(positions, $2)
		WHERE thread_id = $1 AND upper(positions) > $2`, threadID, position)
	if err != nil {
		return fmt.Errorf("shift removed positions: %w", err)
	}
	return nil
}
