package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Likes and boosts from other servers. A remote Like counts like a member's (one per person and
// post, never one's own), notifies the post's author through the same path, and is relayed by a
// local category to its forum peers; an Announce of a local post by someone elsewhere (a Mastodon
// boost) is counted as a boost. Their Undos take them back, and only their own author's Undo can.

// RemoteReaction is a Like or an Announce of a stored post by a remote actor.
type RemoteReaction struct {
	// APID is the Like's or Announce's id, which an Undo repeats.
	APID    string
	ActorID int64
	PostID  int64
	// InboundID is the received activity, relayed by a local category (0: not relayed).
	InboundID int64
}

// LikeRemote records a remote Like. created is false when the actor already liked the post. The
// post's author may not like it (ErrForbidden); a deleted post or thread is ErrGone, a hidden one
// ErrNotFound.
func (f *Forum) LikeRemote(ctx context.Context, in RemoteReaction) (created bool, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		t, c, p, err := f.reactionTarget(ctx, tx, in)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO likes (post_id, actor_id, ap_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			p.ID, in.ActorID, in.APID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		created = true
		if _, err := tx.Exec(ctx, `UPDATE posts SET like_count = like_count + 1 WHERE id = $1`, p.ID); err != nil {
			return err
		}
		if err := f.queueLikeNotification(ctx, tx, p.ID, in.ActorID); err != nil {
			return err
		}
		return f.relayInbound(ctx, tx, c, t.ID, &p.ID, in.InboundID)
	})
	if err != nil {
		return false, fmt.Errorf("remote like %s: %w", in.APID, err)
	}
	return created, nil
}

// UnlikeRemote applies an Undo{Like}: the actor's like with that id, or their like of the post the
// Undo names (PostID, 0 when it names none), goes. Only the liker's own likes can be taken back (actorID is
// the verified signer). Undoing a like that is not stored changes nothing.
func (f *Forum) UnlikeRemote(ctx context.Context, in RemoteReaction) (removed bool, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var postID int64
		err := tx.QueryRow(ctx, `DELETE FROM likes WHERE actor_id = $1 AND (ap_id = $2 OR post_id = $3)
			RETURNING post_id`, in.ActorID, in.APID, in.PostID).Scan(&postID)
		if err != nil {
			if isNoRows(err) {
				return nil
			}
			return err
		}
		removed = true
		if _, err := tx.Exec(ctx, `UPDATE posts SET like_count = greatest(like_count - 1, 0) WHERE id = $1`, postID); err != nil {
			return err
		}
		if err := forgetLikeNotification(ctx, tx, postID, in.ActorID); err != nil {
			return err
		}
		p, err := postForWrite(ctx, tx, postID)
		if err != nil {
			return err
		}
		t, c, err := lockThread(ctx, f, tx, p.ThreadID)
		if err != nil {
			return err
		}
		return f.relayInbound(ctx, tx, c, t.ID, &postID, in.InboundID)
	})
	if err != nil {
		return false, fmt.Errorf("undo remote like %s: %w", in.APID, err)
	}
	return removed, nil
}

// BoostRemote records an Announce of a stored post by a remote actor. created is false when it was
// already counted. Boosting one's own post is allowed (Mastodon lets people do it), but a deleted
// or hidden post takes no boosts, and a deleted or suspended account gives none.
func (f *Forum) BoostRemote(ctx context.Context, in RemoteReaction) (created bool, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		if err := f.remoteActorMayAct(ctx, tx, in.ActorID, "booster"); err != nil {
			return err
		}
		p, err := postForWrite(ctx, tx, in.PostID)
		if err != nil {
			return err
		}
		switch {
		case p.DeletedAt != nil:
			return fmt.Errorf("post %d: %w", p.ID, ErrGone)
		case p.HiddenAt != nil:
			return fmt.Errorf("post %d: %w", p.ID, ErrNotFound)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO post_boosts (post_id, actor_id, ap_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			p.ID, in.ActorID, in.APID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		created = true
		_, err = tx.Exec(ctx, `UPDATE posts SET boost_count = boost_count + 1 WHERE id = $1`, p.ID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("remote boost %s: %w", in.APID, err)
	}
	return created, nil
}

// UnboostRemote applies an Undo{Announce} of the actor's own boost, named by the Announce's id.
func (f *Forum) UnboostRemote(ctx context.Context, actorID int64, apID string) (removed bool, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var postID int64
		err := tx.QueryRow(ctx, `DELETE FROM post_boosts WHERE actor_id = $1 AND ap_id = $2 RETURNING post_id`,
			actorID, apID).Scan(&postID)
		if err != nil {
			if isNoRows(err) {
				return nil
			}
			return err
		}
		removed = true
		_, err = tx.Exec(ctx, `UPDATE posts SET boost_count = greatest(boost_count - 1, 0) WHERE id = $1`, postID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("undo remote boost %s: %w", apID, err)
	}
	return removed, nil
}

// BoostCount is how many remote boosts a post has.
func (f *Forum) BoostCount(ctx context.Context, postID int64) (int, error) {
	var n int
	if err := f.db.QueryRow(ctx, `SELECT boost_count FROM posts WHERE id = $1`, postID).Scan(&n); err != nil {
		return 0, notFound(err, fmt.Sprintf("post %d", postID))
	}
	return n, nil
}

// reactionTarget loads and locks what a Like is about, after the rules every like follows.
func (f *Forum) reactionTarget(ctx context.Context, tx pgx.Tx, in RemoteReaction) (Thread, Category, postRow, error) {
	if in.APID == "" || len(in.APID) > maxRemoteURL {
		return Thread{}, Category{}, postRow{}, Invalid("id", "a Like needs an id of at most %d characters", maxRemoteURL)
	}
	if err := f.remoteActorMayAct(ctx, tx, in.ActorID, "liker"); err != nil {
		return Thread{}, Category{}, postRow{}, err
	}
	p, err := postForWrite(ctx, tx, in.PostID)
	if err != nil {
		return Thread{}, Category{}, postRow{}, err
	}
	t, c, err := lockThread(ctx, f, tx, p.ThreadID)
	if err != nil {
		return Thread{}, Category{}, postRow{}, err
	}
	if p, err = rereadUnderLock(ctx, tx, p); err != nil {
		return Thread{}, Category{}, postRow{}, err
	}
	switch {
	case p.DeletedAt != nil || t.DeletedAt != nil:
		return Thread{}, Category{}, postRow{}, fmt.Errorf("post %d: %w", p.ID, ErrGone)
	case p.HiddenAt != nil || t.HiddenAt != nil:
		return Thread{}, Category{}, postRow{}, fmt.Errorf("post %d: %w", p.ID, ErrNotFound)
	case p.AuthorID == in.ActorID:
		return Thread{}, Category{}, postRow{}, fmt.Errorf("like of one's own post: %w", ErrForbidden)
	}
	return t, c, p, nil
}

// remoteActorMayAct checks, in the transaction that applies a remote actor's activity, that the
// actor's activities still count here: a known remote account, neither deleted nor suspended. The
// inbox verified who signed, not what this server has since decided about them.
func (f *Forum) remoteActorMayAct(ctx context.Context, tx pgx.Tx, actorID int64, role string) error {
	actor, err := f.queryActor(ctx, tx, "a.id = $1", actorID)
	if err != nil {
		return notFound(err, role)
	}
	return remoteAuthorMayPost(actor)
}
