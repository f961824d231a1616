package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// Turning a post object into a stored post: where it comes from (trusted copy or fetched), who
// wrote it, and where it goes (the thread of the post it answers, fetched upwards when unknown,
// or a new thread in the category it is addressed to).

// maxParentDepth bounds how far up an unknown reply chain the inbox fetches (SECURITY.md rule 15),
// within the activity's fetch budget: each level costs a fetch of the post and maybe its author.
const maxParentDepth = 12

// postObject returns the post a reference names: the embedded copy when its id is on the trusted
// origin, else the document fetched from the id's own origin (SECURITY.md rule 3). A post is
// attributed to an actor of its own origin, or it is refused: a server speaks for its own people.
func (a *apply) postObject(ctx context.Context, ref federation.ObjectRef) (federation.Object, error) {
	if a.ib.iris.IsLocal(ref.ID) {
		return federation.Object{}, fmt.Errorf("object %s is on this instance: %w", ref.ID, forum.ErrForbidden)
	}
	raw := []byte(ref.Raw)
	if !a.trustedCopy(ref) {
		doc, err := a.ib.fed.Fetcher.Get(ctx, ref.ID)
		if err != nil {
			return federation.Object{}, fmt.Errorf("fetch %s: %w", ref.ID, err)
		}
		raw = doc.Body
	}
	obj, err := federation.DecodeObject(raw)
	if err != nil {
		return federation.Object{}, err
	}
	if origin(obj.ID) != origin(ref.ID) {
		return federation.Object{}, fmt.Errorf("object %s came back as %s: %w", ref.ID, obj.ID, forum.ErrForbidden)
	}
	if !federation.SameOrigin(obj.ID, obj.AttributedTo) {
		return federation.Object{}, fmt.Errorf("post %s is attributed to %s, on another origin: %w", obj.ID, obj.AttributedTo, forum.ErrForbidden)
	}
	return obj, nil
}

// fetchPost fetches a post from its origin (a parent nobody sent us).
func (a *apply) fetchPost(ctx context.Context, iri string) (federation.Object, error) {
	return a.postObject(ctx, federation.ObjectRef{ID: iri})
}

// author resolves a post's author: from the actor cache, or fetched from its origin.
func (a *apply) author(ctx context.Context, obj federation.Object) (forum.Actor, error) {
	if obj.AttributedTo == a.actor.APID {
		return a.actor, nil
	}
	return a.ib.fed.Actors.Resolve(ctx, obj.AttributedTo)
}

// storePost stores a remote post where it belongs and returns its id. inboundID is the received
// activity that carried it (0 for a parent fetched on the way). depth counts the parents fetched
// so far.
func (a *apply) storePost(ctx context.Context, obj federation.Object, inboundID int64, depth int) (int64, bool, error) {
	// Asked first to spare the fetches a stored post does not need. A reply by the signer to a
	// post of this instance needs none, and CreateRemotePost asks the same under the post's
	// lock: the commonest activity skips this round trip.
	if !a.fetchFree(obj) {
		stored, dead, err := a.ib.forum.RemotePostKnown(ctx, obj.ID)
		switch {
		case err != nil:
			return 0, false, err
		case dead:
			return 0, false, ignore("%s was deleted by its origin", obj.ID)
		case stored != 0:
			return stored, false, nil
		}
	}
	if !public(obj.To, obj.CC, obj.Audience) {
		return 0, false, ignore("%s is not public: forum threads are", obj.ID)
	}
	author, err := a.author(ctx, obj)
	if err != nil {
		return 0, false, fmt.Errorf("author of %s: %w", obj.ID, err)
	}
	in := forum.RemotePost{APID: obj.ID, URL: obj.URL, AuthorID: author.ID, HTML: postHTML(obj), Summary: obj.Summary,
		Sensitive: obj.Sensitive, Published: obj.Published, Updated: obj.Updated, Mentions: a.localMentions(obj), InboundID: inboundID}
	opener, err := a.localThreadOpener(ctx, obj)
	if err != nil {
		return 0, false, err
	}
	switch {
	case obj.InReplyTo != "":
		parent, err := a.parentID(ctx, obj.InReplyTo, depth+1)
		if err != nil {
			return 0, false, err
		}
		in.InReplyToID = parent
	case opener != 0:
		in.InReplyToID = opener
	default:
		cat, err := a.categoryFor(ctx, obj)
		if err != nil {
			return 0, false, err
		}
		in.Thread = &forum.RemoteThread{CategoryID: cat.ID, Title: obj.Name}
		if !cat.Local() {
			in.Thread.APID = a.threadID(obj)
		}
	}
	if depth == 0 && a.finishes {
		in.Finishes = a.rec.ID
	}
	var id int64
	var created bool
	if g := grouperFrom(ctx); g != nil && depth == 0 {
		// A parent fetched on the way (depth > 0) is stored at once: its reply needs its id.
		res := g.add(in)
		id, created, err = res.ID, res.Created, res.Err
	} else {
		id, created, err = a.ib.forum.CreateRemotePost(ctx, in)
	}
	a.finished = a.finished || (created && in.Finishes != 0)
	return id, created, err
}

