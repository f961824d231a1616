package inbox

import (
	"context"

	"github.com/stoa-forum/stoa/federation"
)

// applyBlock applies a remote actor's Block of a member here: their follows both ways end and the
// member's activities stop being delivered to the blocker. Lemmy's Block with a target is a ban
// from a community, a moderation act of that community's, not a personal block: it is ignored.
func applyBlock(ctx context.Context, a *apply) error {
	if a.via != nil {
		return ignore("a Block relayed by a Group is a community ban, not a block of a member")
	}
	ref, err := a.object()
	if err != nil {
		return err
	}
	if a.act.Target != nil {
		return ignore("a Block with a target bans someone from a community elsewhere")
	}
	local, ok := a.localRef(ref.ID)
	if !ok || local.Kind != federation.RefMember || local.Collection != "" {
		return ignore("%s is not a member here", ref.ID)
	}
	member, err := a.ib.forum.LocalActorByUsername(ctx, local.Name)
	if err != nil {
		return err
	}
	return a.ib.forum.BlockByRemote(ctx, a.actor.ID, member.ID, a.act.ID)
}
