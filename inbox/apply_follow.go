package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyFollow records a remote actor's Follow of a member, a category or a thread actor. The forum
// decides (public categories and thread actors accept at once, members who approve followers get a
// pending request) and records the Accept or Reject, which the outbox sends. The follower is the
// verified actor: nobody can make someone else follow.
func applyFollow(ctx context.Context, a *apply) error {
	if a.via != nil {
		return ignore("a Follow relayed by a Group is not its actor's own request")
	}
	ref, err := a.object()
	if err != nil {
		return err
	}
	local, ok := a.localRef(ref.ID)
	if !ok || local.Collection != "" || local.Key {
		return ignore("%s is not an actor here", ref.ID)
	}
	switch local.Kind {
	case federation.RefMember, federation.RefCategory, federation.RefThreadActor, federation.RefInstance:
	default:
		return ignore("%s is not an actor here", ref.ID)
	}
	target, err := a.ib.fed.Actors.Resolve(ctx, ref.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return ignore("%s does not exist", ref.ID)
	}
	if err != nil {
		return err
	}
	fo, err := a.ib.forum.AddRemoteFollower(ctx, forum.RemoteFollow{FollowerID: a.actor.ID, TargetID: target.ID, APID: a.act.ID})
	if err != nil {
		return err
	}
	if fo.State == forum.FollowRejected {
		return ignore("the follow of %s was refused", ref.ID)
	}
	return nil
}

// applyAccept settles one of Stoa's own follows: accepted.
func applyAccept(ctx context.Context, a *apply) error { return settleFollow(ctx, a, true) }

// applyReject settles one of Stoa's own follows: refused, the follow goes.
func applyReject(ctx context.Context, a *apply) error { return settleFollow(ctx, a, false) }

// settleFollow applies an Accept or Reject of a Follow a member sent. The object is that Follow,
// embedded or by id; Stoa's Follow ids are /activities/{id}, which names the follow. Only the
// followed actor may answer (SECURITY.md rule 4): forum.SettleOwnFollow checks that the follow's
// target is the verified actor. A Group's acceptance makes its mirror category, so the member sees
// it before its first thread arrives.
func settleFollow(ctx context.Context, a *apply, accepted bool) error {
	if a.via != nil {
		return ignore("an answer to a follow must come from the followed actor itself")
	}
	ref, err := a.object()
	if err != nil {
		return err
	}
	if ref.Embedded() && ref.Type != "" && ref.Type != "Follow" {
		return ignore("%s of a %s: only follows are answered", a.act.Type, ref.Type)
	}
	var followActivity int64
	if local, ok := a.localRef(ref.ID); ok && local.Kind == federation.RefActivity {
		followActivity = local.ID
	} else if ref.Embedded() {
		// Some servers answer with a Follow of their own making; its object must still be the
		// answering actor, and the follow is then found as the one pending to it.
		inner, err := federation.DecodeActivity(ref.Raw)
		if err == nil {
			if obj, ok := inner.FirstObject(); ok && obj.ID != a.actor.APID {
				return fmt.Errorf("%s answers a follow of %s: %w", a.actor.APID, obj.ID, forum.ErrForbidden)
			}
		}
	}
	fo, err := a.ib.forum.SettleOwnFollow(ctx, a.actor.ID, followActivity, accepted)
	if errors.Is(err, forum.ErrNotFound) {
		return ignore("no follow of %s is waiting for an answer", a.actor.APID)
	}
	if err != nil {
		return err
	}
	if fo.State == forum.FollowAccepted && a.actor.Kind == forum.ActorGroup {
		if _, err := a.ib.forum.EnsureRemoteCategory(ctx, a.actor.ID); err != nil {
			return err
		}
		// The threads it began before the follow are read from its outbox (sync_thread.go). Were
		// this process to die right here, the follow would stand without its backfill: the first
		// thread read asks for a sync of its own.
		return a.ib.syncGroup(ctx, a.actor.ID)
	}
	return nil
}
