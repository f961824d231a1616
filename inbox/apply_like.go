package inbox

import (
	"context"
	"errors"

	"github.com/stoa-forum/stoa/forum"
)

// applyLike counts a Like of a stored post like a member's: once per person, never one's own, the
// author notified, and relayed by a local category to its forum peers. Likes of posts Stoa does
// not hold are ignored: nothing is fetched for them.
func applyLike(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	p, err := a.knownPost(ctx, ref.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return ignore("%s is not a post here", ref.ID)
	}
	if err != nil {
		return err
	}
	created, err := a.ib.forum.LikeRemote(ctx, forum.RemoteReaction{APID: a.act.ID, ActorID: a.actor.ID, PostID: p.PostID,
		InboundID: a.relayID()})
	if err != nil {
		return err
	}
	if !created {
		return ignore("%s liked %s already", a.actor.APID, ref.ID)
	}
	return nil
}

// applyDislike: Stoa has likes only (forum/like.go says why); a downvote changes nothing.
func applyDislike(context.Context, *apply) error {
	return ignore("Stoa counts no dislikes")
}
