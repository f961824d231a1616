package federation

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/stoa-forum/stoa/forum"
)

// actorType is the part of go-fed's Person, Group, Service and Application that actor documents
// set. go-fed generates each type separately with the same setters; this interface lets one
// builder serve all four.
type actorType interface {
	vocab.Type
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
	SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
	SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
	SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
	SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsAttributedTo(vocab.ActivityStreamsAttributedToProperty)
	SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
	SetTootFeatured(vocab.TootFeaturedProperty)
	SetTootDiscoverable(vocab.TootDiscoverableProperty)
}

// actorInput is everything an actor document shows, whatever the kind of actor.
type actorInput struct {
	Kind              forum.ActorKind
	IDs               ActorIRIs
	SharedInbox       string
	PreferredUsername string
	Name              string
	SummaryHTML       string
	URL               string
	IconURL           string
	PublicKeyPEM      string
	Published         time.Time
	// ManuallyApprovesFollowers, Discoverable and Indexable are Mastodon's terms: Indexable lets
	// search engines of the fediverse index the actor's public posts.
	ManuallyApprovesFollowers bool
	Discoverable, Indexable   bool
	Links                     []forum.ProfileLink
	// PostingRestrictedToMods is published for Groups only (FEP-1b12, Lemmy's term).
	PostingRestrictedToMods bool
}

// newActorType picks the ActivityStreams type of each kind of local actor. Threads are Services:
// Mastodon follows a Service like any account and shows its Announces as boosts (marked as a bot,
// which is what it is), while forum peers (Lemmy, NodeBB, Discourse) that treat every Group as a
// community do not mistake a thread for a category.
func newActorType(kind forum.ActorKind) (actorType, string, error) {
	switch kind {
	case forum.ActorPerson:
		return streams.NewActivityStreamsPerson(), "Person", nil
	case forum.ActorGroup:
		return streams.NewActivityStreamsGroup(), "Group", nil
	case forum.ActorThread:
		return streams.NewActivityStreamsService(), "Service", nil
	case forum.ActorInstance:
		return streams.NewActivityStreamsApplication(), "Application", nil
	}
	return nil, "", fmt.Errorf("no ActivityStreams type for local actor kind %q", kind)
}

// actorDocument builds an actor's JSON document. reduced leaves out everything but what peers need
// to verify signatures and deliver (id, type, handle, inbox, outbox, collections, endpoints, key):
// that is what unsigned requests get when authorized fetch is on, as Mastodon does in secure mode.
func actorDocument(in actorInput, reduced bool) (map[string]any, error) {
	t, _, err := newActorType(in.Kind)
	if err != nil {
		return nil, err
	}
	id, err := parseIRI(in.IDs.ID)
	if err != nil {
		return nil, err
	}
	t.SetJSONLDId(idProperty(id))
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(in.PreferredUsername)
	t.SetActivityStreamsPreferredUsername(pu)

	inbox := streams.NewActivityStreamsInboxProperty()
	outbox := streams.NewActivityStreamsOutboxProperty()
	followers := streams.NewActivityStreamsFollowersProperty()
	following := streams.NewActivityStreamsFollowingProperty()
	for _, p := range []struct {
		iri string
		set func(*url.URL)
	}{
		{in.IDs.Inbox, inbox.SetIRI}, {in.IDs.Outbox, outbox.SetIRI},
		{in.IDs.Followers, followers.SetIRI}, {in.IDs.Following, following.SetIRI},
	} {
		u, err := parseIRI(p.iri)
		if err != nil {
			return nil, err
		}
		p.set(u)
	}
	t.SetActivityStreamsInbox(inbox)
	t.SetActivityStreamsOutbox(outbox)
	t.SetActivityStreamsFollowers(followers)
	t.SetActivityStreamsFollowing(following)
	t.SetW3IDSecurityV1PublicKey(publicKeyProperty(in.IDs.KeyID, id, in.PublicKeyPEM))

	if !reduced {
		if err := setActorProfile(t, in); err != nil {
			return nil, err
		}
	}
	doc, err := t.Serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", in.IDs.ID, err)
	}
	// What go-fed v1.0.0 has no types for, written as Mastodon, Lemmy and GoToSocial read them.
	doc["@context"] = ldContext()
	doc["endpoints"] = map[string]any{"sharedInbox": in.SharedInbox}
	doc["manuallyApprovesFollowers"] = in.ManuallyApprovesFollowers
	if !reduced {
		doc["indexable"] = in.Indexable
		if in.Kind == forum.ActorGroup {
			doc["postingRestrictedToMods"] = in.PostingRestrictedToMods
			doc["sensitive"] = false
		}
		if len(in.Links) > 0 {
			doc["attachment"] = propertyValues(in.Links)
		}
	}
	return doc, nil
}

