package federation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stoa-forum/stoa/forum"
)

// Built is a recorded activity's document, ready to store and deliver.
type Built struct {
	Body []byte
	// Signer is the document's actor, whose key signs its deliveries. It is not always the
	// activity's recorder: a moderator's deletion of a post is the author's Delete (Mastodon deletes
	// a status only when its author says so, and a local server speaks for its members), and a
	// report goes out as the instance actor's Flag (Mastodon's shape, which keeps the reporter
	// anonymous).
	Signer forum.Actor
	// Post is the post the activity is about, and Object its document (Create and Update).
	Post   *forum.FederatedPost
	Object *PostObject
	// ObjectID is what the activity is about (a post's id for post activities).
	ObjectID string
	// Group is the local category the activity happens in, when there is one.
	Group *forum.Actor
}

// ActivityDocumentIRI is the id of a document derived from a recorded activity ("announce", ...).
func (i IRIs) ActivityDocument(activityID int64, name string) string {
	return i.Activity(activityID) + "/" + name
}

// Activity builds the document of a recorded activity. resolve lets a post's remote mentions be
// resolved through WebFinger (the fan-out does; serving a document does not). Activities about
// content a guest may not read are refused with an error wrapping forum.ErrNotFound: nothing
// private federates.
func (d *Documents) Activity(ctx context.Context, a forum.Activity, resolve bool) (Built, error) {
	actor, err := d.forum.ActorByID(ctx, a.ActorID)
	if err != nil {
		return Built{}, err
	}
	id := d.iris.Activity(a.ID)
	switch a.Verb {
	case forum.VerbCreate, forum.VerbUpdate:
		if a.PostID == nil {
			return d.actorUpdate(ctx, a, actor)
		}
		return d.postActivity(ctx, a, resolve)
	case forum.VerbDelete:
		if a.PostID == nil {
			return d.actorDelete(a, actor)
		}
		return d.postDelete(ctx, a)
	case forum.VerbLike, forum.VerbUndoLike:
		return d.like(ctx, a, actor)
	case forum.VerbFollow, forum.VerbUndoFollow, forum.VerbBlock, forum.VerbUndoBlock:
		return d.towardsActor(ctx, a, actor)
	case forum.VerbAccept, forum.VerbReject:
		return d.answerFollow(ctx, a, actor)
	case forum.VerbAnnounce:
		return d.relay(ctx, a, actor)
	case forum.VerbFlag:
		return d.flag(ctx, a)
	case forum.VerbMove, forum.VerbLock, forum.VerbUnlock, forum.VerbPin, forum.VerbUnpin:
		return d.threadModeration(ctx, a, actor)
	}
	return Built{}, fmt.Errorf("activity %d (%s): no document for verb %q", a.ID, id, a.Verb)
}

// marshal serializes an envelope into a Built for signer.
func marshal(e envelope, signer forum.Actor, b Built) (Built, error) {
	body, err := e.bytes()
	if err != nil {
		return Built{}, err
	}
	b.Body, b.Signer = body, signer
	return b, nil
}

func (d *Documents) actorID(a forum.Actor) (string, error) { return d.iris.ActorID(a) }

