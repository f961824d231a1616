package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Follows between local and remote actors. Remote actors follow members, categories and thread
// actors (the inbox calls AddRemoteFollower and RemoveFollower); local members follow remote actors
// (FollowRemote, Unfollow, and SettleOwnFollow when the remote side answers). Every change another
// server must hear about records its activity in the same transaction: Accept and Reject of their
// Follows, our Follow and its Undo.

// FollowState is where a follow stands.
type FollowState string

const (
	FollowPending  FollowState = "pending"
	FollowAccepted FollowState = "accepted"
	// FollowRejected is never stored: a refused follow has no row. AddRemoteFollower returns it.
	FollowRejected FollowState = "rejected"
)

// Follow is one follow relation.
type Follow struct {
	ID         int64       `db:"id"`
	FollowerID int64       `db:"follower_id"`
	TargetID   int64       `db:"target_id"`
	State      FollowState `db:"state"`
	// APID is the id of a remote actor's Follow activity; empty for our own follows, whose
	// activity is FollowActivityID.
	APID             string     `db:"ap_id"`
	FollowActivityID *int64     `db:"follow_activity_id"`
	CreatedAt        time.Time  `db:"created_at"`
	AcceptedAt       *time.Time `db:"accepted_at"`
}

const followColumns = `fo.id, fo.follower_id, fo.target_id, fo.state, coalesce(fo.ap_id, '') AS ap_id,
	fo.follow_activity_id, fo.created_at, fo.accepted_at`

func queryFollow(ctx context.Context, tx pgx.Tx, where string, args ...any) (Follow, error) {
	rows, err := tx.Query(ctx, "SELECT "+followColumns+" FROM follows fo WHERE "+where, args...)
	if err != nil {
		return Follow{}, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Follow])
}

// RemoteFollow is a Follow received from another server, already verified by the inbox: the
// signer is the follower.
type RemoteFollow struct {
	FollowerID int64  // the remote actor who follows
	TargetID   int64  // the local member, category or thread actor followed
	APID       string // the Follow activity's id
}

