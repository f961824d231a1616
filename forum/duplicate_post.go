package forum

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// A form sent twice (a double click, a slow network, the browser's "send again?" after a reload)
// must not post twice. A post or thread identical to one its author made in the same place within
// duplicateWindow is taken for the same submission: CreatePost and CreateThread answer with the
// one already made, without spending the author's posting budget again. Two such submissions
// cannot both miss the other: a reply's transaction holds its thread's row lock, and a new
// thread's the author's new-thread lock (lockNewThreads), before either looks.
const duplicateWindow = 30 // seconds

// lockNewThreads serializes an author's thread starts until the transaction ends, so the second of
// two identical submissions finds the first's thread.
func lockNewThreads(ctx context.Context, tx pgx.Tx, authorID int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('stoa new thread ' || $1::bigint, 0))`, authorID)
	return err
}

// recentSameReply finds the author's post of this source in the thread, made within the window.
func recentSameReply(ctx context.Context, tx pgx.Tx, authorID, threadID int64, source string) (int64, bool, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM posts WHERE author_id = $1 AND thread_id = $2 AND source = $3
			AND created_at > now() - make_interval(secs => `+strconv.Itoa(duplicateWindow)+`) AND deleted_at IS NULL
		ORDER BY created_at DESC LIMIT 1`, authorID, threadID, source).Scan(&id)
	ok, err := found(err)
	return id, ok, err
}

// recentSameThread finds the author's thread of this title and opening source in the category,
// started within the window, and its opening post.
func recentSameThread(ctx context.Context, tx pgx.Tx, authorID, categoryID int64, title, source string) (threadID, postID int64, ok bool, err error) {
	err = tx.QueryRow(ctx, `SELECT t.id, p.id FROM threads t JOIN posts p ON p.thread_id = t.id AND p.position = 1
		WHERE t.author_id = $1 AND t.category_id = $2 AND t.title = $3 AND p.source = $4
			AND t.created_at > now() - make_interval(secs => `+strconv.Itoa(duplicateWindow)+`) AND t.deleted_at IS NULL
		ORDER BY t.created_at DESC LIMIT 1`, authorID, categoryID, title, source).Scan(&threadID, &postID)
	ok, err = found(err)
	return threadID, postID, ok, err
}

// found reads a lookup's error: no row is not found, not a failure.
func found(err error) (bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
