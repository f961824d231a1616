package federation

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/markup"
)

// Documents builds the ActivityStreams documents of local posts and of every recorded activity
// (activity_document.go). The GET handlers serve what it builds, and the outbox serializes it once
// per activity for delivery. Safe for concurrent use.
type Documents struct {
	forum *forum.Forum
	iris  IRIs
	// actors resolves remote mentions through WebFinger when a post is published; nil (or resolve
	// false) finds mentioned actors in the cache of stored actors only.
	actors *Actors
}

// NewDocuments returns the document builder. actors may be nil.
func NewDocuments(f *forum.Forum, iris IRIs, actors *Actors) *Documents {
	return &Documents{forum: f, iris: iris, actors: actors}
}

// MaxTeaser is the length, in characters, of the plain-text summary of an Article: Mastodon shows
// an Article as its title, this summary and a link, and drops the content.
const MaxTeaser = 500

// PostObject is a post's object document and who it addresses besides the public and followers.
type PostObject struct {
	Doc map[string]any
	ID  string
	// Mentioned are the local and remote actors tagged as Mentions (the parent's author included).
	Mentioned []forum.Actor
	// Group is the category's actor (local or remote).
	Group forum.Actor
	// Author is the post's author.
	Author forum.Actor
}

// PostIRI is a post's id: stored for remote posts, derived for local ones.
func (d *Documents) PostIRI(p forum.Post) string {
	if p.APID != "" {
		return p.APID
	}
	return d.iris.Post(p.ID)
}

// ThreadIRI is a thread's context id: stored for remote threads, derived for local ones.
func (d *Documents) ThreadIRI(t forum.FederatedPost) string {
	if t.ThreadAPID != "" {
		return t.ThreadAPID
	}
	return d.iris.Thread(t.ThreadID)
}

// PostObject builds a local post's Article (an opener) or Note (a reply, or an opener in a category
// in note mode). resolve lets mentions of remote actors not yet known be resolved through
// WebFinger (within the context's fetch budget); unresolved ones stay plain text without a tag.
func (d *Documents) PostObject(ctx context.Context, p forum.FederatedPost, resolve bool) (PostObject, error) {
	if p.APID != "" {
		return PostObject{}, fmt.Errorf("post %d is remote: %w", p.ID, forum.ErrNotFound)
	}
	author, err := d.forum.ActorByID(ctx, p.AuthorID)
	if err != nil {
		return PostObject{}, err
	}
	authorIDs, err := d.iris.Actor(author)
	if err != nil {
		return PostObject{}, err
	}
	group, err := d.forum.ActorByID(ctx, p.Category.ActorID)
	if err != nil {
		return PostObject{}, err
	}
	groupID, err := d.iris.ActorID(group)
	if err != nil {
		return PostObject{}, err
	}
	out := PostObject{ID: d.PostIRI(p.Post), Group: group, Author: author}
	in := objectInput{Type: "Note", ID: out.ID, URL: d.iris.Post(p.ID), ContentHTML: p.HTML, AttributedTo: authorIDs.ID,
		Audience: groupID, Context: d.ThreadIRI(p), Replies: d.iris.PostReplies(p.ID), Published: p.CreatedAt,
		Updated: p.EditedAt, Sensitive: p.Sensitive, Summary: p.Summary,
		To: []string{PublicCollection}, CC: []string{groupID, authorIDs.Followers}}
	if p.SourceKind == "markdown" {
		in.SourceMarkdown = p.Source
	}
	if p.Opener() {
		in.Name = p.ThreadTitle
		if p.ThreadAPID == "" {
			in.URL = d.iris.Thread(p.ThreadID)
		}
		enabled := p.ThreadLockedAt == nil
		in.CommentsEnabled = &enabled
		if p.Category.NoteMode {
			// Note mode is for categories read mostly from Mastodon, which shows no name on a
			// Note: the title leads the content.
			in.ContentHTML = "<p><strong>" + html.EscapeString(p.ThreadTitle) + "</strong></p>" + p.HTML
		} else {
			in.Type = "Article"
			in.Summary = Teaser(p.HTML, MaxTeaser)
		}
	}
	if p.ParentID != nil {
		in.InReplyTo = p.ParentAPID
		if in.InReplyTo == "" {
			in.InReplyTo = d.iris.Post(*p.ParentID)
		}
	}
	mentions, hashtags := d.forum.PostTags(p.Post)
	for _, h := range hashtags {
		in.Hashtags = append(in.Hashtags, Hashtag{Href: d.iris.Tag(h), Name: "#" + h})
	}
	seen := map[int64]bool{author.ID: true}
	addMention := func(a forum.Actor) {
		if seen[a.ID] || a.DeletedAt != nil {
			return
		}
		id, err := d.iris.ActorID(a)
		if err != nil {
			return
		}
		seen[a.ID] = true
		host := a.Domain
		if a.Local() {
			host = d.iris.Host()
		}
		in.Mentions = append(in.Mentions, Mention{Href: id, Name: "@" + a.Username + "@" + host})
		in.CC = append(in.CC, id)
		out.Mentioned = append(out.Mentioned, a)
	}
	// The parent's author is mentioned: without the tag, Mastodon notifies nobody of a reply.
	if p.ParentAuthor != nil {
		if pa, err := d.forum.ActorByID(ctx, *p.ParentAuthor); err == nil {
			addMention(pa)
		}
	}
	for _, m := range mentions {
		a, err := d.mentioned(ctx, m, resolve)
		if err != nil {
			continue // stays plain text
		}
		addMention(a)
		if !a.Local() {
			in.ContentHTML = d.linkMention(in.ContentHTML, m, a)
		}
	}
	in.Attachments = d.images(p.HTML)
	if out.Doc, err = objectDocument(in); err != nil {
		return PostObject{}, err
	}
	return out, nil
}