func setActorProfile(t actorType, in actorInput) error {
	name := streams.NewActivityStreamsNameProperty()
	name.AppendXMLSchemaString(in.Name)
	t.SetActivityStreamsName(name)
	// Always present, "" for none: every actor document has a summary (FEDERATION.md), and a peer
	// that updates its copy from an Update learns that a bio was cleared.
	summary := streams.NewActivityStreamsSummaryProperty()
	summary.AppendXMLSchemaString(in.SummaryHTML)
	t.SetActivityStreamsSummary(summary)
	if in.URL != "" {
		u, err := parseIRI(in.URL)
		if err != nil {
			return err
		}
		up := streams.NewActivityStreamsUrlProperty()
		up.AppendIRI(u)
		t.SetActivityStreamsUrl(up)
	}
	if in.IconURL != "" {
		u, err := parseIRI(in.IconURL)
		if err != nil {
			return err
		}
		img := streams.NewActivityStreamsImage()
		up := streams.NewActivityStreamsUrlProperty()
		up.AppendIRI(u)
		img.SetActivityStreamsUrl(up)
		icon := streams.NewActivityStreamsIconProperty()
		icon.AppendActivityStreamsImage(img)
		t.SetActivityStreamsIcon(icon)
	}
	if !in.Published.IsZero() {
		pub := streams.NewActivityStreamsPublishedProperty()
		pub.Set(in.Published.UTC().Truncate(time.Second))
		t.SetActivityStreamsPublished(pub)
	}
	disc := streams.NewTootDiscoverableProperty()
	disc.Set(in.Discoverable)
	t.SetTootDiscoverable(disc)
	if in.IDs.Featured != "" {
		u, err := parseIRI(in.IDs.Featured)
		if err != nil {
			return err
		}
		featured := streams.NewTootFeaturedProperty()
		featured.SetIRI(u)
		t.SetTootFeatured(featured)
	}
	if in.IDs.Moderators != "" {
		// FEP-1b12 (as Lemmy publishes it): a Group is attributed to its moderators collection.
		u, err := parseIRI(in.IDs.Moderators)
		if err != nil {
			return err
		}
		at := streams.NewActivityStreamsAttributedToProperty()
		at.AppendIRI(u)
		t.SetActivityStreamsAttributedTo(at)
	}
	return nil
}

func publicKeyProperty(keyID string, owner *url.URL, pemText string) vocab.W3IDSecurityV1PublicKeyProperty {
	k := streams.NewW3IDSecurityV1PublicKey()
	if u, err := url.Parse(keyID); err == nil {
		k.SetJSONLDId(idProperty(u))
	}
	o := streams.NewW3IDSecurityV1OwnerProperty()
	o.Set(owner)
	k.SetW3IDSecurityV1Owner(o)
	p := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	p.Set(pemText)
	k.SetW3IDSecurityV1PublicKeyPem(p)
	prop := streams.NewW3IDSecurityV1PublicKeyProperty()
	prop.AppendW3IDSecurityV1PublicKey(k)
	return prop
}

// propertyValues publishes profile links the way Mastodon shows them: name, and value as HTML, a
// link (rel="me", so sites linking back verify) when the value is an http(s) URL.
func propertyValues(links []forum.ProfileLink) []any {
	out := make([]any, 0, len(links))
	for _, l := range links {
		value := html.EscapeString(l.Value)
		if u, err := url.Parse(strings.TrimSpace(l.Value)); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			shown := strings.TrimPrefix(strings.TrimPrefix(u.String(), "https://"), "http://")
			value = `<a href="` + html.EscapeString(u.String()) + `" target="_blank" rel="nofollow noopener noreferrer me" translate="no">` +
				html.EscapeString(shown) + `</a>`
		}
		out = append(out, map[string]any{"type": "PropertyValue", "name": l.Name, "value": value})
	}
	return out
}

func idProperty(u *url.URL) vocab.JSONLDIdProperty {
	p := streams.NewJSONLDIdProperty()
	p.Set(u)
	return p
}

func parseIRI(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("IRI %q: %w", s, err)
	}
	return u, nil
}

// optionalIRI is a document property holding one IRI, set only when the IRI is not empty.
type optionalIRI struct {
	iri string
	set func(*url.URL)
}

// setOptionalIRIs parses and sets each non-empty IRI, stopping at the first that does not parse.
func setOptionalIRIs(props ...optionalIRI) error {
	for _, p := range props {
		if p.iri == "" {
			continue
		}
		u, err := parseIRI(p.iri)
		if err != nil {
			return err
		}
		p.set(u)
	}
	return nil
}
