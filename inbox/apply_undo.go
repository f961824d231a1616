package inbox

import (
	"context"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyUndo takes back a Follow, Like, Announce (boost), Block or Lock. Only the author of an
// activity may undo it (SECURITY.md rule 4): an embedded object must name the verified actor as
// its actor, and what is looked up by id is only ever the actor's own (every forum call below is
// keyed by the actor). An Undo of an activity Stoa never stored changes nothing.
func applyUndo(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	var inner federation.Activity
	if ref.Embedded() {
		if inner, err = federation.DecodeActivity(ref.Raw); err != nil {
			return err
		}
		if inner.Actor != a.actor.APID {
			return fmt.Errorf("%s undoes an activity of %s: %w", a.actor.APID, inner.Actor, forum.ErrForbidden)
		}
	}
	switch ref.Type {
	case "Follow":
		return undoFollow(ctx, a, ref.ID, inner)
	case "Like", "Dislike":
		return undoLike(ctx, a, ref.ID, inner)
	case "Announce":
		return undoBoost(ctx, a, ref.ID)
	case "Block":
		return undoBlock(ctx, a, ref.ID, inner)
	case "Lock":
		return undoLock(ctx, a, inner)
	case "":
		// Only the id: it can be any of the actor's own follows, likes, boosts or blocks.
		return undoByID(ctx, a, ref.ID)
	}
	return ignore("undoing a %s changes nothing here", ref.Type)
}

func undoFollow(ctx context.Context, a *apply, id string, inner federation.Activity) error {
	if obj, ok := inner.FirstObject(); ok && obj.ID != "" {
		target, err := a.ib.fed.Actors.Resolve(ctx, obj.ID)
		if err != nil || !target.Local() {
			return ignore("%s does not follow anything here named %s", a.actor.APID, obj.ID)
		}
		return a.ib.forum.RemoveFollower(ctx, a.actor.ID, target.ID)
	}
	if _, err := a.ib.forum.RemoveFollowerByAPID(ctx, a.actor.ID, id); err != nil {
		return err
	}
	return nil
}

func undoLike(ctx context.Context, a *apply, id string, inner federation.Activity) error {
	in := forum.RemoteReaction{APID: id, ActorID: a.actor.ID, InboundID: a.relayID()}
	if obj, ok := inner.FirstObject(); ok {
		if p, err := a.knownPost(ctx, obj.ID); err == nil {
			in.PostID = p.PostID
		}
	}
	removed, err := a.ib.forum.UnlikeRemote(ctx, in)
	if err != nil {
		return err
	}
	if !removed {
		return ignore("no like %s to undo", id)
	}
	return nil
}

func undoBoost(ctx context.Context, a *apply, id string) error {
	removed, err := a.ib.forum.UnboostRemote(ctx, a.actor.ID, id)
	if err != nil {
		return err
	}
	if !removed {
		return ignore("no boost %s to undo", id)
	}
	return nil
}

func undoBlock(ctx context.Context, a *apply, id string, inner federation.Activity) error {
	var memberID int64
	if obj, ok := inner.FirstObject(); ok {
		if m, err := a.ib.fed.Actors.Resolve(ctx, obj.ID); err == nil && m.Local() {
			memberID = m.ID
		}
	}
	removed, err := a.ib.forum.UnblockByRemote(ctx, a.actor.ID, id, memberID)
	if err != nil {
		return err
	}
	if !removed {
		return ignore("no block %s to undo", id)
	}
	return nil
}

func undoLock(ctx context.Context, a *apply, inner federation.Activity) error {
	obj, ok := inner.FirstObject()
	if !ok {
		return fmt.Errorf("Undo{Lock} names nothing: %w", federation.ErrMalformed)
	}
	return setLock(ctx, a, obj.ID, false, inner.Summary)
}

// undoByID tries each kind of reversible activity the actor may have made with this id.
func undoByID(ctx context.Context, a *apply, id string) error {
	if ok, err := a.ib.forum.RemoveFollowerByAPID(ctx, a.actor.ID, id); err != nil || ok {
		return err
	}
	if ok, err := a.ib.forum.UnlikeRemote(ctx, forum.RemoteReaction{APID: id, ActorID: a.actor.ID, InboundID: a.relayID()}); err != nil || ok {
		return err
	}
	if ok, err := a.ib.forum.UnboostRemote(ctx, a.actor.ID, id); err != nil || ok {
		return err
	}
	if ok, err := a.ib.forum.UnblockByRemote(ctx, a.actor.ID, id, 0); err != nil || ok {
		return err
	}
	return ignore("nothing of %s's here has the id %s", a.actor.APID, id)
}
