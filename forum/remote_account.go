package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// What remote accounts do to themselves and to members here: delete themselves, move to another
// server, block a member, take a follow back. The inbox has verified that the actor is who the
// request says; these functions never act on a local actor.

// DeleteRemoteActor applies a remote actor's Delete of itself: the actor is marked deleted, its
// follows both ways go, its likes and boosts stop counting, and its posts are deleted (their places
// stay, marked deleted, so the conversations around them still read in order). What a deleted post
// leaves behind for readers is settled as for one post (settleRemovedPost): the notifications it
// caused, the places it held in unread counts, and its threads' last posts. Returns how many posts
// went.
func (f *Forum) DeleteRemoteActor(ctx context.Context, actorID int64) (int64, error) {
	var n int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		n = 0 // run again after a deadlock: count afresh
		a, err := f.queryActor(ctx, tx, "a.id = $1 FOR UPDATE", actorID)
		if err != nil {
			return notFound(err, "actor")
		}
		if a.Local() {
			return fmt.Errorf("actor %d is local: %w", actorID, ErrForbidden)
		}
		if _, err := tx.Exec(ctx, `UPDATE actors SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1`, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 OR target_id = $1`, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM likes WHERE actor_id = $1 RETURNING post_id)
			UPDATE posts p SET like_count = greatest(p.like_count - g.n, 0)
			FROM (SELECT post_id, count(*) AS n FROM gone GROUP BY post_id) g WHERE p.id = g.post_id`, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM post_boosts WHERE actor_id = $1 RETURNING post_id)
			UPDATE posts p SET boost_count = greatest(p.boost_count - g.n, 0)
			FROM (SELECT post_id, count(*) AS n FROM gone GROUP BY post_id) g WHERE p.id = g.post_id`, a.ID); err != nil {
			return err
		}
		threads, err := deleteAuthorsPosts(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		categories := map[int64]bool{}
		for _, t := range threads {
			n += t.posts
			categories[t.categoryID] = true
			if err := refreshLastPost(ctx, tx, t.id); err != nil {
				return err
			}
		}
		for c := range categories {
			if err := refreshCategoryActivity(ctx, tx, c); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE notifications SET read_at = now(), settled_by_removal = true
			WHERE actor_id = $1 AND read_at IS NULL`, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO remote_tombstones (ap_id)
			SELECT ap_id FROM posts WHERE author_id = $1 AND ap_id IS NOT NULL ON CONFLICT DO NOTHING`, a.ID); err != nil {
			return err
		}
		return f.logModeration(ctx, tx, Viewer{ActorID: a.ID}, ModerationEntry{Action: "remote_actor_deleted",
			TargetActorID: &a.ID, Domain: a.Domain, Details: []byte(fmt.Sprintf(`{"posts": %d}`, n))})
	})
	if err != nil {
		return 0, fmt.Errorf("delete remote actor %d: %w", actorID, err)
	}
	return n, nil
}

// MoveRemoteAccount applies a Move of a remote account to another (the inbox has fetched the new
// account from its origin and found the old one in its alsoKnownAs): every member here who
// followed the old account follows the new one (pending until it accepts, with a Follow sent) and
// stops following the old one (with an Undo). The old account records where it went. Returns the
// number of follows moved.
func (f *Forum) MoveRemoteAccount(ctx context.Context, oldID, newID int64) (int, error) {
	moved := 0
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		moved = 0 // run again after a deadlock: count afresh
		old, err := f.queryActor(ctx, tx, "a.id = $1 FOR UPDATE", oldID)
		if err != nil {
			return notFound(err, "moved account")
		}
		target, err := f.queryActor(ctx, tx, "a.id = $1", newID)
		if err != nil {
			return notFound(err, "new account")
		}
		if old.Local() || target.Local() || old.ID == target.ID {
			return Invalid("target", "a Move goes from one remote account to another")
		}
		if target.DeletedAt != nil || target.SuspendedAt != nil {
			return fmt.Errorf("new account %s: %w", target.APID, ErrForbidden)
		}
		if _, err := tx.Exec(ctx, `UPDATE actors SET moved_to_ap_id = $2, updated_at = now() WHERE id = $1`, old.ID, target.APID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT "+followColumns+` FROM follows fo JOIN actors a ON a.id = fo.follower_id
			WHERE fo.target_id = $1 AND a.domain IS NULL ORDER BY fo.id FOR UPDATE OF fo`, old.ID)
		if err != nil {
			return err
		}
		follows, err := pgx.CollectRows(rows, pgx.RowToStructByName[Follow])
		if err != nil {
			return err
		}
		for _, fo := range follows {
			if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE id = $1`, fo.ID); err != nil {
				return err
			}
			details := map[string]any{}
			if fo.FollowActivityID != nil {
				details["follow_activity"] = *fo.FollowActivityID
			}
			if _, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbUndoFollow, ActorID: fo.FollowerID, TargetActorID: &old.ID,
				Details: details}); err != nil {
				return err
			}
			var followID int64
			err := tx.QueryRow(ctx, `INSERT INTO follows (follower_id, target_id, state) VALUES ($1, $2, 'pending')
				ON CONFLICT (follower_id, target_id) DO NOTHING RETURNING id`, fo.FollowerID, target.ID).Scan(&followID)
			if isNoRows(err) {
				continue // already following the new account
			}
			if err != nil {
				return err
			}
			activityID, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbFollow, ActorID: fo.FollowerID, FollowID: &followID,
				TargetActorID: &target.ID})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE follows SET follow_activity_id = $2 WHERE id = $1`, followID, activityID); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("move account %d to %d: %w", oldID, newID, err)
	}
	return moved, nil
}

// BlockByRemote applies a remote actor's Block of a local member: the follows between them go (the
// member's follow of the blocker is undone with an Undo, as Mastodon does) and, until the Undo
// {Block}, the member's activities are not delivered to the blocker (RemoteBlockers).
func (f *Forum) BlockByRemote(ctx context.Context, blockerID, memberID int64, apID string) error {
	if apID == "" || len(apID) > maxRemoteURL {
		return Invalid("id", "a Block needs an id of at most %d characters", maxRemoteURL)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		blocker, err := f.queryActor(ctx, tx, "a.id = $1", blockerID)
		if err != nil {
			return notFound(err, "blocker")
		}
		member, err := f.queryActor(ctx, tx, "a.id = $1", memberID)
		if err != nil {
			return notFound(err, "blocked member")
		}
		if blocker.Local() || !member.Local() || member.Kind != ActorPerson {
			return Invalid("object", "a remote Block names a member here")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO remote_blocks (blocker_id, target_id, ap_id) VALUES ($1, $2, $3)
			ON CONFLICT (blocker_id, target_id) DO UPDATE SET ap_id = EXCLUDED.ap_id`, blocker.ID, member.ID, apID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 AND target_id = $2`, blocker.ID, member.ID); err != nil {
			return err
		}
		fo, err := queryFollow(ctx, tx, "fo.follower_id = $1 AND fo.target_id = $2 FOR UPDATE", member.ID, blocker.ID)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE id = $1`, fo.ID); err != nil {
			return err
		}
		details := map[string]any{}
		if fo.FollowActivityID != nil {
			details["follow_activity"] = *fo.FollowActivityID
		}
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbUndoFollow, ActorID: member.ID, TargetActorID: &blocker.ID, Details: details})
		return err
	})
	if err != nil {
		return fmt.Errorf("block of %d by %d: %w", memberID, blockerID, err)
	}
	return nil
}

