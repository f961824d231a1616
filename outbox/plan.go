package outbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// Who receives what (FEDERATION.md "Distribution", FEP-1b12). An activity is delivered as one or
// more documents, each signed by its own actor, each to a set of inboxes:
//
//	new thread      author's Create            author's followers, mentioned actors
//	                category's Announce(Create) category's followers
//	                category's Announce(object) category's followers (the boost Mastodon shows)
//	reply           author's Create            author's followers, mentioned actors (the parent's
//	                                           author among them)
//	                category's Announce(Create) the category's forum peers only (no boosts of
//	                                           replies into microblog timelines)
//	                thread's Announce(object)  the thread actor's followers
//	edit, delete    author's Update/Delete     author's followers, mentioned actors, thread
//	                                           followers, and every inbox that was sent the post
//	                                           (so copies held on microblogs change too)
//	                category's Announce(…)     the category's forum peers
//	removal of a    moderator's Delete         the author's server, thread followers
//	remote post     category's Announce(…)     the category's forum peers
//	                Undo of each boost of it   every inbox the boost reached (Mastodon keeps a
//	                                           boost of a status its server did not delete)
//	like, unlike    liker's Like/Undo          a remote author, thread followers
//	                category's Announce(…)     the category's forum peers
//	lock, pin, move category's Announce(…)     the category's forum peers (both categories' for a move)
//	relayed inbound category's Announce(raw)   as a local thread or reply would be, minus the origin
//	follow, block   actor's Follow/Block/Undo  the target
//	accept, reject  Accept/Reject              the follower
//	report          instance actor's Flag      the reported account's server
//	actor change    Update/Delete of actor     its followers
//
// A post in a remote category also goes to that category's Group, which announces it. Every set is
// deduplicated to one delivery per inbox (shared inboxes preferred); blocked and unavailable
// domains are skipped.

// plannedDoc is one document of an activity and its recipients.
type plannedDoc struct {
	name   string
	signer forum.Actor
	body   []byte
	to     *audience
	// sync holds FEP-8fcf digests of the signer's followers by domain, when they are addressed.
	sync map[string]string
}

// audience is a set of recipients, one per inbox, in the order added.
type audience struct {
	byInbox map[string]forum.Recipient
	order   []string
}

func newAudience() *audience { return &audience{byInbox: map[string]forum.Recipient{}} }

func (a *audience) add(rs ...forum.Recipient) {
	for _, r := range rs {
		if r.Inbox == "" {
			continue
		}
		if _, ok := a.byInbox[r.Inbox]; !ok {
			a.order = append(a.order, r.Inbox)
		}
		a.byInbox[r.Inbox] = r
	}
}

func forumPeers(rs []forum.Recipient) []forum.Recipient {
	out := make([]forum.Recipient, 0, len(rs))
	for _, r := range rs {
		if r.ForumPeer() {
			out = append(out, r)
		}
	}
	return out
}

// digests computes the FEP-8fcf digest of followers per domain.
func digests(followers []forum.Recipient) map[string]string {
	byDomain := map[string][]string{}
	for _, r := range followers {
		byDomain[r.Domain] = append(byDomain[r.Domain], r.APID)
	}
	out := make(map[string]string, len(byDomain))
	for d, ids := range byDomain {
		out[d] = federation.FollowersDigest(ids)
	}
	return out
}

// planner holds one fan-out's state.
type planner struct {
	ob    *Outbox
	a     forum.Activity
	body  []byte
	built federation.Built
	docs  []*plannedDoc
}

