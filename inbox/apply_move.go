package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyMove handles the two Moves peers send. Mastodon's Move of an account (object = the actor
// itself, target = its new account) moves the follows members here had to the new account, once
// the new account, fetched from its own origin, names the old one in alsoKnownAs: without that
// check anyone could redirect an account's followers. NodeBB's Move of a context (a topic moved
// from one category to another, by a moderator) moves the thread between mirrors, or out of view
// when its new category is not followed here.
func applyMove(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	if a.act.Target == nil || a.act.Target.ID == "" {
		return fmt.Errorf("a Move needs a target: %w", federation.ErrMalformed)
	}
	if ref.ID == a.actor.APID {
		return moveAccount(ctx, a, a.act.Target.ID)
	}
	return moveThread(ctx, a, ref.ID, a.act.Target.ID)
}

func moveAccount(ctx context.Context, a *apply, newID string) error {
	if a.via != nil {
		return ignore("an account's Move comes from the account, not from a Group")
	}
	if a.ib.iris.IsLocal(newID) {
		return ignore("a move to an account on this server is made here, not announced")
	}
	target, err := a.ib.fed.Actors.Fetch(ctx, newID)
	if err != nil {
		return fmt.Errorf("fetch the new account %s: %w", newID, err)
	}
	if !slices.Contains(target.AlsoKnownAs, a.actor.APID) {
		return fmt.Errorf("%s does not name %s in alsoKnownAs: %w", newID, a.actor.APID, forum.ErrForbidden)
	}
	n, err := a.ib.forum.MoveRemoteAccount(ctx, a.actor.ID, target.ID)
	if err != nil {
		return err
	}
	a.ib.log.InfoContext(ctx, "inbox: account moved", "from", a.actor.APID, "to", newID, "follows", n)
	return nil
}

func moveThread(ctx context.Context, a *apply, contextID, targetID string) error {
	opener, err := moderatedThread(ctx, a, contextID)
	if err != nil {
		return err
	}
	change := forum.RemoteThreadChange{ThreadID: opener.ThreadID, ActorID: a.actor.ID, Reason: a.act.Summary}
	to, err := a.ib.forum.ActorByAPID(ctx, targetID)
	if err == nil {
		c, cerr := a.ib.forum.RemoteCategoryByActor(ctx, to.ID)
		err = cerr
		change.MoveTo = c.ID
	}
	switch {
	case errors.Is(err, forum.ErrNotFound):
		change.Remove = true // moved somewhere nobody here follows
	case err != nil:
		return err
	}
	changed, err := a.ib.forum.ChangeRemoteThread(ctx, change)
	if err != nil {
		return err
	}
	if !changed {
		return ignore("the thread was there already")
	}
	return nil
}
