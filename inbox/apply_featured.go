package inbox

import (
	"context"

	"github.com/stoa-forum/stoa/forum"
)

// applyAdd pins a thread of a remote category: Lemmy's Add of a post to the Group's featured
// collection. Adds to the moderators collection change nothing here: the moderators are fetched
// from the Group when they act.
func applyAdd(ctx context.Context, a *apply) error { return featured(ctx, a, true) }

// applyRemove unpins (Remove from the featured collection) or, for NodeBB's Remove of a context
// from its category, takes the thread out of the mirror.
func applyRemove(ctx context.Context, a *apply) error { return featured(ctx, a, false) }

func featured(ctx context.Context, a *apply, add bool) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	opener, err := moderatedThread(ctx, a, ref.ID)
	if err != nil {
		return err
	}
	group, err := a.ib.forum.ActorByID(ctx, opener.GroupID)
	if err != nil {
		return err
	}
	change := forum.RemoteThreadChange{ThreadID: opener.ThreadID, ActorID: a.actor.ID, Reason: a.act.Summary}
	target := ""
	if a.act.Target != nil {
		target = a.act.Target.ID
	}
	switch {
	case target != "" && group.FeaturedURL != "" && target == group.FeaturedURL:
		change.Pin = &add
	case !add && (target == "" || target == group.APID || (a.act.Origin != nil && a.act.Origin.ID == group.APID)):
		change.Remove = true
	default:
		return ignore("%s to %q is not a change Stoa mirrors", a.act.Type, target)
	}
	changed, err := a.ib.forum.ChangeRemoteThread(ctx, change)
	if err != nil {
		return err
	}
	if !changed {
		return ignore("the thread was in that state already")
	}
	return nil
}
