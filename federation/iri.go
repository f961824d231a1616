package federation

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

// IRIs derives every ActivityPub id of this instance from its public URL, and parses ids back. Local
// ids are never stored: changing the public URL of a development database moves every id with it.
//
// The scheme (fixed; FEDERATION.md lists it):
//
//	/actor                    instance actor (Application); /actor/inbox, /actor/outbox, ...
//	/inbox                    shared inbox
//	/u/{username}             member (Person); /inbox, /outbox, /followers, /following under it
//	/c/{slug}                 category (Group); also /moderators and /featured
//	/t/{id}/actor             thread actor (Service); /inbox, /outbox, /followers, /following
//	/t/{id}                   thread: the HTML page, and its `context` collection for AS requests
//	/t/{id}/history           the thread's contextHistory collection
//	/p/{id}                   post (Article for openers, Note for replies); /p/{id}/replies
//	/activities/{id}          a recorded activity
//
// Key ids are "<actor id>#main-key".
type IRIs struct {
	base   string // scheme://host[:port], no trailing slash
	origin Origin
}

// NewIRIs returns the IRIs of the instance served at public (scheme://host[:port]).
func NewIRIs(public *url.URL) (IRIs, error) {
	if public == nil {
		return IRIs{}, fmt.Errorf("federation: no public URL")
	}
	if (public.Path != "" && public.Path != "/") || public.RawQuery != "" || public.Fragment != "" {
		return IRIs{}, fmt.Errorf("federation: public URL %q must have no path, query or fragment", public.Redacted())
	}
	o, err := originOfURL(public)
	if err != nil {
		return IRIs{}, fmt.Errorf("federation: public URL: %w", err)
	}
	return IRIs{base: string(o), origin: o}, nil
}

// MustIRIs is NewIRIs for tests and fixed configuration; it panics on a bad URL.
func MustIRIs(public string) IRIs {
	u, err := url.Parse(public)
	if err != nil {
		panic(err)
	}
	i, err := NewIRIs(u)
	if err != nil {
		panic(err)
	}
	return i
}

// Base is scheme://host[:port] with no trailing slash.
func (i IRIs) Base() string { return i.base }

// Origin is the instance's origin.
func (i IRIs) Origin() Origin { return i.origin }

// Host is the host[:port] part of handles (username@host) and of the Host header peers sign.
func (i IRIs) Host() string { return i.origin.Host() }

// Instance is the instance actor.
func (i IRIs) Instance() string { return i.base + "/actor" }

// SharedInbox is the inbox every local actor advertises in endpoints.sharedInbox.
func (i IRIs) SharedInbox() string { return i.base + "/inbox" }

// Member is a member's Person.
func (i IRIs) Member(username string) string { return i.base + "/u/" + url.PathEscape(username) }

// Category is a category's Group.
func (i IRIs) Category(slug string) string { return i.base + "/c/" + url.PathEscape(slug) }

// ThreadActor is the followable actor of a thread.
func (i IRIs) ThreadActor(threadID int64) string { return i.Thread(threadID) + "/actor" }

// Thread is the thread page and its context collection.
func (i IRIs) Thread(threadID int64) string { return i.base + "/t/" + strconv.FormatInt(threadID, 10) }

// ThreadHistory is the thread's contextHistory collection.
func (i IRIs) ThreadHistory(threadID int64) string { return i.Thread(threadID) + "/history" }

// Post is a post (Article or Note).
func (i IRIs) Post(postID int64) string { return i.base + "/p/" + strconv.FormatInt(postID, 10) }

// PostReplies is a post's replies collection.
func (i IRIs) PostReplies(postID int64) string { return i.Post(postID) + "/replies" }

// Activity is a recorded activity.
func (i IRIs) Activity(activityID int64) string {
	return i.base + "/activities/" + strconv.FormatInt(activityID, 10)
}

// Absolute makes a local path (such as the /avatars/... path forum stores for local members)
// absolute against the public URL; absolute URLs and "" are returned as they are.
func (i IRIs) Absolute(pathOrURL string) string {
	if strings.HasPrefix(pathOrURL, "/") && !strings.HasPrefix(pathOrURL, "//") {
		return i.base + pathOrURL
	}
	return pathOrURL
}

// DefaultIconPath is the picture of an actor without one of its own, served by web from its
// static files.
const DefaultIconPath = "/static/avatar.png"