// AddRemoteFollower records a remote actor's Follow of a local actor and decides it: categories a
// guest may read and visible threads accept at once, members accept at once unless they approve
// their followers (then the follow waits in FollowPending for AcceptFollow or RejectFollow), and
// everything else (a category or thread guests cannot read, the instance actor) is rejected. An
// Accept or Reject is recorded for the outbox to send. A repeated Follow of the same target (a
// peer that lost our Accept) updates the activity id and is answered again. The first follow
// from a domain whose software Stoa does not know yet queues a NodeInfo probe (ProbeDomainArgs),
// since forum peers receive more of a category's activity than microblogs do.
func (f *Forum) AddRemoteFollower(ctx context.Context, in RemoteFollow) (Follow, error) {
	if in.APID == "" || len(in.APID) > maxRemoteURL {
		return Follow{}, Invalid("id", "a Follow needs an id of at most %d characters", maxRemoteURL)
	}
	var out Follow
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		follower, err := f.queryActor(ctx, tx, "a.id = $1", in.FollowerID)
		if err != nil {
			return notFound(err, "follower")
		}
		if follower.Local() {
			return Invalid("actor", "a remote Follow must come from a remote actor")
		}
		if follower.DeletedAt != nil || follower.SuspendedAt != nil || follower.DomainLimit == LimitSuspend {
			return fmt.Errorf("follower %s: %w", follower.APID, ErrForbidden)
		}
		target, err := f.queryActor(ctx, tx, "a.id = $1 FOR UPDATE", in.TargetID)
		if err != nil {
			return notFound(err, "followed actor")
		}
		decision, err := f.decideFollow(ctx, tx, target)
		if err != nil {
			return err
		}
		if decision == FollowRejected {
			// Nothing is stored: a refused follow is answered and forgotten.
			if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 AND target_id = $2`, follower.ID, target.ID); err != nil {
				return err
			}
			out = Follow{FollowerID: follower.ID, TargetID: target.ID, State: FollowRejected, APID: in.APID}
			_, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbReject, ActorID: target.ID, TargetActorID: &follower.ID,
				ObjectAPID: in.APID})
			return err
		}
		out, err = upsertRemoteFollow(ctx, tx, follower.ID, target.ID, in.APID, decision)
		if err != nil {
			return err
		}
		if err := f.probeDomainOnce(ctx, tx, follower.Domain); err != nil {
			return err
		}
		if out.State != FollowAccepted {
			return nil
		}
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbAccept, ActorID: target.ID, FollowID: &out.ID,
			TargetActorID: &follower.ID, ObjectAPID: in.APID})
		return err
	})
	if err != nil {
		return Follow{}, fmt.Errorf("follow of actor %d by %d: %w", in.TargetID, in.FollowerID, err)
	}
	return out, nil
}

// decideFollow says how a follow of a local actor is answered.
func (f *Forum) decideFollow(ctx context.Context, tx pgx.Tx, target Actor) (FollowState, error) {
	if !target.Local() {
		return "", Invalid("object", "only local actors can be followed here")
	}
	if target.DeletedAt != nil {
		return "", fmt.Errorf("actor %s: %w", target.Username, ErrGone)
	}
	if target.SuspendedAt != nil {
		return FollowRejected, nil
	}
	switch target.Kind {
	case ActorPerson:
		if target.ManuallyApprovesFollowers {
			return FollowPending, nil
		}
		return FollowAccepted, nil
	case ActorGroup:
		rows, err := tx.Query(ctx, "SELECT "+categoryColumns+" FROM categories c WHERE c.actor_id = $1", target.ID)
		if err != nil {
			return "", err
		}
		c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Category])
		if err != nil {
			return "", notFound(err, "category of actor "+target.Username)
		}
		return guestFollowable(ctx, f, c)
	case ActorThread:
		var visible bool
		var catID int64
		err := tx.QueryRow(ctx, `SELECT deleted_at IS NULL AND hidden_at IS NULL AND ap_id IS NULL, category_id
			FROM threads WHERE actor_id = $1`, target.ID).Scan(&visible, &catID)
		if err != nil {
			return "", notFound(err, "thread of actor "+target.Username)
		}
		if !visible {
			return FollowRejected, nil
		}
		c, err := categoryByIDOn(ctx, tx, catID)
		if err != nil {
			return "", err
		}
		return guestFollowable(ctx, f, c)
	}
	// The instance actor publishes nothing to follow.
	return FollowRejected, nil
}

// guestFollowable accepts follows of what a guest may read and rejects the rest: a follower on
// another server is no more than a guest here, and what it receives it may show to anyone.
func guestFollowable(ctx context.Context, f *Forum, c Category) (FollowState, error) {
	p, err := f.Permissions(ctx, Guest, c)
	if err != nil {
		return "", err
	}
	if !p.See {
		return FollowRejected, nil
	}
	return FollowAccepted, nil
}

// upsertRemoteFollow stores the follow in the decided state; an existing accepted follow stays
// accepted (a repeated Follow is answered again, never demoted to pending).
func upsertRemoteFollow(ctx context.Context, tx pgx.Tx, followerID, targetID int64, apID string, state FollowState) (Follow, error) {
	// Another pair holding this Follow id would be a peer reusing ids; refuse rather than move it.
	var other int64
	err := tx.QueryRow(ctx, `SELECT id FROM follows WHERE ap_id = $1 AND NOT (follower_id = $2 AND target_id = $3)`,
		apID, followerID, targetID).Scan(&other)
	if err == nil {
		return Follow{}, fmt.Errorf("follow id %s is used by another follow: %w", apID, ErrConflict)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Follow{}, err
	}
	rows, err := tx.Query(ctx, `INSERT INTO follows AS fo (follower_id, target_id, state, ap_id, accepted_at)
		VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'accepted' THEN now() END)
		ON CONFLICT (follower_id, target_id) DO UPDATE SET ap_id = EXCLUDED.ap_id,
			state = CASE WHEN fo.state = 'accepted' THEN 'accepted' ELSE EXCLUDED.state END,
			accepted_at = coalesce(fo.accepted_at, EXCLUDED.accepted_at)
		RETURNING `+followColumns, followerID, targetID, state, apID)
	if err != nil {
		return Follow{}, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Follow])
}

// AcceptFollow accepts a pending follow of a member who approves followers. Only that member (or
// an admin) may; accepting an accepted follow changes nothing.
func (f *Forum) AcceptFollow(ctx context.Context, by Viewer, followID int64) error {
	return f.answerFollow(ctx, by, followID, true)
}

// RejectFollow refuses a pending follow, or removes an accepted follower: the row goes and a
// Reject is sent, as Mastodon does when a member removes a follower.
func (f *Forum) RejectFollow(ctx context.Context, by Viewer, followID int64) error {
	return f.answerFollow(ctx, by, followID, false)
}

func (f *Forum) answerFollow(ctx context.Context, by Viewer, followID int64, accept bool) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := actingMember(ctx, tx, by)
		if err != nil {
			return err
		}
		fo, err := queryFollow(ctx, tx, "fo.id = $1 FOR UPDATE", followID)
		if err != nil {
			return notFound(err, fmt.Sprintf("follow %d", followID))
		}
		if fo.TargetID != actor.ActorID && !actor.IsAdmin() {
			return fmt.Errorf("answer follow %d: %w", followID, ErrForbidden)
		}
		if fo.APID == "" {
			return Invalid("follow", "only follows from other servers are answered here")
		}
		if accept {
			if fo.State == FollowAccepted {
				return nil
			}
			if _, err := tx.Exec(ctx, `UPDATE follows SET state = 'accepted', accepted_at = now() WHERE id = $1`, fo.ID); err != nil {
				return err
			}
			_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbAccept, ActorID: fo.TargetID, FollowID: &fo.ID,
				TargetActorID: &fo.FollowerID, ObjectAPID: fo.APID})
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE id = $1`, fo.ID); err != nil {
			return err
		}
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbReject, ActorID: fo.TargetID, TargetActorID: &fo.FollowerID,
			ObjectAPID: fo.APID})
		return err
	})
	if err != nil {
		return fmt.Errorf("answer follow %d: %w", followID, err)
	}
	return nil
}

