package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// actorTypes are the object types of an Update of an actor (a profile change).
var actorTypes = map[string]bool{"Person": true, "Group": true, "Service": true, "Application": true, "Organization": true}

// applyUpdate applies an edit of a post or a change of an actor's profile.
func applyUpdate(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	if actorTypes[ref.Type] || (ref.ID == a.actor.APID) {
		return updateActor(ctx, a, ref)
	}
	if ref.Embedded() && !postTypes[ref.Type] {
		return ignore("Stoa does not store %s objects", ref.Type)
	}
	return updatePost(ctx, a, ref)
}

// updateActor refreshes a remote actor's profile: only the actor itself may (the object is the
// activity's actor), and a pushed Update never changes the key, inbox or collections
// (SECURITY.md rule 5): those change only when the actor is fetched from its origin. A Group's
// mirror category follows its new name and summary.
func updateActor(ctx context.Context, a *apply, ref federation.ObjectRef) error {
	if ref.ID != a.actor.APID {
		return fmt.Errorf("%s updates another actor, %s: %w", a.actor.APID, ref.ID, forum.ErrForbidden)
	}
	if !ref.Embedded() {
		// Only an id: the new profile is on the origin (the fetch also drops the actor's
		// cached key, which it may have changed).
		if _, err := a.ib.fed.Actors.Fetch(ctx, ref.ID); err != nil {
			return err
		}
	} else {
		in, err := federation.DecodeActor(ref.Raw)
		if err != nil {
			return err
		}
		if _, err := a.ib.forum.UpdateRemoteActorProfile(ctx, in); err != nil {
			return err
		}
		// The key is unchanged, but the cached key carries the actor's row: the next
		// verification reads the updated one.
		a.ib.fed.Actors.ForgetKeysOf(a.actor.APID)
	}
	if a.actor.Kind == forum.ActorGroup {
		return a.ib.forum.SyncRemoteCategory(ctx, a.actor.ID)
	}
	return nil
}

// updatePost applies an edit of a stored remote post. Mastodon ignores an Update without an
// updated time, and so does Stoa (it cannot order it against other edits). The editor is the
// author, or a moderator of the remote Group whose thread it is; the previous version is kept in
// the post's history, and a local category relays the edit to its forum peers.
func updatePost(ctx context.Context, a *apply, ref federation.ObjectRef) error {
	obj, err := a.postObject(ctx, ref)
	if errors.Is(err, federation.ErrUnsupportedObject) {
		return ignore("%v", err)
	}
	if err != nil {
		return err
	}
	if obj.Updated.IsZero() {
		return ignore("an Update of %s without an updated time", obj.ID)
	}
	p, err := a.ib.forum.PostPlaceByAPID(ctx, obj.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return ignore("%s is not stored here", obj.ID)
	}
	if err != nil {
		return err
	}
	byModerator := false
	if p.AuthorID != a.actor.ID {
		if p.LocalCategory() {
			return fmt.Errorf("%s edits a post by someone else: %w", a.actor.APID, forum.ErrForbidden)
		}
		if byModerator, err = a.moderates(ctx, p.GroupID); err != nil {
			return err
		}
		if !byModerator {
			return fmt.Errorf("%s neither wrote %s nor moderates its Group: %w", a.actor.APID, obj.ID, forum.ErrForbidden)
		}
	} else if obj.AttributedTo != a.actor.APID {
		return fmt.Errorf("%s is now attributed to %s: %w", obj.ID, obj.AttributedTo, forum.ErrForbidden)
	}
	changed, err := a.ib.forum.EditRemotePost(ctx, forum.RemoteEdit{PostID: p.PostID, EditorID: a.actor.ID, ByModerator: byModerator,
		HTML: postHTML(obj), Title: obj.Name, Summary: obj.Summary, Sensitive: obj.Sensitive, Updated: obj.Updated,
		InboundID: a.relayID()})
	if err != nil {
		return err
	}
	if !changed {
		return ignore("the Update changes nothing (or is older than the last edit)")
	}
	return nil
}
