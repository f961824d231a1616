package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// activityType is the part of go-fed's activity types that envelopes set; every activity type is
// generated with the same setters.
type activityType interface {
	vocab.Type
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
	SetActivityStreamsTarget(vocab.ActivityStreamsTargetProperty)
	SetActivityStreamsOrigin(vocab.ActivityStreamsOriginProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsContent(vocab.ActivityStreamsContentProperty)
}

// newActivityType returns go-fed's type for an activity. Lemmy's Lock has no ActivityStreams type:
// it is written as a generic Activity whose type is then replaced.
func newActivityType(name string) (activityType, error) {
	switch name {
	case "Create":
		return streams.NewActivityStreamsCreate(), nil
	case "Update":
		return streams.NewActivityStreamsUpdate(), nil
	case "Delete":
		return streams.NewActivityStreamsDelete(), nil
	case "Like":
		return streams.NewActivityStreamsLike(), nil
	case "Undo":
		return streams.NewActivityStreamsUndo(), nil
	case "Follow":
		return streams.NewActivityStreamsFollow(), nil
	case "Accept":
		return streams.NewActivityStreamsAccept(), nil
	case "Reject":
		return streams.NewActivityStreamsReject(), nil
	case "Announce":
		return streams.NewActivityStreamsAnnounce(), nil
	case "Block":
		return streams.NewActivityStreamsBlock(), nil
	case "Flag":
		return streams.NewActivityStreamsFlag(), nil
	case "Move":
		return streams.NewActivityStreamsMove(), nil
	case "Add":
		return streams.NewActivityStreamsAdd(), nil
	case "Remove":
		return streams.NewActivityStreamsRemove(), nil
	case "Lock":
		return streams.NewActivityStreamsActivity(), nil
	}
	return nil, fmt.Errorf("no activity type %q", name)
}

// envelope is an activity to serialize. Object is an IRI (string), a list of IRIs ([]string), an
// embedded document (map[string]any, without @context) or raw JSON kept byte for byte
// (json.RawMessage: a relayed activity).
type envelope struct {
	Type      string
	ID        string
	Actor     string
	Object    any
	Target    string
	Origin    string
	To, CC    []string
	Audience  string
	Published time.Time
	Summary   string
	Content   string
}

// document serializes the envelope with go-fed and Stoa's @context. Embedded objects are set on
// the serialized map, so what go-fed has no types for (Hashtag, sensitive, ...) survives.
func (e envelope) document() (map[string]any, error) {
	t, err := newActivityType(e.Type)
	if err != nil {
		return nil, err
	}
	id, err := parseIRI(e.ID)
	if err != nil {
		return nil, err
	}
	t.SetJSONLDId(idProperty(id))
	actor, err := parseIRI(e.Actor)
	if err != nil {
		return nil, err
	}
	ap := streams.NewActivityStreamsActorProperty()
	ap.AppendIRI(actor)
	t.SetActivityStreamsActor(ap)
	if s, ok := e.Object.(string); ok {
		u, err := parseIRI(s)
		if err != nil {
			return nil, err
		}
		op := streams.NewActivityStreamsObjectProperty()
		op.AppendIRI(u)
		t.SetActivityStreamsObject(op)
	}
	if err := setOptionalIRIs(
		optionalIRI{e.Target, func(u *url.URL) {
			p := streams.NewActivityStreamsTargetProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsTarget(p)
		}},
		optionalIRI{e.Origin, func(u *url.URL) {
			p := streams.NewActivityStreamsOriginProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsOrigin(p)
		}},
	); err != nil {
		return nil, err
	}
	if !e.Published.IsZero() {
		pub := streams.NewActivityStreamsPublishedProperty()
		pub.Set(e.Published.UTC().Truncate(time.Second))
		t.SetActivityStreamsPublished(pub)
	}
	if e.Summary != "" {
		s := streams.NewActivityStreamsSummaryProperty()
		s.AppendXMLSchemaString(e.Summary)
		t.SetActivityStreamsSummary(s)
	}
	if e.Content != "" {
		c := streams.NewActivityStreamsContentProperty()
		c.AppendXMLSchemaString(e.Content)
		t.SetActivityStreamsContent(c)
	}
	doc, err := t.Serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", e.ID, err)
	}
	doc["@context"] = ldContext()
	doc["type"] = e.Type
	switch o := e.Object.(type) {
	case map[string]any, json.RawMessage:
		doc["object"] = o
	case []string:
		if doc["object"], err = iriArray(o); err != nil {
			return nil, err
		}
	}
	if len(e.To) > 0 {
		if doc["to"], err = iriArray(e.To); err != nil {
			return nil, err
		}
	}
	if len(e.CC) > 0 {
		if doc["cc"], err = iriArray(e.CC); err != nil {
			return nil, err
		}
	}
	if e.Audience != "" {
		doc["audience"] = e.Audience
	}
	return doc, nil
}

// bytes serializes the envelope. encoding/json writes map keys in order, so the same document
// always has the same bytes; HTML is not escaped (peers' operators read these). An embedded
// json.RawMessage is spliced in byte for byte: encoding/json would compact it, and a relayed
// activity must reach the Group's followers exactly as its author sent it (FEP-1b12).
func (e envelope) bytes() ([]byte, error) {
	doc, err := e.document()
	if err != nil {
		return nil, err
	}
	raw, splice := e.Object.(json.RawMessage)
	const placeholder = "\x00stoa-embedded-object\x00"
	if splice {
		doc["object"] = placeholder
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("serialize %s: %w", e.ID, err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if splice {
		quoted, _ := json.Marshal(placeholder)
		if bytes.Count(out, quoted) != 1 {
			return nil, fmt.Errorf("serialize %s: cannot place the embedded object", e.ID)
		}
		out = bytes.Replace(out, quoted, raw, 1)
	}
	return out, nil
}