// Tag is where a hashtag of this forum leads: there are no tag pages, so it is the search for the
// tag, which finds the posts that carry it. Posts' HTML links the same (markup.Options.TagURL), and
// a post's Hashtag tags give it as their href, which Mastodon and GoToSocial link tags by.
func (i IRIs) Tag(tag string) string { return i.base + "/search?q=" + url.QueryEscape("#"+tag) }

// Icon is an actor's icon URL: its avatar made absolute, or the forum's default picture, so every
// actor document has an icon (FEDERATION.md) and a peer shows this forum's placeholder, not its own.
func (i IRIs) Icon(avatar string) string {
	if avatar == "" {
		return i.base + DefaultIconPath
	}
	return i.Absolute(avatar)
}

// KeyID is the id of an actor's public key.
func KeyID(actorIRI string) string { return actorIRI + "#main-key" }

// ActorIRIs are the ids an actor document publishes.
type ActorIRIs struct {
	ID, Inbox, Outbox, Followers, Following, KeyID string
	// Moderators and Featured are set for categories only.
	Moderators, Featured string
}

// Actor returns the ids of a local actor, whatever its kind. Thread actors are named
// "thread-{id}" (forum.ThreadActorUsername), so their ids derive from the username too.
func (i IRIs) Actor(a forum.Actor) (ActorIRIs, error) {
	if !a.Local() {
		return ActorIRIs{}, fmt.Errorf("actor %d is remote (%s)", a.ID, a.APID)
	}
	var id string
	switch a.Kind {
	case forum.ActorPerson:
		id = i.Member(a.Username)
	case forum.ActorGroup:
		id = i.Category(a.Username)
	case forum.ActorThread:
		threadID, ok := forum.ThreadIDFromActorUsername(a.Username)
		if !ok {
			return ActorIRIs{}, fmt.Errorf("thread actor %d has a malformed username %q", a.ID, a.Username)
		}
		id = i.ThreadActor(threadID)
	case forum.ActorInstance:
		id = i.Instance()
	default:
		return ActorIRIs{}, fmt.Errorf("local actor %d has kind %q, which has no IRI", a.ID, a.Kind)
	}
	ids := ActorIRIs{ID: id, Inbox: id + "/inbox", Outbox: id + "/outbox", Followers: id + "/followers",
		Following: id + "/following", KeyID: KeyID(id)}
	if a.Kind == forum.ActorGroup {
		ids.Moderators = id + "/moderators"
		ids.Featured = id + "/featured"
	}
	return ids, nil
}

// ActorID returns the ActivityPub id of any actor: derived for local ones, stored for remote ones.
func (i IRIs) ActorID(a forum.Actor) (string, error) {
	if !a.Local() {
		return a.APID, nil
	}
	ids, err := i.Actor(a)
	return ids.ID, err
}

// RefKind says what a local IRI names.
type RefKind int

const (
	RefInstance RefKind = iota + 1
	RefSharedInbox
	RefMember        // Name = username
	RefCategory      // Name = slug
	RefThreadActor   // ID = thread id
	RefThread        // ID = thread id (the context collection)
	RefThreadHistory // ID = thread id
	RefPost          // ID = post id
	RefPostReplies   // ID = post id
	RefActivity      // ID = activity id
)

func (k RefKind) String() string {
	switch k {
	case RefInstance:
		return "instance"
	case RefSharedInbox:
		return "shared-inbox"
	case RefMember:
		return "member"
	case RefCategory:
		return "category"
	case RefThreadActor:
		return "thread-actor"
	case RefThread:
		return "thread"
	case RefThreadHistory:
		return "thread-history"
	case RefPost:
		return "post"
	case RefPostReplies:
		return "post-replies"
	case RefActivity:
		return "activity"
	}
	return "unknown"
}

// Ref is what a local IRI points at.
type Ref struct {
	Kind RefKind
	Name string // username or slug (lower case), for members and categories
	ID   int64  // thread, post or activity id
	// Collection is "inbox", "outbox", "followers", "following", "moderators" or "featured" for
	// an actor's collection, "" for the actor or object itself.
	Collection string
	// Key is true for an actor's key id (#main-key).
	Key bool
}

// IsLocal reports whether iri is on this instance's origin, whether or not it names anything:
// inbound documents with such ids are never ingested (SECURITY.md rule 6).
func (i IRIs) IsLocal(iri string) bool {
	o, err := OriginOf(iri)
	return err == nil && o == i.origin
}