// UnblockByRemote applies an Undo{Block} by the blocker (named by the Block's id, or by the member
// when the Undo carries only the object).
func (f *Forum) UnblockByRemote(ctx context.Context, blockerID int64, apID string, memberID int64) (bool, error) {
	tag, err := f.db.Exec(ctx, `DELETE FROM remote_blocks WHERE blocker_id = $1 AND (ap_id = $2 OR ($2 = '' AND target_id = $3))`,
		blockerID, apID, memberID)
	if err != nil {
		return false, fmt.Errorf("undo block %s: %w", apID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// RemoteBlockers lists, among ids, the remote actors who block local actor senderID: deliveries of
// the sender's activities leave them out.
func (f *Forum) RemoteBlockers(ctx context.Context, senderID int64, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := f.db.Query(ctx, `SELECT blocker_id FROM remote_blocks WHERE target_id = $1 AND blocker_id = ANY($2)`, senderID, ids)
	if err != nil {
		return nil, fmt.Errorf("blockers of %d: %w", senderID, err)
	}
	blockers, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("blockers of %d: %w", senderID, err)
	}
	for _, b := range blockers {
		out[b] = true
	}
	return out, nil
}

// RemoveFollowerByAPID applies an Undo{Follow} that names the Follow only by its id: the follow
// with that id goes if the verified signer is its follower (SECURITY.md rule 4). removed is false
// when there was no such follow.
func (f *Forum) RemoveFollowerByAPID(ctx context.Context, followerID int64, followAPID string) (bool, error) {
	tag, err := f.db.Exec(ctx, `DELETE FROM follows WHERE ap_id = $2 AND follower_id = $1
		AND EXISTS (SELECT 1 FROM actors a WHERE a.id = $1 AND a.domain IS NOT NULL)`, followerID, followAPID)
	if err != nil {
		return false, fmt.Errorf("undo follow %s: %w", followAPID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// deletedIn is how many of an author's posts went in one thread.
type deletedIn struct {
	id, categoryID int64
	posts          int64
}

// deleteAuthorsPosts marks every live post of an author deleted and, in the same statement, their
// positions read for every member who has opened their threads (settleRemovedPost's second part,
// for many posts at once). It returns the threads touched.
func deleteAuthorsPosts(ctx context.Context, tx pgx.Tx, authorID int64) ([]deletedIn, error) {
	rows, err := tx.Query(ctx, `WITH gone AS (
			UPDATE posts SET deleted_at = now() WHERE author_id = $1 AND deleted_at IS NULL RETURNING thread_id, position),
		by_thread AS (
			SELECT thread_id, range_agg(int4range(position, position + 1)) AS positions, count(*) AS n FROM gone GROUP BY thread_id),
		marked AS (
			UPDATE member_threads mt SET read_positions = mt.read_positions + b.positions
			FROM by_thread b WHERE mt.thread_id = b.thread_id AND NOT mt.read_positions @> b.positions),
		noted AS (
			INSERT INTO thread_removed_positions AS r (thread_id, positions) SELECT thread_id, positions FROM by_thread
			ON CONFLICT (thread_id) DO UPDATE SET positions = r.positions + excluded.positions)
		SELECT b.thread_id, t.category_id, b.n FROM by_thread b JOIN threads t ON t.id = b.thread_id ORDER BY b.thread_id`, authorID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (deletedIn, error) {
		var d deletedIn
		return d, r.Scan(&d.id, &d.categoryID, &d.posts)
	})
}