// plan builds the activity's documents (storing each once) and decides their recipients.
func (ob *Outbox) plan(ctx context.Context, a forum.Activity) ([]*plannedDoc, error) {
	body, built, err := ob.fed.Documents.ActivityBody(ctx, a, true)
	if err != nil {
		return nil, err
	}
	if !built.Signer.Local() {
		// Only local actors' keys sign; another server's activity is relayed by a local actor's
		// Announce, recorded as such.
		return nil, fmt.Errorf("activity %d is by remote actor %s: %w", a.ID, built.Signer.APID, forum.ErrNotFound)
	}
	p := &planner{ob: ob, a: a, body: body, built: built}
	main := p.doc("", built.Signer, body)
	switch {
	case a.PostID != nil && (a.Verb == forum.VerbCreate || a.Verb == forum.VerbUpdate || a.Verb == forum.VerbDelete):
		err = p.post(ctx, main)
	case a.Verb == forum.VerbCreate || a.Verb == forum.VerbUpdate || a.Verb == forum.VerbDelete:
		err = p.followersOf(ctx, main, built.Signer.ID)
	case a.Verb == forum.VerbLike || a.Verb == forum.VerbUndoLike:
		err = p.like(ctx, main)
	case a.Verb == forum.VerbAnnounce:
		err = p.relay(ctx, main)
	case a.Verb == forum.VerbLock || a.Verb == forum.VerbUnlock || a.Verb == forum.VerbPin || a.Verb == forum.VerbUnpin:
		if built.Group != nil {
			err = p.groupAnnounce(ctx, "announce", *built.Group)
		}
	case a.Verb == forum.VerbMove:
		err = p.move(ctx)
	default: // follow, undo follow, block, undo block, accept, reject, flag: their one addressee
		if a.TargetActorID != nil {
			err = p.actors(ctx, main, *a.TargetActorID)
		}
	}
	if err != nil {
		return nil, err
	}
	return p.docs, nil
}

func (p *planner) doc(name string, signer forum.Actor, body []byte) *plannedDoc {
	d := &plannedDoc{name: name, signer: signer, body: body, to: newAudience()}
	p.docs = append(p.docs, d)
	return d
}

// derived builds and stores a document derived from the activity, signed by another actor.
func (p *planner) derived(ctx context.Context, name string, signer forum.Actor, build func() ([]byte, error)) (*plannedDoc, error) {
	body, err := build()
	if err != nil {
		return nil, err
	}
	stored, err := p.ob.forum.SetActivityDocument(ctx, forum.ActivityDocument{ActivityID: p.a.ID, Name: name, ActorID: signer.ID, Payload: body})
	if err != nil {
		return nil, err
	}
	return p.doc(name, signer, stored.Payload), nil
}

func (p *planner) announceActivity(ctx context.Context, name string, group forum.Actor) (*plannedDoc, error) {
	audience, err := p.ob.fed.IRIs.ActorID(group)
	if err != nil {
		return nil, err
	}
	return p.derived(ctx, name, group, func() ([]byte, error) {
		return p.ob.fed.Documents.AnnounceActivity(p.a.ID, name, group, p.body, audience, p.a)
	})
}

func (p *planner) announceObject(ctx context.Context, name string, announcer forum.Actor, objectID, audience string) (*plannedDoc, error) {
	return p.derived(ctx, name, announcer, func() ([]byte, error) {
		return p.ob.fed.Documents.AnnounceObject(p.a.ID, name, announcer, objectID, audience, p.a)
	})
}

// followersOf addresses d to an actor's followers, with their FEP-8fcf digests.
func (p *planner) followersOf(ctx context.Context, d *plannedDoc, actorID int64) error {
	fs, err := p.ob.forum.FollowerRecipients(ctx, actorID)
	if err != nil {
		return err
	}
	d.to.add(fs...)
	d.sync = digests(fs)
	return nil
}

func (p *planner) actors(ctx context.Context, d *plannedDoc, ids ...int64) error {
	rs, err := p.ob.forum.ActorRecipients(ctx, ids)
	if err != nil {
		return err
	}
	d.to.add(rs...)
	return nil
}

// groupAnnounce is a local category's Announce of the activity to its forum peers.
func (p *planner) groupAnnounce(ctx context.Context, name string, group forum.Actor) error {
	fs, err := p.ob.forum.FollowerRecipients(ctx, group.ID)
	if err != nil {
		return err
	}
	d, err := p.announceActivity(ctx, name, group)
	if err != nil {
		return err
	}
	d.to.add(forumPeers(fs)...)
	d.sync = digests(fs)
	return nil
}

// threadFollowers lists the followers of a post's thread actor (none when it has no actor yet).
func (p *planner) threadFollowers(ctx context.Context, post *forum.FederatedPost) ([]forum.Recipient, *forum.Actor, error) {
	if post == nil || post.ThreadActorID == nil {
		return nil, nil, nil
	}
	ta, err := p.ob.forum.ActorByID(ctx, *post.ThreadActorID)
	if err != nil {
		return nil, nil, err
	}
	fs, err := p.ob.forum.FollowerRecipients(ctx, ta.ID)
	return fs, &ta, err
}

