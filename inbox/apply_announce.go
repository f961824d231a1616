package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyAnnounce handles the two things an Announce means to Stoa. A boost of one of Stoa's posts by
// anyone is counted. A remote Group that members here follow (a Lemmy community, a NodeBB
// category) relays what happens in it: new threads and replies (Announce of a Create, or of the
// post itself as NodeBB and older Lemmy do), edits, deletions, likes and moderation (Announce of
// the activity); those are applied to the Group's mirror category. Any other Announce (a person
// boosting someone else's post) is not for a forum.
func applyAnnounce(ctx context.Context, a *apply) error {
	if a.via != nil {
		return ignore("an Announce inside an Announce")
	}
	ref, err := a.object()
	if err != nil {
		return err
	}
	if a.ib.iris.IsLocal(ref.ID) {
		return boost(ctx, a, ref.ID)
	}
	if a.actor.Kind != forum.ActorGroup {
		return ignore("a boost of %s, which is not a post here", ref.ID)
	}
	followed, err := a.ib.forum.FollowedLocally(ctx, a.actor.ID)
	if err != nil {
		return err
	}
	if !followed {
		return ignore("%s relays to nobody here: no member follows it", a.actor.APID)
	}
	if _, err := a.ib.forum.EnsureRemoteCategory(ctx, a.actor.ID); err != nil {
		return err
	}
	return relayed(ctx, a, ref)
}

// boost counts an Announce of a local post.
func boost(ctx context.Context, a *apply, iri string) error {
	p, err := a.knownPost(ctx, iri)
	if errors.Is(err, forum.ErrNotFound) {
		return ignore("%s is not a post here", iri)
	}
	if err != nil {
		return err
	}
	created, err := a.ib.forum.BoostRemote(ctx, forum.RemoteReaction{APID: a.act.ID, ActorID: a.actor.ID, PostID: p.PostID})
	if err != nil {
		return err
	}
	if !created {
		return ignore("%s boosted %s already", a.actor.APID, iri)
	}
	return nil
}

// relayed applies what a followed Group relayed. What is embedded is used as sent only when its id
// is on the Group's own origin (the Group's server vouches for it); anything else is fetched from
// its own origin (SECURITY.md rule 3), which is also how an Announce of a bare id is learnt.
func relayed(ctx context.Context, a *apply, ref federation.ObjectRef) error {
	group := a.actor
	raw, typ, trusted := []byte(ref.Raw), ref.Type, a.trusted
	if !a.trustedCopy(ref) {
		doc, err := a.ib.fed.Fetcher.Get(ctx, ref.ID)
		if err != nil {
			return fmt.Errorf("fetch what %s relayed: %w", group.APID, err)
		}
		raw, typ, trusted = doc.Body, doc.Type, origin(doc.URL)
	}
	if postTypes[typ] {
		// The post itself (NodeBB's Announce of a topic's first post): a Create by its author.
		obj, err := federation.DecodeObject(raw)
		if err != nil {
			return err
		}
		if !federation.SameOrigin(obj.ID, obj.AttributedTo) {
			return fmt.Errorf("post %s is attributed to another origin's %s: %w", obj.ID, obj.AttributedTo, forum.ErrForbidden)
		}
		sub := &apply{ib: a.ib, rec: a.rec, act: a.act, actor: a.actor, via: &group, trusted: trusted}
		_, created, err := sub.storePost(ctx, obj, 0, 0)
		if err != nil {
			return err
		}
		if !created {
			return ignore("%s was stored already", obj.ID)
		}
		return nil
	}
	inner, err := federation.DecodeActivity(raw)
	if err != nil {
		return err
	}
	if !inner.Supported {
		return ignore("%s relayed a %s, which Stoa does not handle", group.APID, inner.Type)
	}
	if !federation.SameOrigin(inner.ID, inner.Actor) {
		return fmt.Errorf("relayed activity %s is not on its actor's origin: %w", inner.ID, forum.ErrForbidden)
	}
	if a.ib.iris.IsLocal(inner.Actor) {
		return ignore("%s relayed our own activity back", group.APID)
	}
	actor, err := a.ib.fed.Actors.Resolve(ctx, inner.Actor)
	if err != nil {
		return fmt.Errorf("actor of relayed %s: %w", inner.ID, err)
	}
	if a.ib.blockedActor(ctx, actor) {
		return ignore("%s relayed an activity of %s, which is blocked", group.APID, actor.Domain)
	}
	sub := &apply{ib: a.ib, rec: a.rec, act: inner, actor: actor, via: &group, trusted: trusted}
	return sub.run(ctx)
}
