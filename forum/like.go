package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Likes are the only reaction: there are no dislikes, nobody likes their own post, and liking twice
// is the same as liking once (no second activity, no second count).

// LikePost makes v like a post and returns its like count. Liking is allowed in locked threads (it
// adds no text), not on deleted or hidden posts.
func (f *Forum) LikePost(ctx context.Context, by Viewer, postID int64) (int, error) {
	return f.setLike(ctx, by, postID, true)
}

// UnlikePost takes v's like back and returns the post's like count. Unliking a post v does not like
// changes nothing.
func (f *Forum) UnlikePost(ctx context.Context, by Viewer, postID int64) (int, error) {
	return f.setLike(ctx, by, postID, false)
}

func (f *Forum) setLike(ctx context.Context, by Viewer, postID int64, like bool) (int, error) {
	var count int
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := actingMember(ctx, tx, by)
		if err != nil {
			return err
		}
		p, err := postForWrite(ctx, tx, postID)
		if err != nil {
			return err
		}
		t, c, _, err := f.threadForWrite(ctx, tx, actor, p.ThreadID)
		if err != nil {
			return err
		}
		if p, err = rereadUnderLock(ctx, tx, p); err != nil {
			return err
		}
		// A like is refused on a post deleted or hidden; taking one back never is (a like given
		// before the post was hidden could not be taken back at all).
		switch {
		case like && (p.DeletedAt != nil || t.DeletedAt != nil):
			return fmt.Errorf("like post %d: %w", postID, ErrGone)
		case like && p.HiddenAt != nil:
			return fmt.Errorf("like post %d: %w", postID, ErrNotFound)
		case like && p.AuthorID == actor.ActorID:
			return fmt.Errorf("like your own post: %w", ErrForbidden)
		}
		stmt := `INSERT INTO likes (post_id, actor_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`
		if !like {
			stmt = `DELETE FROM likes WHERE post_id = $1 AND actor_id = $2`
		}
		ct, err := tx.Exec(ctx, stmt, postID, actor.ActorID)
		if err != nil {
			return err
		}
		if ct.RowsAffected() == 0 { // already in the asked state: idempotent
			count = p.LikeCount
			return nil
		}
		delta, verb := 1, VerbLike
		if !like {
			delta, verb = -1, VerbUndoLike
		}
		if err := tx.QueryRow(ctx, `UPDATE posts SET like_count = like_count + $2 WHERE id = $1 RETURNING like_count`,
			postID, delta).Scan(&count); err != nil {
			return err
		}
		if _, err := f.recordActivity(ctx, tx, NewActivity{Verb: verb, ActorID: actor.ActorID, ThreadID: &t.ID, PostID: &postID, CategoryID: &c.ID}); err != nil {
			return err
		}
		if like {
			return f.queueLikeNotification(ctx, tx, postID, actor.ActorID)
		}
		return forgetLikeNotification(ctx, tx, postID, actor.ActorID)
	})
	if err != nil {
		return 0, fmt.Errorf("like post %d: %w", postID, err)
	}
	return count, nil
}

// forgetLikeNotification takes back the author's "liked your post" with the like, local or remote
// (its job, if it has not run yet, makes none: notifyLikeSQL asks whether the like stands).
func forgetLikeNotification(ctx context.Context, tx pgx.Tx, postID, likerID int64) error {
	_, err := tx.Exec(ctx, `DELETE FROM notifications WHERE kind = 'like' AND post_id = $1 AND actor_id = $2`, postID, likerID)
	return err
}
