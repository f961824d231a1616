package federation

import (
	"encoding/json"
	"fmt"

	"github.com/stoa-forum/stoa/forum"
)

// actorKinds maps ActivityStreams actor types to forum kinds. An Application is a server's own
// actor (Mastodon, Lemmy and Stoa use one), stored as kind "instance".
var actorKinds = map[string]forum.ActorKind{
	"Person": forum.ActorPerson, "Group": forum.ActorGroup, "Service": forum.ActorService,
	"Application": forum.ActorInstance, "Organization": forum.ActorOrganization,
}

type actorJSON struct {
	ID                        string            `json:"id"`
	Type                      json.RawMessage   `json:"type"`
	PreferredUsername         string            `json:"preferredUsername"`
	Name                      string            `json:"name"`
	NameMap                   map[string]string `json:"nameMap"`
	Summary                   string            `json:"summary"`
	SummaryMap                map[string]string `json:"summaryMap"`
	URL                       json.RawMessage   `json:"url"`
	Icon                      json.RawMessage   `json:"icon"`
	Inbox                     json.RawMessage   `json:"inbox"`
	Outbox                    json.RawMessage   `json:"outbox"`
	Followers                 json.RawMessage   `json:"followers"`
	Following                 json.RawMessage   `json:"following"`
	Featured                  json.RawMessage   `json:"featured"`
	Endpoints                 json.RawMessage   `json:"endpoints"`
	PublicKey                 json.RawMessage   `json:"publicKey"`
	ManuallyApprovesFollowers json.RawMessage   `json:"manuallyApprovesFollowers"`
	Discoverable              json.RawMessage   `json:"discoverable"`
	AlsoKnownAs               json.RawMessage   `json:"alsoKnownAs"`
	MovedTo                   json.RawMessage   `json:"movedTo"`
}

type publicKeyJSON struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// DecodeActor reads a Person, Group, Service, Application or Organization into the input of
// forum.UpsertRemoteActor. It enforces the origin rule (SECURITY.md rule 2): the key, inbox,
// outbox and collections must be on the actor's own origin, the key's owner must be the actor; a
// shared inbox elsewhere is dropped (deliveries then go to the actor's inbox). Other types give
// ErrUnsupportedObject.
func DecodeActor(raw []byte) (forum.RemoteActor, error) {
	var j actorJSON
	if err := decodeJSON(raw, &j); err != nil {
		return forum.RemoteActor{}, err
	}
	typ, err := firstType(j.Type)
	if err != nil {
		return forum.RemoteActor{}, malformed("%v", err)
	}
	kind, ok := actorKinds[typ]
	if !ok {
		return forum.RemoteActor{}, fmt.Errorf("%w: %q is not an actor type", ErrUnsupportedObject, typ)
	}
	origin, err := OriginOf(j.ID)
	if err != nil {
		return forum.RemoteActor{}, malformed("actor id %q: %v", clip(j.ID), err)
	}
	a := forum.RemoteActor{APID: j.ID, Kind: kind, Username: j.PreferredUsername, Domain: origin.Host(),
		DisplayName: langString(j.Name, j.NameMap), SummaryHTML: langString(j.Summary, j.SummaryMap),
		ManuallyApprovesFollowers: optionalBool(j.ManuallyApprovesFollowers), Discoverable: optionalBool(j.Discoverable)}
	if a.Username == "" {
		return forum.RemoteActor{}, malformed("%s %s has no preferredUsername", typ, clip(j.ID))
	}
	sameOrigin := func(field string, raw json.RawMessage, required bool) (string, error) {
		iri, err := singleIRI(raw, field)
		if err != nil {
			return "", err
		}
		if iri == "" {
			if required {
				return "", malformed("%s %s has no %s", typ, clip(j.ID), field)
			}
			return "", nil
		}
		if o, err := OriginOf(iri); err != nil || o != origin {
			return "", malformed("%s %q is not on the actor's origin %s", field, clip(iri), origin)
		}
		return iri, nil
	}
	for _, f := range []struct {
		dst      *string
		field    string
		raw      json.RawMessage
		required bool
	}{
		{&a.InboxURL, "inbox", j.Inbox, true},
		{&a.OutboxURL, "outbox", j.Outbox, false},
		{&a.FollowersURL, "followers", j.Followers, false},
		{&a.FollowingURL, "following", j.Following, false},
		{&a.FeaturedURL, "featured", j.Featured, false},
	} {
		if *f.dst, err = sameOrigin(f.field, f.raw, f.required); err != nil {
			return forum.RemoteActor{}, err
		}
	}
	if !isNull(j.Endpoints) {
		var ep struct {
			SharedInbox string `json:"sharedInbox"`
		}
		if json.Unmarshal(j.Endpoints, &ep) == nil && ep.SharedInbox != "" {
			if o, err := OriginOf(ep.SharedInbox); err == nil && o == origin {
				a.SharedInboxURL = ep.SharedInbox
			}
		}
	}
	if a.PublicKeyID, a.PublicKeyPEM, err = actorKey(j.PublicKey, j.ID, origin); err != nil {
		return forum.RemoteActor{}, err
	}
	if a.URL, err = htmlURL(j.URL); err != nil {
		return forum.RemoteActor{}, err
	}
	if a.AvatarURL, err = imageURL(j.Icon); err != nil {
		return forum.RemoteActor{}, err
	}
	aka, err := refList(j.AlsoKnownAs, "alsoKnownAs", MaxObjectsInList)
	if err != nil {
		return forum.RemoteActor{}, err
	}
	for _, r := range aka {
		if r.ID != "" {
			a.AlsoKnownAs = append(a.AlsoKnownAs, r.ID)
		}
	}
	if a.MovedTo, err = singleIRI(j.MovedTo, "movedTo"); err != nil {
		return forum.RemoteActor{}, err
	}
	return a, nil
}

