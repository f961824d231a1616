package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/forum"
)

// applyDelete deletes a remote post, a remote thread, or a remote actor, never fetching anything
// (SECURITY.md rule 8: peers send Deletes of accounts and posts to every server they know, most of
// which never held them). A post is deleted by its author, or removed by a moderator of its remote
// Group (Lemmy's Delete with a summary, the reason); an actor deletes only itself. A Delete of a
// post not stored yet leaves a tombstone, so a late Create of it is ignored.
func applyDelete(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	if ref.ID == a.actor.APID {
		if a.via != nil {
			return ignore("an actor's deletion comes from the actor, not from a Group")
		}
		n, err := a.ib.forum.DeleteRemoteActor(ctx, a.actor.ID)
		if err != nil {
			return err
		}
		// Its key no longer verifies anything in this process; other processes see the
		// deletion within the key cache TTL (federation.Actors.ForgetKeysOf).
		a.ib.fed.Actors.ForgetKeysOf(a.actor.APID)
		a.ib.log.InfoContext(ctx, "inbox: remote actor deleted itself", "actor", a.actor.APID, "posts", n)
		return nil
	}
	if a.ib.iris.IsLocal(ref.ID) {
		return removeOurs(ctx, a, ref.ID)
	}
	p, err := a.ib.forum.PostPlaceByAPID(ctx, ref.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return deleteUnknown(ctx, a, ref.ID)
	}
	if err != nil {
		return err
	}
	byModerator := false
	if p.AuthorID != a.actor.ID {
		if p.LocalCategory() {
			return fmt.Errorf("%s deletes a post by someone else: %w", a.actor.APID, forum.ErrForbidden)
		}
		if byModerator, err = a.moderates(ctx, p.GroupID); err != nil {
			return err
		}
		if !byModerator {
			return fmt.Errorf("%s neither wrote %s nor moderates its Group: %w", a.actor.APID, ref.ID, forum.ErrForbidden)
		}
	}
	deleted, err := a.ib.forum.DeleteRemotePost(ctx, forum.RemoteDeletion{PostID: p.PostID, ActorID: a.actor.ID,
		ByModerator: byModerator, Reason: a.act.Summary, InboundID: a.relayID()})
	if err != nil {
		return err
	}
	if !deleted {
		return ignore("%s was deleted already", ref.ID)
	}
	return nil
}

// removeOurs applies a Delete of one of this forum's posts: only a moderator of the remote
// community the post was written in may send one (the post then goes here too, as the community
// removed it); a local post is deleted here, by its author or staff, and nobody elsewhere.
func removeOurs(ctx context.Context, a *apply, iri string) error {
	p, err := a.knownPost(ctx, iri)
	if errors.Is(err, forum.ErrNotFound) {
		return ignore("%s is not a post here", iri)
	}
	if err != nil {
		return err
	}
	if p.LocalCategory() {
		return fmt.Errorf("%s deletes %s, which is ours: %w", a.actor.APID, iri, forum.ErrForbidden)
	}
	ok, err := a.moderates(ctx, p.GroupID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s deletes %s, which is ours, and does not moderate its community: %w", a.actor.APID, iri, forum.ErrForbidden)
	}
	deleted, err := a.ib.forum.DeleteRemotePost(ctx, forum.RemoteDeletion{PostID: p.PostID, ActorID: a.actor.ID,
		ByModerator: true, Reason: a.act.Summary, InboundID: a.relayID()})
	if err != nil {
		return err
	}
	if !deleted {
		return ignore("%s was deleted already", iri)
	}
	return nil
}

// deleteUnknown handles a Delete of something not stored as a post: a remote thread named by its
// context (a moderator's removal of a whole topic), or an object not seen yet, which is tombstoned
// when the deleting actor is on its origin.
func deleteUnknown(ctx context.Context, a *apply, id string) error {
	if opener, err := a.ib.forum.ThreadOpenerPlace(ctx, id); err == nil && !opener.LocalCategory() {
		ok := opener.AuthorID == a.actor.ID
		if !ok {
			if ok, err = a.moderates(ctx, opener.GroupID); err != nil {
				return err
			}
		}
		if !ok {
			return fmt.Errorf("%s may not remove thread %s: %w", a.actor.APID, id, forum.ErrForbidden)
		}
		_, err := a.ib.forum.ChangeRemoteThread(ctx, forum.RemoteThreadChange{ThreadID: opener.ThreadID, ActorID: a.actor.ID,
			Remove: true, Reason: a.act.Summary})
		return err
	}
	if origin(id) != origin(a.actor.APID) {
		return ignore("%s is not stored here", id)
	}
	if err := a.ib.forum.TombstoneRemote(ctx, id); err != nil {
		return err
	}
	return ignore("%s is not stored here; a later Create of it will be ignored", id)
}