// localThreadOpener is the opening post of the thread here that obj names as its context while
// answering no post in particular (NodeBB, Discourse and other FEP-7888 peers may send a reply so,
// with inReplyTo null): it is a reply to that thread, not a new one. 0 when obj has a parent, or
// its context is not a thread here.
func (a *apply) localThreadOpener(ctx context.Context, obj federation.Object) (int64, error) {
	if obj.InReplyTo != "" || obj.Context == "" || !a.ib.iris.IsLocal(obj.Context) {
		return 0, nil
	}
	ref, ok := a.ib.iris.Parse(obj.Context)
	if !ok || ref.Kind != federation.RefThread || ref.Collection != "" {
		return 0, nil
	}
	id, err := a.ib.forum.ThreadOpenerID(ctx, ref.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return 0, ignore("its context %s is no thread here", obj.Context)
	}
	return id, err
}

// threadID is the id a remote thread opened by obj is known by: its context when an origin that
// may name the thread says so (the post's own server, or the Group that relays it or whose
// collection it was synced from), else the post's own id. A thread's id is unique here, so a
// context taken from anyone would let a server claim another community's thread ids, present or
// future, before that community's Group relays them (SECURITY.md rule 3).
func (a *apply) threadID(obj federation.Object) string {
	if obj.Context == "" {
		return obj.ID
	}
	ctxOrigin := origin(obj.Context)
	group := a.via
	if group == nil && a.actor.Kind == forum.ActorGroup {
		group = &a.actor // a synced thread (groupApply) or a Group's own post
	}
	if ctxOrigin != "" && (ctxOrigin == origin(obj.ID) || group != nil && ctxOrigin == origin(group.APID)) {
		return obj.Context
	}
	return obj.ID
}

// fetchFree reports whether storing a post needs nothing fetched nor looked up first: its author
// is the signer, and it answers a post of this instance (parentID takes the id from the IRI).
func (a *apply) fetchFree(obj federation.Object) bool {
	if obj.AttributedTo != a.actor.APID || obj.InReplyTo == "" {
		return false
	}
	ref, ok := a.localRef(obj.InReplyTo)
	return ok && ref.Kind == federation.RefPost
}

// parentID finds the stored post a reply answers: a local post, a stored remote one, or one
// fetched from its origin now and stored first (with its own unknown parents), so a thread never
// shows a reply without what it answers.
func (a *apply) parentID(ctx context.Context, iri string, depth int) (int64, error) {
	if a.ib.iris.IsLocal(iri) {
		if ref, ok := a.ib.iris.Parse(iri); ok && ref.Kind == federation.RefPost {
			// The post's id is in its IRI, and CreateRemotePost reads the post under the
			// thread's lock anyway (ErrNotFound when there is none): no lookup before it.
			return ref.ID, nil
		}
		p, err := a.knownPost(ctx, iri)
		if err != nil {
			return 0, ignore("it answers %s, which is not a post here", iri)
		}
		return p.PostID, nil
	}
	p, err := a.ib.forum.PostPlaceByAPID(ctx, iri)
	if err == nil {
		return p.PostID, nil
	}
	if !errors.Is(err, forum.ErrNotFound) {
		return 0, err
	}
	if depth > maxParentDepth {
		return 0, ignore("the thread above %s is more than %d posts deep", iri, maxParentDepth)
	}
	parent, err := a.fetchPost(ctx, iri)
	if err != nil {
		return 0, fmt.Errorf("the post it answers: %w", err)
	}
	id, _, err := a.storePost(ctx, parent, 0, depth)
	return id, err
}

// categoryFor decides where a thread-opening post goes: the mirror of the Group that relayed it;
// else a local category it addresses or mentions (a Mastodon post "@general@forum.example ..."
// starts a thread in general); else the mirror of a remote Group in its audience that members
// here follow. A post addressed to none of these is not for this forum.
func (a *apply) categoryFor(ctx context.Context, obj federation.Object) (forum.Category, error) {
	if a.via != nil {
		return a.ib.forum.RemoteCategoryByActor(ctx, a.via.ID)
	}
	var named []string
	named = append(named, obj.Audience...)
	named = append(named, obj.To...)
	named = append(named, obj.CC...)
	for _, m := range obj.Mentions {
		named = append(named, m.Href)
	}
	if obj.ID == a.firstObjectID() {
		named = append(named, a.act.Audience...)
		named = append(named, a.act.To...)
		named = append(named, a.act.CC...)
	}
	for _, iri := range named {
		if ref, ok := a.localRef(iri); ok && ref.Kind == federation.RefCategory && ref.Collection == "" {
			c, err := a.ib.forum.CategoryBySlug(ctx, ref.Name)
			if err == nil {
				return c, nil
			}
			if !errors.Is(err, forum.ErrNotFound) {
				return forum.Category{}, err
			}
		}
	}
	for _, iri := range named {
		if a.ib.iris.IsLocal(iri) || publicCollection[iri] {
			continue
		}
		g, err := a.ib.forum.ActorByAPID(ctx, iri)
		if err != nil || g.Kind != forum.ActorGroup {
			continue
		}
		if c, err := a.ib.forum.RemoteCategoryByActor(ctx, g.ID); err == nil {
			return c, nil
		}
	}
	return forum.Category{}, ignore("%s starts a thread but is addressed to no category here", obj.ID)
}

func (a *apply) firstObjectID() string {
	if o, ok := a.act.FirstObject(); ok {
		return o.ID
	}
	return ""
}
