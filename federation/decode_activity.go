package federation

import (
	"encoding/json"
	"time"
)

// supportedActivities are the activity types Stoa's inbox acts on (or will, as the inbox grows).
// Anything else decodes fine with Supported false, and the inbox answers 202 and ignores it.
var supportedActivities = map[string]bool{
	"Create": true, "Update": true, "Delete": true, "Follow": true, "Accept": true, "Reject": true,
	"Undo": true, "Like": true, "Dislike": true, "Announce": true, "Flag": true, "Block": true,
	"Add": true, "Remove": true, "Move": true, "Lock": true,
}

// ObjectTypes Stoa turns into posts.
var postTypes = map[string]bool{"Note": true, "Article": true, "Page": true}

// ActorTypes Stoa stores as remote actors, mapped to their kind in DecodeActor.
var actorTypes = map[string]bool{"Person": true, "Group": true, "Service": true, "Application": true, "Organization": true}

// knownTypes is every type name firstType prefers when a document lists several.
var knownTypes = func() map[string]bool {
	m := map[string]bool{"Tombstone": true, "Collection": true, "OrderedCollection": true, "Mention": true,
		"Hashtag": true, "Link": true, "Image": true, "Document": true, "Video": true, "Audio": true, "Question": true}
	for _, set := range []map[string]bool{supportedActivities, postTypes, actorTypes} {
		for k := range set {
			m[k] = true
		}
	}
	return m
}()

// ObjectRef is an activity's object or target: an IRI, or an embedded object (Raw set) whose id
// and type were read. An embedded object is a claim by the sender, trusted only when its id shares
// the activity actor's origin (SECURITY.md rule 3); otherwise the inbox fetches it by ID.
type ObjectRef struct {
	ID   string
	Type string
	Raw  json.RawMessage
}

// Embedded reports whether the object came inline rather than as a bare IRI.
func (o ObjectRef) Embedded() bool { return o.Raw != nil }

// Activity is the envelope of an inbound activity, read from raw JSON before anything else so that
// unknown types and vocabularies never break decoding.
type Activity struct {
	ID   string
	Type string
	// Supported is false for types Stoa ignores (EmojiReact, View, Arrive, ...): answer 202, do nothing.
	Supported bool
	Actor     string
	// Object is usually one item; a Flag lists the reported account and posts.
	Object   []ObjectRef
	Target   *ObjectRef
	Origin   *ObjectRef
	To, CC   []string
	Audience []string
	// Summary and Content carry a Lock's or a Delete's reason, a Flag's comment.
	Summary, Content string
	Published        time.Time
	// Raw is the whole activity, for the handler that needs more (kept once, not copied).
	Raw json.RawMessage
}

// FirstObject is the activity's object when there is exactly one; ok false otherwise.
func (a Activity) FirstObject() (ObjectRef, bool) {
	if len(a.Object) != 1 {
		return ObjectRef{}, false
	}
	return a.Object[0], true
}

type activityJSON struct {
	ID         string            `json:"id"`
	Type       json.RawMessage   `json:"type"`
	Actor      json.RawMessage   `json:"actor"`
	Object     json.RawMessage   `json:"object"`
	Target     json.RawMessage   `json:"target"`
	Origin     json.RawMessage   `json:"origin"`
	To         json.RawMessage   `json:"to"`
	CC         json.RawMessage   `json:"cc"`
	Audience   json.RawMessage   `json:"audience"`
	Summary    string            `json:"summary"`
	SummaryMap map[string]string `json:"summaryMap"`
	Content    string            `json:"content"`
	ContentMap map[string]string `json:"contentMap"`
	Published  string            `json:"published"`
}

// DecodeActivity reads an inbound activity's envelope. It fails (ErrMalformed) only for input no
// server should send: not a JSON object, too deep, lists over their caps, no id, type or actor.
// A well-formed activity of an unknown type is returned with Supported false.
func DecodeActivity(body []byte) (Activity, error) {
	var j activityJSON
	if err := decodeJSON(body, &j); err != nil {
		return Activity{}, err
	}
	typ, err := firstType(j.Type)
	if err != nil {
		return Activity{}, malformed("%v", err)
	}
	a := Activity{ID: j.ID, Type: typ, Supported: supportedActivities[typ], Raw: body,
		Summary: langString(j.Summary, j.SummaryMap), Content: langString(j.Content, j.ContentMap)}
	switch {
	case a.Type == "":
		return Activity{}, malformed("no type")
	case a.ID == "":
		return Activity{}, malformed("%s has no id", a.Type)
	case !isAbsoluteHTTP(a.ID):
		return Activity{}, malformed("id %q is not an absolute http(s) URL", clip(a.ID))
	}
	actors, err := refList(j.Actor, "actor", 2)
	if err != nil {
		return Activity{}, err
	}
	if len(actors) != 1 || !isAbsoluteHTTP(actors[0].ID) {
		return Activity{}, malformed("%s must have exactly one actor with an http(s) id", a.Type)
	}
	a.Actor = actors[0].ID
	objects, err := refList(j.Object, "object", MaxObjectsInList)
	if err != nil {
		return Activity{}, err
	}
	for _, o := range objects {
		a.Object = append(a.Object, ObjectRef(o))
	}
	// Every activity Stoa acts on is about something. Refused here, a malformed one gets a 400
	// that tells its sender why, rather than a 202 and a silent drop when it is applied.
	switch {
	case a.Supported && len(a.Object) == 0:
		return Activity{}, malformed("%s has no object", a.Type)
	case (a.Type == "Create" || a.Type == "Update") && a.Object[0].ID == "":
		return Activity{}, malformed("%s's object has no id", a.Type)
	}
	if a.Target, err = optionalRef(j.Target, "target"); err != nil {
		return Activity{}, err
	}
	if a.Origin, err = optionalRef(j.Origin, "origin"); err != nil {
		return Activity{}, err
	}
	if a.To, err = iriList(j.To, "to"); err != nil {
		return Activity{}, err
	}
	if a.CC, err = iriList(j.CC, "cc"); err != nil {
		return Activity{}, err
	}
	if a.Audience, err = iriList(j.Audience, "audience"); err != nil {
		return Activity{}, err
	}
	if a.Published, err = optionalTime(j.Published, "published"); err != nil {
		return Activity{}, err
	}
	return a, nil
}

func optionalRef(raw json.RawMessage, field string) (*ObjectRef, error) {
	refs, err := refList(raw, field, 1)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	o := ObjectRef(refs[0])
	return &o, nil
}

// optionalTime parses an xsd:dateTime (RFC 3339, with or without fractional seconds); "" is zero.
func optionalTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, malformed("%s %q is not an RFC 3339 date", field, clip(s))
	}
	return t, nil
}

// isAbsoluteHTTP reports whether s is an absolute http(s) URL with a valid host.
func isAbsoluteHTTP(s string) bool {
	_, err := OriginOf(s)
	return err == nil
}