// RemoveFollower applies a remote actor's Undo{Follow}: their follow of target goes. The inbox has
// checked that the signer is the follower (SECURITY.md rule 4). Undoing a follow that does not
// exist is not an error: peers send Undo for follows we may never have stored.
func (f *Forum) RemoveFollower(ctx context.Context, followerID, targetID int64) error {
	_, err := f.db.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 AND target_id = $2
		AND EXISTS (SELECT 1 FROM actors a WHERE a.id = $1 AND a.domain IS NOT NULL)`, followerID, targetID)
	if err != nil {
		return fmt.Errorf("remove follower %d of %d: %w", followerID, targetID, err)
	}
	return nil
}

// FollowRemote makes a member follow a remote actor: the follow waits in FollowPending until the
// remote side accepts (SettleOwnFollow), and a Follow is recorded for the outbox. Following again
// returns the existing follow without sending anything.
func (f *Forum) FollowRemote(ctx context.Context, by Viewer, targetID int64) (Follow, error) {
	var out Follow
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := actingMember(ctx, tx, by)
		if err != nil {
			return err
		}
		target, err := f.queryActor(ctx, tx, "a.id = $1", targetID)
		if err != nil {
			return notFound(err, "actor to follow")
		}
		switch {
		case target.Local():
			return Invalid("actor", "local actors are followed on this site, not through federation")
		case target.DeletedAt != nil:
			return fmt.Errorf("actor %s: %w", target.APID, ErrGone)
		case target.SuspendedAt != nil || target.DomainLimit == LimitSuspend:
			return fmt.Errorf("actor %s is suspended here: %w", target.APID, ErrForbidden)
		}
		out, err = queryFollow(ctx, tx, "fo.follower_id = $1 AND fo.target_id = $2", actor.ActorID, target.ID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var followID int64
		if err := tx.QueryRow(ctx, `INSERT INTO follows (follower_id, target_id, state) VALUES ($1, $2, 'pending') RETURNING id`,
			actor.ActorID, target.ID).Scan(&followID); err != nil {
			return err
		}
		activityID, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbFollow, ActorID: actor.ActorID, FollowID: &followID,
			TargetActorID: &target.ID})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE follows SET follow_activity_id = $2 WHERE id = $1`, followID, activityID); err != nil {
			return err
		}
		if err := f.probeDomainOnce(ctx, tx, target.Domain); err != nil {
			return err
		}
		out, err = queryFollow(ctx, tx, "fo.id = $1", followID)
		return err
	})
	if err != nil {
		return Follow{}, fmt.Errorf("follow actor %d: %w", targetID, err)
	}
	return out, nil
}

