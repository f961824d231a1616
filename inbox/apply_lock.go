package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/forum"
)

// applyLock locks a thread of a remote category: Lemmy's Lock of a post (the thread's opening
// post) and NodeBB's Lock of a context. Only the Group or its moderators may (SECURITY.md rule 4);
// Lemmy's Lock of a single comment has no equivalent here and is ignored.
func applyLock(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	return setLock(ctx, a, ref.ID, true, a.act.Summary)
}

// setLock locks or unlocks the thread named by an opening post's or a context's id.
func setLock(ctx context.Context, a *apply, id string, locked bool, reason string) error {
	opener, err := moderatedThread(ctx, a, id)
	if err != nil {
		return err
	}
	changed, err := a.ib.forum.ChangeRemoteThread(ctx, forum.RemoteThreadChange{ThreadID: opener.ThreadID, ActorID: a.actor.ID,
		Lock: &locked, Reason: reason})
	if err != nil {
		return err
	}
	if !changed {
		return ignore("the thread was in that state already")
	}
	return nil
}

// moderatedThread finds the thread of a remote category an activity names (by its opening post
// or its context) and checks that the actor moderates its Group.
func moderatedThread(ctx context.Context, a *apply, id string) (forum.PostPlace, error) {
	opener, err := a.ib.forum.ThreadOpenerPlace(ctx, id)
	if errors.Is(err, forum.ErrNotFound) {
		return forum.PostPlace{}, ignore("%s is not a thread here", id)
	}
	if err != nil {
		return forum.PostPlace{}, err
	}
	if opener.LocalCategory() {
		return forum.PostPlace{}, fmt.Errorf("%s moderates a thread of a local category: %w", a.actor.APID, forum.ErrForbidden)
	}
	ok, err := a.moderates(ctx, opener.GroupID)
	if err != nil {
		return forum.PostPlace{}, err
	}
	if !ok {
		return forum.PostPlace{}, fmt.Errorf("%s does not moderate the Group of %s: %w", a.actor.APID, id, forum.ErrForbidden)
	}
	return opener, nil
}
