package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrUnsupportedObject means a well-formed object is not a post type Stoa stores (a Video, a
// Question, a Tombstone, ...). Callers ignore it politely.
var ErrUnsupportedObject = errors.New("unsupported object type")

// Object is a remote Note, Article or Page as Stoa uses it: a thread opener or a reply. Content,
// Summary and Name are as received (HTML); package forum sanitises before storing or showing.
type Object struct {
	ID           string
	Type         string
	AttributedTo string
	InReplyTo    string
	// Context is the thread (FEP-7888): a collection id, or NodeBB's Conversation object's id.
	Context string
	// Audience is the Group the post belongs to (FEP-1b12), when given.
	Audience    []string
	Name        string
	Content     string
	Summary     string
	Source      *Source
	Sensitive   bool
	Published   time.Time
	Updated     time.Time
	URL         string
	To, CC      []string
	Replies     string
	Mentions    []Mention
	Hashtags    []Hashtag
	Attachments []Attachment
}

// Source is the text the content was rendered from (Markdown, for Lemmy, NodeBB and Stoa).
type Source struct {
	Content   string
	MediaType string
}

// Mention is a Mention tag: who is addressed (Href) and how the post wrote it (Name, "@a@host").
type Mention struct {
	Href string
	Name string
}

// Hashtag is a Hashtag tag. Name is as sent ("#forums"); Href is the tag's page on the origin.
type Hashtag struct {
	Href string
	Name string
}

// Attachment is a media file or link attached to a post. Name is its alt text.
type Attachment struct {
	Type      string
	URL       string
	MediaType string
	Name      string
	Width     int
	Height    int
	Blurhash  string
}

type objectJSON struct {
	ID           string            `json:"id"`
	Type         json.RawMessage   `json:"type"`
	AttributedTo json.RawMessage   `json:"attributedTo"`
	InReplyTo    json.RawMessage   `json:"inReplyTo"`
	Context      json.RawMessage   `json:"context"`
	Audience     json.RawMessage   `json:"audience"`
	Name         string            `json:"name"`
	NameMap      map[string]string `json:"nameMap"`
	Content      string            `json:"content"`
	ContentMap   map[string]string `json:"contentMap"`
	Summary      string            `json:"summary"`
	SummaryMap   map[string]string `json:"summaryMap"`
	Source       json.RawMessage   `json:"source"`
	Sensitive    json.RawMessage   `json:"sensitive"`
	Published    string            `json:"published"`
	Updated      string            `json:"updated"`
	URL          json.RawMessage   `json:"url"`
	To           json.RawMessage   `json:"to"`
	CC           json.RawMessage   `json:"cc"`
	Replies      json.RawMessage   `json:"replies"`
	Tag          json.RawMessage   `json:"tag"`
	Attachment   json.RawMessage   `json:"attachment"`
}

// DecodeObject reads a post. Types other than Note, Article and Page give ErrUnsupportedObject;
// broken input gives ErrMalformed.
func DecodeObject(raw []byte) (Object, error) {
	var j objectJSON
	if err := decodeJSON(raw, &j); err != nil {
		return Object{}, err
	}
	typ, err := firstType(j.Type)
	if err != nil {
		return Object{}, malformed("%v", err)
	}
	if !postTypes[typ] {
		return Object{}, fmt.Errorf("%w: %q", ErrUnsupportedObject, typ)
	}
	if !isAbsoluteHTTP(j.ID) {
		return Object{}, malformed("%s id %q is not an absolute http(s) URL", typ, clip(j.ID))
	}
	o := Object{ID: j.ID, Type: typ, Name: langString(j.Name, j.NameMap), Content: langString(j.Content, j.ContentMap),
		Summary: langString(j.Summary, j.SummaryMap), Sensitive: optionalBool(j.Sensitive)}
	if o.AttributedTo, err = attributedPerson(j.AttributedTo); err != nil {
		return Object{}, err
	}
	if o.AttributedTo == "" {
		return Object{}, malformed("%s %s has no attributedTo", typ, clip(o.ID))
	}
	if o.InReplyTo, err = singleIRI(j.InReplyTo, "inReplyTo"); err != nil {
		return Object{}, err
	}
	if o.Context, err = singleIRI(j.Context, "context"); err != nil {
		return Object{}, err
	}
	if o.Replies, err = singleIRI(j.Replies, "replies"); err != nil {
		return Object{}, err
	}
	for _, f := range []struct {
		dst   *[]string
		raw   json.RawMessage
		field string
	}{{&o.Audience, j.Audience, "audience"}, {&o.To, j.To, "to"}, {&o.CC, j.CC, "cc"}} {
		if *f.dst, err = iriList(f.raw, f.field); err != nil {
			return Object{}, err
		}
	}
	if o.Published, err = optionalTime(j.Published, "published"); err != nil {
		return Object{}, err
	}
	if o.Updated, err = optionalTime(j.Updated, "updated"); err != nil {
		return Object{}, err
	}
	if o.URL, err = htmlURL(j.URL); err != nil {
		return Object{}, err
	}
	if o.Source, err = decodeSource(j.Source); err != nil {
		return Object{}, err
	}
	if o.Mentions, o.Hashtags, err = decodeTags(j.Tag); err != nil {
		return Object{}, err
	}
	if o.Attachments, err = decodeAttachments(j.Attachment); err != nil {
		return Object{}, err
	}
	return o, nil
}

// attributedPerson picks the author from attributedTo, which PeerTube and others send as a list of
// a Person and a Group: the first actor that is not a Group, else the first entry.
func attributedPerson(raw json.RawMessage) (string, error) {
	refs, err := refList(raw, "attributedTo", MaxObjectsInList)
	if err != nil || len(refs) == 0 {
		return "", err
	}
	for _, r := range refs {
		if r.Type != "Group" && r.ID != "" {
			return r.ID, nil
		}
	}
	return refs[0].ID, nil
}

type linkJSON struct {
	Type      json.RawMessage `json:"type"`
	Href      string          `json:"href"`
	URL       json.RawMessage `json:"url"`
	MediaType string          `json:"mediaType"`
}

// htmlURL reads url: a string, a Link, or a list of them; the text/html one is preferred
// (PeerTube and Lemmy list several), else the first.
func htmlURL(raw json.RawMessage) (string, error) {
	items, err := rawList(raw, "url", MaxAttachments)
	if err != nil {
		return "", err
	}
	first := ""
	for _, it := range items {
		href, mediaType := "", ""
		if it[0] == '"' {
			if err := json.Unmarshal(it, &href); err != nil {
				return "", malformed("url: %v", err)
			}
		} else {
			var l linkJSON
			if err := json.Unmarshal(it, &l); err != nil {
				return "", malformed("url: %v", err)
			}
			href, mediaType = l.Href, l.MediaType
		}
		if href == "" {
			continue
		}
		if strings.HasPrefix(mediaType, "text/html") {
			return href, nil
		}
		if first == "" {
			first = href
		}
	}
	return first, nil
}

func decodeSource(raw json.RawMessage) (*Source, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s struct {
		Content   string `json:"content"`
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		// Some servers send source as a plain string.
		var text string
		if json.Unmarshal(raw, &text) != nil {
			return nil, malformed("source: %v", err)
		}
		return &Source{Content: text}, nil
	}
	return &Source{Content: s.Content, MediaType: s.MediaType}, nil
}

type tagJSON struct {
	Type json.RawMessage `json:"type"`
	Href string          `json:"href"`
	ID   string          `json:"id"`
	Name string          `json:"name"`
}

// decodeTags reads mentions and hashtags from tag (a single object or a list); other tags (Emoji,
// Lemmy's CommunityPostTag) are skipped.
func decodeTags(raw json.RawMessage) ([]Mention, []Hashtag, error) {
	items, err := rawList(raw, "tag", MaxTags)
	if err != nil {
		return nil, nil, err
	}
	var mentions []Mention
	var tags []Hashtag
	for _, it := range items {
		if it[0] != '{' {
			continue // a bare IRI in tag names nothing Stoa can use
		}
		var t tagJSON
		if err := json.Unmarshal(it, &t); err != nil {
			return nil, nil, malformed("tag: %v", err)
		}
		typ, err := firstType(t.Type)
		if err != nil {
			return nil, nil, malformed("tag.type: %v", err)
		}
		switch typ {
		case "Mention":
			href := t.Href
			if href == "" {
				href = t.ID
			}
			if href != "" {
				mentions = append(mentions, Mention{Href: href, Name: t.Name})
			}
		case "Hashtag":
			if t.Name != "" {
				tags = append(tags, Hashtag{Href: t.Href, Name: t.Name})
			}
		}
	}
	return mentions, tags, nil
}

type attachmentJSON struct {
	Type      json.RawMessage `json:"type"`
	URL       json.RawMessage `json:"url"`
	Href      string          `json:"href"`
	MediaType string          `json:"mediaType"`
	Name      string          `json:"name"`
	Width     json.RawMessage `json:"width"`
	Height    json.RawMessage `json:"height"`
	Blurhash  string          `json:"blurhash"`
}

// optionalInt reads a dimension sent as a number (or, by some servers, a numeric string); anything
// else is 0: a wrong width must not cost the whole post.
func optionalInt(raw json.RawMessage) int {
	var n float64
	if json.Unmarshal(raw, &n) == nil && n >= 0 && n < 1e6 {
		return int(n)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if v, err := strconv.Atoi(s); err == nil && v >= 0 && v < 1e6 {
			return v
		}
	}
	return 0
}

// decodeAttachments reads media and links; url may be a string, a Link or a list of Links.
func decodeAttachments(raw json.RawMessage) ([]Attachment, error) {
	items, err := rawList(raw, "attachment", MaxAttachments)
	if err != nil {
		return nil, err
	}
	var out []Attachment
	for _, it := range items {
		if it[0] != '{' {
			continue
		}
		var a attachmentJSON
		if err := json.Unmarshal(it, &a); err != nil {
			return nil, malformed("attachment: %v", err)
		}
		typ, err := firstType(a.Type)
		if err != nil {
			return nil, malformed("attachment.type: %v", err)
		}
		if typ == "PropertyValue" {
			continue
		}
		u := a.Href
		if u == "" {
			if u, err = htmlURL(a.URL); err != nil {
				return nil, err
			}
		}
		if u == "" {
			continue
		}
		out = append(out, Attachment{Type: typ, URL: u, MediaType: a.MediaType, Name: a.Name,
			Width: optionalInt(a.Width), Height: optionalInt(a.Height), Blurhash: a.Blurhash})
	}
	return out, nil
}