// actorKey reads publicKey (an object, or a list of which the actor's own key is taken). A key
// whose owner is another actor, or whose id is on another origin, is refused.
func actorKey(raw json.RawMessage, actorID string, origin Origin) (id, pemText string, err error) {
	items, err := rawList(raw, "publicKey", 8)
	if err != nil {
		return "", "", err
	}
	for _, it := range items {
		if it[0] != '{' {
			continue
		}
		var k publicKeyJSON
		if err := json.Unmarshal(it, &k); err != nil {
			return "", "", malformed("publicKey: %v", err)
		}
		if k.ID == "" || k.PublicKeyPem == "" {
			continue
		}
		if k.Owner != "" && k.Owner != actorID {
			return "", "", malformed("publicKey %s is owned by %s, not by the actor %s", clip(k.ID), clip(k.Owner), clip(actorID))
		}
		if o, err := OriginOf(k.ID); err != nil || o != origin {
			return "", "", malformed("publicKey id %q is not on the actor's origin %s", clip(k.ID), origin)
		}
		if _, err := ParsePublicKeyPEM(k.PublicKeyPem); err != nil {
			return "", "", malformed("publicKey %s: %v", clip(k.ID), err)
		}
		return k.ID, k.PublicKeyPem, nil
	}
	return "", "", nil
}

// imageURL reads icon: an Image (url a string or Link), a list of them, or a bare URL.
func imageURL(raw json.RawMessage) (string, error) {
	items, err := rawList(raw, "icon", MaxAttachments)
	if err != nil || len(items) == 0 {
		return "", err
	}
	it := items[0]
	if it[0] == '"' {
		return htmlURL(it)
	}
	var img struct {
		URL  json.RawMessage `json:"url"`
		Href string          `json:"href"`
	}
	if err := json.Unmarshal(it, &img); err != nil {
		return "", malformed("icon: %v", err)
	}
	if img.Href != "" {
		return img.Href, nil
	}
	return htmlURL(img.URL)
}