// postActivity is the Create or Update of a local post: the object embedded whole.
func (d *Documents) postActivity(ctx context.Context, a forum.Activity, resolve bool) (Built, error) {
	p, err := d.visiblePost(ctx, *a.PostID)
	if err != nil {
		return Built{}, err
	}
	obj, err := d.PostObject(ctx, p, resolve)
	if err != nil {
		return Built{}, err
	}
	authorID, err := d.actorID(obj.Author)
	if err != nil {
		return Built{}, err
	}
	e := envelope{Type: "Create", ID: d.iris.Activity(a.ID), Actor: authorID, Object: obj.Doc, Published: p.CreatedAt,
		To: anyStrings(obj.Doc["to"]), CC: anyStrings(obj.Doc["cc"]), Audience: asString(obj.Doc["audience"])}
	if a.Verb == forum.VerbUpdate {
		// Mastodon ignores an Update whose object has no updated time.
		if _, ok := obj.Doc["updated"]; !ok {
			obj.Doc["updated"] = a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		e.Type, e.Published = "Update", a.CreatedAt
	}
	b := Built{Post: &p, Object: &obj, ObjectID: obj.ID}
	if obj.Group.Local() {
		b.Group = &obj.Group
	}
	return marshal(e, obj.Author, b)
}

// postDelete is a post's Delete by its author, the object a Tombstone (the post's id then answers
// 410 with the same Tombstone).
func (d *Documents) postDelete(ctx context.Context, a forum.Activity) (Built, error) {
	p, err := d.forum.FederatedPostByID(ctx, *a.PostID)
	if err != nil {
		return Built{}, err
	}
	if p.APID != "" {
		return d.removal(ctx, a, p)
	}
	if !p.Public {
		return Built{}, errNotPublic
	}
	author, err := d.forum.ActorByID(ctx, p.AuthorID)
	if err != nil {
		return Built{}, err
	}
	authorIDs, err := d.iris.Actor(author)
	if err != nil {
		return Built{}, err
	}
	group, err := d.forum.ActorByID(ctx, p.Category.ActorID)
	if err != nil {
		return Built{}, err
	}
	groupID, err := d.actorID(group)
	if err != nil {
		return Built{}, err
	}
	var details struct {
		Reason string `json:"reason"`
	}
	if err := a.DetailsInto(&details); err != nil {
		return Built{}, err
	}
	objectID := d.PostIRI(p.Post)
	tomb := map[string]any{"id": objectID, "type": "Tombstone", "formerType": objectTypeOf(p),
		"deleted": a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
	e := envelope{Type: "Delete", ID: d.iris.Activity(a.ID), Actor: authorIDs.ID, Object: tomb, Published: a.CreatedAt,
		To: []string{PublicCollection}, CC: []string{groupID, authorIDs.Followers}, Audience: groupID, Summary: details.Reason}
	b := Built{Post: &p, ObjectID: objectID}
	if group.Local() {
		b.Group = &group
	}
	return marshal(e, author, b)
}

// removal is a moderator's Delete of a remote post in one of this forum's categories, in Lemmy's
// form: by the moderator (only the author's server can sign as the author), the object the post's
// id, the Group as audience, the reason as summary. The Group announces it to the forums that
// follow it, and the author's server is sent it. A remote post in another server's category is
// that Group's to remove: nothing federates.
func (d *Documents) removal(ctx context.Context, a forum.Activity, p forum.FederatedPost) (Built, error) {
	if !p.Category.Local() || !p.Public {
		return Built{}, fmt.Errorf("post %d is remote, in a category of its own server's: %w", p.ID, forum.ErrNotFound)
	}
	mod, err := d.forum.ActorByID(ctx, a.ActorID)
	if err != nil {
		return Built{}, err
	}
	if !mod.Local() {
		return Built{}, fmt.Errorf("post %d was deleted by its own server: %w", p.ID, forum.ErrNotFound)
	}
	modID, err := d.actorID(mod)
	if err != nil {
		return Built{}, err
	}
	group, err := d.forum.ActorByID(ctx, p.Category.ActorID)
	if err != nil {
		return Built{}, err
	}
	groupID, err := d.actorID(group)
	if err != nil {
		return Built{}, err
	}
	var details struct {
		Reason string `json:"reason"`
	}
	if err := a.DetailsInto(&details); err != nil {
		return Built{}, err
	}
	e := envelope{Type: "Delete", ID: d.iris.Activity(a.ID), Actor: modID, Object: p.APID, Published: a.CreatedAt,
		To: []string{PublicCollection}, CC: []string{groupID, p.Author.AuthorAPID}, Audience: groupID, Summary: details.Reason}
	return marshal(e, mod, Built{Post: &p, ObjectID: p.APID, Group: &group})
}

// like is a Like of a post (local or remote), or the Undo of one, which repeats the Like.
func (d *Documents) like(ctx context.Context, a forum.Activity, actor forum.Actor) (Built, error) {
	if a.PostID == nil {
		return Built{}, fmt.Errorf("%s activity %d names no post", a.Verb, a.ID)
	}
	p, err := d.forum.FederatedPostByID(ctx, *a.PostID)
	if err != nil {
		return Built{}, err
	}
	if !p.Public || p.Hidden() {
		return Built{}, errNotPublic
	}
	actorID, err := d.actorID(actor)
	if err != nil {
		return Built{}, err
	}
	author, err := d.forum.ActorByID(ctx, p.AuthorID)
	if err != nil {
		return Built{}, err
	}
	authorID, err := d.actorID(author)
	if err != nil {
		return Built{}, err
	}
	group, err := d.forum.ActorByID(ctx, p.Category.ActorID)
	if err != nil {
		return Built{}, err
	}
	groupID, err := d.actorID(group)
	if err != nil {
		return Built{}, err
	}
	objectID := d.PostIRI(p.Post)
	like := envelope{Type: "Like", ID: d.iris.Activity(a.ID), Actor: actorID, Object: objectID, Published: a.CreatedAt,
		To: []string{authorID}, CC: []string{groupID}, Audience: groupID}
	b := Built{Post: &p, ObjectID: objectID}
	if group.Local() {
		b.Group = &group
	}
	if a.Verb == forum.VerbLike {
		return marshal(like, actor, b)
	}
	inner := map[string]any{"type": "Like", "actor": actorID, "object": objectID}
	if liked, err := d.forum.LatestActivityOf(ctx, forum.VerbLike, a.ActorID, *a.PostID, a.ID); err == nil {
		inner["id"] = d.iris.Activity(liked.ID)
	}
	undo := envelope{Type: "Undo", ID: d.iris.Activity(a.ID), Actor: actorID, Object: inner, Published: a.CreatedAt,
		To: like.To, CC: like.CC, Audience: groupID}
	return marshal(undo, actor, b)
}

// towardsActor is a Follow or Block of a remote actor, or its Undo.
func (d *Documents) towardsActor(ctx context.Context, a forum.Activity, actor forum.Actor) (Built, error) {
	if a.TargetActorID == nil {
		return Built{}, fmt.Errorf("%s activity %d names no actor", a.Verb, a.ID)
	}
	actorID, err := d.actorID(actor)
	if err != nil {
		return Built{}, err
	}
	targetID, err := d.targetActorID(ctx, a)
	if err != nil {
		return Built{}, err
	}
	id := d.iris.Activity(a.ID)
	b := Built{ObjectID: targetID}
	switch a.Verb {
	case forum.VerbFollow:
		return marshal(envelope{Type: "Follow", ID: id, Actor: actorID, Object: targetID, To: []string{targetID}}, actor, b)
	case forum.VerbBlock:
		return marshal(envelope{Type: "Block", ID: id, Actor: actorID, Object: targetID, To: []string{targetID}}, actor, b)
	}
	var details struct {
		Follow int64 `json:"follow_activity"`
		Block  int64 `json:"block_activity"`
	}
	if err := a.DetailsInto(&details); err != nil {
		return Built{}, err
	}
	inner := map[string]any{"type": "Follow", "actor": actorID, "object": targetID}
	undone := details.Follow
	if a.Verb == forum.VerbUndoBlock {
		inner["type"], undone = "Block", details.Block
	}
	if undone != 0 {
		inner["id"] = d.iris.Activity(undone)
	}
	return marshal(envelope{Type: "Undo", ID: id, Actor: actorID, Object: inner, To: []string{targetID}}, actor, b)
}

// targetActorID is the IRI of the actor an activity is towards (a.TargetActorID, which the
// caller has checked is set).
func (d *Documents) targetActorID(ctx context.Context, a forum.Activity) (string, error) {
	target, err := d.forum.ActorByID(ctx, *a.TargetActorID)
	if err != nil {
		return "", err
	}
	return d.actorID(target)
}

// answerFollow is the Accept or Reject of a remote Follow, embedding it (id, actor, object) as
// Mastodon, Lemmy and GoToSocial expect.
func (d *Documents) answerFollow(ctx context.Context, a forum.Activity, actor forum.Actor) (Built, error) {
	if a.TargetActorID == nil || a.ObjectAPID == "" {
		return Built{}, fmt.Errorf("%s activity %d names no follower or Follow", a.Verb, a.ID)
	}
	actorID, err := d.actorID(actor)
	if err != nil {
		return Built{}, err
	}
	followerID, err := d.targetActorID(ctx, a)
	if err != nil {
		return Built{}, err
	}
	typ := "Accept"
	if a.Verb == forum.VerbReject {
		typ = "Reject"
	}
	follow := map[string]any{"id": a.ObjectAPID, "type": "Follow", "actor": followerID, "object": actorID}
	return marshal(envelope{Type: typ, ID: d.iris.Activity(a.ID), Actor: actorID, Object: follow, To: []string{followerID}},
		actor, Built{ObjectID: a.ObjectAPID})
}

// relay is a category's Announce of an activity it received and accepted (FEP-1b12): the
// received bytes embedded unchanged.
func (d *Documents) relay(ctx context.Context, a forum.Activity, group forum.Actor) (Built, error) {
	var details struct {
		Inbound int64 `json:"inbound"`
	}
	if err := a.DetailsInto(&details); err != nil {
		return Built{}, err
	}
	if details.Inbound == 0 {
		return Built{}, fmt.Errorf("announce activity %d names no inbound activity", a.ID)
	}
	payload, err := d.forum.InboundActivityPayload(ctx, details.Inbound)
	if err != nil {
		return Built{}, err
	}
	if !json.Valid(payload) {
		return Built{}, fmt.Errorf("inbound activity %d is not JSON", details.Inbound)
	}
	groupIDs, err := d.iris.Actor(group)
	if err != nil {
		return Built{}, err
	}
	var env struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(payload, &env)
	b := Built{ObjectID: env.ID, Group: &group}
	if a.PostID != nil {
		if p, err := d.forum.FederatedPostByID(ctx, *a.PostID); err == nil {
			if !p.Public {
				return Built{}, errNotPublic
			}
			b.Post = &p
		}
	}
	e := envelope{Type: "Announce", ID: d.iris.Activity(a.ID), Actor: groupIDs.ID, Object: json.RawMessage(payload),
		Published: a.CreatedAt, To: []string{PublicCollection}, CC: []string{groupIDs.Followers}, Audience: groupIDs.ID}
	return marshal(e, group, b)
}

// flag is a report forwarded to the reported account's server: the instance actor's Flag whose
// object lists the account and the reported posts (Mastodon's shape). Details: "comment", and
// "objects" (ids of reported posts) besides the activity's post.
func (d *Documents) flag(ctx context.Context, a forum.Activity) (Built, error) {
	if a.TargetActorID == nil {
		return Built{}, fmt.Errorf("flag activity %d names no account", a.ID)
	}
	targetID, err := d.targetActorID(ctx, a)
	if err != nil {
		return Built{}, err
	}
	instance, err := d.forum.InstanceActor(ctx)
	if err != nil {
		return Built{}, err
	}
	var details struct {
		Comment string   `json:"comment"`
		Objects []string `json:"objects"`
	}
	if err := a.DetailsInto(&details); err != nil {
		return Built{}, err
	}
	objects := []string{targetID}
	if a.PostID != nil {
		if p, err := d.forum.FederatedPostByID(ctx, *a.PostID); err == nil {
			objects = append(objects, d.PostIRI(p.Post))
		}
	}
	for _, o := range details.Objects {
		if isAbsoluteHTTP(o) {
			objects = append(objects, o)
		}
	}
	e := envelope{Type: "Flag", ID: d.iris.Activity(a.ID), Actor: d.iris.Instance(), Object: objects, Content: details.Comment,
		To: []string{targetID}, Published: a.CreatedAt}
	return marshal(e, instance, Built{ObjectID: targetID})
}

// threadModeration is a moderator's Move of a thread (NodeBB's Move of a context, origin and
// target the categories), Lock or Undo{Lock} of its opener (Lemmy's), or Add/Remove of the opener
// to the category's featured collection (Lemmy's pin).
func (d *Documents) threadModeration(ctx context.Context, a forum.Activity, actor forum.Actor) (Built, error) {
	if a.ThreadID == nil {
		return Built{}, fmt.Errorf("%s activity %d names no thread", a.Verb, a.ID)
	}
	t, err := d.forum.FederatedThreadByID(ctx, *a.ThreadID)
	if err != nil {
		return Built{}, err
	}
	group, err := d.forum.ActorByID(ctx, t.Category.ActorID)
	if err != nil {
		return Built{}, err
	}
	groupIDs, err := d.iris.Actor(group)
	if err != nil {
		return Built{}, err
	}
	actorID, err := d.actorID(actor)
	if err != nil {
		return Built{}, err
	}
	openerID, err := d.forum.ThreadOpenerID(ctx, t.ID)
	if err != nil {
		return Built{}, err
	}
	opener := d.iris.Post(openerID)
	id := d.iris.Activity(a.ID)
	e := envelope{ID: id, Actor: actorID, Object: opener, Published: a.CreatedAt, To: []string{PublicCollection},
		CC: []string{groupIDs.ID}, Audience: groupIDs.ID}
	b := Built{ObjectID: opener, Group: &group}
	switch a.Verb {
	case forum.VerbLock:
		e.Type = "Lock"
		var details struct {
			Reason string `json:"reason"`
		}
		if err := a.DetailsInto(&details); err != nil {
			return Built{}, err
		}
		e.Summary = details.Reason
	case forum.VerbUnlock:
		e.Type = "Undo"
		e.Object = map[string]any{"type": "Lock", "actor": actorID, "object": opener}
	case forum.VerbPin, forum.VerbUnpin:
		e.Type, e.Target = "Add", groupIDs.Featured
		if a.Verb == forum.VerbUnpin {
			e.Type = "Remove"
		}
	case forum.VerbMove:
		var details struct {
			From int64 `json:"from"`
		}
		if err := a.DetailsInto(&details); err != nil {
			return Built{}, err
		}
		from, err := d.forum.CategoryByID(ctx, details.From)
		if err != nil {
			return Built{}, err
		}
		e.Type, e.Object = "Move", d.iris.Thread(t.ID)
		e.Origin, e.Target = d.iris.Category(from.Slug), groupIDs.ID
		e.CC = append(e.CC, e.Origin)
		b.ObjectID = d.iris.Thread(t.ID)
	}
	return marshal(e, actor, b)
}

// actorUpdate is an Update of a local actor's document (profile or category change), sent to its
// followers so their copies change.
func (d *Documents) actorUpdate(ctx context.Context, a forum.Activity, actor forum.Actor) (Built, error) {
	doc, err := d.ActorDocument(ctx, actor)
	if err != nil {
		return Built{}, err
	}
	delete(doc, "@context")
	ids, err := d.iris.Actor(actor)
	if err != nil {
		return Built{}, err
	}
	e := envelope{Type: "Update", ID: d.iris.Activity(a.ID), Actor: ids.ID, Object: doc, Published: a.CreatedAt,
		To: []string{PublicCollection}, CC: []string{ids.Followers}}
	return marshal(e, actor, Built{ObjectID: ids.ID})
}

// actorDelete is a local actor's Delete of itself.
func (d *Documents) actorDelete(a forum.Activity, actor forum.Actor) (Built, error) {
	ids, err := d.iris.Actor(actor)
	if err != nil {
		return Built{}, err
	}
	e := envelope{Type: "Delete", ID: d.iris.Activity(a.ID), Actor: ids.ID, Object: ids.ID, Published: a.CreatedAt,
		To: []string{PublicCollection}, CC: []string{ids.Followers}}
	return marshal(e, actor, Built{ObjectID: ids.ID})
}

// ActorDocument is the full document of a local member, category or thread actor.
func (d *Documents) ActorDocument(ctx context.Context, a forum.Actor) (map[string]any, error) {
	var in actorInput
	switch a.Kind {
	case forum.ActorPerson:
		p, err := d.forum.LocalPersonByUsername(ctx, a.Username)
		if err != nil {
			return nil, err
		}
		in = personInput(d.iris, p)
	case forum.ActorGroup:
		// Only a published category's Group is sent or served: an Update of a private one would
		// tell anyone walking /activities/N its name and description.
		c, err := d.forum.PublishedCategoryBySlug(ctx, a.Username)
		if err != nil {
			return nil, err
		}
		in = groupInput(d.iris, c, a)
	case forum.ActorThread:
		id, ok := forum.ThreadIDFromActorUsername(a.Username)
		if !ok {
			return nil, fmt.Errorf("thread actor %q: %w", a.Username, forum.ErrNotFound)
		}
		ta, err := d.forum.PublishedThreadActor(ctx, id) // the same rule for a thread's actor
		if err != nil {
			return nil, err
		}
		in = threadActorInput(d.iris, ta)
	default:
		return nil, fmt.Errorf("no Update for a %s actor: %w", a.Kind, forum.ErrNotFound)
	}
	pemText, err := d.forum.PublicKeyPEM(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if in.IDs, err = d.iris.Actor(a); err != nil {
		return nil, err
	}
	in.Kind, in.SharedInbox, in.PreferredUsername, in.PublicKeyPEM = a.Kind, d.iris.SharedInbox(), a.Username, pemText
	return actorDocument(in, false)
}

// AnnounceActivity is a local category's (or thread actor's) Announce of an activity, embedded
// byte for byte (FEP-1b12), under the activity's id with the given name ("announce").
func (d *Documents) AnnounceActivity(activityID int64, name string, announcer forum.Actor, embedded []byte, audience string,
	a forum.Activity) ([]byte, error) {
	ids, err := d.iris.Actor(announcer)
	if err != nil {
		return nil, err
	}
	if !json.Valid(embedded) {
		return nil, fmt.Errorf("activity %d: embedded document is not JSON", activityID)
	}
	return envelope{Type: "Announce", ID: d.iris.ActivityDocument(activityID, name), Actor: ids.ID,
		Object: json.RawMessage(embedded), Published: a.CreatedAt, To: []string{PublicCollection},
		CC: []string{ids.Followers}, Audience: audience}.bytes()
}

// AnnounceObject is a plain Announce of an object by id: what Mastodon shows as a boost (it does
// not show an Announce of a Create).
func (d *Documents) AnnounceObject(activityID int64, name string, announcer forum.Actor, objectID, audience string,
	a forum.Activity) ([]byte, error) {
	ids, err := d.iris.Actor(announcer)
	if err != nil {
		return nil, err
	}
	return envelope{Type: "Announce", ID: d.iris.ActivityDocument(activityID, name), Actor: ids.ID, Object: objectID,
		Published: a.CreatedAt, To: []string{PublicCollection}, CC: []string{ids.Followers}, Audience: audience}.bytes()
}

// UndoAnnounce takes back a boost this forum sent (forum.SentBoost): the Announce embedded as it
// was sent, signed by the actor that sent it, under the activity's id with the given name.
// Mastodon removes the boost from the timelines it is in.
func (d *Documents) UndoAnnounce(activityID int64, name string, announcer forum.Actor, announce []byte, a forum.Activity) ([]byte, error) {
	ids, err := d.iris.Actor(announcer)
	if err != nil {
		return nil, err
	}
	if !json.Valid(announce) {
		return nil, fmt.Errorf("activity %d: the boost to take back is not JSON", activityID)
	}
	return envelope{Type: "Undo", ID: d.iris.ActivityDocument(activityID, name), Actor: ids.ID,
		Object: json.RawMessage(announce), Published: a.CreatedAt, To: []string{PublicCollection},
		CC: []string{ids.Followers}}.bytes()
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
