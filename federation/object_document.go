package federation

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// PublicCollection is the special collection that makes an object public (ActivityPub §5.6).
const PublicCollection = "https://www.w3.org/ns/activitystreams#Public"

// objectInput is everything a post's object (Article or Note) shows. Ids are absolute.
type objectInput struct {
	Type           string // "Article" or "Note"
	ID, URL        string
	Name           string // the thread's title (openers only)
	ContentHTML    string
	SourceMarkdown string // "" when the post has no Markdown source (a remote post)
	Summary        string // the plain teaser of an Article, or a content warning
	AttributedTo   string
	Audience       string // the Group
	Context        string // the thread's collection
	InReplyTo      string
	Replies        string // the replies collection
	To, CC         []string
	Published      time.Time
	Updated        *time.Time
	Mentions       []Mention
	Hashtags       []Hashtag
	Attachments    []Attachment
	Sensitive      bool
	// CommentsEnabled is written for openers: false when the thread is locked (Lemmy's term).
	CommentsEnabled *bool
}

// objectType is the part of go-fed's Article and Note that post documents set.
type objectType interface {
	vocab.Type
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	SetActivityStreamsContent(vocab.ActivityStreamsContentProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	SetActivityStreamsAttributedTo(vocab.ActivityStreamsAttributedToProperty)
	SetActivityStreamsAudience(vocab.ActivityStreamsAudienceProperty)
	SetActivityStreamsContext(vocab.ActivityStreamsContextProperty)
	SetActivityStreamsInReplyTo(vocab.ActivityStreamsInReplyToProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
	SetActivityStreamsMediaType(vocab.ActivityStreamsMediaTypeProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
}

// objectDocument builds a post's object with go-fed's vocabulary; what go-fed v1.0.0 has no type
// for (Hashtag, sensitive, commentsEnabled, source, the replies collection) is added to the map.
// The map has no @context: it is embedded in activities, and served with one added.
func objectDocument(in objectInput) (map[string]any, error) {
	var t objectType
	switch in.Type {
	case "Article":
		t = streams.NewActivityStreamsArticle()
	case "Note":
		t = streams.NewActivityStreamsNote()
	default:
		return nil, fmt.Errorf("no object type %q", in.Type)
	}
	id, err := parseIRI(in.ID)
	if err != nil {
		return nil, err
	}
	t.SetJSONLDId(idProperty(id))
	if in.Name != "" {
		name := streams.NewActivityStreamsNameProperty()
		name.AppendXMLSchemaString(in.Name)
		t.SetActivityStreamsName(name)
	}
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(in.ContentHTML)
	t.SetActivityStreamsContent(content)
	mt := streams.NewActivityStreamsMediaTypeProperty()
	mt.Set("text/html")
	t.SetActivityStreamsMediaType(mt)
	if in.Summary != "" {
		summary := streams.NewActivityStreamsSummaryProperty()
		summary.AppendXMLSchemaString(in.Summary)
		t.SetActivityStreamsSummary(summary)
	}
	if in.URL != "" {
		u, err := parseIRI(in.URL)
		if err != nil {
			return nil, err
		}
		up := streams.NewActivityStreamsUrlProperty()
		up.AppendIRI(u)
		t.SetActivityStreamsUrl(up)
	}
	if err := setOptionalIRIs(
		optionalIRI{in.AttributedTo, func(u *url.URL) {
			p := streams.NewActivityStreamsAttributedToProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsAttributedTo(p)
		}},
		optionalIRI{in.Audience, func(u *url.URL) {
			p := streams.NewActivityStreamsAudienceProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsAudience(p)
		}},
		optionalIRI{in.Context, func(u *url.URL) {
			p := streams.NewActivityStreamsContextProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsContext(p)
		}},
		optionalIRI{in.InReplyTo, func(u *url.URL) {
			p := streams.NewActivityStreamsInReplyToProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsInReplyTo(p)
		}},
	); err != nil {
		return nil, err
	}
	pub := streams.NewActivityStreamsPublishedProperty()
	pub.Set(in.Published.UTC().Truncate(time.Second))
	t.SetActivityStreamsPublished(pub)
	if in.Updated != nil {
		up := streams.NewActivityStreamsUpdatedProperty()
		up.Set(in.Updated.UTC().Truncate(time.Second))
		t.SetActivityStreamsUpdated(up)
	}
	doc, err := t.Serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", in.ID, err)
	}
	delete(doc, "@context")
	if doc["to"], err = iriArray(in.To); err != nil {
		return nil, err
	}
	if doc["cc"], err = iriArray(in.CC); err != nil {
		return nil, err
	}
	if in.SourceMarkdown != "" {
		doc["source"] = map[string]any{"content": in.SourceMarkdown, "mediaType": "text/markdown"}
	}
	if in.Replies != "" {
		doc["replies"] = map[string]any{"id": in.Replies, "type": "OrderedCollection", "first": in.Replies + "?page=1"}
	}
	doc["sensitive"] = in.Sensitive
	if in.CommentsEnabled != nil {
		doc["commentsEnabled"] = *in.CommentsEnabled
	}
	doc["tag"] = tagList(in.Mentions, in.Hashtags)
	if len(in.Attachments) > 0 {
		doc["attachment"] = attachmentList(in.Attachments)
	}
	return doc, nil
}

// tagList is the tag array: Mentions built with go-fed's Mention type, then Mastodon's Hashtags.
// Always an array, also when empty or single (GoToSocial sends a bare object; Lemmy wants a list).
func tagList(mentions []Mention, hashtags []Hashtag) []any {
	out := make([]any, 0, len(mentions)+len(hashtags))
	for _, m := range mentions {
		u, err := url.Parse(m.Href)
		if err != nil {
			continue
		}
		mention := streams.NewActivityStreamsMention()
		href := streams.NewActivityStreamsHrefProperty()
		href.Set(u)
		mention.SetActivityStreamsHref(href)
		name := streams.NewActivityStreamsNameProperty()
		name.AppendXMLSchemaString(m.Name)
		mention.SetActivityStreamsName(name)
		doc, err := mention.Serialize()
		if err != nil {
			continue
		}
		delete(doc, "@context")
		out = append(out, doc)
	}
	for _, h := range hashtags {
		tag := map[string]any{"type": "Hashtag", "name": h.Name}
		if h.Href != "" {
			tag["href"] = h.Href
		}
		out = append(out, tag)
	}
	return out
}

// attachmentList publishes a post's images as Image attachments with their alt text in name (what
// Mastodon shows as the image description), so microblogs, which drop inline images from content,
// still show them.
func attachmentList(as []Attachment) []any {
	out := make([]any, 0, len(as))
	for _, a := range as {
		img := map[string]any{"type": "Image", "url": a.URL, "name": a.Name}
		if a.MediaType != "" {
			img["mediaType"] = a.MediaType
		}
		out = append(out, img)
	}
	return out
}

// iriArray is a list of IRIs as a JSON array (go-fed writes one value as a bare string, which some
// peers' parsers refuse for to and cc).
func iriArray(iris []string) ([]any, error) {
	out := make([]any, 0, len(iris))
	seen := map[string]bool{}
	for _, s := range iris {
		if s == "" || seen[s] {
			continue
		}
		if _, err := parseIRI(s); err != nil {
			return nil, err
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}

// withContext returns a copy of an embedded document with Stoa's @context, to be served alone.
func withContext(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		out[k] = v
	}
	out["@context"] = ldContext()
	return out
}
