package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyAnnounce handles the things an Announce means to Stoa. A boost of one of Stoa's posts by
// anyone is counted. A remote Group that members here follow (a Lemmy community, a NodeBB
// category) relays what happens in it: new threads and replies (Announce of a Create, or of the
// post itself as NodeBB and older Lemmy do), edits, deletions, likes and moderation (Announce of
// the activity); those are applied to the Group's mirror category. A remote thread actor that
// members here follow (another Stoa's thread) relays its thread's posts the same way, into the
// mirror of the Group the posts belong to. Any other Announce (a person boosting someone else's
// post) is not for a forum.
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
	if a.actor.Kind != forum.ActorGroup && a.actor.Kind != forum.ActorService {
		return ignore("a boost of %s, which is not a post here", ref.ID)
	}
	followed, err := a.ib.forum.FollowedLocally(ctx, a.actor.ID)
	if err != nil {
		return err
	}
	if !followed {
		return ignore("%s relays to nobody here: no member follows it", a.actor.APID)
	}
	doc, err := a.relayedDocument(ctx, ref)
	if err != nil {
		return err
	}
	group := a.actor
	if a.actor.Kind == forum.ActorService {
		if group, err = a.threadsGroup(ctx, doc); err != nil {
			return err
		}
	}
	if _, err := a.ib.forum.EnsureRemoteCategory(ctx, group.ID); err != nil {
		return err
	}
	err = relayed(ctx, a, group, doc)
	if a.actor.Kind == forum.ActorService && postTypes[doc.typ] {
		// Its followers here followed the thread to hear of its replies: they watch its mirror.
		if werr := a.watchRelayedThread(ctx, doc); werr != nil {
			return werr
		}
	}
	return err
}

// watchRelayedThread has the members who follow a.actor, a remote thread's actor, watch the
// mirror of the thread whose post it relayed (stored just now, or before: a repeat).
func (a *apply) watchRelayedThread(ctx context.Context, doc relayedDoc) error {
	obj, err := federation.DecodeObject(doc.raw)
	if err != nil {
		return nil // relayed refused it already
	}
	p, err := a.ib.forum.PostPlaceByAPID(ctx, obj.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return a.ib.forum.WatchForFollowersOf(ctx, a.actor.ID, p.ThreadID)
}

// relayedDoc is what a Group or thread actor relayed, and the origin that vouches for it.
type relayedDoc struct {
	raw     []byte
	typ     string
	trusted federation.Origin
}

// relayedDocument is what an Announce relays. What is embedded is used as sent only when its id
// is on the relayer's own origin (its server vouches for it); anything else is fetched from its
// own origin (SECURITY.md rule 3), which is also how an Announce of a bare id is learnt.
func (a *apply) relayedDocument(ctx context.Context, ref federation.ObjectRef) (relayedDoc, error) {
	if a.trustedCopy(ref) {
		return relayedDoc{raw: []byte(ref.Raw), typ: ref.Type, trusted: a.trusted}, nil
	}
	doc, err := a.ib.fed.Fetcher.Get(ctx, ref.ID)
	if err != nil {
		return relayedDoc{}, fmt.Errorf("fetch what %s relayed: %w", a.actor.APID, err)
	}
	return relayedDoc{raw: doc.Body, typ: doc.Type, trusted: origin(doc.URL)}, nil
}

// threadsGroup is the Group whose thread a remote thread actor relays a post or activity of: the
// one in its audience on the thread actor's own server (a thread speaks only for its own forum).
func (a *apply) threadsGroup(ctx context.Context, doc relayedDoc) (forum.Actor, error) {
	var audience []string
	if postTypes[doc.typ] {
		obj, err := federation.DecodeObject(doc.raw)
		if err != nil {
			return forum.Actor{}, err
		}
		audience = obj.Audience
	} else {
		act, err := federation.DecodeActivity(doc.raw)
		if err != nil {
			return forum.Actor{}, err
		}
		audience = act.Audience
	}
	for _, iri := range audience {
		if !federation.SameOrigin(iri, a.actor.APID) {
			continue
		}
		g, err := a.ib.fed.Actors.Resolve(ctx, iri)
		if err != nil {
			return forum.Actor{}, fmt.Errorf("the community of what %s relayed: %w", a.actor.APID, err)
		}
		if g.Kind == forum.ActorGroup {
			return g, nil
		}
	}
	return forum.Actor{}, ignore("%s relayed something of no community on its server", a.actor.APID)
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

// relayedByGroup applies what a.actor, a followed Group, relayed (ref, fetched unless vouched for).
func (a *apply) relayedByGroup(ctx context.Context, ref federation.ObjectRef) error {
	doc, err := a.relayedDocument(ctx, ref)
	if err != nil {
		return err
	}
	return relayed(ctx, a, a.actor, doc)
}

// relayed applies what a followed Group, or a thread actor of one, relayed: doc, in the Group's
// mirror category.
func relayed(ctx context.Context, a *apply, group forum.Actor, doc relayedDoc) error {
	raw, typ, trusted := doc.raw, doc.typ, doc.trusted
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
		return ignore("%s relayed a %s, which Stoa does not handle", a.actor.APID, inner.Type)
	}
	if !federation.SameOrigin(inner.ID, inner.Actor) {
		return fmt.Errorf("relayed activity %s is not on its actor's origin: %w", inner.ID, forum.ErrForbidden)
	}
	if a.ib.iris.IsLocal(inner.Actor) {
		return ignore("%s relayed our own activity back", a.actor.APID)
	}
	actor, err := a.ib.fed.Actors.Resolve(ctx, inner.Actor)
	if err != nil {
		return fmt.Errorf("actor of relayed %s: %w", inner.ID, err)
	}
	if a.ib.blockedActor(ctx, actor) {
		return ignore("%s relayed an activity of %s, which is blocked", a.actor.APID, actor.Domain)
	}
	sub := &apply{ib: a.ib, rec: a.rec, act: inner, actor: actor, via: &group, trusted: trusted}
	return sub.run(ctx)
}