// Unfollow ends a member's follow of a remote actor (pending or accepted) and records the Undo,
// which repeats the original Follow's id. Unfollowing someone not followed changes nothing.
func (f *Forum) Unfollow(ctx context.Context, by Viewer, targetID int64) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := actingMember(ctx, tx, by)
		if err != nil {
			return err
		}
		fo, err := queryFollow(ctx, tx, "fo.follower_id = $1 AND fo.target_id = $2 FOR UPDATE", actor.ActorID, targetID)
		if errors.Is(err, pgx.ErrNoRows) {
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
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbUndoFollow, ActorID: actor.ActorID, TargetActorID: &targetID,
			Details: details})
		return err
	})
	if err != nil {
		return fmt.Errorf("unfollow actor %d: %w", targetID, err)
	}
	return nil
}

// SettleOwnFollow applies a remote actor's Accept (accepted true) or Reject of one of our Follows,
// named by the id of the Follow activity we sent (followActivityID; 0 when the answer did not say
// which, as some servers do). Only the followed actor may answer (SECURITY.md rule 4): remoteID is
// the verified signer. A Reject removes the follow; an Accept of an accepted follow changes nothing.
// It returns the follow as it now stands (State FollowRejected after a Reject).
func (f *Forum) SettleOwnFollow(ctx context.Context, remoteID, followActivityID int64, accepted bool) (Follow, error) {
	var out Follow
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		var fo Follow
		var err error
		if followActivityID != 0 {
			fo, err = queryFollow(ctx, tx, "fo.follow_activity_id = $1 FOR UPDATE", followActivityID)
		} else {
			// Without the Follow's id, the answer can only mean the one pending follow of this actor
			// by a local member; several would be ambiguous.
			rows, qerr := tx.Query(ctx, "SELECT "+followColumns+` FROM follows fo JOIN actors a ON a.id = fo.follower_id
				WHERE fo.target_id = $1 AND a.domain IS NULL AND fo.state = 'pending' FOR UPDATE OF fo`, remoteID)
			if qerr != nil {
				return qerr
			}
			var all []Follow
			if all, err = pgx.CollectRows(rows, pgx.RowToStructByName[Follow]); err == nil {
				switch len(all) {
				case 0:
					err = pgx.ErrNoRows
				case 1:
					fo = all[0]
				default:
					return Invalid("object", "the answer does not say which of %d follows it settles", len(all))
				}
			}
		}
		if err != nil {
			return notFound(err, "follow to settle")
		}
		if fo.TargetID != remoteID {
			return fmt.Errorf("only the followed actor may answer a follow: %w", ErrForbidden)
		}
		if !accepted {
			if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE id = $1`, fo.ID); err != nil {
				return err
			}
			fo.State = FollowRejected
			out = fo
			return nil
		}
		rows, err := tx.Query(ctx, `UPDATE follows fo SET state = 'accepted', accepted_at = coalesce(accepted_at, now())
			WHERE id = $1 RETURNING `+followColumns, fo.ID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Follow])
		return err
	})
	if err != nil {
		return Follow{}, fmt.Errorf("settle follow of actor %d: %w", remoteID, err)
	}
	return out, nil
}

// FollowByID loads one follow.
func (f *Forum) FollowByID(ctx context.Context, id int64) (Follow, error) {
	rows, err := f.db.Query(ctx, "SELECT "+followColumns+" FROM follows fo WHERE fo.id = $1", id)
	if err != nil {
		return Follow{}, fmt.Errorf("follow %d: %w", id, err)
	}
	fo, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Follow])
	if err != nil {
		return Follow{}, notFound(err, fmt.Sprintf("follow %d", id))
	}
	return fo, nil
}

// FollowBetween loads the follow of target by follower, in whatever state.
func (f *Forum) FollowBetween(ctx context.Context, followerID, targetID int64) (Follow, error) {
	rows, err := f.db.Query(ctx, "SELECT "+followColumns+" FROM follows fo WHERE fo.follower_id = $1 AND fo.target_id = $2",
		followerID, targetID)
	if err != nil {
		return Follow{}, fmt.Errorf("follow of %d by %d: %w", targetID, followerID, err)
	}
	fo, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Follow])
	if err != nil {
		return Follow{}, notFound(err, fmt.Sprintf("follow of %d by %d", targetID, followerID))
	}
	return fo, nil
}

// FollowRequest is a pending follow of a member, with who asked.
type FollowRequest struct {
	Follow
	FollowerAPID   string `db:"follower_ap_id"`
	FollowerHandle string `db:"follower_handle"`
	FollowerName   string `db:"follower_name"`
}

// FollowRequests lists the pending follows of a member, newest first, keyset-paged by follow id
// (before 0: from the newest). Only the member and admins may see them.
func (f *Forum) FollowRequests(ctx context.Context, by Viewer, memberID, before int64, limit int) ([]FollowRequest, error) {
	if by.ActorID != memberID && !by.IsAdmin() {
		return nil, fmt.Errorf("follow requests of %d: %w", memberID, ErrForbidden)
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	if limit <= 0 || limit > MaxCollectionPage {
		limit = MaxCollectionPage
	}
	rows, err := f.db.Query(ctx, `SELECT `+followColumns+`, coalesce(a.ap_id, '') AS follower_ap_id,
			a.username || '@' || coalesce(a.domain, '') AS follower_handle, a.display_name AS follower_name
		FROM (SELECT * FROM follows WHERE target_id = $1 AND state = 'pending' AND id < $2 ORDER BY id DESC LIMIT $3) fo
		JOIN actors a ON a.id = fo.follower_id
		ORDER BY fo.id DESC`, memberID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("follow requests of %d: %w", memberID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[FollowRequest])
	if err != nil {
		return nil, fmt.Errorf("follow requests of %d: %w", memberID, err)
	}
	return list, nil
}

// DropGoneInbox applies a 410 Gone from an inbox. An actor's own inbox that is gone means the actor
// is: it is marked deleted and its follows (both ways) go. A shared inbox that is gone means the
// server no longer takes deliveries: the follows of every actor it served go, so nothing more is
// queued for it. Returns the number of follows removed.
func (f *Forum) DropGoneInbox(ctx context.Context, inbox string) (int64, error) {
	var n int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE actors SET deleted_at = coalesce(deleted_at, now())
			WHERE inbox_url = $1 AND domain IS NOT NULL`, inbox); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM follows fo USING actors a
			WHERE a.domain IS NOT NULL AND (a.inbox_url = $1 OR a.shared_inbox_url = $1)
			  AND (fo.follower_id = a.id OR fo.target_id = a.id)`, inbox)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("drop follows of gone inbox %s: %w", inbox, err)
	}
	return n, nil
}