// post plans a local post's Create, Update or Delete, or a moderator's removal of a remote post.
func (p *planner) post(ctx context.Context, main *plannedDoc) error {
	post, built := p.built.Post, p.built
	if post == nil {
		return fmt.Errorf("activity %d: no post", p.a.ID)
	}
	if post.APID != "" {
		return p.removal(ctx, main, post)
	}
	if err := p.followersOf(ctx, main, built.Signer.ID); err != nil {
		return err
	}
	var mentioned []int64
	if built.Object != nil {
		for _, m := range built.Object.Mentioned {
			mentioned = append(mentioned, m.ID)
		}
	}
	if !post.Category.Local() {
		// A post in another server's category goes to its Group, which announces it there.
		mentioned = append(mentioned, post.Category.ActorID)
	}
	if err := p.actors(ctx, main, mentioned...); err != nil {
		return err
	}
	tfs, ta, err := p.threadFollowers(ctx, post)
	if err != nil {
		return err
	}
	var catFollowers []forum.Recipient
	if built.Group != nil {
		if catFollowers, err = p.ob.forum.FollowerRecipients(ctx, built.Group.ID); err != nil {
			return err
		}
	}
	if p.a.Verb != forum.VerbCreate {
		// Edits and deletions reach whoever holds a copy: the post's earlier audience, and thread
		// followers (as the author's own activity, which Mastodon applies; an Announce of it would
		// be ignored).
		audience, err := p.ob.forum.PostAudienceInboxes(ctx, post.ID)
		if err != nil {
			return err
		}
		main.to.add(audience...)
		main.to.add(tfs...)
		if built.Group != nil {
			return p.groupAnnounceTo(ctx, *built.Group, forumPeers(catFollowers), catFollowers)
		}
		return nil
	}
	if built.Group == nil {
		return nil
	}
	groupID, err := p.ob.fed.IRIs.ActorID(*built.Group)
	if err != nil {
		return err
	}
	if post.Opener() {
		if err := p.groupAnnounceTo(ctx, *built.Group, catFollowers, catFollowers); err != nil {
			return err
		}
		boost, err := p.announceObject(ctx, "boost", *built.Group, built.ObjectID, groupID)
		if err != nil {
			return err
		}
		boost.to.add(catFollowers...)
		boost.sync = digests(catFollowers)
		return nil
	}
	if err := p.groupAnnounceTo(ctx, *built.Group, forumPeers(catFollowers), catFollowers); err != nil {
		return err
	}
	if ta == nil {
		return nil
	}
	relay, err := p.announceObject(ctx, "relay", *ta, built.ObjectID, groupID)
	if err != nil {
		return err
	}
	relay.to.add(tfs...)
	relay.sync = digests(tfs)
	return nil
}

// removal plans a moderator's Delete of a remote post in a local category
// (federation.Documents.removal): to its author's server, to whoever follows its thread, and
// announced by the category to the forums that follow it. Not to the moderator's own followers:
// it is the category's act, not theirs.
func (p *planner) removal(ctx context.Context, main *plannedDoc, post *forum.FederatedPost) error {
	if err := p.actors(ctx, main, post.AuthorID); err != nil {
		return err
	}
	tfs, _, err := p.threadFollowers(ctx, post)
	if err != nil {
		return err
	}
	main.to.add(tfs...)
	if err := p.undoBoosts(ctx, post.ID); err != nil {
		return err
	}
	if p.built.Group == nil {
		return nil
	}
	catFollowers, err := p.ob.forum.FollowerRecipients(ctx, p.built.Group.ID)
	if err != nil {
		return err
	}
	return p.groupAnnounceTo(ctx, *p.built.Group, forumPeers(catFollowers), catFollowers)
}

// undoBoosts takes back the boosts of a removed post that went into microblog timelines, each by
// the actor that sent it and to the inboxes it reached (forum.SentBoost).
func (p *planner) undoBoosts(ctx context.Context, postID int64) error {
	boosts, err := p.ob.forum.SentBoostsOf(ctx, postID)
	if err != nil {
		return err
	}
	for _, b := range boosts {
		signer, err := p.ob.forum.ActorByID(ctx, b.Document.ActorID)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("undo-%s-%d", b.Document.Name, b.Document.ActivityID)
		d, err := p.derived(ctx, name, signer, func() ([]byte, error) {
			return p.ob.fed.Documents.UndoAnnounce(p.a.ID, name, signer, b.Document.Payload, p.a)
		})
		if err != nil {
			return err
		}
		d.to.add(b.Audience...)
	}
	return nil
}