// actorCollections are the collections each kind of actor publishes.
var actorCollections = map[RefKind]map[string]bool{
	RefInstance:    {"inbox": true, "outbox": true, "followers": true, "following": true},
	RefMember:      {"inbox": true, "outbox": true, "followers": true, "following": true},
	RefCategory:    {"inbox": true, "outbox": true, "followers": true, "following": true, "moderators": true, "featured": true},
	RefThreadActor: {"inbox": true, "outbox": true, "followers": true, "following": true},
}

// Parse maps one of this instance's IRIs back to what it names. ok is false for IRIs of other
// origins and for local URLs that are not ActivityPub ids (pages, queries, unknown paths).
func (i IRIs) Parse(iri string) (ref Ref, ok bool) {
	u, err := url.Parse(iri)
	if err != nil || u.RawQuery != "" || u.ForceQuery {
		return Ref{}, false
	}
	if o, err := originOfURL(u); err != nil || o != i.origin {
		return Ref{}, false
	}
	switch u.Fragment {
	case "":
	case "main-key":
		ref.Key = true
	default:
		return Ref{}, false
	}
	if u.RawPath != "" && u.RawPath != u.Path {
		// Percent-encoded ids are never ours: handles are [a-z0-9_] and the rest are numbers.
		return Ref{}, false
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	ref, ok = parseSegments(segs, ref.Key)
	if !ok {
		return Ref{}, false
	}
	if ref.Key && (ref.Collection != "" || actorCollections[ref.Kind] == nil) {
		return Ref{}, false
	}
	return ref, true
}

func parseSegments(segs []string, key bool) (Ref, bool) {
	withCollection := func(r Ref, rest []string) (Ref, bool) {
		switch len(rest) {
		case 0:
			return r, true
		case 1:
			if actorCollections[r.Kind][rest[0]] {
				r.Collection = rest[0]
				return r, true
			}
		}
		return Ref{}, false
	}
	ref := Ref{Key: key}
	switch {
	case len(segs) == 1 && segs[0] == "inbox":
		ref.Kind = RefSharedInbox
		return ref, true
	case segs[0] == "actor":
		ref.Kind = RefInstance
		return withCollection(ref, segs[1:])
	case segs[0] == "u" && len(segs) >= 2 && validHandle(segs[1]):
		ref.Kind, ref.Name = RefMember, strings.ToLower(segs[1])
		return withCollection(ref, segs[2:])
	case segs[0] == "c" && len(segs) >= 2 && validHandle(segs[1]):
		ref.Kind, ref.Name = RefCategory, strings.ToLower(segs[1])
		return withCollection(ref, segs[2:])
	case segs[0] == "t" && len(segs) >= 2:
		id, ok := parseID(segs[1])
		if !ok {
			return Ref{}, false
		}
		ref.ID = id
		switch {
		case len(segs) == 2:
			ref.Kind = RefThread
			return ref, true
		case len(segs) == 3 && segs[2] == "history":
			ref.Kind = RefThreadHistory
			return ref, true
		case segs[2] == "actor":
			ref.Kind = RefThreadActor
			return withCollection(ref, segs[3:])
		}
	case segs[0] == "p" && len(segs) >= 2:
		id, ok := parseID(segs[1])
		if !ok {
			return Ref{}, false
		}
		ref.ID = id
		switch {
		case len(segs) == 2:
			ref.Kind = RefPost
			return ref, true
		case len(segs) == 3 && segs[2] == "replies":
			ref.Kind = RefPostReplies
			return ref, true
		}
	case segs[0] == "activities" && len(segs) == 2:
		id, ok := parseID(segs[1])
		if !ok {
			return Ref{}, false
		}
		ref.Kind, ref.ID = RefActivity, id
		return ref, true
	}
	return Ref{}, false
}

// validHandle accepts what forum.ValidateHandle allows (case-insensitively), without the reserved
// list: an IRI naming a reserved word simply finds no actor.
func validHandle(s string) bool {
	if s == "" || len(s) > forum.MaxHandleLen {
		return false
	}
	for _, r := range strings.ToLower(s) {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// parseID accepts a positive decimal id without sign or leading zeros, so each id has one IRI.
func parseID(s string) (int64, bool) {
	if s == "" || s[0] == '0' || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