// linkMention points the links of a mention of someone elsewhere at their profile on their own
// server (their actor's url, else its id), as Mastodon's web client expects to match a mention's
// link to its tag. The stored HTML links to this forum's page of them (markup.ProfileURL), or, in
// posts rendered earlier, to a guessed https://host/@user, which most forum servers do not serve.
func (d *Documents) linkMention(content string, m forum.Mention, a forum.Actor) string {
	target := a.URL
	if target == "" {
		target = a.APID
	}
	to := `href="` + html.EscapeString(target) + `"`
	base, err := url.Parse(d.iris.Base())
	if err != nil {
		return content
	}
	for _, from := range []string{markup.ProfileURL(base, m.Username, m.Domain), markup.LegacyRemoteProfileURL(m.Username, m.Domain)} {
		content = strings.ReplaceAll(content, `href="`+html.EscapeString(from)+`"`, to)
	}
	return content
}

// mentioned finds the actor a mention names: a member, or a remote actor from the cache or (with
// resolve) through WebFinger.
func (d *Documents) mentioned(ctx context.Context, m forum.Mention, resolve bool) (forum.Actor, error) {
	if m.Domain == "" || strings.EqualFold(m.Domain, d.iris.Host()) {
		a, err := d.forum.LocalActorByUsername(ctx, m.Username)
		if err == nil && a.Kind != forum.ActorPerson && a.Kind != forum.ActorGroup {
			err = fmt.Errorf("@%s: %w", m.Username, forum.ErrNotFound)
		}
		return a, err
	}
	if resolve && d.actors != nil {
		return d.actors.ResolveHandle(ctx, m.Username, m.Domain)
	}
	return d.forum.RemoteActorByHandle(ctx, m.Username, m.Domain)
}

// images lists the images of a post's HTML as attachments (alt text in name).
func (d *Documents) images(fragment string) []Attachment {
	if !strings.Contains(fragment, "<img") {
		return nil
	}
	var out []Attachment
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return out
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if string(name) != "img" || !hasAttr {
			continue
		}
		var a Attachment
		for {
			k, v, more := z.TagAttr()
			switch string(k) {
			case "src":
				a.URL = d.iris.Absolute(string(v))
			case "alt":
				a.Name = string(v)
			}
			if !more {
				break
			}
		}
		if !isAbsoluteHTTP(a.URL) || len(out) >= maxImages {
			continue
		}
		a.Type, a.MediaType = "Image", imageMediaType(a.URL)
		out = append(out, a)
	}
}

// maxImages bounds the images listed as attachments of one post (Mastodon shows four).
const maxImages = 8

func imageMediaType(u string) string {
	switch strings.ToLower(path.Ext(strings.SplitN(u, "?", 2)[0])) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	}
	return ""
}

// Teaser is the plain text of an HTML fragment, white space collapsed, cut at a word boundary to
// at most max characters (an ellipsis marks a cut).
func Teaser(fragment string, max int) string {
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	space := false
	for done := false; !done; {
		switch z.Next() {
		case xhtml.ErrorToken:
			done = true
		case xhtml.TextToken:
			for _, r := range string(z.Text()) {
				if unicode.IsSpace(r) {
					space = b.Len() > 0
					continue
				}
				if space {
					b.WriteByte(' ')
					space = false
				}
				b.WriteRune(r)
			}
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			// Block boundaries separate words; inline markup (a mention's link) does not.
			if name, _ := z.TagName(); blockTags[string(name)] {
				space = b.Len() > 0
			}
		}
		if b.Len() > 8*max {
			break
		}
	}
	text := b.String()
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	runes := []rune(text)[:max-1]
	cut := len(runes)
	for i := len(runes) - 1; i > max/2; i-- {
		if unicode.IsSpace(runes[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(runes[:cut]), unicode.IsSpace) + "…"
}

// blockTags are the elements whose boundaries separate words in a teaser.
var blockTags = map[string]bool{"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "blockquote": true,
	"pre": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "hr": true, "table": true,
	"tr": true, "td": true, "th": true, "img": true}

// errNotPublic means the thing asked for is not public: served as 404, never federated.
var errNotPublic = fmt.Errorf("not public: %w", forum.ErrNotFound)

// visiblePost loads a post a guest may read for its document: deleted posts are ErrGone (with the
// post, for its Tombstone), hidden ones, posts in hidden threads or in categories guests cannot
// read, and remote posts are ErrNotFound.
func (d *Documents) visiblePost(ctx context.Context, postID int64) (forum.FederatedPost, error) {
	p, err := d.forum.FederatedPostByID(ctx, postID)
	if err != nil {
		return forum.FederatedPost{}, err
	}
	switch {
	case p.APID != "" || !p.Public:
		return forum.FederatedPost{}, errNotPublic
	case p.Deleted() || p.ThreadDeleted:
		return p, fmt.Errorf("post %d: %w", postID, forum.ErrGone)
	case p.Hidden():
		return forum.FederatedPost{}, errNotPublic
	}
	return p, nil
}

// objectTypeOf is the type a post's object has (for a Tombstone's formerType).
func objectTypeOf(p forum.FederatedPost) string {
	if p.Opener() && !p.Category.NoteMode {
		return "Article"
	}
	return "Note"
}