// groupAnnounceTo is the category's Announce of the activity to the given followers.
func (p *planner) groupAnnounceTo(ctx context.Context, group forum.Actor, to, followers []forum.Recipient) error {
	d, err := p.announceActivity(ctx, "announce", group)
	if err != nil {
		return err
	}
	d.to.add(to...)
	d.sync = digests(followers)
	return nil
}

// like plans a Like or its Undo: a remote author hears of it (Mastodon counts likes only of its
// own statuses), thread followers get it, the category announces it to forum peers.
func (p *planner) like(ctx context.Context, main *plannedDoc) error {
	post := p.built.Post
	if post == nil {
		return fmt.Errorf("activity %d: no post", p.a.ID)
	}
	var ids []int64
	if post.APID != "" {
		ids = append(ids, post.AuthorID)
	}
	if !post.Category.Local() {
		ids = append(ids, post.Category.ActorID)
	}
	if err := p.actors(ctx, main, ids...); err != nil {
		return err
	}
	tfs, _, err := p.threadFollowers(ctx, post)
	if err != nil {
		return err
	}
	main.to.add(tfs...)
	if p.built.Group != nil {
		return p.groupAnnounce(ctx, "announce", *p.built.Group)
	}
	return nil
}

// relay plans a category's Announce of an activity it received: the audience a local thread or
// reply would have, without the server it came from (it has it).
func (p *planner) relay(ctx context.Context, main *plannedDoc) error {
	group := main.signer
	var details struct {
		Inbound int64 `json:"inbound"`
	}
	if err := p.a.DetailsInto(&details); err != nil {
		return err
	}
	inbound, err := p.ob.forum.InboundActivityByID(ctx, details.Inbound)
	if err != nil {
		return err
	}
	fs, err := p.ob.forum.FollowerRecipients(ctx, group.ID)
	if err != nil {
		return err
	}
	main.sync = digests(fs)
	post := p.built.Post
	groupID, err := p.ob.fed.IRIs.ActorID(group)
	if err != nil {
		return err
	}
	switch {
	case inbound.Type == "Create" && post != nil && post.Opener():
		main.to.add(fs...)
		boost, err := p.announceObject(ctx, "boost", group, post.APID, groupID)
		if err != nil {
			return err
		}
		boost.to.add(fs...)
		boost.sync = main.sync
	case inbound.Type == "Create" && post != nil:
		main.to.add(forumPeers(fs)...)
		tfs, ta, err := p.threadFollowers(ctx, post)
		if err != nil {
			return err
		}
		if ta != nil && post.APID != "" {
			relay, err := p.announceObject(ctx, "relay", *ta, post.APID, groupID)
			if err != nil {
				return err
			}
			relay.to.add(tfs...)
			relay.sync = digests(tfs)
		}
	default:
		main.to.add(forumPeers(fs)...)
	}
	origin, err := federation.OriginOf(inbound.ActorAPID)
	if err != nil {
		return nil
	}
	for _, d := range p.docs {
		for inbox, r := range d.to.byInbox {
			if strings.EqualFold(r.Domain, origin.Host()) {
				delete(d.to.byInbox, inbox)
			}
		}
	}
	return nil
}

// move plans a thread's move: each category announces it to its own forum peers.
func (p *planner) move(ctx context.Context) error {
	if p.built.Group == nil {
		return nil
	}
	if err := p.groupAnnounce(ctx, "announce", *p.built.Group); err != nil {
		return err
	}
	var details struct {
		From int64 `json:"from"`
	}
	if err := p.a.DetailsInto(&details); err != nil {
		return err
	}
	from, err := p.ob.forum.CategoryByID(ctx, details.From)
	if err != nil {
		return err
	}
	origin, err := p.ob.forum.ActorByID(ctx, from.ActorID)
	if err != nil {
		return err
	}
	return p.groupAnnounce(ctx, "announce-origin", origin)
}
